"""Physiology: steady-state VO2 (ACSM), VO2 kinetics, breath-by-breath cart noise and heart rate.

All arrays are on one uniform time grid `t_s` (s); 1 Hz is plenty, finer grids work the same.
Equations, constants and their sources: docs/physiology.md.
"""

from __future__ import annotations

import numpy as np
from scipy.signal import lfilter

from gaitnode.errors import GaitnodeError
from gaitnode.sessions.model import ACTIVITIES, Series
from gaitnode.simulate.protocols import Protocol, locomotion_activity, stair_vertical_speed_ms
from gaitnode.simulate.subjects import SubjectParams

REST_ML_KG_MIN = 3.5  # 1 MET (ACSM)
# Compendium of Physical Activities (Ainsworth et al. 2011): lying quietly 1.0, sitting quietly 1.3,
# standing quietly 1.5 MET.
STATIC_MET = {"laying": 1.0, "sitting": 1.3, "standing": 1.5}
# ACSM metabolic equations (ACSM's Guidelines for Exercise Testing and Prescription), v in m/min,
# grade as a fraction, VO2 in ml/kg/min.
WALK_H, WALK_V = 0.1, 1.8  # walking: 3.5 + 0.1 v + 1.8 v grade
RUN_H, RUN_V = 0.2, 0.9  # running: 3.5 + 0.2 v + 0.9 v grade
CLIMB_ML_KG_PER_M = 1.8  # ACSM stepping: 1.8 ml/kg per metre of vertical climb
DESCENT_FRAC = 1.0 / 3.0  # ACSM stepping: descending costs 1/3 of ascending
MODERATE_VO2R = 0.40  # ACSM: moderate intensity starts at 40 % of VO2 reserve
BREATH_MAX_HZ = 0.75  # about 45 breaths/min at VO2max
BREATH_INTERVAL_CV = 0.15  # irregularity of breath duration
HR_NOISE_TAU_S = 3.0  # correlation time of beat-to-beat HR fluctuation


def _dt(t_s: np.ndarray, *arrays: np.ndarray) -> float:
    """The step of a uniform time grid; GaitnodeError when it is not one or shapes differ."""
    t = np.asarray(t_s, dtype=np.float64)
    if t.ndim != 1 or len(t) < 2:
        raise GaitnodeError(f"physiology needs a 1-D time grid of at least 2 samples, got shape {t.shape}")
    for a in arrays:
        if np.shape(a) != t.shape:
            raise GaitnodeError(f"physiology input has shape {np.shape(a)}, the time grid {t.shape}")
    d = np.diff(t)
    dt = float(d.mean())
    if not dt > 0 or np.any(np.abs(d - dt) > 1e-6 * max(dt, 1.0)):
        i = int(np.argmax(np.abs(d - dt)))
        raise GaitnodeError(f"physiology needs a uniform, increasing time grid; step {i} is {d[i]:g} s, mean {dt:g} s")
    return dt


def acsm_vo2_ml_kg_min(speed_ms: np.ndarray, grade_pct: np.ndarray, activity_idx: np.ndarray,
                       walk_run_speed_ms: float) -> np.ndarray:
    """Steady-state gross VO2 (ml/kg/min) of an average person, per sample.

    speed_ms: horizontal speed (m/s); grade_pct: grade (%); activity_idx: index into ACTIVITIES.
    Walking/running (chosen by speed, see locomotion_activity): ACSM equations; negative grades add
    no vertical term (the equations cover level and uphill only); walking never costs less than
    standing. Stairs: ACSM walking horizontal term + 1.8 ml/kg per m climbed (1/3 of that per m
    descended), vertical speed from the stair geometry. Static postures: Compendium METs x 3.5.
    """
    a = np.asarray(activity_idx)
    if a.size and (a.min() < 0 or a.max() >= len(ACTIVITIES)):
        raise GaitnodeError(f"activity index out of range 0-{len(ACTIVITIES) - 1} (unknown activity)")
    v = np.asarray(speed_ms, dtype=np.float64) * 60.0  # m/min
    grade = np.clip(np.asarray(grade_pct, dtype=np.float64), 0.0, None) / 100.0
    gait = locomotion_activity(a, speed_ms, walk_run_speed_ms)
    name = np.asarray(ACTIVITIES)[gait]
    climb = stair_vertical_speed_ms(gait, speed_ms) * 60.0  # m/min, + up
    standing = STATIC_MET["standing"] * REST_ML_KG_MIN
    out = np.select(
        [name == "walking", name == "running", name == "upstairs", name == "downstairs"],
        [np.maximum(REST_ML_KG_MIN + WALK_H * v + WALK_V * v * grade, standing),
         REST_ML_KG_MIN + RUN_H * v + RUN_V * v * grade,
         REST_ML_KG_MIN + WALK_H * v + CLIMB_ML_KG_PER_M * climb,
         REST_ML_KG_MIN + WALK_H * v + DESCENT_FRAC * CLIMB_ML_KG_PER_M * (-climb)],
        default=np.nan)
    for posture, met in STATIC_MET.items():
        out[name == posture] = met * REST_ML_KG_MIN
    return out


def steady_state_vo2_ml_kg_min(subject: SubjectParams, acsm_ml_kg_min: np.ndarray) -> np.ndarray:
    """The subject's steady-state demand (ml/kg/min): rest + economy x (ACSM - rest)."""
    return REST_ML_KG_MIN + subject.economy * (np.asarray(acsm_ml_kg_min, dtype=np.float64) - REST_ML_KG_MIN)


def _first_order(u: np.ndarray, x0: float, a_up: float, a_down: float) -> np.ndarray:
    """x[k] = u[k-1] + (x[k-1] - u[k-1]) * a, a = a_up when rising towards u, else a_down.

    The exact discretisation of dx/dt = (u - x)/tau for u held over each step (a = exp(-dt/tau)).
    """
    x = np.empty(len(u))
    x[0] = cur = x0
    for k, target in enumerate(u[:-1].tolist(), start=1):
        cur = target + (cur - target) * (a_up if target > cur else a_down)
        x[k] = cur
    return x


def simulate_vo2(subject: SubjectParams, t_s: np.ndarray, speed_ms: np.ndarray, grade_pct: np.ndarray,
                 activity_idx: np.ndarray, rng: np.random.Generator, *,
                 fluctuation_cv: float = 0.01) -> np.ndarray:
    """True (noise-free as a cart would see it) VO2 in ml/min on the uniform grid t_s (s).

    Demand = rest + economy x (ACSM - rest), capped at VO2max, followed with first-order kinetics
    (tau_on_s rising, tau_off_s falling; exact discretisation). Above threshold_frac x VO2max a
    slow component of slow_frac x the excess demand grows with tau_slow_s (resolves with tau_off_s).
    The sum is capped at VO2max and multiplied by body mass. fluctuation_cv: slow spontaneous
    fluctuation of metabolic rate (AR(1), 60 s correlation, drawn from rng); 0 gives a smooth curve.
    Starts in steady state for a static first posture, else at the standing value.
    """
    dt = _dt(t_s, speed_ms, grade_pct, activity_idx)
    acsm = acsm_vo2_ml_kg_min(speed_ms, grade_pct, activity_idx, subject.walk_run_speed_ms)
    demand = steady_state_vo2_ml_kg_min(subject, acsm)
    vo2max = subject.vo2max_ml_kg_min
    first = ACTIVITIES[int(np.asarray(activity_idx)[0])]
    start = demand[0] if first in STATIC_MET else float(
        steady_state_vo2_ml_kg_min(subject, STATIC_MET["standing"] * REST_ML_KG_MIN))
    fast = _first_order(np.minimum(demand, vo2max), min(start, vo2max),
                        np.exp(-dt / subject.tau_on_s), np.exp(-dt / subject.tau_off_s))
    excess = subject.slow_frac * np.clip(demand - subject.threshold_frac * vo2max, 0.0, None)
    slow = _first_order(excess, 0.0, np.exp(-dt / subject.tau_slow_s), np.exp(-dt / subject.tau_off_s))
    vo2 = np.minimum(fast + slow, vo2max)
    if fluctuation_cv > 0:
        vo2 = np.minimum(vo2 * (1.0 + fluctuation_cv * _ar1(rng, len(vo2), dt, 60.0)), vo2max)
    return vo2 * subject.mass_kg


def _ar1(rng: np.random.Generator, n: int, dt: float, tau_s: float) -> np.ndarray:
    """Stationary unit-variance AR(1) noise with correlation time tau_s on a grid of step dt."""
    phi = float(np.exp(-dt / tau_s))
    w = rng.standard_normal(n + 1)
    return lfilter([np.sqrt(1.0 - phi ** 2)], [1.0, -phi], w[1:], zi=[phi * w[0]])[0]


def relative_intensity(subject: SubjectParams, vo2_ml_min: np.ndarray) -> np.ndarray:
    """Fraction of VO2 reserve, (VO2 - rest) / (VO2max - rest), clipped to [0, 1]."""
    per_kg = np.asarray(vo2_ml_min, dtype=np.float64) / subject.mass_kg
    return np.clip((per_kg - REST_ML_KG_MIN) / (subject.vo2max_ml_kg_min - REST_ML_KG_MIN), 0.0, 1.0)


def breathing_frequency_hz(subject: SubjectParams, vo2_ml_min: np.ndarray) -> np.ndarray:
    """Breathing frequency (Hz): breath_rest_hz at rest, rising as the square of %VO2R to BREATH_MAX_HZ."""
    r = relative_intensity(subject, vo2_ml_min)
    return subject.breath_rest_hz + (BREATH_MAX_HZ - subject.breath_rest_hz) * r ** 2


def breath_by_breath(subject: SubjectParams, t_s: np.ndarray, vo2_true_ml_min: np.ndarray,
                     rng: np.random.Generator) -> Series:
    """VO2 (ml/min) as a metabolic cart reports it: one value per breath, irregular timestamps (s).

    Breath durations are 1 / breathing_frequency_hz x lognormal (CV BREATH_INTERVAL_CV); each
    breath reports the mean true VO2 over that breath times lognormal noise with mean 1 and CV
    subject.breath_cv. Timestamps are breath ends, inside the span of t_s.
    """
    _dt(t_s, vo2_true_ml_min)
    t = np.asarray(t_s, dtype=np.float64)
    vo2 = np.asarray(vo2_true_ml_min, dtype=np.float64)
    freq = breathing_frequency_hz(subject, vo2)
    sig_i = np.sqrt(np.log1p(BREATH_INTERVAL_CV ** 2))
    ends = []
    cur = t[0] + rng.uniform(0.0, 1.0) / freq[0]  # the recording starts mid-breath
    while cur <= t[-1]:
        ends.append(cur)
        cur += float(np.exp(rng.normal(-sig_i ** 2 / 2, sig_i))) / float(np.interp(cur, t, freq))
    ends = np.asarray(ends)
    if len(ends) == 0:  # a grid shorter than one breath
        return Series(np.zeros(0), np.zeros(0))
    # Mean VO2 over each breath from the running integral (trapezoid) of the true curve.
    area = np.concatenate([[0.0], np.cumsum(0.5 * (vo2[1:] + vo2[:-1]) * np.diff(t))])
    starts = np.concatenate([[t[0]], ends[:-1]])
    mean = (np.interp(ends, t, area) - np.interp(starts, t, area)) / np.maximum(ends - starts, 1e-9)
    sig_v = np.sqrt(np.log1p(subject.breath_cv ** 2))
    return Series(ends, mean * np.exp(rng.normal(-sig_v ** 2 / 2, sig_v, len(ends))))


def simulate_hr(subject: SubjectParams, t_s: np.ndarray, vo2_true_ml_min: np.ndarray,
                rng: np.random.Generator) -> np.ndarray:
    """Heart rate (bpm) on the uniform grid t_s (s).

    Steady state from %HR reserve = %VO2 reserve (Swain & Leutholtz 1997), followed with a first-order
    response (tau_hr_s). Above moderate intensity (40 % VO2R) cardiovascular drift adds
    hr_drift_bpm_min per minute (capped at 20 bpm); below it the drift decays with a 5 min time
    constant. Beat-to-beat fluctuation: AR(1), 3 s correlation, SD 2.5 bpm at rest falling to
    0.5 bpm at VO2max. Clipped to [hr_rest - 5, hr_max].
    """
    dt = _dt(t_s, vo2_true_ml_min)
    r = relative_intensity(subject, vo2_true_ml_min)
    hr_ss = subject.hr_rest + r * (subject.hr_max - subject.hr_rest)
    drift = np.empty(len(r))
    cur, decay = 0.0, float(np.exp(-dt / 300.0))
    for k, above in enumerate((r > MODERATE_VO2R).tolist()):
        drift[k] = cur
        cur = min(cur + subject.hr_drift_bpm_min * dt / 60.0, 20.0) if above else cur * decay
    a = float(np.exp(-dt / subject.tau_hr_s))
    target = hr_ss + drift
    hr = _first_order(target, float(target[0]), a, a)
    noise = (2.5 - 2.0 * r) * _ar1(rng, len(r), dt, HR_NOISE_TAU_S)
    return np.clip(hr + noise, subject.hr_rest - 5.0, subject.hr_max)


def reference_series(subject: SubjectParams, protocol: Protocol, rng: np.random.Generator,
                     rate_hz: float = 1.0) -> dict[str, Series]:
    """The physiology reference series for a protocol, keyed as in SERIES_UNITS.

    "vo2_true" (ml/min, rate_hz grid), "vo2" (ml/min, breath by breath), "hr" (bpm), "speed" (m/s),
    "grade" (%), with t_s in s from the protocol start. rng is split into independent streams for
    VO2, breaths and HR.
    """
    t = np.arange(0.0, protocol.duration_s + 0.5 / rate_hz, 1.0 / rate_hz)
    speed, grade, activity = protocol.sample(t)
    r_vo2, r_breath, r_hr = rng.spawn(3)
    vo2 = simulate_vo2(subject, t, speed, grade, activity, r_vo2)
    return {
        "vo2_true": Series(t, vo2),
        "vo2": breath_by_breath(subject, t, vo2, r_breath),
        "hr": Series(t, simulate_hr(subject, t, vo2, r_hr)),
        "speed": Series(t, speed),
        "grade": Series(t, grade),
    }

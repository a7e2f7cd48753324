"""Inputs of the VO2-from-heart-rate model: one 1 Hz sequence per recording, and its features.

A `Vo2Sequence` is what a wearable knows about one recording, on a 1 Hz grid: heart rate, time,
the subject's anthropometrics and, from a node's own heel strikes, cadence; plus the VO2 reference
(ml/min) when there is one (training, evaluation). Both data sources become sequences:

* real cardiopulmonary exercise tests (`gaitnode.training.cpet_data`), and
* sessions (`session_sequence`: the "hr" and "vo2" series, cadence from the reference heel strikes
  of the node's own leg, the subject from meta.subject).

Heart rate outside 25-250 bpm (or NaN) is not physiological (a strap dropout, a recorder writing 0):
those seconds are masked (NaN) and counted (`hr_masked`), and the model input bridges them by linear
interpolation (`fill_hr_gaps`); the reference VO2 of those seconds is still scored.

Features (`features`, one row per second), all computable on a node or phone from the same inputs:
"hr" (bpm), "hr_rise" (HR minus HR at the calibration second), "hr_frac_max" (HR / (208 - 0.7 age),
Tanaka's age-predicted maximum), "minutes" (since the recording start), "age", "height_m", "mass_kg",
"sex" (1 male, 0 female, 0.5 unknown), "vo2_cal" (the calibration VO2 in the target unit) and, when
the model uses cadence, "cadence" (steps/min, 0 when not stepping).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.signal import savgol_filter

from gaitnode.errors import GaitnodeError

HR_MIN_BPM = 25.0  # below: no heart beats this slowly in a conscious adult (a recorder's 0, a dropout)
HR_MAX_BPM = 250.0  # above: beyond any reported maximal heart rate
SG_WINDOW, SG_ORDER = 15, 3  # paper 002's Savitzky-Golay filter of the VO2 reference (15 samples, cubic)
BASE_FEATURES = ("hr", "hr_rise", "hr_frac_max", "minutes", "age", "height_m", "mass_kg", "sex", "vo2_cal")
CADENCE_FEATURE = "cadence"
TARGETS = {"vo2_ml_min": 1000.0, "vo2_ml_kg_min": 10.0}  # target -> internal scale (model works in target / scale)
SEX_CODE = {"male": 1.0, "female": 0.0, None: 0.5}
STEP_GAP_S = 2.5  # no own-side heel strike for this long: the subject is not stepping (cadence 0)


@dataclass
class Vo2Sequence:
    """One recording on a 1 Hz grid.

    name: for messages and reports. group: the subject (cross-validation leaves groups out).
    t_s float64 [T]: seconds since the recording start (0, 1, 2, ...). hr_bpm float64 [T]: NaN
    where masked. vo2_ml_min float64 [T] | None: the reference (NaN where not covered).
    cadence_spm float64 [T] | None: steps/min. age (y), height_m, mass_kg, sex ("male" | "female" |
    None). synthetic: simulator data. hr_masked: seconds of HR masked as not physiological.
    extra: more reference series on the same grid (e.g. "vo2_true" of the simulator), and notes.
    """

    name: str
    group: str
    t_s: np.ndarray
    hr_bpm: np.ndarray
    vo2_ml_min: np.ndarray | None
    age: float
    height_m: float
    mass_kg: float
    sex: str | None
    synthetic: bool
    cadence_spm: np.ndarray | None = None
    hr_masked: int = 0
    extra: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.t_s)


def mask_hr(hr_bpm) -> tuple[np.ndarray, int]:
    """HR with every value outside [HR_MIN_BPM, HR_MAX_BPM] or not finite set to NaN, and their count."""
    hr = np.array(hr_bpm, dtype=np.float64)
    bad = ~np.isfinite(hr) | (hr < HR_MIN_BPM) | (hr > HR_MAX_BPM)
    hr[bad] = np.nan
    return hr, int(bad.sum())


def fill_hr_gaps(hr_bpm, *, name: str = "sequence") -> np.ndarray:
    """Masked (NaN) HR bridged linearly; held flat before the first / after the last valid second.
    GaitnodeError when no second has a physiological HR."""
    hr = np.asarray(hr_bpm, dtype=np.float64)
    ok = np.isfinite(hr)
    if not ok.any():
        raise GaitnodeError(f"{name}: no heart rate within {HR_MIN_BPM:g}-{HR_MAX_BPM:g} bpm; the VO2-from-HR "
                            f"model needs heart rate")
    idx = np.arange(len(hr))
    return np.interp(idx, idx[ok], hr[ok])


def smooth_vo2(vo2) -> np.ndarray:
    """Paper 002's Savitzky-Golay filter (15 s window, cubic) of a 1 Hz VO2 series; NaN ends kept NaN.

    NaN inside the covered span are bridged linearly first. Series shorter than the window are
    returned unchanged."""
    v = np.asarray(vo2, dtype=np.float64)
    ok = np.isfinite(v)
    out = np.full(len(v), np.nan)
    if ok.sum() == 0:
        return out
    first, last = int(np.argmax(ok)), len(v) - 1 - int(np.argmax(ok[::-1]))
    idx = np.arange(first, last + 1)
    span = np.interp(idx, idx[ok[first:last + 1]], v[first:last + 1][ok[first:last + 1]])
    out[first:last + 1] = savgol_filter(span, SG_WINDOW, SG_ORDER, mode="interp") if len(span) >= SG_WINDOW else span
    return out


def check_target(target: str) -> float:
    """The internal scale of `target` ("vo2_ml_min" | "vo2_ml_kg_min"); GaitnodeError otherwise."""
    if target not in TARGETS:
        raise GaitnodeError(f"target {target!r} is not one of {', '.join(TARGETS)}")
    return TARGETS[target]


def check_anthropometrics(seq: Vo2Sequence) -> None:
    """GaitnodeError naming the sequence and field when age, height or mass is missing or not physiological
    (the ranges the node's CONFIG accepts: age 5-120 y, height 0.5-2.5 m, mass 20-300 kg)."""
    for what, value, lo, hi, unit, hint in (
            ("age", seq.age, 5.0, 120.0, "y", "meta.subject.age"),
            ("height", seq.height_m, 0.5, 2.5, "m", "meta.subject.height_m"),
            ("mass", seq.mass_kg, 20.0, 300.0, "kg", "meta.subject.mass_kg")):
        if value is None or not np.isfinite(value):
            need = " (needed for ml/kg/min and as a model input)" if what == "mass" else " (a model input)"
            raise GaitnodeError(f"{seq.name}: subject {what} is missing{need}; set {hint}")
        if not lo <= value <= hi:
            raise GaitnodeError(f"{seq.name}: subject {what} {value:g} {unit} is outside physiology "
                                f"({lo:g}-{hi:g} {unit})")
    if seq.sex not in SEX_CODE:
        raise GaitnodeError(f"{seq.name}: subject sex {seq.sex!r} is not 'male', 'female' or unknown (None)")


def target_values(seq: Vo2Sequence, target: str, series: np.ndarray | None = None) -> np.ndarray:
    """The VO2 reference of `seq` (or `series`, ml/min) in the target unit."""
    v = seq.vo2_ml_min if series is None else series
    if v is None:
        raise GaitnodeError(f"{seq.name}: no VO2 reference (ml/min); training and evaluating need one")
    v = np.asarray(v, dtype=np.float64)
    return v / seq.mass_kg if target == "vo2_ml_kg_min" else v


def to_ml_min(seq: Vo2Sequence, target: str, values) -> np.ndarray:
    """Values in the target unit back to ml/min."""
    v = np.asarray(values, dtype=np.float64)
    return v * seq.mass_kg if target == "vo2_ml_kg_min" else v


def resting_vo2_ml_min(seq: Vo2Sequence) -> float:
    """ACSM resting VO2 (3.5 ml/kg/min, the RMR term of the ACSM walking equation at speed 0) x mass."""
    return 3.5 * seq.mass_kg


def feature_names(use_cadence: bool) -> tuple[str, ...]:
    return BASE_FEATURES + ((CADENCE_FEATURE,) if use_cadence else ())


def features(seq: Vo2Sequence, vo2_cal: float, *, use_cadence: bool, start: int = 0, stop: int | None = None,
             hr_filled: np.ndarray | None = None) -> np.ndarray:
    """Feature matrix float32 [stop - start, F] (see the module docstring), calibrated at second `start`.

    vo2_cal: the calibration VO2 in the target unit. hr_filled: `fill_hr_gaps(seq.hr_bpm)` when the
    caller has it already."""
    stop = len(seq) if stop is None else stop
    hr = fill_hr_gaps(seq.hr_bpm, name=seq.name) if hr_filled is None else hr_filled
    hr = hr[start:stop]
    n = len(hr)
    cols = [hr, hr - hr[0], hr / (208.0 - 0.7 * seq.age), seq.t_s[start:stop] / 60.0,
            np.full(n, seq.age), np.full(n, seq.height_m), np.full(n, seq.mass_kg),
            np.full(n, SEX_CODE[seq.sex]), np.full(n, vo2_cal)]
    if use_cadence:
        if seq.cadence_spm is None:
            raise GaitnodeError(f"{seq.name}: the model uses cadence, but the recording has none (no heel strikes "
                                f"of the node's own leg)")
        cols.append(seq.cadence_spm[start:stop])
    return np.stack(cols, axis=1).astype(np.float32)


def cadence_from_heel_strikes(hs_times_s, t_s) -> np.ndarray:
    """Steps/min at each time in `t_s` from one leg's heel strikes, as a node computes it causally.

    One node sees one leg: steps/min = 2 * 60 / stride time, with the stride time between the last two
    heel strikes at or before t. 0 before the second heel strike and when the last one is more than
    max(STEP_GAP_S, 1.5 x the last stride time) ago (standing)."""
    hs = np.sort(np.asarray(hs_times_s, dtype=np.float64))
    t = np.asarray(t_s, dtype=np.float64)
    out = np.zeros(len(t))
    if len(hs) < 2:
        return out
    k = np.searchsorted(hs, t, side="right") - 1  # index of the last heel strike at or before t
    ok = k >= 1
    stride = np.where(ok, hs[np.clip(k, 1, None)] - hs[np.clip(k - 1, 0, None)], np.inf)
    since = np.where(ok, t - hs[np.clip(k, 0, None)], np.inf)
    walking = ok & (stride > 0) & (since <= np.maximum(STEP_GAP_S, 1.5 * stride))
    out[walking] = 120.0 / stride[walking]
    return out


def session_sequence(session, *, need_vo2: bool = True, vo2_series: str = "vo2") -> Vo2Sequence:
    """The 1 Hz `Vo2Sequence` of a session (see the module docstring).

    The grid runs over the span the "hr" series (and, with need_vo2, the `vo2_series`) covers.
    vo2 (ml/min) is interpolated onto it; "vo2_true" goes to extra when present. Cadence comes from the
    reference heel strikes of the node's own leg (meta.side; all heel strikes when the side is unknown)
    and is None when the session has none. Raises GaitnodeError for a missing "hr" or VO2 series, or
    series too short for a 1 Hz grid.
    """
    from gaitnode.training.datasets import session_name

    name = session_name(session)
    if "hr" not in session.series or len(session.series["hr"]) < 2:
        raise GaitnodeError(f"{name}: no 'hr' series (heart rate, bpm); the VO2-from-HR model needs heart rate")
    hr_s = session.series["hr"]
    lo, hi = float(hr_s.t_s[0]), float(hr_s.t_s[-1])
    vo2_s = session.series.get(vo2_series)
    if need_vo2:
        if vo2_s is None or len(vo2_s) < 2:
            raise GaitnodeError(f"{name}: no '{vo2_series}' series (VO2, ml/min); training and evaluating the "
                                f"VO2-from-HR model need a VO2 reference")
        lo, hi = max(lo, float(vo2_s.t_s[0])), min(hi, float(vo2_s.t_s[-1]))
    if hi - lo < 1.0:
        raise GaitnodeError(f"{name}: heart rate and VO2 overlap for {max(hi - lo, 0):.1f} s; at least 2 s are needed")
    t = np.arange(np.ceil(lo), np.floor(hi) + 1e-9, 1.0)
    hr, n_masked = mask_hr(_at_times(hr_s, t, gaps=True))
    vo2 = vo2_s.at(t) if vo2_s is not None and len(vo2_s) >= 2 else None
    extra = {}
    if "vo2_true" in session.series and len(session.series["vo2_true"]) >= 2:
        extra["vo2_true"] = session.series["vo2_true"].at(t)
    hs = session.heel_strikes()
    subject = session.meta.subject
    sex = subject.sex if subject.sex in ("male", "female") else None
    nan = float("nan")
    return Vo2Sequence(
        name=name, group=str(subject.id), t_s=t - t[0], hr_bpm=hr, vo2_ml_min=vo2,
        age=nan if subject.age is None else float(subject.age),
        height_m=nan if subject.height_m is None else float(subject.height_m),
        mass_kg=nan if subject.mass_kg is None else float(subject.mass_kg),
        sex=sex, synthetic=bool(session.meta.synthetic),
        cadence_spm=cadence_from_heel_strikes(hs, t) if len(hs) >= 2 else None,
        hr_masked=n_masked, extra={**extra, "t0_s": float(t[0]), "protocol": session.meta.protocol or ""})


def distinct_sequences(seqs) -> list[Vo2Sequence]:
    """`seqs` without repeats of one recording: a cohort holds each walk once per placement and side, with the
    same heart rate and VO2 (the same physiology seen by several nodes); the first is kept."""
    seen, out = set(), []
    for s in seqs:
        vo2 = b"" if s.vo2_ml_min is None else np.nan_to_num(s.vo2_ml_min).tobytes()
        key = (s.group, len(s), hash(np.nan_to_num(s.hr_bpm).tobytes()), hash(vo2))
        if key not in seen:
            seen.add(key)
            out.append(s)
    return out


def _at_times(series, t: np.ndarray, *, gaps: bool) -> np.ndarray:
    """Series values at t; with gaps=True a time more than 5 s from any sample is NaN (a dropout)."""
    v = series.at(t)
    if gaps and len(series) >= 2:
        k = np.clip(np.searchsorted(series.t_s, t), 1, len(series) - 1)
        near = np.minimum(np.abs(series.t_s[k] - t), np.abs(series.t_s[k - 1] - t))
        v = np.where(near <= 5.0, v, np.nan)
    return v

"""The ACSM walking equation (paper 000, eqs. 19-23) on the host: the firmware's C units gn_acsm,
gn_cadence and gn_vo2, called through ctypes (the numbers are the node's, not a second implementation).

    vo2 = acsm_vo2_ml_kg_min([1.1, 1.0], height_m=1.75, sex="male")        # per stride time
    series = acsm_series(hs_times_s, session_t_s, height_m=1.75, sex="male")  # the node's estimate stage

The equation, the step-length reading of eq. 23 (steps/s = 2 / stride time of the one leg a node
sees) and the smoothing are documented in firmware/lib/gaitnode_core/src/gn_acsm.h and gn_vo2.h.
"""

from __future__ import annotations

import ctypes
import math

import numpy as np

from gaitnode.ccore import abi
from gaitnode.errors import GaitnodeError

WHAT = "ACSM VO2"
HEIGHT_RANGE_M = (0.5, 2.5)  # the node's physiology range for CONFIG height (gn_msg.h GN_PHYS_HEIGHT_*)
DEFAULT_TAU_S = 30.0  # GN_VO2_ACSM_TAU_S
DEFAULT_ESTIMATE_PERIOD_S = 5.0  # the node's default CONFIG estimate period


def _sex_code(sex) -> int:
    """gn_sex code of "male" / "female" / None or "unknown" (or the codes 0, 1, 2 themselves)."""
    if sex is None:
        return abi.SEXES["unknown"]
    if isinstance(sex, str) and sex.lower() in abi.SEXES:
        return abi.SEXES[sex.lower()]
    if isinstance(sex, (int, np.integer)) and not isinstance(sex, bool) and int(sex) in abi.SEXES.values():
        return int(sex)
    raise GaitnodeError(f"{WHAT}: sex {sex!r} is not one of male, female, unknown (None)")


def _number(name: str, value, lo: float, hi: float) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise GaitnodeError(f"{WHAT}: {name} must be a number, got {value!r}") from None
    if not (math.isfinite(x) and lo <= x <= hi):
        raise GaitnodeError(f"{WHAT}: {name} = {value!r} is outside {lo:g}..{hi:g}")
    return x


def _height(height_m) -> float:
    if height_m is None:
        raise GaitnodeError(f"{WHAT}: the subject's height is needed (speed = k x height x steps/s)")
    return _number("height_m", height_m, *HEIGHT_RANGE_M)


def _times(name: str, t, *, strictly: bool) -> np.ndarray:
    try:
        a = np.asarray(t, dtype=np.float64)
    except (TypeError, ValueError):
        raise GaitnodeError(f"{WHAT}: {name} must be an array of times in s") from None
    if a.ndim != 1:
        raise GaitnodeError(f"{WHAT}: {name} must be one-dimensional, got shape {a.shape}")
    if not np.all(np.isfinite(a)):
        raise GaitnodeError(f"{WHAT}: {name} has a non-finite value at index {int(np.argmin(np.isfinite(a)))}")
    d = np.diff(a)
    bad = d <= 0 if strictly else d < 0
    if np.any(bad):
        i = int(np.argmax(bad))
        raise GaitnodeError(f"{WHAT}: {name} is not {'strictly ' if strictly else ''}increasing at index {i + 1} "
                            f"({a[i]:.6f} s then {a[i + 1]:.6f} s)")
    return a


def acsm_vo2_ml_kg_min(stride_time_s, *, height_m, sex, grade_frac: float = 0.0) -> np.ndarray:
    """VO2 (ml/kg/min) of the ACSM walking equation for each stride time (s, one leg's heel-strike
    interval): 3.5 + 0.1 v + 1.8 v grade with v = k x height x 2 / stride time x 60 m/min.

    A NaN stride time gives NaN (no stride known); a stride time <= 0 or infinite, a height outside
    0.5..2.5 m, a grade outside -1..1 or an unknown sex give GaitnodeError.
    """
    code = _sex_code(sex)
    h = _height(height_m)
    g = _number("grade_frac", grade_frac, -1.0, 1.0)
    try:
        s = np.asarray(stride_time_s, dtype=np.float64)
    except (TypeError, ValueError):
        raise GaitnodeError(f"{WHAT}: stride_time_s must be numbers (s)") from None
    bad = ~np.isnan(s) & ~(np.isfinite(s) & (s > 0))
    if np.any(bad):
        i = np.unravel_index(int(np.argmax(bad)), s.shape) if s.ndim else ()
        raise GaitnodeError(f"{WHAT}: stride time {float(s[i]):g} s is not a positive finite time "
                            "(NaN marks an unknown stride)")
    lib = abi.core()

    def one(x: float) -> float:
        if math.isnan(x):
            return math.nan
        return lib.gn_acsm_walk_vo2(lib.gn_acsm_speed_m_min(code, h, x), g)

    return np.vectorize(one, otypes=[np.float64])(s) if s.size else s.astype(np.float64)


class AcsmVo2Estimator:
    """The node's ACSM estimate stage on heel-strike times: gn_cadence (median of the last strides
    of one leg) -> gn_acsm -> gn_vo2's first-order smoothing, estimated every estimate period on a
    sample clock, as the node does in replay.

    Parameters: height_m (m, 0.5..2.5), sex ("male", "female", None), grade_frac (rise/run, the
    node assumes 0), tau_s (smoothing time constant, s; 0 = none), rate_hz (the sample clock, Hz),
    estimate_period_s (s between estimates; the node's CONFIG estimate_period_ms / 1000), start_s
    (time of sample 0, s: the stream's start in the times' clock).

    `estimate(hs_times_s, t_s)` returns self with:
      estimate_t_s_ (float [K], s: the estimate times, start_s + k x period, k = 1.., up to t_s[-1]),
      estimate_vo2_ (float [K], ml/kg/min, smoothed: what the node's ESTIMATE frames carry),
      estimate_raw_ (float [K], ml/kg/min, the equation's value at each estimate before smoothing),
      vo2_ml_kg_min_ (float [N], ml/kg/min at each t_s: the last estimate at or before it; NaN before
        the first estimate).
    A heel strike counts from its own time (the node counts it once detected, a few samples later).
    A leg with no heel strike for longer than the longest stride (2.5 s) is standing: 3.5 ml/kg/min.
    """

    def __init__(self, *, height_m, sex, grade_frac: float = 0.0, tau_s: float = DEFAULT_TAU_S,
                 rate_hz: float = 100.0, estimate_period_s: float = DEFAULT_ESTIMATE_PERIOD_S, start_s: float = 0.0):
        self.height_m = _height(height_m)
        self.sex = sex
        self._sex = _sex_code(sex)
        self.grade_frac = _number("grade_frac", grade_frac, -1.0, 1.0)
        self.tau_s = _number("tau_s", tau_s, 0.0, 3600.0)
        self.rate_hz = _number("rate_hz", rate_hz, 1.0, 10_000.0)
        self.estimate_period_s = _number("estimate_period_s", estimate_period_s, 1.0 / self.rate_hz, 3600.0)
        self.start_s = _number("start_s", start_s, -1e9, 1e9)

    def estimate(self, hs_times_s, t_s) -> "AcsmVo2Estimator":
        hs = _times("hs_times_s", hs_times_s, strictly=True)
        t = _times("t_s", t_s, strictly=False)
        if len(hs) and hs[0] < self.start_s:
            raise GaitnodeError(f"{WHAT}: heel strike at {hs[0]:.3f} s is before the stream's start "
                                f"(start_s = {self.start_s:g} s)")
        lib = abi.core()
        cp = abi.CadenceParams()
        lib.gn_cadence_default_params(ctypes.byref(cp))
        cp.rate_hz = self.rate_hz
        vp = abi.Vo2Params()
        lib.gn_vo2_default_params(ctypes.byref(vp))
        vp.rate_hz, vp.acsm_tau_s, vp.grade_frac = self.rate_hz, self.tau_s, self.grade_frac
        cadence = abi.new_state(lib.gn_cadence_size())
        vo2 = abi.new_state(lib.gn_vo2_size())
        if lib.gn_cadence_init(cadence, ctypes.byref(cp)) != 0 or lib.gn_vo2_init(vo2, ctypes.byref(vp)) != 0:
            raise GaitnodeError(f"{WHAT}: the C core refused the parameters ({vars(self)})")

        pos = (hs - self.start_s) * self.rate_hz
        idx = np.floor(pos + 0.5).astype(np.int64)
        frac = pos - idx
        if len(idx) and idx[-1] >= 2**32:
            raise GaitnodeError(f"{WHAT}: heel strikes beyond {2**32 / self.rate_hz:g} s of stream")
        period = max(1, int(round(self.estimate_period_s * self.rate_hz)))
        end = int(math.floor((t[-1] - self.start_s) * self.rate_hz + 1e-9)) if len(t) else 0
        ticks = np.arange(period, end + 1, period, dtype=np.int64)
        res = abi.Vo2Result()
        smoothed = np.empty(len(ticks))
        raw = np.empty(len(ticks))
        j = 0
        for k, q in enumerate(ticks):
            while j < len(idx) and idx[j] <= q:
                lib.gn_cadence_push(cadence, int(idx[j]), float(frac[j]))
                j += 1
            lib.gn_vo2_estimate(vo2, int(q), cadence, self._sex, self.height_m, ctypes.byref(res))
            smoothed[k], raw[k] = res.acsm, res.acsm_raw
        self.estimate_t_s_ = self.start_s + ticks / self.rate_hz
        self.estimate_vo2_ = smoothed
        self.estimate_raw_ = raw
        # the estimate in force at t: the last one at or before t's sample
        last = np.searchsorted(ticks, np.floor((t - self.start_s) * self.rate_hz + 1e-9), side="right") - 1
        out = np.full(len(t), np.nan)
        out[last >= 0] = smoothed[last[last >= 0]]
        self.vo2_ml_kg_min_ = out
        return self


def acsm_series(hs_times_s, t_s, *, height_m, sex, grade_frac: float = 0.0, tau_s: float = DEFAULT_TAU_S,
                rate_hz: float = 100.0, estimate_period_s: float = DEFAULT_ESTIMATE_PERIOD_S,
                start_s: float = 0.0) -> np.ndarray:
    """ACSM VO2 (ml/kg/min) at each t_s from one leg's heel-strike times, through the node's C estimate
    stage (AcsmVo2Estimator: cadence, ACSM, smoothing every estimate period); NaN before the first
    estimate. Times in s on one clock whose sample 0 is start_s (a session's times: 0)."""
    est = AcsmVo2Estimator(height_m=height_m, sex=sex, grade_frac=grade_frac, tau_s=tau_s, rate_hz=rate_hz,
                           estimate_period_s=estimate_period_s, start_s=start_s)
    return est.estimate(hs_times_s, t_s).vo2_ml_kg_min_

"""Classical gyroscope heel-strike detector: the firmware's C unit gn_gyro_hs, called via ctypes.

The method (online sagittal-axis estimate, axis sign, mid-swing peak -> heel-strike minimum) is
documented in firmware/lib/gaitnode_core/src/gn_gyro_hs.h; this module only moves arrays in and
events out.
"""

from __future__ import annotations

import ctypes

import numpy as np

from gaitnode.ccore import abi
from gaitnode.ccore.times import event_times, gaps_from_times
from gaitnode.errors import GaitnodeError

# Tunables of gn_gyro_hs_params besides placement and rate_hz (units in gn_gyro_hs.h).
PARAM_NAMES = ("axis_tau_s", "settle_s", "still_dps", "quiet_s", "min_peak_dps", "peak_frac", "peak_tau_s",
               "max_search_s", "refractory_s")


def _params(placement: str, rate_hz: float, overrides: dict) -> abi.GyroHsParams:
    """gn_gyro_hs_params from the C defaults plus overrides; GaitnodeError for bad values."""
    if placement not in abi.PLACEMENTS:
        raise GaitnodeError(f"gyro heel-strike detector: placement {placement!r} is not one of "
                            f"{', '.join(abi.PLACEMENTS)}")
    unknown = sorted(set(overrides) - set(PARAM_NAMES))
    if unknown:
        raise GaitnodeError(f"gyro heel-strike detector: unknown parameter {unknown[0]!r}; "
                            f"known: {', '.join(PARAM_NAMES)}")
    lib = abi.core()
    p = abi.GyroHsParams()
    lib.gn_gyro_hs_default_params(ctypes.byref(p), abi.PLACEMENTS[placement])
    for name, value in {"rate_hz": rate_hz, **overrides}.items():
        try:
            setattr(p, name, float(value))
        except (TypeError, ValueError):
            raise GaitnodeError(f"gyro heel-strike detector: {name} must be a number, got {value!r}") from None
    bad = lib.gn_gyro_hs_check_params(ctypes.byref(p))
    if bad:
        name = abi.GyroHsParams._fields_[bad - 1][0]
        raise GaitnodeError(f"gyro heel-strike detector: {name} = {getattr(p, name):g} is out of range "
                            "(ranges in firmware/lib/gaitnode_core/src/gn_gyro_hs.c, gn_gyro_hs_check_params)")
    return p


class GyroHeelStrikeStream:
    """Streaming access to one gn_gyro_hs state (what the node does, chunk by chunk).

    push(gyr_dps [n, 3] deg/s, gap_before [n] optional) -> (idx [k] int64, frac [k] float64):
    the events emitted while pushing, idx counted from the first sample ever pushed. gap() marks
    missing samples before the next push. settled is True once events can be emitted.
    """

    def __init__(self, placement: str = "shank", rate_hz: float = 100.0, **params):
        self.params = _params(placement, rate_hz, params)
        lib = abi.core()
        self._state = abi.new_state(lib.gn_gyro_hs_state_size())
        lib.gn_gyro_hs_init(self._state, ctypes.byref(self.params))

    def push(self, gyr_dps, gap_before=None) -> tuple[np.ndarray, np.ndarray]:
        g = np.ascontiguousarray(gyr_dps, dtype=np.float32)
        if g.ndim != 2 or g.shape[1] != 3:
            raise GaitnodeError(f"gyro heel-strike detector: gyr_dps must have shape [N, 3], got {g.shape}")
        n = len(g)
        gaps = None
        if gap_before is not None:
            gaps = np.ascontiguousarray(gap_before, dtype=np.uint8)
            if gaps.shape != (n,):
                raise GaitnodeError(f"gyro heel-strike detector: gap_before must have shape [{n}], got {gaps.shape}")
        events = (abi.HsEvent * max(n, 1))()
        count = abi.core().gn_gyro_hs_run(
            self._state, g.ctypes.data_as(abi.c_float_p),
            None if gaps is None else gaps.ctypes.data_as(abi.c_uint8_p), n, events, max(n, 1))
        got = events[:count]
        return (np.array([e.index for e in got], dtype=np.int64),
                np.array([e.frac for e in got], dtype=np.float64))

    def gap(self) -> None:
        abi.core().gn_gyro_hs_gap(self._state)

    @property
    def settled(self) -> bool:
        return bool(abi.core().gn_gyro_hs_settled(self._state))


class GyroHeelStrikeDetector:
    """Heel strikes from the angular rate of a shank or foot node, whatever its rotation about the limb.

    Parameters: placement ("shank" | "foot"), rate_hz (sample rate, Hz), and any of PARAM_NAMES
    (units and defaults in gn_gyro_hs.h): axis_tau_s (s), settle_s (s), still_dps (deg/s),
    quiet_s (s), min_peak_dps (deg/s), peak_frac (1), peak_tau_s (s), max_search_s (s),
    refractory_s (s).

    `detect(gyr_dps, t_s=None)` / `detect_session(session)` return self with:
      events_idx_ (int64 [K], sample index of each heel strike's rate minimum),
      events_frac_ (float [K], sub-sample offset, samples, -0.5..0.5),
      events_s_ (float [K], s: t_s[idx] + frac / rate_hz, or (idx + frac) / rate_hz without t_s),
      settled_ (bool, whether the axis estimate settled within the data).
    """

    def __init__(self, placement: str = "shank", rate_hz: float = 100.0, **params):
        self.placement = placement
        self.rate_hz = rate_hz
        self.params = dict(params)
        _params(placement, rate_hz, self.params)  # fail at construction on bad parameters

    def detect(self, gyr_dps, *, t_s=None) -> "GyroHeelStrikeDetector":
        """Run on gyr_dps ([N, 3] deg/s, sensor frame; NaN rows = missing samples).

        t_s ([N] s, optional): sample times; steps above 1.5 sample periods are treated as gaps.
        The rules use the gyroscope only, so there is no accelerometer argument.
        """
        g = np.asarray(gyr_dps, dtype=np.float64)
        if g.ndim != 2 or g.shape[1] != 3:
            raise GaitnodeError(f"gyro heel-strike detector: gyr_dps must have shape [N, 3], got {g.shape}")
        gaps = None
        if t_s is not None:
            t_s = np.asarray(t_s, dtype=np.float64)
            if t_s.shape != (len(g),):
                raise GaitnodeError(f"gyro heel-strike detector: t_s has shape {t_s.shape}, "
                                    f"gyr_dps has {len(g)} samples")
            gaps = gaps_from_times(t_s, float(self.rate_hz), "gyro heel-strike detector")
        stream = GyroHeelStrikeStream(self.placement, self.rate_hz, **self.params)
        idx, frac = stream.push(g, gaps)
        self.events_idx_ = idx
        self.events_frac_ = frac
        self.events_s_ = event_times(idx, frac, float(self.rate_hz), t_s)
        self.settled_ = stream.settled
        return self

    def detect_session(self, session) -> "GyroHeelStrikeDetector":
        """Run on a Session's gyroscope and clock; its placement and rate must match the detector's."""
        meta = session.meta
        if meta.placement != self.placement:
            raise GaitnodeError(f"gyro heel-strike detector: session placement {meta.placement!r} does not match "
                                f"the detector's {self.placement!r}")
        if abs(float(meta.rate_hz) - float(self.rate_hz)) > 0.01 * float(self.rate_hz):
            raise GaitnodeError(f"gyro heel-strike detector: session rate {meta.rate_hz:g} Hz does not match "
                                f"the detector's {float(self.rate_hz):g} Hz")
        return self.detect(session.imu.gyr, t_s=session.imu.t_s)

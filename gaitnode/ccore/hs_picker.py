"""Heel-strike events from the model's per-sample probability: the firmware's C unit gn_hs_picker.

The rules (hysteresis regions, the event at the centroid of the probability crest, refractory
interval, NaN ends a region, flush at the end) are documented in
firmware/lib/gaitnode_core/src/gn_hs_picker.h; this module only moves arrays in and events out.
"""

from __future__ import annotations

import ctypes
import math

import numpy as np

from gaitnode.ccore import abi
from gaitnode.ccore.times import event_times, gaps_from_times
from gaitnode.errors import GaitnodeError

WHAT = "heel-strike picker"
RELEASE_FRACTION = 0.8  # default release threshold = 0.8 * threshold


def _number(name: str, value) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise GaitnodeError(f"{WHAT}: {name} must be a number, got {value!r}") from None
    if not math.isfinite(x):
        raise GaitnodeError(f"{WHAT}: {name} must be finite, got {value!r}")
    return x


def _params(threshold, release, min_interval_s, rate_hz) -> abi.PickerParams:
    threshold = _number("threshold", threshold)
    release = RELEASE_FRACTION * threshold if release is None else _number("release", release)
    min_interval_s = _number("min_interval_s", min_interval_s)
    rate_hz = _number("rate_hz", rate_hz)
    if not 0.0 < threshold <= 1.0:
        raise GaitnodeError(f"{WHAT}: threshold {threshold:g} is outside (0, 1]")
    if not 0.0 <= release <= threshold:
        raise GaitnodeError(f"{WHAT}: release {release:g} is outside [0, threshold = {threshold:g}]")
    if not 0.0 < rate_hz <= 100_000.0:
        raise GaitnodeError(f"{WHAT}: rate_hz {rate_hz:g} is outside (0, 100000] Hz")
    if not 0.0 <= min_interval_s <= 60.0:
        raise GaitnodeError(f"{WHAT}: min_interval_s {min_interval_s:g} is outside [0, 60] s")
    return abi.PickerParams(threshold, release, int(round(min_interval_s * rate_hz)))


def _probabilities(p) -> np.ndarray:
    """float32 [N] probabilities in [0, 1] or NaN; GaitnodeError otherwise."""
    try:
        a = np.asarray(p, dtype=np.float64)
    except (TypeError, ValueError):
        raise GaitnodeError(f"{WHAT}: p must be an array of probabilities") from None
    if a.ndim != 1:
        raise GaitnodeError(f"{WHAT}: p must be one-dimensional, got shape {a.shape}")
    bad = ~np.isnan(a) & ~((a >= 0.0) & (a <= 1.0))
    if bad.any():
        i = int(np.argmax(bad))
        raise GaitnodeError(f"{WHAT}: p[{i}] = {float(a[i]):g} is not a probability in [0, 1] (NaN marks no output)")
    return np.ascontiguousarray(a, dtype=np.float32)


def picker_params(threshold: float = 0.5, min_interval_s: float = 0.35, rate_hz: float = 100.0,
                  release: float | None = None) -> abi.PickerParams:
    """The C picker's parameters (gn_hs_picker_params) as the host-side picker builds them; the twin
    gives the node the same ones. GaitnodeError for invalid values."""
    return _params(threshold, release, min_interval_s, rate_hz)


class HeelStrikePickerStream:
    """Streaming access to one gn_hs_picker state (what the node does).

    push(p [n]) -> (idx, frac, value) of the events whose regions ended in this chunk, idx counted
    from the first sample ever pushed; flush() -> the same for a region still open (end of stream).
    """

    def __init__(self, threshold: float = 0.5, min_interval_s: float = 0.35, rate_hz: float = 100.0,
                 release: float | None = None):
        self.params = _params(threshold, release, min_interval_s, rate_hz)
        lib = abi.core()
        self._state = abi.new_state(lib.gn_hs_picker_state_size())
        lib.gn_hs_picker_init(self._state, ctypes.byref(self.params))

    def _run(self, p: np.ndarray, flush: bool):
        n = len(p)
        cap = n // 2 + 2  # two events are at least two samples apart, plus the flushed one
        events = (abi.HsEvent * cap)()
        count = abi.core().gn_hs_picker_run(self._state, p.ctypes.data_as(abi.c_float_p), n, int(flush),
                                            events, cap)
        got = events[:count]
        return (np.array([e.index for e in got], dtype=np.int64),
                np.array([e.frac for e in got], dtype=np.float64),
                np.array([e.value for e in got], dtype=np.float64))

    def push(self, p):
        return self._run(_probabilities(p), flush=False)

    def flush(self):
        return self._run(np.zeros(0, dtype=np.float32), flush=True)


class HeelStrikePicker:
    """Heel-strike events from a per-sample heel-strike probability stream.

    Parameters: threshold (probability 0..1, a region starts at p >= threshold), min_interval_s
    (s, refractory: an event closer than this to the previous emitted event is dropped, rounded to
    whole samples), rate_hz (Hz), release (probability, a region ends at p < release; default
    0.8 * threshold).

    `pick(p, t_s=None)` returns self with:
      events_idx_ (int64 [K], sample index of each event's probability maximum),
      events_frac_ (float [K], sub-sample offset in samples, -0.5..0.5),
      events_p_ (float [K], probability at the maximum),
      events_s_ (float [K], s: t_s[idx] + frac / rate_hz, or (idx + frac) / rate_hz without t_s).
    """

    def __init__(self, threshold: float = 0.5, min_interval_s: float = 0.35, rate_hz: float = 100.0,
                 release: float | None = None):
        self.threshold = threshold
        self.min_interval_s = min_interval_s
        self.rate_hz = rate_hz
        self.release = release
        _params(threshold, release, min_interval_s, rate_hz)  # fail at construction on bad parameters

    def pick(self, p, *, t_s=None) -> "HeelStrikePicker":
        """Pick events in p ([N] probabilities 0..1 per sample, NaN = no model output).

        t_s ([N] s, optional): sample times; a step above 1.5 sample periods (missing samples) ends
        a region like a NaN does.
        """
        prob = _probabilities(p)
        stream = HeelStrikePickerStream(self.threshold, self.min_interval_s, self.rate_hz, self.release)
        rate = float(self.rate_hz)
        if t_s is None:
            parts = [stream.push(prob), stream.flush()]
        else:
            t_s = np.asarray(t_s, dtype=np.float64)
            if t_s.shape != prob.shape:
                raise GaitnodeError(f"{WHAT}: t_s has shape {t_s.shape}, p has {prob.shape}")
            cuts = np.flatnonzero(gaps_from_times(t_s, rate, WHAT))
            parts = []
            for a, b in zip(np.r_[0, cuts], np.r_[cuts, len(prob)]):
                parts += [stream.push(prob[a:b]), stream.flush()]
        idx, frac, val = (np.concatenate(x) for x in zip(*parts))
        self.events_idx_ = idx
        self.events_frac_ = frac
        self.events_p_ = val
        self.events_s_ = event_times(idx, frac, rate, t_s)
        return self

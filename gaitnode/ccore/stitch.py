"""Model output windows -> per-sample heel-strike probability -> events: the firmware's C unit gn_hs_stitch.

Which outputs of which window belong to which sample, the dequantisation and the restart after a
gap are documented in firmware/lib/gaitnode_core/src/gn_hs_stitch.h (the rule is the one of
gaitnode.training.predict.stitch); this module only moves int8 windows in and events out, plus,
when asked, the probabilities the C code handed to its picker (`trace`).
"""

from __future__ import annotations

import ctypes

import numpy as np

from gaitnode.ccore import abi
from gaitnode.ccore.hs_picker import picker_params
from gaitnode.errors import GaitnodeError

WHAT = "heel-strike stitcher"
INIT_ERRORS = {
    1: "window, hop and output delay need 1 <= hop <= window and 0 <= output_delay <= window - hop",
    2: "the output scale must be a finite number > 0",
    3: "invalid picker parameters",
}


def _count(name: str, value, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not lo <= int(value) <= hi:
        raise GaitnodeError(f"{WHAT}: {name} must be an integer in [{lo}, {hi}], got {value!r}")
    return int(value)


class HeelStrikeStitcher:
    """One gn_hs_stitch state: int8 output windows in stream order -> heel-strike events.

    window, hop, output_delay: samples (the model contract, docs/heel-strike.md); out_scale,
    out_zero_point: the output tensor's quantisation; threshold, release, min_interval_s, rate_hz:
    the picker (as HeelStrikePicker). trace_samples > 0 records up to that many stitched
    probabilities (float32, in the order the picker got them), read back with `trace`.
    """

    def __init__(self, window: int, hop: int, output_delay: int, out_scale: float, out_zero_point: int, *,
                 threshold: float = 0.5, release: float | None = None, min_interval_s: float = 0.35,
                 rate_hz: float = 100.0, trace_samples: int = 0):
        self.window = _count("window", window, 1, 65535)
        hop = _count("hop", hop, 1, 65535)
        output_delay = _count("output_delay", output_delay, 0, 65535)
        zero_point = _count("out_zero_point", out_zero_point, -128, 127)
        try:
            scale = float(out_scale)
        except (TypeError, ValueError):
            raise GaitnodeError(f"{WHAT}: out_scale must be a number, got {out_scale!r}") from None
        self.params = abi.StitchParams(self.window, hop, output_delay, scale, zero_point)
        picker = picker_params(threshold=threshold, min_interval_s=min_interval_s, rate_hz=rate_hz, release=release)
        lib = abi.core()
        self._state = abi.new_state(lib.gn_hs_stitch_size())
        rc = lib.gn_hs_stitch_init(self._state, ctypes.byref(self.params), ctypes.byref(picker))
        if rc != 0:
            raise GaitnodeError(f"{WHAT}: {INIT_ERRORS.get(rc, f'init failed ({rc})')} "
                                f"(window {self.window}, hop {hop}, output_delay {output_delay}, "
                                f"out_scale {scale:g})")
        cap = _count("trace_samples", trace_samples, 0, 2**31)
        self._trace = (ctypes.c_float * cap)() if cap else None
        if cap:
            lib.gn_hs_stitch_set_trace(self._state, self._trace, cap)

    def push(self, start: int, out) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The int8 outputs [window] of the window starting at stream sample `start` ->
        (idx int64, frac float64, value float64) of the events this window completed."""
        start = _count("start", start, 0, 2**32 - 1)
        a = np.asarray(out)
        if a.shape != (self.window,) or a.dtype.kind not in "iu":
            raise GaitnodeError(f"{WHAT}: a window's output must be {self.window} integers, got shape {a.shape} "
                                f"dtype {a.dtype}")
        if a.size and (a.min() < -128 or a.max() > 127):
            raise GaitnodeError(f"{WHAT}: window outputs must be int8 values (-128..127)")
        q = np.ascontiguousarray(a, dtype=np.int8)
        cap = self.window + 1  # a window completes at most one event per two samples, plus a flushed one
        events = (abi.HsEvent * cap)()
        n = abi.core().gn_hs_stitch_window(self._state, start, q.ctypes.data_as(abi.c_int8_p), events, cap)
        return _arrays(events[:n])

    def push_windows(self, starts, outputs) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """push() for each (start, outputs[k]) in order; the events of all of them."""
        starts = np.asarray(starts)
        outputs = np.asarray(outputs)
        if outputs.ndim != 2 or len(outputs) != len(starts):
            raise GaitnodeError(f"{WHAT}: need outputs [n, {self.window}] for {len(starts)} window starts, "
                                f"got shape {outputs.shape}")
        parts = [self.push(int(s), o) for s, o in zip(starts, outputs)]
        if not parts:
            return _arrays([])
        return tuple(np.concatenate(x) for x in zip(*parts))

    def flush(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """End of stream: the event of a crest still open, if any."""
        ev = abi.HsEvent()
        got = abi.core().gn_hs_stitch_flush(self._state, ctypes.byref(ev))
        return _arrays([ev] if got else [])

    @property
    def trace(self) -> np.ndarray:
        """float32 copy of the probabilities recorded so far (empty without trace_samples)."""
        if self._trace is None:
            return np.zeros(0, np.float32)
        n = abi.core().gn_hs_stitch_trace_len(self._state)
        return np.ctypeslib.as_array(self._trace)[:n].astype(np.float32)


def _arrays(events) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return (np.array([e.index for e in events], dtype=np.int64),
            np.array([e.frac for e in events], dtype=np.float64),
            np.array([e.value for e in events], dtype=np.float64))

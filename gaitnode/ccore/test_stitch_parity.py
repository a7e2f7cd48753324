"""The C stitcher (gn_hs_stitch) against training.predict.stitch, the rule the models were evaluated with.

The int8 output windows are dequantised with quantize.runners.dequantize_output and stitched in
Python; the C stitcher gets the same int8 windows one at a time, as on the node. The probabilities
it hands its picker (its trace) must equal the Python stream value by value, and its events must
equal the C picker's events on the Python stream.
"""

import numpy as np
import pytest

from gaitnode.ccore.hs_picker import HeelStrikePickerStream
from gaitnode.ccore.stitch import HeelStrikeStitcher
from gaitnode.errors import GaitnodeError
from gaitnode.quantize.runners import dequantize_output
from gaitnode.training.predict import stitch

SCALE = 1.0 / 256.0  # a sigmoid output tensor's quantisation in TFLite
ZP = -128


def _windows(rng, n_windows, window, hop, delay, first_start=0):
    """int8 [n, W] outputs of windows starting at first_start + k*hop: heel-strike crests every ~55
    samples plus noise that differs between windows, so overlapping windows disagree about shared
    samples and taking the wrong outputs would show."""
    n = first_start + (n_windows - 1) * hop + window
    centres = np.arange(20, n, 55) + rng.uniform(-0.5, 0.5, len(np.arange(20, n, 55)))
    i = np.arange(n)
    p = np.max(0.95 * np.exp(-0.5 * ((i[:, None] - centres[None, :]) / 3.0) ** 2), axis=1, initial=0.0)
    starts = first_start + hop * np.arange(n_windows)
    out = np.empty((n_windows, window), np.int8)
    for k, s in enumerate(starts):
        sample = s + np.arange(window) - delay  # output j belongs to sample s + j - delay
        pk = np.where(sample >= 0, p[np.clip(sample, 0, n - 1)], 0.0)
        q = np.round(pk / SCALE) + ZP + rng.integers(-6, 7, window)
        out[k] = np.clip(q, -128, 127)
    return starts, out


def _stitcher(window, hop, delay, trace):
    return HeelStrikeStitcher(window, hop, delay, SCALE, ZP, min_interval_s=0.35, rate_hz=100.0,
                              trace_samples=trace)


def _picker_events(p):
    stream = HeelStrikePickerStream(min_interval_s=0.35, rate_hz=100.0)
    parts = [stream.push(p), stream.flush()]
    return tuple(np.concatenate(x) for x in zip(*parts))


@pytest.mark.parametrize("window, hop, delay", [(128, 32, 8), (16, 4, 0), (20, 20, 0), (64, 16, 48), (33, 7, 5)])
def test_stitched_stream_and_events_equal_python(window, hop, delay):
    rng = np.random.default_rng(window * 100 + hop + delay)
    n_windows = 600 // hop + 1  # 600 samples or more: about ten crests
    starts, out = _windows(rng, n_windows, window, hop, delay)
    n_samples = int(starts[-1]) + window
    want = stitch(dequantize_output(out, SCALE, ZP), n_samples, hop, delay)
    covered = int(starts[-1]) + window - delay

    c = _stitcher(window, hop, delay, n_samples)
    idx, frac, val = c.push_windows(starts, out)
    fidx, ffrac, fval = c.flush()
    got = c.trace
    assert len(got) == covered
    np.testing.assert_array_equal(got, want[:covered])  # float32, value by value
    assert np.isnan(want[covered:]).all()

    ref_idx, ref_frac, ref_val = _picker_events(want[:covered])
    assert len(ref_idx) > 5
    np.testing.assert_array_equal(np.r_[idx, fidx], ref_idx)
    np.testing.assert_array_equal(np.r_[frac, ffrac], ref_frac)
    np.testing.assert_array_equal(np.r_[val, fval], ref_val)


def test_a_gap_restarts_like_missing_samples():
    # two runs of windows with samples missing between them; Python: each run stitched on its own,
    # the gap NaN (no output), which ends a crest in the picker as the C restart does
    window, hop, delay = 128, 32, 8
    rng = np.random.default_rng(11)
    s1, o1 = _windows(rng, 20, window, hop, delay)
    s2, o2 = _windows(rng, 25, window, hop, delay, first_start=int(s1[-1]) + window + 77)
    end1 = int(s1[-1]) + window - delay
    end2 = int(s2[-1]) + window - delay
    want = np.full(end2, np.nan, np.float32)
    want[:end1] = stitch(dequantize_output(o1, SCALE, ZP), end1, hop, delay)
    want[s2[0]:end2] = stitch(dequantize_output(o2, SCALE, ZP), end2 - int(s2[0]), hop, delay)

    c = _stitcher(window, hop, delay, end2)
    parts = [c.push_windows(s1, o1), c.push_windows(s2, o2), c.flush()]
    idx, frac, _ = (np.concatenate(x) for x in zip(*parts))
    np.testing.assert_array_equal(c.trace, want[~np.isnan(want)])
    ref_idx, ref_frac, _ = _picker_events(want)
    assert np.any(ref_idx > s2[0])
    np.testing.assert_array_equal(idx, ref_idx)
    np.testing.assert_array_equal(frac, ref_frac)


def test_bad_parameters_are_one_clear_error():
    with pytest.raises(GaitnodeError, match="output_delay <= window - hop"):
        HeelStrikeStitcher(128, 32, 97, SCALE, ZP)
    with pytest.raises(GaitnodeError, match="output scale"):
        HeelStrikeStitcher(128, 32, 8, 0.0, ZP)
    with pytest.raises(GaitnodeError, match="out_zero_point"):
        HeelStrikeStitcher(128, 32, 8, SCALE, 300)
    with pytest.raises(GaitnodeError, match="threshold"):
        HeelStrikeStitcher(128, 32, 8, SCALE, ZP, threshold=1.5)
    c = HeelStrikeStitcher(16, 4, 2, SCALE, ZP)
    with pytest.raises(GaitnodeError, match="16 integers"):
        c.push(0, np.zeros(15, np.int8))
    with pytest.raises(GaitnodeError, match="int8"):
        c.push(0, np.full(16, 300))

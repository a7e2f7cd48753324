"""The heel-strike event picker (C unit gn_hs_picker) on hand-made probability streams."""

import ctypes

import numpy as np
import pytest

from gaitnode.ccore import abi
from gaitnode.ccore.hs_picker import HeelStrikePicker, HeelStrikePickerStream
from gaitnode.errors import GaitnodeError
from gaitnode.metrics.events import match_events

RATE = 100.0


def _bumps(n, centres, width=4.0, height=0.9):
    """Gaussian probability bumps (samples) at the given (fractional) sample positions."""
    i = np.arange(n)
    p = np.zeros(n)
    for c in centres:
        p = np.maximum(p, height * np.exp(-0.5 * ((i - c) / width) ** 2))
    return p


def test_event_is_the_centroid_of_the_crest():
    i = np.arange(100)
    p = np.clip(0.9 - 0.01 * (i - 50.3) ** 2, 0.0, 1.0)  # crest p >= 0.5 over samples 44..56
    d = HeelStrikePicker().pick(p)
    core = p >= 0.5
    c = np.sum(p[core] * i[core]) / np.sum(p[core])
    assert d.events_idx_.tolist() == [round(c)]
    assert d.events_idx_[0] + d.events_frac_[0] == pytest.approx(c, abs=1e-4)
    assert d.events_s_[0] == pytest.approx(c / RATE, abs=1e-6)
    assert d.events_p_[0] == pytest.approx(p.max(), abs=1e-6)


def test_gaussian_bumps_are_found_at_their_centres():
    centres = np.arange(30, 2000, 55) + np.random.default_rng(1).uniform(-0.5, 0.5, 36)
    p = _bumps(2030, centres)
    d = HeelStrikePicker().pick(p)
    m = match_events(centres / RATE, d.events_s_, tolerance_s=0.01)
    assert m.tp == len(centres) and m.fp == 0
    assert np.max(np.abs(m.errors_s)) < 0.003  # centroid of a sampled symmetric crest: < 0.3 sample


@pytest.mark.parametrize("length, idx, frac", [(2, 20, 0.5), (3, 21, 0.0), (4, 21, 0.5), (5, 22, 0.0),
                                               (14, 26, 0.5)])
def test_saturated_plateau_gives_its_centre(length, idx, frac):
    # a model trained on box labels outputs a plateau near 1 (int8: exact ties); its middle is the event
    p = np.zeros(60)
    p[19] = 0.45
    p[20:20 + length] = 0.996
    p[20 + length] = 0.45
    d = HeelStrikePicker().pick(p)
    assert len(d.events_idx_) == 1 and d.events_idx_[0] + d.events_frac_[0] == pytest.approx(idx + frac, abs=1e-5)


def test_noisy_plateau_is_placed_by_its_centroid_not_its_argmax():
    rng = np.random.default_rng(4)
    p = np.zeros(200)
    p[90:111] = 0.98 + rng.uniform(0, 0.02, 21)  # float plateau: argmax anywhere in 90..110
    p[90] = 0.999  # the argmax sits at the edge
    d = HeelStrikePicker().pick(p)
    assert abs(d.events_idx_[0] + d.events_frac_[0] - 100.0) < 0.3


def test_hysteresis_keeps_a_noisy_crest_in_one_region():
    p = np.zeros(100)
    p[40:50] = [0.55, 0.7, 0.45, 0.6, 0.9, 0.65, 0.42, 0.7, 0.5, 0.1]  # dips stay above 0.4
    d = HeelStrikePicker(min_interval_s=0.0).pick(p)
    core = np.flatnonzero(p >= 0.5)
    c = np.sum(p[core] * core) / np.sum(p[core])
    assert len(d.events_idx_) == 1 and d.events_idx_[0] + d.events_frac_[0] == pytest.approx(c, abs=1e-4)
    p[46] = 0.3  # now the crest falls below the release threshold: two regions
    d = HeelStrikePicker(min_interval_s=0.0).pick(p)
    assert len(d.events_idx_) == 2
    d = HeelStrikePicker(min_interval_s=0.0, release=0.5).pick(p)
    assert len(d.events_idx_) == 3  # 0.45 at sample 42 now also ends a region


def test_nan_ends_a_region():
    p = np.zeros(200)
    p[50:58] = [0.6, 0.8, 0.95, np.nan, 0.9, 0.97, 0.7, 0.2]
    d = HeelStrikePicker(min_interval_s=0.0).pick(p)
    assert d.events_idx_.tolist() == [51, 55]
    only_nan = np.full(50, np.nan)
    assert len(HeelStrikePicker().pick(only_nan).events_idx_) == 0


def test_refractory_drops_events_too_close_to_the_last_emitted():
    p = _bumps(300, [50, 70, 90, 120])
    d = HeelStrikePicker(threshold=0.5, min_interval_s=0.35).pick(p)
    # 70 is 20 samples after 50: dropped; 90 is 40 after the last *emitted* (50): kept;
    # 120 is 30 after 90: dropped.
    assert d.events_idx_.tolist() == [50, 90]
    d = HeelStrikePicker(threshold=0.5, min_interval_s=0.2).pick(p)
    assert d.events_idx_.tolist() == [50, 70, 90, 120]


def test_flush_emits_the_open_region_at_the_end():
    p = np.zeros(40)
    p[30:] = np.linspace(0.5, 0.9, 10)  # still rising at the end
    stream = HeelStrikePickerStream()
    assert len(stream.push(p)[0]) == 0
    idx, frac, value = stream.flush()
    c = 30 + np.sum(p[30:] * np.arange(10)) / np.sum(p[30:])
    assert idx[0] + frac[0] == pytest.approx(c, abs=1e-4) and value[0] == pytest.approx(0.9)
    assert len(stream.flush()[0]) == 0  # nothing left open
    assert HeelStrikePicker().pick(p).events_idx_.tolist() == [round(c)]


def test_streaming_in_chunks_equals_batch():
    rng = np.random.default_rng(3)
    p = np.clip(_bumps(5000, np.cumsum(rng.uniform(30, 90, 80))) + rng.normal(0, 0.08, 5000), 0, 1)
    p[rng.integers(0, 5000, 40)] = np.nan
    batch = HeelStrikePicker().pick(p)
    stream = HeelStrikePickerStream()
    parts, start = [], 0
    while start < len(p):
        stop = start + int(rng.integers(1, 150))
        parts.append(stream.push(p[start:stop]))
        start = stop
    parts.append(stream.flush())
    idx, frac, _ = (np.concatenate(x) for x in zip(*parts))
    assert len(batch.events_idx_) > 40
    np.testing.assert_array_equal(idx, batch.events_idx_)
    np.testing.assert_array_equal(frac, batch.events_frac_)


def test_single_sample_push_reports_events_after_their_region():
    lib = abi.core()
    params = HeelStrikePickerStream().params
    state = abi.new_state(lib.gn_hs_picker_state_size())
    assert lib.gn_hs_picker_init(state, ctypes.byref(params)) == 0
    ev = abi.HsEvent()
    p = _bumps(200, [40.2, 120.0])
    got = []
    for i, x in enumerate(p):
        if lib.gn_hs_picker_push(state, float(x), ctypes.byref(ev)):
            assert p[i] < 0.4 <= p[i - 1]  # emitted at the first sample below the release threshold
            got.append(ev.index + ev.frac)
    assert got == pytest.approx([40.2, 120.0], abs=0.2)  # centroid of a sampled crest


def test_time_gap_splits_a_region():
    p = np.array([0.0, 0.6, 0.9, 0.8, 0.95, 0.7, 0.0])
    t = np.array([0.0, 0.01, 0.02, 0.03, 0.5, 0.51, 0.52]) + 100.0  # samples missing after index 3
    d = HeelStrikePicker(min_interval_s=0.0).pick(p, t_s=t)
    assert d.events_idx_.tolist() == [2, 4]
    # the second region is [0.95, 0.7] after the gap: its centroid, on the given clock
    assert d.events_s_[1] == pytest.approx(100.5 + 0.01 * 0.7 / 1.65, abs=1e-6)


@pytest.mark.parametrize("kwargs, message", [
    (dict(threshold=0.0), r"threshold 0 is outside \(0, 1\]"),
    (dict(threshold=1.5), "threshold 1.5"),
    (dict(threshold=float("nan")), "threshold must be finite"),
    (dict(threshold=0.5, release=0.6), r"release 0.6 is outside \[0, threshold = 0.5\]"),
    (dict(min_interval_s=-0.1), "min_interval_s -0.1"),
    (dict(rate_hz=0.0), "rate_hz 0"),
    (dict(rate_hz="fast"), "rate_hz must be a number"),
])
def test_bad_parameters_raise(kwargs, message):
    with pytest.raises(GaitnodeError, match=message):
        HeelStrikePicker(**kwargs)


def test_bad_inputs_raise():
    picker = HeelStrikePicker()
    with pytest.raises(GaitnodeError, match="one-dimensional"):
        picker.pick(np.zeros((10, 2)))
    with pytest.raises(GaitnodeError, match=r"p\[3\] = 1.5 is not a probability"):
        picker.pick([0.0, 0.1, 0.2, 1.5])
    with pytest.raises(GaitnodeError, match="t_s has shape"):
        picker.pick(np.zeros(5), t_s=np.arange(4) / RATE)
    with pytest.raises(GaitnodeError, match="not strictly increasing at index 2"):
        picker.pick(np.zeros(4), t_s=np.array([0.0, 0.01, 0.01, 0.02]))
    with pytest.raises(GaitnodeError, match="array of probabilities"):
        picker.pick(["a", "b"])

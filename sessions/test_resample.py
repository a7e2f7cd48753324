import numpy as np
import pytest

from gaitnode.errors import InputFileError
from gaitnode.sessions.resample import Resampler, nominal_rate


def _sine(t, f_hz, amp=1.0):
    return amp * np.sin(2 * np.pi * f_hz * t)


def test_uniform_downsample_keeps_in_band_signal():
    t = np.arange(2000) / 200.0
    r = Resampler(100).resample(t, {"a": _sine(t, 5.0)})
    assert r.uniform_ and r.method_ == "resample_poly"
    assert r.source_rate_hz_ == 200.0 and r.rate_hz_ == 100.0
    np.testing.assert_allclose(np.diff(r.t_s_), 0.01, atol=1e-12)
    inner = slice(20, -20)  # away from the filter's edge transients
    np.testing.assert_allclose(r.signals_["a"][inner], _sine(r.t_s_, 5.0)[inner], atol=0.01)


def test_downsample_is_anti_aliased():
    # 80 Hz is above the 50 Hz Nyquist of the 100 Hz output: it must be filtered out, not folded to 20 Hz.
    t = np.arange(4000) / 200.0
    r = Resampler(100).resample(t, {"a": _sine(t, 80.0)})
    assert np.sqrt(np.mean(r.signals_["a"][50:-50] ** 2)) < 0.02


def test_upsample_rational_factor_and_gravity_offset_at_edges():
    t = np.arange(1042) / 104.17  # a common IMU output data rate
    acc = 9.81 + _sine(t, 2.0, 0.5)
    r = Resampler(100).resample(t, {"acc": acc})
    assert r.rate_hz_ == 100.0
    assert r.t_s_[-1] <= t[-1] + 1e-9
    # padtype="line": no droop towards zero at the ends
    np.testing.assert_allclose(r.signals_["acc"], 9.81 + _sine(r.t_s_, 2.0, 0.5), atol=0.05)


def test_no_target_keeps_uniform_input_as_is():
    t = 12.5 + np.arange(300) / 100.0
    x = np.random.default_rng(0).normal(size=300)
    r = Resampler().resample(t, {"x": x}, {"lab": np.zeros(300, int)})
    assert r.method_ == "none" and r.rate_hz_ == 100.0
    np.testing.assert_array_equal(r.t_s_, t)
    np.testing.assert_array_equal(r.signals_["x"], x)


def test_jittered_timestamps_are_interpolated_onto_uniform_grid():
    rng = np.random.default_rng(1)
    t = np.arange(1000) / 100.0 + rng.uniform(-0.003, 0.003, 1000)
    r = Resampler().resample(t, {"a": _sine(t, 1.0)})
    assert not r.uniform_ and r.method_ == "interp" and r.rate_hz_ == 100.0
    np.testing.assert_allclose(np.diff(r.t_s_), 0.01, atol=1e-9)
    np.testing.assert_allclose(r.signals_["a"], _sine(r.t_s_, 1.0), atol=2e-3)


def test_labels_are_held_not_interpolated():
    t = np.arange(400) / 200.0
    lab = np.where(t < 1.0, 0, 3)
    r = Resampler(50).resample(t, {"a": np.zeros(400)}, {"phase": lab})
    out = r.labels_["phase"]
    assert set(np.unique(out)) == {0, 3}
    np.testing.assert_array_equal(out, np.where(r.t_s_ < 1.0, 0, 3))
    # upsampling: sample and hold from the previous source sample
    r = Resampler(400).resample(t, {"a": np.zeros(400)}, {"phase": lab})
    np.testing.assert_array_equal(r.labels_["phase"], np.where(r.t_s_ < 1.0, 0, 3))


def test_small_gap_is_bridged_large_gap_is_an_error():
    t = np.concatenate([np.arange(100), np.arange(130, 230)]) / 100.0  # 0.31 s dropout
    r = Resampler().resample(t, {"a": t * 2})
    np.testing.assert_allclose(r.signals_["a"], r.t_s_ * 2, atol=1e-9)
    t = np.concatenate([np.arange(100), np.arange(200, 300)]) / 100.0  # 1.01 s
    with pytest.raises(InputFileError, match=r"gap of 1\.010 s between line 100 and line 101"):
        Resampler(source="rec.csv").resample(t, {"a": t}, rows=np.arange(len(t)) + 1)


def test_non_monotonic_and_duplicate_timestamps_name_the_row():
    t = np.arange(10) / 100.0
    t[5] = t[3]
    with pytest.raises(InputFileError, match=r"rec\.csv: line 7: timestamp 0\.030000 s goes back before .*line 6"):
        Resampler(source="rec.csv").resample(t, {"a": t}, rows=np.arange(10) + 2)
    t = np.arange(10) / 100.0
    t[4] = t[3]
    with pytest.raises(InputFileError, match=r"sample 4: timestamp .* duplicates"):
        Resampler().resample(t, {"a": t})


def test_nan_names_row_and_column():
    t = np.arange(10) / 100.0
    gyr_y = np.zeros(10)
    gyr_y[6] = np.nan
    with pytest.raises(InputFileError, match=r"line 8, column gyr_y: value is missing or NaN"):
        Resampler().resample(t, {"gyr_x": np.zeros(10), "gyr_y": gyr_y}, rows=np.arange(10) + 2)


def test_too_few_samples():
    with pytest.raises(InputFileError, match="at least 2"):
        Resampler().resample([0.0], {"a": [1.0]})


def test_nominal_rate_rounding():
    assert nominal_rate(99.9999) == 100.0
    assert nominal_rate(104.17) == 104.17

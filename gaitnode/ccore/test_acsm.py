"""The ACSM walking equation and the node's ACSM estimate stage (C units gn_acsm, gn_cadence, gn_vo2)
from Python: hand-worked values (the same as firmware/test/test_acsm.c and test_vo2.c) and the
smoothing recurrence."""

import math

import numpy as np
import pytest

from gaitnode.ccore.acsm import AcsmVo2Estimator, acsm_series, acsm_vo2_ml_kg_min
from gaitnode.errors import GaitnodeError


def test_hand_values():
    # male 1.75 m, stride 1.1 s: step 0.415 x 1.75 = 0.72625 m, 2 / 1.1 steps/s -> 79.2272727 m/min
    assert acsm_vo2_ml_kg_min(1.1, height_m=1.75, sex="male") == pytest.approx(3.5 + 7.92272727, abs=1e-4)
    assert acsm_vo2_ml_kg_min(1.1, height_m=1.75, sex="male", grade_frac=0.1) == pytest.approx(25.6836364, abs=1e-4)
    # female 1.62 m, stride 1.0 s: 0.66906 x 120 = 80.2872 m/min; unknown sex 1.70 m, 1.2 s: 70.38 m/min
    got = acsm_vo2_ml_kg_min([1.0, 1.0], height_m=1.62, sex="female")
    assert got.tolist() == pytest.approx([11.52872, 11.52872], abs=1e-4)
    assert acsm_vo2_ml_kg_min(1.2, height_m=1.70, sex=None) == pytest.approx(10.538, abs=1e-4)
    assert acsm_vo2_ml_kg_min(1.2, height_m=1.70, sex="unknown") == acsm_vo2_ml_kg_min(1.2, height_m=1.70, sex=0)


def test_the_c_unit_test_numbers():
    """The values firmware/test/test_acsm.c checks on the host and on QEMU."""
    assert float(acsm_vo2_ml_kg_min(1.1, height_m=1.75, sex="male")) == pytest.approx(11.4227273, abs=1e-4)
    assert float(acsm_vo2_ml_kg_min(1.1, height_m=1.75, sex="male", grade_frac=0.1)) == \
        pytest.approx(25.6836364, abs=1e-4)


def test_arrays_and_unknown_strides():
    s = np.array([[1.0, np.nan], [2.0, 0.8]])
    v = acsm_vo2_ml_kg_min(s, height_m=1.8, sex="male")
    assert v.shape == (2, 2) and math.isnan(v[0, 1])
    speed = 0.415 * 1.8 * 120.0 / s
    np.testing.assert_allclose(v[~np.isnan(s)], (3.5 + 0.1 * speed)[~np.isnan(s)], atol=1e-4)
    assert acsm_vo2_ml_kg_min([], height_m=1.8, sex="male").shape == (0,)


@pytest.mark.parametrize("kwargs, match", [
    (dict(stride_time_s=0.0), "not a positive finite time"),
    (dict(stride_time_s=[1.0, -1.0]), "not a positive finite time"),
    (dict(stride_time_s=np.inf), "not a positive finite time"),
    (dict(height_m=None), "height is needed"),
    (dict(height_m=175.0), r"height_m = 175.0 is outside 0.5..2.5"),
    (dict(sex="m"), "sex 'm' is not one of male, female, unknown"),
    (dict(grade_frac=1.5), "grade_frac = 1.5 is outside -1..1"),
])
def test_bad_input(kwargs, match):
    args = dict(stride_time_s=1.1, height_m=1.75, sex="male") | kwargs
    with pytest.raises(GaitnodeError, match=match):
        acsm_vo2_ml_kg_min(args.pop("stride_time_s"), **args)


def test_series_walks_up_with_the_exact_smoothing_recurrence():
    walk = 3.5 + 0.1 * 0.415 * 1.75 * 120.0 / 1.1
    hs = np.arange(0.5, 300.0, 1.1)  # walking from 0.5 s to the end
    t = np.arange(0.0, 300.0, 1.0)
    e = AcsmVo2Estimator(height_m=1.75, sex="male").estimate(hs, t)
    np.testing.assert_allclose(e.estimate_t_s_, np.arange(5.0, 300.0, 5.0))
    assert np.all(e.estimate_raw_ == pytest.approx(walk, abs=1e-4))  # 4.5 s of strides by the first estimate
    y = walk  # the first value is taken as is
    a = 1.0 - math.exp(-5.0 / 30.0)
    for k, got in enumerate(e.estimate_vo2_):
        if k:
            y += a * (walk - y)
        assert got == pytest.approx(y, abs=1e-4)
    v = acsm_series(hs, t, height_m=1.75, sex="male")
    assert np.all(np.isnan(v[t < 5.0])) and not np.any(np.isnan(v[t >= 5.0]))
    assert v[t == 7.0][0] == e.estimate_vo2_[0] and v[t == 10.0][0] == e.estimate_vo2_[1]


def test_series_standing_before_and_after_walking():
    walk = 3.5 + 0.1 * 0.413 * 1.6 * 120.0 / 1.2
    hs = np.arange(60.0, 180.0, 1.2)  # stand 60 s, walk 2 minutes, stand
    t = np.arange(0.0, 400.0, 1.0)
    e = AcsmVo2Estimator(height_m=1.6, sex="female", estimate_period_s=1.0).estimate(hs, t)
    raw = dict(zip(np.round(e.estimate_t_s_).astype(int), e.estimate_raw_))
    assert raw[30] == pytest.approx(3.5) and raw[100] == pytest.approx(walk, abs=1e-4)
    assert raw[182] == pytest.approx(3.5)  # 3.2 s without a heel strike: standing
    v = dict(zip(np.round(e.estimate_t_s_).astype(int), e.estimate_vo2_))
    assert v[60] == pytest.approx(3.5, abs=1e-6)
    assert v[90] == pytest.approx(3.5 + (walk - 3.5) * (1 - math.exp(-29.0 / 30.0)), abs=0.05)  # tau 30 s
    assert v[179] > 0.95 * walk and v[399] < 3.6  # up to the walking value, back to rest


def test_series_without_smoothing_follows_the_cadence():
    hs = np.concatenate([np.arange(0.0, 60.0, 1.0), np.arange(60.0, 120.0, 1.25)])
    e = AcsmVo2Estimator(height_m=1.75, sex="male", tau_s=0.0, estimate_period_s=2.0).estimate(hs, [119.0])
    np.testing.assert_array_equal(e.estimate_vo2_, e.estimate_raw_)
    assert e.estimate_vo2_[-1] == pytest.approx(float(acsm_vo2_ml_kg_min(1.25, height_m=1.75, sex="male")), abs=1e-5)


@pytest.mark.parametrize("hs, t, match", [
    ([1.0, 1.0], [5.0], "hs_times_s is not strictly increasing"),
    ([1.0, np.nan], [5.0], "hs_times_s has a non-finite value"),
    ([1.0], [5.0, 4.0], "t_s is not increasing"),
    ([-1.0], [5.0], "before the stream's start"),
])
def test_series_bad_times(hs, t, match):
    with pytest.raises(GaitnodeError, match=match):
        acsm_series(hs, t, height_m=1.75, sex="male")


def test_series_parameters_are_checked_at_construction():
    with pytest.raises(GaitnodeError, match="tau_s"):
        AcsmVo2Estimator(height_m=1.75, sex="male", tau_s=-1.0)
    with pytest.raises(GaitnodeError, match="estimate_period_s"):
        AcsmVo2Estimator(height_m=1.75, sex="male", estimate_period_s=0.0)

import json

import numpy as np
import pytest

from gaitnode.errors import GaitnodeError
from gaitnode.metrics.regression import align_series, regression_report, total_percentage_error
from gaitnode.sessions.model import Series


def test_hand_computed_values():
    t = np.array([1000.0, 2000.0, 3000.0, 4000.0])
    p = np.array([1100.0, 1900.0, 3300.0, 4000.0])
    r = regression_report(t, p)
    err = p - t  # 100, -100, 300, 0
    assert r.n == 4
    assert r.mse == pytest.approx((100**2 + 100**2 + 300**2) / 4)
    assert r.rmse == pytest.approx(np.sqrt(r.mse))
    assert r.mae == pytest.approx(125.0)
    assert r.bias == pytest.approx(75.0)
    assert r.mape_pct == pytest.approx(100 * (0.1 + 0.05 + 0.1 + 0.0) / 4)
    ss_tot = np.sum((t - t.mean()) ** 2)
    assert r.r2 == pytest.approx(1 - np.sum(err**2) / ss_tot)
    assert r.total_error_pct == pytest.approx(100 * 300 / 10_000)


def test_total_error_lets_opposite_errors_cancel_unlike_mape():
    t = np.full(10, 1500.0)
    p = t + np.tile([150.0, -150.0], 5)
    assert total_percentage_error(t, p) == pytest.approx(0.0)
    r = regression_report(t, p)
    assert r.mape_pct == pytest.approx(10.0)
    assert r.r2 is None  # constant truth: R² undefined


def test_perfect_prediction():
    t = np.linspace(300, 2500, 50)
    r = regression_report(t, t)
    assert (r.mse, r.mae, r.mape_pct, r.total_error_pct) == (0.0, 0.0, 0.0, 0.0)
    assert r.r2 == 1.0


def test_predicting_the_mean_gives_zero_r2_and_worse_is_negative():
    t = np.array([1.0, 2.0, 3.0])
    assert regression_report(t, np.full(3, 2.0)).r2 == pytest.approx(0.0)
    assert regression_report(t, t[::-1]).r2 < 0


def test_percent_false_accepts_zero_truth():
    r = regression_report([0.0, 1.0, 2.0], [0.1, 1.0, 2.0], percent=False)
    assert r.mape_pct is None and r.total_error_pct is None
    assert r.mae == pytest.approx(0.1 / 3)
    assert json.loads(json.dumps(r.to_dict()))["mape_pct"] is None


@pytest.mark.parametrize("call, message", [
    (lambda: regression_report([], []), "y_true: no values"),
    (lambda: regression_report([1.0, 2.0], [1.0]), "y_true has 2 values but y_pred has 1"),
    (lambda: regression_report([1.0, np.nan], [1.0, 2.0]), "y_true: entry at index 1 is nan"),
    (lambda: regression_report([1.0, 2.0], [np.inf, 2.0]), "y_pred: entry at index 0 is inf"),
    (lambda: regression_report([[1.0]], [[1.0]]), "1-D"),
    (lambda: regression_report([1.0, 0.0, 0.0], [1.0, 0.0, 0.1]), r"MAPE: true value at index 1 is 0 \(2 zero"),
    (lambda: total_percentage_error([1.0, -1.0], [1.0, 1.0]), "sum to 0"),
    (lambda: regression_report(["a"], ["b"]), "y_true: values must be numbers"),
])
def test_bad_input_raises_clear_error(call, message):
    with pytest.raises(GaitnodeError, match=message):
        call()


def test_align_series_interpolates_both_onto_the_overlap():
    ref = Series(t_s=[0.0, 2.0, 4.0, 10.0], value=[0.0, 20.0, 40.0, 100.0])  # v = 10 t
    est = Series(t_s=[1.0, 5.5], value=[5.0, 50.0])  # v = 10 t - 5
    a = align_series(ref, est, 1.0)
    np.testing.assert_allclose(a.t_s, [1.0, 2.0, 3.0, 4.0, 5.0])
    np.testing.assert_allclose(a.ref, 10 * a.t_s)
    np.testing.assert_allclose(a.est, 10 * a.t_s - 5)
    assert regression_report(a.ref, a.est).bias == pytest.approx(-5.0)


def test_align_series_reaches_the_end_of_the_overlap_despite_rounding():
    ref = Series(t_s=np.arange(0, 31) * 0.1, value=np.ones(31))
    a = align_series(ref, ref, 0.1)
    assert len(a.t_s) == 31 and a.t_s[-1] == pytest.approx(3.0)


def test_align_series_averages_repeated_timestamps():
    ref = Series(t_s=[0.0, 1.0, 1.0, 2.0], value=[0.0, 10.0, 30.0, 20.0])
    a = align_series(ref, ref, 0.5)
    np.testing.assert_allclose(a.ref, [0.0, 10.0, 20.0, 20.0, 20.0])


@pytest.mark.parametrize("ref, est, step, message", [
    (Series([0.0, 1.0], [1.0, 2.0]), Series([2.0, 3.0], [1.0, 2.0]), 1.0, "do not overlap"),
    (Series([], []), Series([0.0], [1.0]), 1.0, "reference series: the series is empty"),
    (Series([0.0, 1.0], [1.0, np.nan]), Series([0.0, 1.0], [1.0, 2.0]), 1.0, "reference series: value at index 1 is nan"),
    (Series([0.0, 1.0], [1.0, 2.0]), Series([1.0, 0.0], [1.0, 2.0]), 1.0, "estimated series: timestamps decrease at index 1"),
    (Series([0.0, 1.0], [1.0, 2.0]), Series([0.0, 1.0], [1.0, 2.0]), 0.0, "grid step must be a positive"),
    (Series([0.0, 1.0], [1.0, 2.0]), [1.0, 2.0], 1.0, "expected a Series"),
])
def test_align_series_bad_input(ref, est, step, message):
    with pytest.raises(GaitnodeError, match=message):
        align_series(ref, est, step)

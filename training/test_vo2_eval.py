import numpy as np
import pytest

from gaitnode.errors import GaitnodeError
from gaitnode.training.vo2_dataset import vo2_ml_kg_min
from gaitnode.training.vo2_estimate import Estimates
from gaitnode.training.vo2_eval import Vo2Evaluation, window_relative_error


def estimates_from_truth(session, factor=1.0, offset=0.0):
    t = np.arange(5.0, session.duration_s - 1.0, 5.0)
    v = vo2_ml_kg_min(session, t, source="vo2_true") * factor + offset
    return Estimates(t_s=t, raw=v, smoothed=v)


def test_perfect_and_scaled_estimates(walks):
    perfect = Vo2Evaluation().evaluate(walks[:2], [estimates_from_truth(w) for w in walks[:2]]).report_
    o = perfect["overall"]
    assert o["mape_pct"] == pytest.approx(0.0, abs=1e-9) and o["r2"] == pytest.approx(1.0)
    assert perfect["reference"] == "vo2_true" and perfect["synthetic"] is True and perfect["unit"] == "ml/kg/min"
    high = Vo2Evaluation().evaluate(walks[:2], [estimates_from_truth(w, 1.1) for w in walks[:2]]).report_
    assert high["overall"]["mape_pct"] == pytest.approx(10.0)
    assert high["overall"]["total_error_pct"] == pytest.approx(10.0)  # paper 000's |sum est - sum true| / sum true
    assert high["overall"]["bias"] > 0
    assert set(high["by_subject"]) == {walks[0].meta.subject.id, walks[1].meta.subject.id}
    assert set(high["by_protocol"]) == {"free_walk"}
    row = high["sessions"][0]
    assert row["subject"] == walks[0].meta.subject.id and row["mape_pct"] == pytest.approx(10.0)
    assert high["by_subject"][walks[0].meta.subject.id]["n"] == row["n"]


def test_from_seconds_and_missing_estimates(walks):
    e = estimates_from_truth(walks[0], offset=1.0)
    e.smoothed[:3] = np.nan  # no value yet (e.g. ACSM before the first stride)
    full = Vo2Evaluation().evaluate([walks[0]], [e]).report_
    assert full["sessions"][0]["n_missing"] == 3 and full["overall"]["n"] == len(e.t_s) - 3
    late = Vo2Evaluation(from_seconds=37.5).evaluate([walks[0]], [e]).report_
    assert late["overall"]["n"] == int(np.sum(e.t_s - walks[0].imu.t_s[0] >= 37.5))
    assert late["sessions"][0]["n_missing"] == 0
    with pytest.raises(GaitnodeError, match="no estimate could be scored"):
        Vo2Evaluation(from_seconds=1000.0).evaluate([walks[0]], [e])
    with pytest.raises(GaitnodeError, match="1 sessions but 2 estimate series"):
        Vo2Evaluation().evaluate([walks[0]], [e, e])


def test_window_relative_error():
    r = window_relative_error([10.0, 20.0], [10.1, 19.0])
    assert r["mean"] == pytest.approx(0.03) and r["max"] == pytest.approx(0.05) and r["n"] == 2
    with pytest.raises(GaitnodeError, match="cannot compare 2 float outputs with 1 int8 outputs"):
        window_relative_error([1.0, 2.0], [1.0])

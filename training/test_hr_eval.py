import dataclasses

import numpy as np
import pytest

from gaitnode.errors import GaitnodeError
from gaitnode.training.hr_data import sequences
from gaitnode.training.hr_eval import HrDynamicsEvaluation, hr_metrics
from gaitnode.training.hr_testing import synthetic_hr_session, tiny_trained


def test_metrics_of_a_known_error():
    m = hr_metrics(np.array([100.0, 110.0, 120.0]), np.array([102.0, 108.0, 122.0]))
    assert m["n"] == 3 and m["mae"] == pytest.approx(2.0) and m["rmse"] == pytest.approx(2.0)
    assert m["bias"] == pytest.approx(2.0 / 3) and m["r"] == pytest.approx(np.corrcoef([100, 110, 120], [102, 108, 122])[0, 1])


def test_report_per_mode_session_and_data_kind():
    model = tiny_trained("neural_ode").model_
    seqs = sequences([synthetic_hr_session(3, "running", 240.0), synthetic_hr_session(4, "free_walk", 240.0)])
    real = dataclasses.replace(seqs[1], name="a recording", synthetic=False)
    ev = HrDynamicsEvaluation(window_s=60).evaluate(model, [seqs[0], real])
    std = ev.report_["modes"]["standard"]
    assert [r["data"] for r in std["sessions"]] == ["synthetic", "real"]
    # the anchored seconds (0, 60, 120, 180, 240) are not scored
    assert std["sessions"][0]["n"] == 241 - 5
    assert ev.report_["modes"]["generative"]["sessions"][0]["n"] == 240
    assert set(std["aggregate"]) == {"synthetic", "real"}
    assert std["aggregate"]["real"]["mae"] == pytest.approx(std["sessions"][1]["mae"])
    p = ev.predictions_["standard"][0]
    assert p[60] == pytest.approx(seqs[0].hr[60], abs=1e-3)  # a window's first second is the known HR


def test_bad_modes_and_no_sessions():
    model = tiny_trained("neural_ode").model_
    with pytest.raises(GaitnodeError, match="modes must be"):
        HrDynamicsEvaluation(modes=("live",)).evaluate(model, [])
    with pytest.raises(GaitnodeError, match="no sessions"):
        HrDynamicsEvaluation().evaluate(model, [])

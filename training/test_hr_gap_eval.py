import dataclasses

import pytest

from gaitnode.errors import GaitnodeError
from gaitnode.training.hr_gap_eval import HrGapEvaluation, without_hr
from gaitnode.training.hr_gaps import HrGapFiller
from gaitnode.training.hr_testing import synthetic_hr_session, tiny_trained


def test_report_per_gap_length_kind_and_method():
    model = tiny_trained("neural_kalman").model_
    sim = synthetic_hr_session(6, "running", 400.0)
    rec = synthetic_hr_session(7, "free_walk", 400.0)
    rec = dataclasses.replace(rec, meta=dataclasses.replace(rec.meta, synthetic=False))  # as if recorded
    fillers = {"bridged": HrGapFiller(model=model), "forward": HrGapFiller(model=model, bridge=False)}
    rep = HrGapEvaluation(gap_seconds=(10, 60), seed=0).evaluate(fillers, [sim, rec]).report_
    assert rep["methods"] == ["bridged", "forward", "linear"] and set(rep["by_gap"]) == {"10", "60"}
    g = rep["by_gap"]["60"]
    assert set(g) == {"synthetic", "real"}
    assert g["synthetic"]["seconds"] == 60 * g["synthetic"]["gaps"] and g["synthetic"]["gaps"] >= 2
    for kind in g.values():
        assert all(kind[m]["mae"] >= 0 and kind[m]["rmse"] >= kind[m]["mae"] - 1e-9 for m in rep["methods"])


def test_linear_baseline_is_exact_on_a_linear_hr():
    s = synthetic_hr_session(6, "running", 300.0)
    hr = s.series["hr"]
    s = dataclasses.replace(s, series={**s.series, "hr": type(hr)(hr.t_s, 80.0 + 0.2 * hr.t_s)})
    rep = HrGapEvaluation(gap_seconds=(30,)).evaluate({"m": HrGapFiller(model=tiny_trained().model_)}, [s]).report_
    assert rep["by_gap"]["30"]["synthetic"]["linear"]["mae"] < 1e-9


def test_masking_and_bad_arguments():
    s = synthetic_hr_session(6, "running", 120.0)
    m = without_hr(s, [(10.0, 20.0)])
    assert len(m.series["hr"]) == len(s.series["hr"]) - 10 and len(s.series["hr"]) == 121
    filler = {"m": HrGapFiller(model=tiny_trained().model_)}
    with pytest.raises(GaitnodeError, match="at least 3"):
        HrGapEvaluation(gap_seconds=(1,)).evaluate(filler, [s])
    with pytest.raises(GaitnodeError, match="baseline"):
        HrGapEvaluation().evaluate({"linear": filler["m"]}, [s])
    with pytest.raises(GaitnodeError, match="no sessions"):
        HrGapEvaluation().evaluate(filler, [])

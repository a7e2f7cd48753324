import pytest

from gaitnode.errors import GaitnodeError
from gaitnode.quantize.compress_tasks import ADAPTERS, adapter_for


def test_every_task_of_the_node_has_an_adapter():
    assert set(ADAPTERS) == {"heel_strike", "vo2", "gait_phase", "activity"}
    assert {a.c_name for a in ADAPTERS.values()} == {"heel_strike", "vo2", "phase", "activity"}


def test_losses_are_points_for_scores_and_relative_for_mape():
    assert adapter_for({"task": "heel_strike"}).loss(99.0, 98.5) == pytest.approx(0.5)
    assert adapter_for({"task": "activity"}).loss(90.0, 91.0) == pytest.approx(-1.0)
    assert adapter_for({"task": "vo2"}).loss(10.0, 10.5) == pytest.approx(5.0)


def test_unknown_task_is_refused():
    with pytest.raises(GaitnodeError, match="cannot compress"):
        adapter_for({"task": "hr_dynamics"})


def test_vo2_score_is_the_mape_of_the_nodes_estimates():
    """The VO2 adapter scores a real small VO2 model on a synthetic walk: the overall MAPE (%) of
    Vo2Evaluation over the node-style estimates."""
    from gaitnode.quantize.runners import KerasRunner
    from gaitnode.training.model_dir import load_meta
    from gaitnode.training.vo2_eval import Vo2Evaluation
    from gaitnode.training.vo2_predict import session_estimates
    from gaitnode.twin.testing import simulated_walk, small_vo2_model

    d = small_vo2_model()
    meta, runner, walk = load_meta(d), KerasRunner(d), [simulated_walk(3, 90.0)]
    score = adapter_for(meta).score(walk, meta, runner)
    want = Vo2Evaluation().evaluate(walk, [session_estimates(walk[0], meta, runner)]).report_["overall"]["mape_pct"]
    assert 0.0 < score < 100.0 and score == pytest.approx(want)

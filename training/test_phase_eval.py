import numpy as np
import pytest

from gaitnode.errors import GaitnodeError
from gaitnode.training.phase_dataset import phase_windows
from gaitnode.training.phase_eval import PhaseEvaluation, PhasePredictor, agreement, predict_sessions


@pytest.fixture(scope="module")
def model_dir():
    from gaitnode.twin.testing import small_phase_model

    return small_phase_model()


@pytest.fixture(scope="module")
def held_out():
    from gaitnode.simulate.cohort import cohort_subject
    from gaitnode.simulate.protocols import by_name
    from gaitnode.simulate.simulator import Simulator

    return [Simulator(seed=k).simulate(cohort_subject(0, k), by_name(p, np.random.default_rng(k), 40.0))
            for k, p in ((5, "free_walk"), (7, "stairs"))]


def test_float_int8_and_tflm_predictors_agree(model_dir, held_out):
    preds = {k: predict_sessions(PhasePredictor(k, model_dir), held_out[:1]) for k in ("float", "int8", "tflm")}
    X, Y, _ = phase_windows(held_out[0], PhasePredictor("float", model_dir).meta)
    assert preds["float"][0].shape == Y.shape
    assert agreement(preds["float"], preds["tflm"]) > 0.95
    assert agreement(preds["int8"], preds["tflm"]) > 0.99
    p = PhasePredictor("float", model_dir).proba(X[:3])
    np.testing.assert_allclose(p.sum(-1), 1.0, atol=1e-4)


def test_report_per_terrain_and_protocol(model_dir, held_out):
    pred = PhasePredictor("float", model_dir)
    ev = PhaseEvaluation().evaluate(held_out, predict_sessions(pred, held_out), pred.meta)
    r = ev.report_
    assert r["synthetic"] is True and r["n_sessions"] == 2 and r["classes"] == ["HS", "ST", "HO", "SW"]
    o = r["overall"]
    assert o["accuracy"] > 0.5  # a seconds-trained model, far above chance (0.25)
    assert np.sum(o["confusion"]) == o["n_samples"]
    t = r["by_terrain"]
    assert set(t) == {"level", "stairs_up", "stairs_down"}
    assert sum(v["n_samples"] for v in t.values()) == o["n_samples"]
    assert t["stairs_up"]["n_samples"] > 0 and set(r["by_protocol"]) == {"free_walk", "stairs"}
    # a perfect predictor scores 1
    perfect = [phase_windows(s, pred.meta)[1] for s in held_out]
    assert PhaseEvaluation().evaluate(held_out, perfect, pred.meta).report_["overall"]["accuracy"] == 1.0


def test_bad_input(model_dir, held_out, tmp_path):
    meta = PhasePredictor("float", model_dir).meta
    with pytest.raises(GaitnodeError, match="not one of"):
        PhasePredictor("fp16", model_dir)
    with pytest.raises(GaitnodeError, match="not a phase baseline directory"):
        PhasePredictor("knn", model_dir)
    with pytest.raises(GaitnodeError, match="2 sessions but 1"):
        PhaseEvaluation().evaluate(held_out, [np.zeros((1, 10))], meta)
    with pytest.raises(GaitnodeError, match="predictions of shape"):
        PhaseEvaluation().evaluate(held_out[:1], [np.zeros((1, 10))], meta)
    with pytest.raises(GaitnodeError, match="no sessions"):
        PhaseEvaluation().evaluate([], [], meta)
    with pytest.raises(GaitnodeError, match="not a model directory"):
        PhasePredictor("tflm", tmp_path)

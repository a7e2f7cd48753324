"""Training the VO2-from-HR model: it learns, records its run, saves and loads, warm-starts, refuses bad input.

Tiny models (GRU 6) on four real CPET tests cut to 5 minutes; seconds each.
"""

import dataclasses
import json

import numpy as np
import pytest

from gaitnode.errors import GaitnodeError
from gaitnode.training.vo2_hr_testing import TINY, tiny_cpet
from gaitnode.training.vo2_hr_trainer import (
    Vo2HrTrainer, load_model_dir, predict_recordings, save_model_dir, sgdr_lr,
)


@pytest.fixture(scope="module")
def tests():
    return tiny_cpet(4, 300)


LEARN = {**TINY, "epochs": 10, "seq_len": 300, "oversample": 8.0}


@pytest.fixture(scope="module")
def fitted(tests):
    return Vo2HrTrainer(**LEARN).fit(tests[:3], tests[3:])


def mae(trainer, seqs):
    preds = predict_recordings(trainer.model_, trainer.meta_, seqs)
    return np.mean([np.abs(p - s.vo2_ml_min).mean() for p, s in zip(preds, seqs)])


def test_training_lowers_the_error_on_the_training_tests(tests):
    untrained = Vo2HrTrainer(**{**TINY, "epochs": 0}).fit(tests[:3])
    trained = Vo2HrTrainer(**LEARN).fit(tests[:3])
    assert mae(trained, tests[:3]) < 0.7 * mae(untrained, tests[:3])


def test_the_run_is_recorded_in_the_model_json(fitted):
    m = fitted.meta_
    assert m["task"] == "vo2_hr" and m["architecture"] == "kalman" and m["synthetic_training_data"] is False
    assert m["features"][0] == "hr" and "cadence" not in m["features"]
    t = m["training"]
    assert len(t["history"]["loss"]) == t["epochs_run"] == 10 and np.isfinite(t["history"]["loss"]).all()
    assert 1 <= t["best_epoch"] <= 10 and t["recordings"]["val"] == ["ramp_4"]
    assert t["history"]["lr"][0] == pytest.approx(1e-2)


def test_identical_seeds_train_identical_models(tests):
    """Same seed, same model: equal up to float32 rounding (TF's multi-threaded CPU sums may add in
    another order when the machine is busy: last-bit differences, ~1e-7, seen under parallel test
    runs); another seed gives a clearly different model."""
    a = Vo2HrTrainer(**TINY).fit(tests[:2])
    b = Vo2HrTrainer(**TINY).fit(tests[:2])
    c = Vo2HrTrainer(**{**TINY, "seed": 1}).fit(tests[:2])
    same = max(float(np.max(np.abs(x - y))) for x, y in zip(a.model_.get_weights(), b.model_.get_weights()))
    other = max(float(np.max(np.abs(x - y))) for x, y in zip(a.model_.get_weights(), c.model_.get_weights()))
    assert same <= 1e-6 and other > 1e-3


def test_save_and_load_give_the_same_predictions(tests, fitted, tmp_path):
    d = save_model_dir(tmp_path / "m", fitted)
    model, meta = load_model_dir(d)
    assert meta == json.loads(json.dumps(fitted.meta_))
    a = predict_recordings(fitted.model_, fitted.meta_, tests[3:])[0]
    b = predict_recordings(model, meta, tests[3:])[0]
    assert np.allclose(a, b, atol=1e-3)
    with pytest.raises(GaitnodeError, match="already exists"):
        save_model_dir(d, fitted)


def test_load_refuses_what_is_not_a_vo2_hr_model(tmp_path):
    with pytest.raises(GaitnodeError, match="is not a VO2-from-HR model directory"):
        load_model_dir(tmp_path)
    (tmp_path / "model.json").write_text(json.dumps({"task": "heel_strike"}))
    with pytest.raises(GaitnodeError, match="a 'heel_strike' model, not a VO2-from-HR"):
        load_model_dir(tmp_path)


def test_a_warm_start_continues_from_the_base_and_shares_its_loop(tests, fitted):
    ft = Vo2HrTrainer(**{**TINY, "epochs": 1, "steps_per_epoch": 1}).fit(tests[:2], init_from=fitted.snapshot(),
                                                                        loop=fitted.loop_)
    assert ft.meta_["training"]["warm_start_epochs"] == fitted.epochs_done_
    assert ft.epochs_done_ == fitted.epochs_done_ + 1
    assert np.array_equal(ft.norm_mean_, fitted.norm_mean_)
    with pytest.raises(GaitnodeError, match="other features or another target"):
        Vo2HrTrainer(**{**TINY, "target": "vo2_ml_kg_min"}).fit(tests[:2], init_from=fitted.snapshot())


def test_calibrations(tests, fitted):
    s = tests[3]
    first, resting, given = predict_recordings(fitted.model_, fitted.meta_, [s, s, s], ["first_second", "resting", 900])
    assert not np.allclose(first, resting)
    # the resting calibration is the ACSM value 3.5 ml/kg/min x mass, the same as giving that number
    acsm = predict_recordings(fitted.model_, fitted.meta_, [s], 3.5 * s.mass_kg)[0]
    assert np.allclose(resting, acsm)
    with pytest.raises(GaitnodeError, match="outside physiology"):
        predict_recordings(fitted.model_, fitted.meta_, [s], 20000)
    with pytest.raises(GaitnodeError, match="is not one of first_second, resting or a VO2"):
        predict_recordings(fitted.model_, fitted.meta_, [s], "cart")


def test_bad_training_input_is_refused(tests):
    no_vo2 = dataclasses.replace(tests[0], vo2_ml_min=None)
    with pytest.raises(GaitnodeError, match="no VO2 reference"):
        Vo2HrTrainer(**TINY).fit([no_vo2])
    no_mass = dataclasses.replace(tests[0], mass_kg=float("nan"))
    with pytest.raises(GaitnodeError, match="subject mass is missing"):
        Vo2HrTrainer(**{**TINY, "target": "vo2_ml_kg_min"}).fit([no_mass])
    no_hr = dataclasses.replace(tests[0], hr_bpm=np.full(len(tests[0]), np.nan))
    with pytest.raises(GaitnodeError, match="no heart rate within 25-250 bpm"):
        Vo2HrTrainer(**TINY).fit([no_hr])
    with pytest.raises(GaitnodeError, match="uses cadence, but the recording has none"):
        Vo2HrTrainer(**{**TINY, "use_cadence": True}).fit(tests[:1])
    with pytest.raises(GaitnodeError, match="no training recordings"):
        Vo2HrTrainer(**TINY).fit([])
    with pytest.raises(GaitnodeError, match="seq_len 5 s is too short"):
        Vo2HrTrainer(**{**TINY, "seq_len": 5}).fit(tests[:1])


def test_sgdr_restarts_after_10_then_20_epochs():
    lrs = [sgdr_lr(e, 1.0) for e in range(31)]
    assert lrs[0] == pytest.approx(1.0) and lrs[10] == pytest.approx(1.0) and lrs[30] == pytest.approx(1.0)
    assert lrs[9] < 0.05 and lrs[29] < 0.01


def test_a_constant_schedule_keeps_the_learning_rate(tests):
    t = Vo2HrTrainer(**{**TINY, "epochs": 2, "lr_schedule": "constant", "learning_rate": 3e-4}).fit(tests[:1])
    assert t.history_["lr"] == [3e-4, 3e-4]
    with pytest.raises(GaitnodeError, match="lr_schedule 'cosine'"):
        Vo2HrTrainer(**{**TINY, "lr_schedule": "cosine"}).fit(tests[:1])


def test_a_continuation_follows_the_cosine_without_restarting():
    from gaitnode.training.vo2_hr_trainer import continued_lr

    assert continued_lr(8, 1.0) == pytest.approx(sgdr_lr(8, 1.0))  # inside a period: the schedule itself
    assert continued_lr(10, 1.0) == pytest.approx(1e-6)  # the period ended: its floor, not a restart to 1.0
    assert continued_lr(0, 1.0) == 1.0

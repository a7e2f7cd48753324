import numpy as np
import pytest

from gaitnode.errors import GaitnodeError
from gaitnode.training.activity_dataset import ACTIVITY_CLASSES, activity_arrays, prepare_activity
from gaitnode.training.activity_trainer import ActivityTrainer, WindowIndex, balanced_weights, hold_out_tail
from gaitnode.training.test_activity_dataset import toy_session

PLAN = [("standing", 6), ("walking", 8), ("upstairs", 6), ("downstairs", 6), ("sitting", 6), ("laying", 6),
        ("running", 4)]
TINY = dict(epochs=6, train_hop=8, learning_rate=5e-3, seed=0)


@pytest.fixture(scope="module")
def toy():
    train = [toy_session(PLAN, subject=f"T{k}", seed=k) for k in range(2)]
    val = [toy_session(PLAN[::-1], subject="V", seed=9)]
    return train, val


@pytest.fixture(scope="module")
def fitted(toy):
    return ActivityTrainer(**TINY).fit(*toy)


def test_fit_writes_the_classifier_contract(fitted, toy, tmp_path):
    from gaitnode.training.model_dir import load_model_dir, save_model_dir

    meta = fitted.meta_
    assert (meta["task"], meta["output"], meta["rate_hz"], meta["window"], meta["hop"]) == (
        "activity", "window", 50.0, 128, 64)
    assert meta["classes"] == list(ACTIVITY_CLASSES) and meta["placement"] == "shank"
    assert meta["channels"] == ["acc_x", "acc_y", "acc_z", "gyr_x", "gyr_y", "gyr_z"]
    t = meta["training"]
    assert t["label_rule"] == "majority" and t["epochs_run"] <= 6 and t["subjects"]["val"] == ["V"]
    assert set(t["train_class_counts"]) == set(ACTIVITY_CLASSES) and min(t["train_class_counts"].values()) > 0
    assert meta["synthetic_training_data"] is True
    model, loaded = load_model_dir(save_model_dir(tmp_path / "m", fitted.model_, meta))
    assert model.output_shape == (None, 6) and loaded == meta


def test_learns_separable_activities(fitted, toy):
    X, Y = activity_arrays(toy[0], fitted.meta_)
    keep = Y >= 0
    pred = np.argmax(fitted.model_.predict(X[keep], verbose=0), axis=1)
    assert np.mean(pred == Y[keep]) >= 0.6  # six classes: chance is 1/6 (seconds of training)


def test_same_seed_same_weights(toy):
    quick = dict(epochs=1, train_hop=64, seed=4)
    one, two = ActivityTrainer(**quick).fit(*toy), ActivityTrainer(**quick).fit(*toy)
    for a, b in zip(one.model_.get_weights(), two.model_.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_tail_hold_out_and_weights(toy):
    prepared = prepare_activity(toy[0], "acc+gyr", hop=16)
    train, val = hold_out_tail(prepared)
    for t, v in zip(train, val):
        assert t.starts[-1] + t.window <= v.starts[0]  # no row in both
        assert len(t.starts) == round(0.8 * len(prepared[0].starts))
    index = WindowIndex(val)
    X, y = index.gather(np.arange(len(index)))
    assert len(index) == sum(int((v.y >= 0).sum()) for v in val) and X.shape[1:] == (128, 6) and (y >= 0).all()
    np.testing.assert_array_equal(X[0], val[0].windows()[np.flatnonzero(val[0].y >= 0)[0]])
    np.testing.assert_allclose(balanced_weights(np.array([0, 0, 0, 1]), 3), [4 / 9, 4 / 3, 0.0])


def test_bad_parameters_and_data(toy):
    train, val = toy
    for kwargs, match in ((dict(architecture="resnet"), "activity architecture"),
                          (dict(hop=200), "need 1 <= hop <= window"), (dict(label_rule="first"), "label rule"),
                          (dict(class_weight="inverse"), "class_weight"), (dict(epochs=0), "epochs"),
                          (dict(channels="acc"), "channels 'acc'")):
        with pytest.raises(GaitnodeError, match=match):
            ActivityTrainer(**kwargs).fit(train, val)
    with pytest.raises(GaitnodeError, match="no training sessions"):
        ActivityTrainer().fit([], val)
    foot = toy_session(PLAN, placement="foot")
    with pytest.raises(GaitnodeError, match="mixed placements"):
        ActivityTrainer().fit(train, [foot])
    with pytest.raises(GaitnodeError, match="multiple of 50 Hz"):
        ActivityTrainer().fit([toy_session(PLAN, rate_hz=60.0)], val)

import copy

import numpy as np
import pytest

from gaitnode.errors import GaitnodeError
from gaitnode.sessions.model import Events
from gaitnode.training.heel_strike_trainer import (
    HeelStrikeTrainer, Prepared, WindowSet, class_weights, hold_out_tail, random_rotations, rotate_windows,
    run_epochs,
)
from gaitnode.training.model_dir import validate_meta
from gaitnode.training.windows import ACC6


def test_same_data_and_seed_give_the_same_weights(walks, base_trainer, tiny):
    again = HeelStrikeTrainer(**tiny).fit([walks[0]], [walks[1]])
    for a, b in zip(base_trainer.model_.get_weights(), again.model_.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert again.history_ == base_trainer.history_


def test_meta_follows_the_contract_and_records_the_training(walks, base_trainer, tiny):
    m = validate_meta(base_trainer.meta_)
    assert (m["window"], m["hop"], m["output_delay"]) == (tiny["window"], tiny["hop"], tiny["output_delay"])
    assert m["channels"] == list(ACC6) and m["placement"] == "shank" and m["rate_hz"] == 100.0
    assert m["synthetic_training_data"] is True and m["architecture"] == "cnn_lstm"
    np.testing.assert_allclose(m["norm_mean"], base_trainer.normalizer_.mean_, rtol=1e-6)
    tr = m["training"]
    assert tr["subjects"] == {"train": ["S000"], "val": ["S001"]}
    assert tr["epochs_run"] == 1 and tr["best_epoch"] == 1
    assert len(tr["history"]["val_loss"]) == 1 and tr["best_val_loss"] == tr["history"]["val_loss"][0]
    assert 0.05 < tr["label_fraction"] < 0.2
    f = tr["label_fraction"]
    assert tr["class_weight"]["positive"] == pytest.approx(0.5 / f, rel=1e-3)
    assert tr["n_windows"]["train"] == (len(walks[0].imu) - 64) // 16 + 1  # train_hop 16


class ScriptedModel:
    """Stands in for a compiled Keras model: its weights are the number of epochs trained, and
    its validation losses follow a script, so the early-stopping logic can be checked exactly."""

    def __init__(self, val_losses):
        self.val_losses = list(val_losses)
        self.trained = 0  # epochs whose batches it has seen
        self.weights = [np.zeros(1)]

    def train_on_batch(self, x, y, sample_weight=None):
        assert x.shape[1:] == (8, 2) and sample_weight.shape == y.shape
        return 0.5

    def evaluate(self, x, y, sample_weight=None, batch_size=None, verbose=0):
        self.trained += 1
        self.weights = [np.array([float(self.trained)])]
        return self.val_losses[self.trained - 1]

    def get_weights(self):
        return [w.copy() for w in self.weights]

    def set_weights(self, weights):
        self.weights = [w.copy() for w in weights]


def scripted_run(val_losses, epochs, patience, max_train_s=None):
    x = np.zeros((40, 2), np.float32)
    y = (np.arange(40) % 5 == 0).astype(np.float32)
    ws = WindowSet([Prepared("a", x, y)], window=8, hop=4, output_delay=2)
    model = ScriptedModel(val_losses)
    run = run_epochs(model, ws, ws, mean=np.zeros(2), std=np.ones(2), epochs=epochs, batch_size=4,
                     patience=patience, pos_weight=2.0, neg_weight=0.5, rng=np.random.default_rng(0),
                     max_train_s=max_train_s)
    return model, run


def test_early_stopping_restores_the_best_epochs_weights():
    model, run = scripted_run([3.0, 2.0, 1.0, 1.5, 2.5, 0.5], epochs=6, patience=2)
    assert run["stopped"] == "patience" and run["epochs_run"] == 5 and run["best_epoch"] == 3
    assert run["history"]["val_loss"] == [3.0, 2.0, 1.0, 1.5, 2.5] and run["best_val_loss"] == 1.0
    assert model.weights[0][0] == 3.0  # the weights after epoch 3, not those of epoch 5


def test_best_weights_are_restored_when_the_epochs_run_out_or_time_is_up():
    model, run = scripted_run([3.0, 1.0, 2.0], epochs=3, patience=5)
    assert run["stopped"] == "epochs" and model.weights[0][0] == 2.0
    model, run = scripted_run([3.0, 1.0, 2.0], epochs=3, patience=5, max_train_s=0.0)
    assert run["stopped"] == "time_budget" and run["epochs_run"] == 1 and model.weights[0][0] == 1.0


def test_a_loss_that_is_never_finite_is_an_error():
    with pytest.raises(GaitnodeError, match="training diverged"):
        scripted_run([np.nan, np.nan], epochs=2, patience=5)


def test_without_validation_sessions_the_tail_of_each_session_validates():
    x = np.arange(500, dtype=np.float32)[:, None]
    y = np.zeros(500, np.float32)
    train, val = hold_out_tail([Prepared("a", x, y)], window=64)
    np.testing.assert_array_equal(train[0].x[:, 0], np.arange(400))
    np.testing.assert_array_equal(val[0].x[:, 0], np.arange(400, 500))
    assert val[0].name == "a (held-out tail)"
    with pytest.raises(GaitnodeError, match=r"a: 300 samples is too short to hold out its last 20%"):
        hold_out_tail([Prepared("a", x[:300], y[:300])], window=64)


def test_window_set_targets_are_delayed_and_pre_start_targets_weightless():
    x = np.arange(40, dtype=np.float32)[:, None].repeat(2, axis=1)
    y = (np.arange(40) % 7 == 0).astype(np.float32)
    ws = WindowSet([Prepared("a", x, y), Prepared("b", x + 100, y)], window=8, hop=4, output_delay=3)
    assert len(ws) == 2 * ((40 - 8) // 4 + 1)
    X, Y, V = ws.gather(np.array([0, 1, 9]))
    np.testing.assert_array_equal(X[2, :, 0], 100 + np.arange(8))  # first window of session b
    np.testing.assert_array_equal(Y[1], y[4 - 3:4 + 8 - 3])
    np.testing.assert_array_equal(Y[2, 3:], y[:5])
    np.testing.assert_array_equal(V[2], [0, 0, 0, 1, 1, 1, 1, 1])  # no target before b's first sample
    np.testing.assert_array_equal(V[1], np.ones(8))


@pytest.mark.parametrize("window,hop,delay", [(16, 4, 3), (16, 16, 0), (8, 3, 5)])
def test_window_set_inputs_and_targets_follow_the_contract(window, hop, delay):
    n = 103
    x = np.arange(n)[:, None] + 1000.0 * np.arange(3)[None, :]  # x[i, c] = i + 1000 c
    y = np.arange(n) + 1.0  # y[i] = i + 1: 0 only where the target lies before the start
    ws = WindowSet([Prepared("a", x.astype(np.float32), y.astype(np.float32))], window, hop, delay)
    count = (n - window) // hop + 1
    X, Y, V = ws.gather(np.arange(count))
    assert len(ws) == count and X.shape == (count, window, 3) and Y.shape == (count, window)
    for k in range(count):
        s = k * hop
        for j in range(window):
            np.testing.assert_array_equal(X[k, j], [s + j, 1000 + s + j, 2000 + s + j])
            assert Y[k, j] == (s + j - delay + 1 if s + j - delay >= 0 else 0)
            assert V[k, j] == (1.0 if s + j - delay >= 0 else 0.0)


def test_class_weights():
    assert class_weights("balanced", 0.2) == pytest.approx((2.5, 0.625))
    assert class_weights(None, 0.2) == (1.0, 1.0)
    assert class_weights(3, 0.2) == (3.0, 1.0)
    with pytest.raises(GaitnodeError, match="both classes"):
        class_weights("balanced", 0.0)
    with pytest.raises(GaitnodeError, match="class_weight"):
        class_weights("inverse", 0.2)


def test_rotation_augmentation_turns_every_sensor_by_the_same_small_rotation():
    rng = np.random.default_rng(0)
    R = random_rotations(rng, 50, 15.0)
    np.testing.assert_allclose(R @ R.transpose(0, 2, 1), np.broadcast_to(np.eye(3), R.shape), atol=1e-5)
    angles = np.degrees(np.arccos(np.clip((np.trace(R, axis1=1, axis2=2) - 1) / 2, -1, 1)))
    assert angles.max() <= 15.0 + 1e-3 and angles.max() > 5.0
    X = rng.normal(size=(50, 10, 7)).astype(np.float32)
    out = rotate_windows(X, R, [(0, 1, 2), (4, 5, 6)])
    np.testing.assert_allclose(out[3, :, 0:3], X[3, :, 0:3] @ R[3].T, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(out[3, :, 4:7], X[3, :, 4:7] @ R[3].T, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(out[..., 3], X[..., 3])  # a channel outside the triplets is untouched
    np.testing.assert_allclose(np.linalg.norm(out[..., :3], axis=-1), np.linalg.norm(X[..., :3], axis=-1), rtol=1e-5)


def _without_hs(s):
    s = copy.copy(s)
    s.events = Events.empty()
    return s


def _with(s, **meta):
    s = copy.copy(s)
    s.meta = copy.deepcopy(s.meta)
    for k, v in meta.items():
        setattr(s.meta, k, v)
    return s


def test_bad_input_is_an_error(walks, tiny):
    w0, w1 = walks[0], walks[1]
    t = HeelStrikeTrainer(**tiny)
    cases = [
        (([], [w1]), "no training sessions"),
        (([_without_hs(w0)], [w1]), "no heel-strike references; training needs them"),
        (([w0], [_without_hs(w1)]), "no heel-strike references"),
        (([w0], [_with(w1, rate_hz=200.0)]), r"mixed sample rates: 100.0 \(e.g. session S000.*200.0"),
        (([w0], [_with(w1, placement="foot")]), "mixed placements"),
    ]
    for (train, val), match in cases:
        with pytest.raises(GaitnodeError, match=match):
            t.fit(train, val)
    with pytest.raises(GaitnodeError, match="has no magnetometer data"):
        HeelStrikeTrainer(**{**tiny, "channels": "acc+gyr+mag"}).fit([_with(w0, has_mag=False)], [w1])
    with pytest.raises(GaitnodeError, match="shorter than one window"):
        HeelStrikeTrainer(**{**tiny, "window": 8192, "hop": 64}).fit([w0], [w1])
    for bad, match in [({"window": 66}, "multiple of 4"), ({"output_delay": 60}, "output delay"),
                       ({"architecture": "gru"}, "architecture"), ({"epochs": 0}, "epochs"),
                       ({"augment_rotation_deg": -1}, "augment_rotation_deg"), ({"channels": "acc"}, "channels")]:
        with pytest.raises(GaitnodeError, match=match):
            HeelStrikeTrainer(**{**tiny, **bad}).fit([w0], [w1])

import numpy as np
import pytest

from gaitnode.errors import GaitnodeError
from gaitnode.sessions.model import PHASES
from gaitnode.training.model_dir import load_model_dir, save_model_dir
from gaitnode.training.phase_dataset import phase_arrays
from gaitnode.training.phase_trainer import PhaseTrainer, imu_triplets

TINY = dict(epochs=2, windows_per_epoch=400, batch_size=32, seed=0)


def _sim(protocol: str, k: int, duration_s: float = 40.0):
    from gaitnode.simulate.cohort import cohort_subject
    from gaitnode.simulate.protocols import by_name
    from gaitnode.simulate.simulator import Simulator

    return Simulator(seed=k).simulate(cohort_subject(0, k), by_name(protocol, np.random.default_rng(k), duration_s))


@pytest.fixture(scope="module")
def sessions():
    return [_sim("free_walk", 1), _sim("stairs", 2)], [_sim("free_walk", 3)]


@pytest.fixture(scope="module")
def trained(sessions):
    train, val = sessions
    return PhaseTrainer(**TINY).fit(train, val)


def test_meta_follows_the_classifier_contract(trained, tmp_path):
    m = trained.meta_
    assert m["task"] == "gait_phase" and m["output"] == "last_hop"
    assert (m["window"], m["hop"], m["rate_hz"]) == (40, 10, 100.0)
    assert m["classes"] == list(PHASES) and m["synthetic_training_data"] is True
    assert m["input_clip"] == 1.5 and len(m["norm_mean"]) == len(m["channels"]) == 6
    assert m["training"]["epochs_run"] == 2 and len(m["training"]["history"]["val_accuracy"]) == 2
    d = save_model_dir(tmp_path / "m", trained.model_, m)
    model, meta = load_model_dir(d)
    assert model.output_shape == (None, 10, 4) and meta == m


def test_same_seed_same_weights(sessions, trained):
    train, val = sessions
    again = PhaseTrainer(**TINY).fit(train, val)
    for a, b in zip(trained.model_.get_weights(), again.model_.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_learns_something_in_seconds(sessions, trained):
    X, Y = phase_arrays(sessions[1], trained.meta_)
    P = trained.model_.predict(X, verbose=0).argmax(-1)
    acc = (P[Y >= 0] == Y[Y >= 0]).mean()
    majority = np.bincount(Y[Y >= 0]).max() / (Y >= 0).sum()
    assert acc > majority  # beats always answering the most common phase


def test_without_validation_sessions_holds_out_the_tail(sessions):
    t = PhaseTrainer(architecture="lstm_only", epochs=1, windows_per_epoch=200, seed=0).fit(sessions[0])
    assert t.meta_["training"]["validation"].startswith("last 20%")
    assert t.meta_["architecture"] == "lstm_only"


def test_extra_channels_train_the_same_way(sessions):
    from gaitnode.sessions.model import Series

    s = _sim("free_walk", 4, 30.0)
    s.series["fsr_heel"] = Series(s.imu.t_s, (s.phase == 0).astype(float))
    t = PhaseTrainer(channels=["gyr_z", "fsr_heel"], epochs=1, windows_per_epoch=200).fit([s])
    assert t.meta_["channels"] == ["gyr_z", "fsr_heel"] and t.meta_["training"]["node_channels"] is False
    assert imu_triplets(["gyr_z", "fsr_heel"]) == [] and imu_triplets(["acc_x", "acc_y", "acc_z"]) == [(0, 1, 2)]


def test_bad_input(sessions):
    with pytest.raises(GaitnodeError, match="no training sessions"):
        PhaseTrainer().fit([])
    with pytest.raises(GaitnodeError, match="not one of"):
        PhaseTrainer(architecture="transformer").fit(sessions[0])
    with pytest.raises(GaitnodeError, match="classes"):
        PhaseTrainer(classes=("HS", "XX")).fit(sessions[0])
    with pytest.raises(GaitnodeError, match="epochs must be a positive integer"):
        PhaseTrainer(epochs=0).fit(sessions[0])
    foot = _sim("free_walk", 5, 20.0)
    foot.meta.placement = "foot"
    with pytest.raises(GaitnodeError, match="mixed placements"):
        PhaseTrainer(**TINY).fit(sessions[0] + [foot])

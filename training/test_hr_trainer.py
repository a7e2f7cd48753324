import numpy as np
import pytest

from gaitnode.errors import GaitnodeError
from gaitnode.training.hr_backbone import get_weights
from gaitnode.training.hr_data import sequences
from gaitnode.training.hr_testing import TINY_TRAINING, synthetic_hr_session, tiny_trained
from gaitnode.training.hr_trainer import HrDynamicsTrainer, drop_channels, gap_observe_mask, training_masks


@pytest.mark.parametrize("architecture", ["neural_ode", "neural_kalman"])
def test_fit_records_the_run_and_is_reproducible(architecture):
    t = tiny_trained(architecture)
    meta = t.meta_
    assert meta["task"] == "hr_dynamics" and meta["architecture"] == architecture
    assert meta["synthetic_training_data"] is True and meta["config"]["hidden"] == 8
    tr = meta["training"]
    assert tr["epochs_run"] == 1 and tr["best_epoch"] == 1 and len(tr["sessions"]["train"]) == 2
    assert np.isfinite(t.history_["val_standard_mae"][0]) and np.isfinite(t.history_["val_generative_mae"][0])
    if architecture == "neural_ode":
        train = sequences([synthetic_hr_session(k, "running", 240.0) for k in (0, 1)])
        val = sequences([synthetic_hr_session(2, "free_walk", 180.0)])
        again = HrDynamicsTrainer(architecture=architecture, **TINY_TRAINING).fit(train, val)
        for a, b in zip(get_weights(again.model_), get_weights(t.model_)):
            np.testing.assert_array_equal(a, b)


def test_training_masks_per_condition():
    rng = np.random.default_rng(0)
    hr = np.full(300, 100.0)
    a, o = training_masks(hr, "standard", rng, 60)
    assert a[0] == 1 and 5 <= a.sum() <= 6 and not o.any()
    assert set(np.diff(np.flatnonzero(a))[1:]) == {60}
    a, o = training_masks(hr, "generative", rng, 60)
    assert np.flatnonzero(a).tolist() == [0] and not o.any()
    a, o = training_masks(hr, "gaps", rng, 60)
    assert np.flatnonzero(a).tolist() == [0] and o[0] == 0 and 0 < o.sum() < 299
    hr[100:110] = np.nan
    a, o = training_masks(hr, "gaps", rng, 60)
    assert not o[100:110].any()


def test_gap_mask_holds_dropouts_of_the_training_lengths():
    obs = gap_observe_mask(2000, np.random.default_rng(1))
    runs = np.diff(np.flatnonzero(np.diff(np.concatenate([[1], obs, [1]])) != 0))[::2]
    assert obs[0] == 1 and len(runs) > 5 and runs.min() >= 5 and runs.max() <= 90


def test_channel_dropout_never_removes_the_whole_drive():
    x = np.zeros((50, 9), np.float32)
    x[:, :6] = 1.0
    rng = np.random.default_rng(0)
    for _ in range(50):
        y = drop_channels(x, rng, 0.9)
        assert y[:, 3:6].any(axis=0).sum() >= 1
    assert x[:, :6].min() == 1.0  # the input is not changed


@pytest.mark.parametrize("kw, message", [
    ({"architecture": "lstm"}, "not one of"),
    ({"hidden": 0}, "positive integer"),
    ({"crop_s": 30}, "at least window_s"),
    ({"mode_mix": (1, 0)}, "3 non-negative"),
    ({"learning_rate": 0.0}, "learning_rate"),
])
def test_bad_parameters(kw, message):
    seqs = sequences([synthetic_hr_session(0, "running", 120.0)])
    with pytest.raises(GaitnodeError, match=message):
        HrDynamicsTrainer(**kw).fit(seqs, seqs)


def test_no_data_is_an_error():
    seqs = sequences([synthetic_hr_session(0, "running", 120.0)])
    with pytest.raises(GaitnodeError, match="no validation"):
        HrDynamicsTrainer().fit(seqs, [])

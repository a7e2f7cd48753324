import copy

import numpy as np
import pytest

from gaitnode.errors import GaitnodeError
from gaitnode.training.model_dir import validate_meta
from gaitnode.training.vo2_estimate import TAU_GRID_S
from gaitnode.training.vo2_trainer import Vo2Trainer

TINY = dict(window=64, hop=50, epochs=1, seq_len=8, batch_sequences=2, seed=0)


@pytest.fixture(scope="module")
def trainer(walks):
    return Vo2Trainer(**TINY).fit([walks[0]], [walks[1]])


def test_meta_follows_the_contract(trainer, walks):
    m = validate_meta(trainer.meta_)
    assert (m["task"], m["target"], m["architecture"], m["placement"]) == ("vo2", "vo2_ml_kg_min", "cnn_lstm", "shank")
    assert (m["window"], m["hop"], m["rate_hz"], len(m["channels"])) == (64, 50, 100.0, 6)
    assert m["smooth_tau_s"] in TAU_GRID_S and m["smooth_tau_s"] == trainer.smoothing_["tau_s"]
    assert m["synthetic_training_data"] is True
    t = m["training"]
    assert t["target_source"] == "vo2" and t["subjects"] == {"train": ["S000"], "val": ["S001"]}
    assert t["epochs_run"] == 1 and len(t["history"]["val_loss"]) == 1 and t["target_std"] > 0
    assert trainer.model_.output_shape == (None, 1)
    # the output scale comes from the training targets (ml/kg/min)
    assert trainer.model_.get_layer("head_denorm").offset == pytest.approx(t["target_mean"])


def test_same_data_and_seed_give_the_same_weights(trainer, walks):
    again = Vo2Trainer(**TINY).fit([walks[0]], [walks[1]])
    for a, b in zip(trainer.model_.get_weights(), again.model_.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_bad_input_is_refused(walks):
    no_vo2 = copy.deepcopy(walks[0])
    del no_vo2.series["vo2"]
    with pytest.raises(GaitnodeError, match="has no 'vo2' series"):
        Vo2Trainer(**TINY).fit([no_vo2], [walks[1]])
    no_mass = copy.deepcopy(walks[1])
    no_mass.meta.subject.mass_kg = 0.0
    with pytest.raises(GaitnodeError, match="has no body mass"):
        Vo2Trainer(**TINY).fit([walks[0]], [no_mass])
    other_rate = copy.deepcopy(walks[1])
    other_rate.meta.rate_hz = 200.0
    with pytest.raises(GaitnodeError, match="sessions have mixed sample rates"):
        Vo2Trainer(**TINY).fit([walks[0]], [other_rate])
    foot = copy.deepcopy(walks[1])
    foot.meta.placement = "foot"
    with pytest.raises(GaitnodeError, match="sessions have mixed placements"):
        Vo2Trainer(**TINY).fit([walks[0]], [foot])
    with pytest.raises(GaitnodeError, match="target source 'hr' is not one of"):
        Vo2Trainer(**{**TINY, "target_source": "hr"}).fit([walks[0]])
    with pytest.raises(GaitnodeError, match="window 64 and hop 200 samples: need 1 <= hop <= window"):
        Vo2Trainer(**{**TINY, "hop": 200}).fit([walks[0]])


def test_filter_runs_is_the_nodes_recursive_filter():
    import math

    from gaitnode import tf_env
    from gaitnode.training.vo2_trainer import filter_runs

    tf, _ = tf_env.load()
    u = np.random.default_rng(0).normal(10, 3, (2, 20)).astype(np.float32)
    x0 = np.array([7.0, 12.0], np.float32)
    got = filter_runs(tf.constant(u), tf.constant(x0), 1.0, tf.constant(math.log(30.0))).numpy()
    a = 1 - math.exp(-1 / 30)
    for b in range(2):
        x, expected = float(x0[b]), []
        for v in u[b]:
            x += a * (v - x)
            expected.append(x)
        np.testing.assert_allclose(got[b], expected, rtol=1e-5)

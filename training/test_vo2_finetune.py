import copy

import numpy as np
import pytest

from gaitnode.errors import GaitnodeError
from gaitnode.sessions.slicing import time_slice
from gaitnode.training.model_dir import file_sha256, save_model_dir, validate_meta
from gaitnode.training.vo2_finetune import Vo2FineTuner
from gaitnode.training.vo2_trainer import Vo2Trainer

FAST = dict(epochs=2, patience=2, seq_len=8, batch_sequences=2)


@pytest.fixture(scope="module")
def vo2_base_dir(walks, tmp_path_factory):
    t = Vo2Trainer(window=64, hop=50, epochs=1, seq_len=8, batch_sequences=2, seed=0).fit([walks[0]], [walks[1]])
    return save_model_dir(tmp_path_factory.mktemp("vo2base") / "model", t.model_, t.meta_)


@pytest.fixture(scope="module")
def tuned(vo2_base_dir, walks):
    return Vo2FineTuner(**FAST).fit(vo2_base_dir, [time_slice(walks[2], 0.0, 40.0)])


def test_fine_tuned_model_is_extended_and_keeps_the_contract(tuned, vo2_base_dir):
    m = validate_meta(tuned.meta_)
    assert [layer.name for layer in tuned.model_.layers if layer.name.startswith("head_ext")] == ["head_ext_conv"]
    assert tuned.model_.output_shape == (None, 1) and all(layer.trainable for layer in tuned.model_.layers)
    ft = m["training"]["fine_tune"]
    assert ft["extension"] == "base" and ft["learn_tau"] is True and ft["subjects"]["train"] == ["S002"]
    assert [s["stage"] for s in ft["stages"]] == ["kinetics", 0]  # the time constant first, then the head
    assert ft["base_model_sha256"] == file_sha256(vo2_base_dir / "model.keras")
    assert m["training"]["base"]["target_source"] == "vo2"
    base = validate_meta(__import__("json").loads((vo2_base_dir / "model.json").read_text()))
    # the deployed smoothing follows the learned time constant
    assert m["smooth_tau_s"] == pytest.approx(round(base["smooth_tau_s"] * ft["train_tau_s"] / 30.0, 1))
    for key in ("window", "hop", "channels", "norm_mean", "norm_std", "rate_hz", "input_clip"):
        assert m[key] == base[key]


def test_the_feature_extractor_does_not_move(tuned, vo2_base_dir):
    from gaitnode.training.model_dir import load_model_dir

    base, _ = load_model_dir(vo2_base_dir)
    for name in ("features_b1_conv", "features_b1_bn", "features_b2_conv"):
        for a, b in zip(base.get_layer(name).get_weights(), tuned.model_.get_layer(name).get_weights()):
            np.testing.assert_array_equal(a, b)
    moved = [not np.array_equal(a, b) for a, b in zip(base.get_layer("head_lstm").get_weights(),
                                                        tuned.model_.get_layer("head_lstm").get_weights())]
    assert any(moved)


def test_bad_input_is_refused(vo2_base_dir, walks, base_model_dir):
    foot = copy.deepcopy(walks[2])
    foot.meta.placement = "foot"
    with pytest.raises(GaitnodeError, match="a foot session, but the VO2 model is for shank"):
        Vo2FineTuner(**FAST).fit(vo2_base_dir, [foot])
    no_vo2 = copy.deepcopy(walks[2])
    del no_vo2.series["vo2"]
    with pytest.raises(GaitnodeError, match="has no 'vo2' series"):
        Vo2FineTuner(**FAST).fit(vo2_base_dir, [no_vo2])
    with pytest.raises(GaitnodeError, match="a heel_strike model, not a VO2 model"):
        Vo2FineTuner(**FAST).fit(base_model_dir, [walks[2]])
    with pytest.raises(GaitnodeError, match="extend 'twice' is not one of"):
        Vo2FineTuner(extend="twice").fit(vo2_base_dir, [walks[2]])

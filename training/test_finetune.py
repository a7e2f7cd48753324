import json

import numpy as np
import pytest

from gaitnode.errors import GaitnodeError
from gaitnode.training.finetune import FineTuner, set_stage
from gaitnode.training.heel_strike_models import build_model
from gaitnode.training.model_dir import file_sha256, save_model_dir, validate_meta
from gaitnode.training.windows import ACC6, Normalizer, session_matrix


def make_base(path, architecture, walk, synthetic=True):
    """A base model dir: a freshly built model (training it first is not needed to fine-tune it)."""
    norm = Normalizer().fit([session_matrix(walk, ACC6)])
    meta = {"format": "gaitnode-model", "version": 1, "task": "heel_strike", "architecture": architecture,
            "placement": "shank", "rate_hz": 100.0, "channels": list(ACC6), "window": 64, "hop": 16,
            "output_delay": 8, "label_half_width": 7, "norm_mean": norm.mean_.tolist(),
            "norm_std": norm.std_.tolist(), "threshold": 0.5, "min_interval_s": 0.35, "seed": 0,
            "synthetic_training_data": synthetic, "training": {"train_hop": 16, "note": "base for fine-tune tests"}}
    return save_model_dir(path, build_model(architecture, 64, 6, seed=0), meta)


def weights_by_layer(model, prefix):
    return {layer.name: [w.copy() for w in layer.get_weights()] for layer in model.layers
            if layer.name.startswith(prefix) and layer.get_weights()}


def same(a, b):
    return all(np.array_equal(x, y) for x, y in zip(a, b))


def test_frozen_feature_extractor_is_unchanged_and_the_head_learns(tmp_path, walks):
    from gaitnode.training.model_dir import load_model_dir

    base_dir = make_base(tmp_path / "base", "cnn_lstm", walks[0])
    base, _ = load_model_dir(base_dir)
    ft = FineTuner(epochs=1, seed=0).fit(base_dir, [walks[2]], [walks[1]])
    before, after = weights_by_layer(base, "features_"), weights_by_layer(ft.model_, "features_")
    assert set(before) == {"features_b1_conv", "features_b1_bn", "features_b2_conv", "features_b2_bn"}
    for name in before:  # kernels, biases and BatchNorm statistics alike
        assert same(before[name], after[name]), name
    head_before, head_after = weights_by_layer(base, "head_"), weights_by_layer(ft.model_, "head_")
    assert not any(same(head_before[n], head_after[n]) for n in head_before)
    assert all(layer.trainable for layer in ft.model_.layers)

    m = validate_meta(ft.meta_)
    f = m["training"]["fine_tune"]
    assert f["base_model_dir"] == str(base_dir)
    assert f["base_model_sha256"] == file_sha256(base_dir / "model.keras")
    assert f["subjects"] == {"train": ["S002"], "val": ["S001"]} and f["unfreeze"] == "none"
    assert m["training"]["base"] == {"train_hop": 16, "note": "base for fine-tune tests"}
    base_meta = json.loads((base_dir / "model.json").read_text())
    for key in ("window", "hop", "output_delay", "channels", "norm_mean", "norm_std", "rate_hz"):
        assert m[key] == base_meta[key]
    assert m["synthetic_training_data"] is True


def test_gradual_unfreezing_trains_the_feature_blocks_stage_by_stage(tmp_path, walks):
    from gaitnode.training.model_dir import load_model_dir

    base_dir = make_base(tmp_path / "base", "lstm_only", walks[0])
    base, _ = load_model_dir(base_dir)
    ft = FineTuner(epochs=2, unfreeze="gradual", seed=0).fit(base_dir, [walks[2]])  # val: the last 20 %
    assert ft.history_["stage"] == [0, 1]  # head only, then the one feature block as well
    f = ft.meta_["training"]["fine_tune"]
    assert [s["unfrozen_feature_blocks"] for s in f["stages"]] == [0, 1]
    assert f["validation"].startswith("last 20%")
    lstm = "features_b1_lstm"
    assert not same(base.get_layer(lstm).get_weights(), ft.model_.get_layer(lstm).get_weights())


def test_stages_unfreeze_from_the_top_and_keep_batchnorm_frozen():
    m = build_model("cnn_lstm", 32, 6)
    trainable = lambda: {layer.name for layer in m.layers if layer.trainable and layer.weights}  # noqa: E731
    head = {"head_lstm", "head_dense", "head_out"}
    set_stage(m, 0)
    assert trainable() == head
    set_stage(m, 1)
    assert trainable() == head | {"features_b2_conv"}
    set_stage(m, 2)
    assert trainable() == head | {"features_b2_conv", "features_b1_conv"}


def test_bad_input_is_an_error(tmp_path, walks):
    import copy

    base_dir = make_base(tmp_path / "base", "cnn_lstm", walks[0])
    real = walks[2]
    bad = [({"unfreeze": "all"}, "unfreeze 'all'"), ({"epochs": 0}, "epochs"), ({"learning_rate": 0}, "learning_rate")]
    for kwargs, match in bad:
        with pytest.raises(GaitnodeError, match=match):
            FineTuner(**kwargs).fit(base_dir, [real])
    with pytest.raises(GaitnodeError, match="no fine-tuning sessions"):
        FineTuner().fit(base_dir, [])
    with pytest.raises(GaitnodeError, match="not a model directory"):
        FineTuner().fit(tmp_path / "nowhere", [real])
    short = copy.copy(real)
    short.imu = type(real.imu)(real.imu.t_us[:100], real.imu.acc[:100], real.imu.gyr[:100], real.imu.mag[:100])
    with pytest.raises(GaitnodeError, match="too short to hold out"):
        FineTuner().fit(base_dir, [short])

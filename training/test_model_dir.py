import json

import numpy as np
import pytest

from gaitnode.errors import GaitnodeError
from gaitnode.training.heel_strike_models import build_model
from gaitnode.training.model_dir import load_meta, load_model_dir, save_model_dir, validate_meta
from gaitnode.training.windows import ACC6


def meta(**changes):
    m = {"format": "gaitnode-model", "version": 1, "task": "heel_strike", "architecture": "cnn_lstm",
         "placement": "shank", "rate_hz": 100.0, "channels": list(ACC6), "window": 32, "hop": 8, "output_delay": 4,
         "label_half_width": 7, "norm_mean": [0.5] * 6, "norm_std": [2.0] * 6, "threshold": 0.5,
         "min_interval_s": 0.35, "seed": 0, "synthetic_training_data": True, "training": {"epochs_run": 1}}
    m.update(changes)
    return m


@pytest.fixture(scope="module")
def model():
    return build_model("cnn_lstm", 32, 6, seed=2)


def test_round_trip_keeps_weights_outputs_and_metadata(tmp_path, model):
    d = save_model_dir(tmp_path / "m", model, meta())
    text = (d / "model.json").read_text()
    assert text == json.dumps(meta(), sort_keys=True, indent=2) + "\n"
    assert sorted(p.name for p in d.iterdir()) == ["model.json", "model.keras"]  # no temporary files left
    loaded, m = load_model_dir(d)
    assert m == meta()
    assert [w.name for w in loaded.weights] == [w.name for w in model.weights]
    x = np.random.default_rng(0).normal(size=(2, 32, 6)).astype(np.float32)
    np.testing.assert_allclose(loaded(x, training=False).numpy(), model(x, training=False).numpy(), rtol=1e-6)
    assert [layer.name for layer in loaded.layers] == [layer.name for layer in model.layers]


def test_existing_model_is_not_overwritten_unless_asked(tmp_path, model):
    d = save_model_dir(tmp_path / "m", model, meta())
    with pytest.raises(GaitnodeError, match=r"model.keras: already exists \(2 of the 2 outputs do\).*overwrite=True"):
        save_model_dir(d, model, meta(threshold=0.6))
    assert load_meta(d)["threshold"] == 0.5
    save_model_dir(d, model, meta(threshold=0.6), overwrite=True)
    assert load_meta(d)["threshold"] == 0.6


@pytest.mark.parametrize("changes,message", [
    ({"window": "32"}, "field window: '32' is not of type 'integer'"),
    ({"channels": ["acc_x", "acc_q"]}, "field channels.1: 'acc_q' is not one of"),
    ({"norm_std": [2.0] * 5 + [0.0]}, "field norm_std.5: 0.0 is less than or equal to the minimum of 0"),
    ({"norm_mean": [0.0] * 5}, "field norm_mean: 5 values for 6 channels"),
    ({"output_delay": 30}, "fields window/hop/output_delay: output delay 30"),
    ({"task": "vo2"}, "field task: 'heel_strike' was expected"),
    ({"architecture": "resnet"}, "field architecture: 'resnet' is not one of"),
])
def test_invalid_metadata_is_refused_on_save_naming_file_and_field(tmp_path, model, changes, message):
    with pytest.raises(GaitnodeError, match=f"model.json: {message}"):
        save_model_dir(tmp_path / "m", model, meta(**changes))
    assert not (tmp_path / "m").exists()


def test_missing_field_is_named():
    m = meta()
    del m["norm_std"]
    with pytest.raises(GaitnodeError, match=r"where.json: field \(top level\): 'norm_std' is a required property"):
        validate_meta(m, "where.json")


def test_invalid_files_on_load(tmp_path, model):
    d = save_model_dir(tmp_path / "m", model, meta())
    (d / "model.json").write_text("{\"format\": ")
    with pytest.raises(GaitnodeError, match=r"model.json: not valid JSON \(line 1"):
        load_model_dir(d)
    (d / "model.json").write_text(json.dumps(meta(hop=0)))
    with pytest.raises(GaitnodeError, match=f"{d / 'model.json'}: field hop: 0 is less than the minimum of 1"):
        load_model_dir(d)
    (d / "model.json").write_text(json.dumps(meta(window=64)))  # the model is built for 32
    with pytest.raises(GaitnodeError, match="model.json says window 64"):
        load_model_dir(d)
    (d / "model.keras").write_bytes(b"not a zip")
    with pytest.raises(GaitnodeError, match="model.keras: cannot be loaded as a Keras model"):
        load_model_dir(d)
    (d / "model.keras").unlink()
    with pytest.raises(GaitnodeError, match="model.keras: no such file"):
        load_model_dir(d)
    with pytest.raises(GaitnodeError, match="not a model directory"):
        load_model_dir(tmp_path / "nothing")


def _classifier_meta(**over) -> dict:
    meta = {"format": "gaitnode-model", "version": 1, "task": "gait_phase", "architecture": "resnet_lstm",
            "placement": "shank", "rate_hz": 100.0, "channels": ["acc_x", "fsr_heel"], "window": 40, "hop": 10,
            "norm_mean": [0.0, 0.0], "norm_std": [1.0, 1.0], "classes": ["HS", "ST", "HO", "SW"],
            "output": "last_hop", "seed": 0, "synthetic_training_data": True, "training": {}}
    meta.update(over)
    return meta


def test_classifier_meta_and_its_output_shape():
    from gaitnode.training.model_dir import is_classifier_meta, output_shape, output_width

    meta = validate_meta(_classifier_meta())  # extra (non-IMU) channels train on the host
    assert is_classifier_meta(meta) and output_shape(meta) == (10, 4) and output_width(meta) == 40
    act = validate_meta(_classifier_meta(task="activity", classes=["walking", "sitting"], output="window"))
    assert output_shape(act) == (2,) and output_width(act) == 2


@pytest.mark.parametrize("over, message", [
    ({"classes": ["HS", "walking"]}, "field classes: 'walking' is not one of HS, ST, HO, SW"),
    ({"task": "activity", "classes": ["HS", "ST"]}, "field classes: 'HS' is not one of walking"),
    ({"classes": ["HS"]}, "field classes"),
    ({"hop": 41}, "fields window/hop"),
    ({"output": "per_sample"}, "field output"),
    ({"channels": ["Acc X", "b"]}, "field channels.0"),
])
def test_classifier_meta_problems(over, message):
    with pytest.raises(GaitnodeError, match=message):
        validate_meta(_classifier_meta(**over))

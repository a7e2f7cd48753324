import json

import numpy as np
import pytest

from gaitnode.errors import GaitnodeError
from gaitnode.training.hr_backbone import get_weights
from gaitnode.training.hr_data import N_FEATURES
from gaitnode.training.hr_model_dir import load_hr_model, make_model, save_hr_model
from gaitnode.training.hr_predict import anchor_mask, run
from gaitnode.training.hr_testing import tiny_model


def _meta(model):
    return {"format": "gaitnode-model", "version": 1, "task": "hr_dynamics", "architecture": model.kind,
            "config": model.config, "features": {}, "hr_bounds_bpm": [30.0, 220.0], "window_s": 60, "seed": 0,
            "synthetic_training_data": True, "training": {}}


@pytest.mark.parametrize("architecture", ["neural_ode", "neural_kalman"])
def test_round_trip_gives_the_same_predictions(tmp_path, architecture):
    m = tiny_model(architecture, seed=3)
    save_hr_model(tmp_path / "m", m, _meta(m))
    loaded, meta = load_hr_model(tmp_path / "m")
    assert meta["architecture"] == architecture
    x = np.random.default_rng(0).normal(size=(90, N_FEATURES)).astype(np.float32)
    hr = np.full(90, 110.0)
    a = anchor_mask(hr, "standard", 30)
    np.testing.assert_allclose(run(loaded, x, hr, a), run(m, x, hr, a), atol=1e-5)
    other = tiny_model(architecture, seed=4)  # another seed, other weights: the check above can fail
    assert any(not np.allclose(u, v) for u, v in zip(get_weights(other), get_weights(m)))


def test_existing_folder_needs_overwrite_and_bad_folders_are_errors(tmp_path):
    m = tiny_model()
    save_hr_model(tmp_path / "m", m, _meta(m))
    with pytest.raises(GaitnodeError, match="already exists"):
        save_hr_model(tmp_path / "m", m, _meta(m))
    save_hr_model(tmp_path / "m", m, _meta(m), overwrite=True)
    with pytest.raises(GaitnodeError, match="not an HR dynamics model folder"):
        load_hr_model(tmp_path / "nothing")
    meta = _meta(m)
    meta["task"] = "heel_strike"
    (tmp_path / "m" / "model.json").write_text(json.dumps(meta))
    with pytest.raises(GaitnodeError, match="field task"):
        load_hr_model(tmp_path / "m")
    (tmp_path / "m" / "model.json").write_text(json.dumps({**_meta(m), "config": {"hidden": 16, "seed": 0}}))
    with pytest.raises(GaitnodeError, match="do not fit"):
        load_hr_model(tmp_path / "m")
    (tmp_path / "m" / "weights.npz").unlink()
    with pytest.raises(GaitnodeError, match="no such file"):
        load_hr_model(tmp_path / "m")
    with pytest.raises(GaitnodeError, match="not one of"):
        make_model("lstm", {})

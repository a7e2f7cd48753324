"""The HR dynamics model folder: model.json (metadata) + weights.npz (the variables, in model order).

model.json: {"format": "gaitnode-model", "version": 1, "task": "hr_dynamics", "architecture":
"neural_ode" | "neural_kalman", "config" (constructor arguments), "features" (input layout and
scales), "hr_bounds_bpm", "window_s" (standard-mode window), "seed", "synthetic_training_data",
"training"}. The model is rebuilt from "architecture" + "config" and the weights assigned in order.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import jsonschema
import numpy as np

from gaitnode.errors import GaitnodeError, refuse_existing
from gaitnode.training.hr_backbone import build, get_weights, set_weights

META_FILE = "model.json"
WEIGHTS_FILE = "weights.npz"
ARCHITECTURES = ("neural_ode", "neural_kalman")

SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["format", "version", "task", "architecture", "config", "features", "hr_bounds_bpm", "window_s",
                 "seed", "synthetic_training_data", "training"],
    "properties": {
        "format": {"const": "gaitnode-model"},
        "version": {"const": 1},
        "task": {"const": "hr_dynamics"},
        "architecture": {"enum": list(ARCHITECTURES)},
        "config": {"type": "object"},
        "features": {"type": "object"},
        "hr_bounds_bpm": {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2},
        "window_s": {"type": "integer", "minimum": 2},
        "seed": {"type": "integer"},
        "synthetic_training_data": {"type": "boolean"},
        "training": {"type": "object"},
    },
}


def make_model(architecture: str, config: dict):
    """A new (built) model of this architecture and config."""
    if architecture == "neural_ode":
        from gaitnode.training.hr_ode import NeuralOdeHr as cls
    elif architecture == "neural_kalman":
        from gaitnode.training.hr_kalman import NeuralKalmanHr as cls
    else:
        raise GaitnodeError(f"HR model architecture {architecture!r} is not one of {', '.join(ARCHITECTURES)}")
    try:
        model = cls(**config)
    except TypeError as e:
        raise GaitnodeError(f"{architecture}: bad config {config!r} ({e})") from None
    build(model)
    return model


def validate_meta(meta: dict, where: str) -> dict:
    errors = sorted(jsonschema.Draft202012Validator(SCHEMA).iter_errors(meta), key=lambda e: list(map(str, e.path)))
    if errors:
        e = errors[0]
        field = ".".join(map(str, e.absolute_path)) or "(top level)"
        raise GaitnodeError(f"{where}: field {field}: {e.message}")
    return meta


def save_hr_model(path, model, meta: dict, *, overwrite: bool = False) -> Path:
    """Write model.json and weights.npz into folder `path` (GaitnodeError if they exist, unless overwrite)."""
    d = Path(path)
    validate_meta(meta, str(d / META_FILE))
    refuse_existing([d / META_FILE, d / WEIGHTS_FILE], overwrite=overwrite)
    if d.exists() and not d.is_dir():
        raise GaitnodeError(f"{d}: exists and is not a directory")
    d.mkdir(parents=True, exist_ok=True)
    tmp_w, tmp_m = d / f".{WEIGHTS_FILE}.{os.getpid()}.tmp.npz", d / f".{META_FILE}.{os.getpid()}.tmp"
    try:
        np.savez(tmp_w, *get_weights(model))
        tmp_m.write_text(json.dumps(meta, sort_keys=True, indent=2) + "\n", encoding="utf-8")
        os.replace(tmp_w, d / WEIGHTS_FILE)
        os.replace(tmp_m, d / META_FILE)
    finally:
        tmp_w.unlink(missing_ok=True)
        tmp_m.unlink(missing_ok=True)
    return d


def load_hr_meta(path) -> dict:
    f = Path(path) / META_FILE
    if not f.is_file():
        raise GaitnodeError(f"{f}: no such file; {path} is not an HR dynamics model folder "
                            f"(make one with `gaitnode train hr-dynamics`)")
    try:
        meta = json.loads(f.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as e:
        raise GaitnodeError(f"{f}: cannot be read ({e})") from None
    except json.JSONDecodeError as e:
        raise GaitnodeError(f"{f}: not valid JSON (line {e.lineno}, column {e.colno}: {e.msg})") from None
    if not isinstance(meta, dict):
        raise GaitnodeError(f"{f}: field (top level): must be a JSON object")
    return validate_meta(meta, str(f))


def load_hr_model(path):
    """(model, meta) from an HR dynamics model folder."""
    d = Path(path)
    meta = load_hr_meta(d)
    model = make_model(meta["architecture"], meta["config"])
    f = d / WEIGHTS_FILE
    try:
        with np.load(f) as z:
            weights = [z[f"arr_{i}"] for i in range(len(z.files))]
    except FileNotFoundError:
        raise GaitnodeError(f"{f}: no such file (the model folder is incomplete)") from None
    except (OSError, ValueError, KeyError) as e:
        raise GaitnodeError(f"{f}: cannot be read as model weights ({e})") from None
    set_weights(model, weights)
    return model, meta

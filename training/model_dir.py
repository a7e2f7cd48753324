"""The model directory: `model.keras` (float tf_keras model) + `model.json` (metadata).

model.json is checked against a JSON schema (jsonschema) and a few cross-field rules (one
norm_mean/norm_std entry per channel, window/hop/output_delay consistent) on save and on load;
an invalid file raises GaitnodeError naming the file and the field. Three kinds:

* heel strike (MODEL_JSON_SCHEMA): per-sample probabilities, output [batch, window];
* VO2 (VO2_MODEL_JSON_SCHEMA): one VO2 value (ml/kg/min) per window, output [batch, 1];
* classifiers (CLASSIFIER_MODEL_JSON_SCHEMA, tasks "gait_phase" and "activity"): softmax over
  `classes`, either per row for the last `hop` rows of the window (output "last_hop": [batch, hop,
  n_classes], or flattened row-major to [batch, hop * n_classes]) or one per window ("window":
  [batch, n_classes]).

A model.json is checked as a VO2 model's when its task is "vo2" and it has none of the
heel-strike output fields (output_delay); everything else is checked as a heel-strike model's,
so an old heel-strike file with a wrong task still gets "task: 'heel_strike' was expected".
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import jsonschema
import numpy as np

from gaitnode import tf_env
from gaitnode.errors import GaitnodeError, refuse_existing
from gaitnode.training.heel_strike_models import ARCHITECTURES
from gaitnode.training.vo2_models import VO2_ARCHITECTURES
from gaitnode.training.windows import IMU9, check_window_params

MODEL_FILE = "model.keras"
META_FILE = "model.json"

_number_list = {"type": "array", "items": {"type": "number"}, "minItems": 1}
MODEL_JSON_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["format", "version", "task", "architecture", "placement", "rate_hz", "channels", "window", "hop",
                 "output_delay", "label_half_width", "norm_mean", "norm_std", "threshold", "min_interval_s", "seed",
                 "synthetic_training_data", "training"],
    "properties": {
        "format": {"const": "gaitnode-model"},
        "version": {"const": 1},
        "task": {"const": "heel_strike"},
        "architecture": {"enum": list(ARCHITECTURES)},
        "placement": {"type": "string", "minLength": 1},
        "rate_hz": {"type": "number", "exclusiveMinimum": 0},
        "channels": {"type": "array", "items": {"enum": list(IMU9)}, "minItems": 1, "uniqueItems": True},
        "window": {"type": "integer", "minimum": 1},
        "hop": {"type": "integer", "minimum": 1},
        "output_delay": {"type": "integer", "minimum": 0},
        "label_half_width": {"type": "integer", "minimum": 0},
        "norm_mean": _number_list,
        "norm_std": {**_number_list, "items": {"type": "number", "exclusiveMinimum": 0}},
        "threshold": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
        "min_interval_s": {"type": "number", "minimum": 0},
        "seed": {"type": "integer"},
        "synthetic_training_data": {"type": "boolean"},
        "training": {"type": "object"},
    },
}


VO2_TARGET = "vo2_ml_kg_min"
VO2_MODEL_JSON_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["format", "version", "task", "architecture", "placement", "rate_hz", "channels", "window", "hop",
                 "norm_mean", "norm_std", "target", "smooth_tau_s", "seed", "synthetic_training_data", "training"],
    "properties": {
        "format": {"const": "gaitnode-model"},
        "version": {"const": 1},
        "task": {"const": "vo2"},
        "architecture": {"enum": list(VO2_ARCHITECTURES)},
        "placement": {"type": "string", "minLength": 1},
        "rate_hz": {"type": "number", "exclusiveMinimum": 0},
        "channels": {"type": "array", "items": {"enum": list(IMU9)}, "minItems": 1, "uniqueItems": True},
        "window": {"type": "integer", "minimum": 1},
        "hop": {"type": "integer", "minimum": 1},
        "norm_mean": _number_list,
        "norm_std": {**_number_list, "items": {"type": "number", "exclusiveMinimum": 0}},
        "input_clip": {"type": "number", "exclusiveMinimum": 0},  # normalised inputs clipped to +-this (optional)
        "target": {"const": VO2_TARGET},
        "smooth_tau_s": {"type": "number", "minimum": 0},
        "seed": {"type": "integer"},
        "synthetic_training_data": {"type": "boolean"},
        "training": {"type": "object"},
    },
}


CLASSIFIER_TASKS = ("gait_phase", "activity")
CLASSIFIER_OUTPUTS = ("last_hop", "window")
CLASSIFIER_MODEL_JSON_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["format", "version", "task", "architecture", "placement", "rate_hz", "channels", "window", "hop",
                 "norm_mean", "norm_std", "classes", "output", "seed", "synthetic_training_data", "training"],
    "properties": {
        "format": {"const": "gaitnode-model"},
        "version": {"const": 1},
        "task": {"enum": list(CLASSIFIER_TASKS)},
        "architecture": {"type": "string", "minLength": 1},
        "placement": {"type": "string", "minLength": 1},
        "rate_hz": {"type": "number", "exclusiveMinimum": 0},  # rate of the model's input rows
        # IMU9 names run on a node; other names (extra sensors) train the same way but are not exported to C
        "channels": {"type": "array", "items": {"type": "string", "pattern": "^[a-z][a-z0-9_]*$"}, "minItems": 1,
                     "uniqueItems": True},
        "window": {"type": "integer", "minimum": 1},
        "hop": {"type": "integer", "minimum": 1},
        "norm_mean": _number_list,
        "norm_std": {**_number_list, "items": {"type": "number", "exclusiveMinimum": 0}},
        "input_clip": {"type": "number", "exclusiveMinimum": 0},
        "classes": {"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 2, "maxItems": 8,
                    "uniqueItems": True},
        "output": {"enum": list(CLASSIFIER_OUTPUTS)},
        "seed": {"type": "integer"},
        "synthetic_training_data": {"type": "boolean"},
        "training": {"type": "object"},
    },
}


def is_classifier_meta(meta) -> bool:
    """Whether `meta` is checked (and used) as a classifier's model.json (gait phase, activity)."""
    return isinstance(meta, dict) and meta.get("task") in CLASSIFIER_TASKS


def is_vo2_meta(meta) -> bool:
    """Whether `meta` is checked (and used) as a VO2 model's model.json (see the module docstring)."""
    return isinstance(meta, dict) and meta.get("task") == "vo2" and "output_delay" not in meta


def output_shape(meta: dict) -> tuple[int, ...]:
    """Output shape per window of the model `meta` describes (batch left out): (1,) VO2, (window,)
    heel strike, (hop, n_classes) or (n_classes,) for a classifier."""
    if is_classifier_meta(meta):
        n = len(meta["classes"])
        return (int(meta["hop"]), n) if meta["output"] == "last_hop" else (n,)
    return (1,) if is_vo2_meta(meta) else (int(meta["window"]),)


def output_width(meta: dict) -> int:
    """Outputs per window of the model `meta` describes (all of output_shape, flattened row-major)."""
    return int(np.prod(output_shape(meta)))


def validate_meta(meta: dict, where: str = META_FILE) -> dict:
    """Check a model.json dict; returns it. GaitnodeError '<where>: field <path>: <problem>'."""
    vo2, classifier = is_vo2_meta(meta), is_classifier_meta(meta)
    schema = (CLASSIFIER_MODEL_JSON_SCHEMA if classifier else VO2_MODEL_JSON_SCHEMA if vo2 else MODEL_JSON_SCHEMA)
    errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(meta),
                    key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        e = errors[0]
        field = ".".join(map(str, e.absolute_path)) or "(top level)"
        raise GaitnodeError(f"{where}: field {field}: {e.message}")
    c = len(meta["channels"])
    for key in ("norm_mean", "norm_std"):
        if len(meta[key]) != c:
            raise GaitnodeError(f"{where}: field {key}: {len(meta[key])} values for {c} channels")
    if classifier:
        from gaitnode.sessions.model import ACTIVITIES, PHASES

        names = PHASES if meta["task"] == "gait_phase" else ACTIVITIES
        unknown = [c for c in meta["classes"] if c not in names]
        if unknown:
            raise GaitnodeError(f"{where}: field classes: {unknown[0]!r} is not one of {', '.join(names)}")
    if vo2 or classifier:
        try:
            check_window_params(meta["window"], meta["hop"], 0)
        except GaitnodeError as e:
            raise GaitnodeError(f"{where}: fields window/hop: {e}") from None
        return meta
    try:
        check_window_params(meta["window"], meta["hop"], meta["output_delay"])
    except GaitnodeError as e:
        raise GaitnodeError(f"{where}: fields window/hop/output_delay: {e}") from None
    return meta


def file_sha256(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def save_model_dir(path, model, meta: dict, *, overwrite: bool = False) -> Path:
    """Write `model` (model.keras) and `meta` (model.json, sorted keys, indent 2) into directory `path`.

    Raises GaitnodeError when meta is invalid, or when either file exists and overwrite is False.
    Returns the directory.
    """
    d = Path(path)
    validate_meta(meta, str(d / META_FILE))
    refuse_existing([d / MODEL_FILE, d / META_FILE], overwrite=overwrite)
    if d.exists() and not d.is_dir():
        raise GaitnodeError(f"{d}: exists and is not a directory")
    d.mkdir(parents=True, exist_ok=True)
    # Write both beside their targets, then rename: a crash never leaves a new model with old metadata.
    tmp_model = d / f".{MODEL_FILE}.{os.getpid()}.tmp.keras"
    tmp_meta = d / f".{META_FILE}.{os.getpid()}.tmp"
    try:
        model.save(tmp_model)
        tmp_meta.write_text(json.dumps(meta, sort_keys=True, indent=2) + "\n", encoding="utf-8")
        os.replace(tmp_model, d / MODEL_FILE)
        os.replace(tmp_meta, d / META_FILE)
    finally:
        tmp_model.unlink(missing_ok=True)
        tmp_meta.unlink(missing_ok=True)
    return d


def load_meta(path) -> dict:
    """The validated model.json of model directory `path`."""
    f = Path(path) / META_FILE
    if not f.is_file():
        raise GaitnodeError(f"{f}: no such file; {path} is not a model directory (train one first)")
    try:
        meta = json.loads(f.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as e:
        raise GaitnodeError(f"{f}: cannot be read ({e})") from None
    except json.JSONDecodeError as e:
        raise GaitnodeError(f"{f}: not valid JSON (line {e.lineno}, column {e.colno}: {e.msg})") from None
    if not isinstance(meta, dict):
        raise GaitnodeError(f"{f}: field (top level): must be a JSON object")
    return validate_meta(meta, str(f))


def load_model_dir(path):
    """(model, meta) from model directory `path`; the model is loaded uncompiled.

    Raises GaitnodeError for a missing/invalid model.json, a missing or unreadable model.keras, or a
    model whose input/output shape disagrees with model.json.
    """
    d = Path(path)
    meta = load_meta(d)
    f = d / MODEL_FILE
    if not f.is_file():
        raise GaitnodeError(f"{f}: no such file (the model directory is incomplete)")
    _, keras = tf_env.load()
    try:
        model = keras.models.load_model(f, compile=False)
    except Exception as e:  # Keras raises many types for a damaged archive
        raise GaitnodeError(f"{f}: cannot be loaded as a Keras model ({type(e).__name__}: {e})") from None
    want_in = (meta["window"], len(meta["channels"]))
    got_out = tuple(model.output_shape[1:])
    if tuple(model.input_shape[1:]) != want_in or got_out not in {output_shape(meta), (output_width(meta),)}:
        what = ("one VO2 value per window" if is_vo2_meta(meta) else
                f"output {output_shape(meta)} of {meta['output']!r} classes" if is_classifier_meta(meta)
                else "one output per sample")
        raise GaitnodeError(f"{f}: model maps {model.input_shape[1:]} -> {model.output_shape[1:]}, but "
                            f"{META_FILE} says window {meta['window']} x {len(meta['channels'])} channels ({what})")
    return model, meta

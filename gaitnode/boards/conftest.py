"""Shared helpers for the boards tests: edited copies of boards.yaml and budget-input model dirs.

fake_model_dir writes what `gaitnode quantize` leaves in a model dir (model.json, quantize.json,
c/<name>_model_*.{h,cc}) with gaitnode.quantize.c_export, around an arbitrary byte string of the
wanted size: a budget input, not a model anyone runs.
"""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path

import pytest
import yaml

from gaitnode.boards.config import DEFAULT_FILE


def repo_boards() -> dict:
    """A fresh copy of the repository's boards.yaml content."""
    return copy.deepcopy(yaml.safe_load(DEFAULT_FILE.read_text(encoding="utf-8")))


def write_boards(path: Path, data: dict) -> Path:
    path = Path(path)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def model_meta(channels=("acc_x", "acc_y", "acc_z", "gyr_x", "gyr_y", "gyr_z"), placement="shank", window=128) -> dict:
    """A valid model.json dict (values chosen to be distinguishable)."""
    n = len(channels)
    return {
        "format": "gaitnode-model", "version": 1, "task": "heel_strike", "architecture": "cnn_lstm",
        "placement": placement, "rate_hz": 100.0, "channels": list(channels), "window": window, "hop": 32,
        "output_delay": 8, "label_half_width": 7, "norm_mean": [0.5 * i for i in range(n)],
        "norm_std": [1.0 + i for i in range(n)], "threshold": 0.5, "min_interval_s": 0.35, "seed": 0,
        "synthetic_training_data": True, "training": {"epochs": 1, "note": "boards test (budget input only)"},
    }


def fake_model_dir(path: Path, *, model_bytes: int = 34520, arena_bytes: int = 15584, name: str = "heel_strike",
                   meta: dict | None = None) -> Path:
    """A model dir with generated C sources for a model of model_bytes bytes and arena_bytes of arena."""
    from gaitnode.quantize.c_export import write_c_arrays

    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    meta = meta or model_meta()
    data = bytes((i * 7) % 251 for i in range(model_bytes))
    quant = {"input_scale": 0.08, "input_zero_point": 2, "output_scale": 0.00390625, "output_zero_point": -128,
             "ops": ["FULLY_CONNECTED", "LOGISTIC"], "arena_bytes": arena_bytes,
             "arena_bytes_measured": arena_bytes - 1024}
    write_c_arrays(data, meta, quant, path / "c", name=name, overwrite=True)
    (path / "model.json").write_text(json.dumps(meta), encoding="utf-8")
    report = {"format": "gaitnode-quantize", "version": 1, "model_int8_bytes": model_bytes, "arena_bytes": arena_bytes,
              "model_sha256": hashlib.sha256(data).hexdigest()}
    (path / "quantize.json").write_text(json.dumps(report), encoding="utf-8")
    return path


def fake_vo2_model_dir(path: Path, *, model_bytes: int = 41000, arena_bytes: int = 21000, window: int = 128,
                       channels: int = 6) -> Path:
    """A VO2 model dir as the budget check reads it: c/vo2_model_config.h with the size macros of
    the VO2 config header (GN_VO2_*) and a matching quantize.json."""
    path = Path(path)
    (path / "c").mkdir(parents=True, exist_ok=True)
    (path / "c" / "vo2_model_config.h").write_text(
        "/* vo2_model_config.h: budget input of the boards tests */\n"
        f"#define GN_VO2_WINDOW {window}\n#define GN_VO2_CHANNELS {channels}\n#define GN_VO2_HOP 100\n"
        f"#define GN_VO2_MODEL_BYTES {model_bytes}\n#define GN_VO2_ARENA_BYTES {arena_bytes}\n", encoding="ascii")
    report = {"format": "gaitnode-quantize", "version": 1, "model_int8_bytes": model_bytes, "arena_bytes": arena_bytes}
    (path / "quantize.json").write_text(json.dumps(report), encoding="utf-8")
    return path


@pytest.fixture
def boards_data() -> dict:
    return repo_boards()

"""The quantize step as one algorithm object: model dir -> int8 model checked in TFLM -> C sources.

    q = Quantizer(arena_margin=0.10).run(model_dir, representative_x, heldout_x)
    q.report_["tflm_vs_float"]["max_abs"], q.arena_bytes_, q.paths_["int8_tflite"]

Budgets (model size, arena) are reported as flags, not raised: the caller decides.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
import tempfile
from pathlib import Path

import numpy as np

from gaitnode.errors import GaitnodeError, refuse_existing
from gaitnode.quantize.c_export import write_c_arrays
from gaitnode.quantize.convert import FLOAT_FILE, INT8_FILE, check_windows, convert
from gaitnode.quantize.op_resolver import resolver_methods
from gaitnode.quantize.runners import KerasRunner, LiteRTRunner, TFLMRunner
from gaitnode.quantize.tensor_check import check_integer_only
from gaitnode.quantize.tflm_check import ARENA_ALIGNMENT, arena_report, compare

REPORT_FILE = "quantize.json"
C_DIR = "c"
MIN_ARENA_MARGIN_BYTES = 1024


def output_paths(model_dir, name: str = "heel_strike") -> dict[str, Path]:
    """What `Quantizer.run` writes into a model dir: {"float_tflite", "int8_tflite", "report",
    "data_h", "data_cc", "config_h"} -> Path (the C sources in <model_dir>/c/)."""
    model_dir = Path(model_dir)
    c_dir = model_dir / C_DIR
    return {"float_tflite": model_dir / FLOAT_FILE, "int8_tflite": model_dir / INT8_FILE,
            "report": model_dir / REPORT_FILE, "data_h": c_dir / f"{name}_model_data.h",
            "data_cc": c_dir / f"{name}_model_data.cc", "config_h": c_dir / f"{name}_model_config.h"}


def arena_with_margin(measured: int, margin: float) -> int:
    """measured + max(margin * measured, 1024) bytes, rounded up to a multiple of 16."""
    extra = max(math.ceil(float(margin) * int(measured)), MIN_ARENA_MARGIN_BYTES)
    return -(-(int(measured) + extra) // ARENA_ALIGNMENT) * ARENA_ALIGNMENT


def relative_errors(float_outputs, int8_outputs) -> dict:
    """|int8 - float| / |float| over all outputs (e.g. VO2 values): {"mean", "max", "p95"} (fractions)."""
    a = np.asarray(float_outputs, np.float64).ravel()
    b = np.asarray(int8_outputs, np.float64).ravel()
    if a.shape != b.shape or a.size == 0:
        raise GaitnodeError(f"cannot compare outputs of shapes {np.shape(float_outputs)} and {np.shape(int8_outputs)}")
    rel = np.abs(b - a) / np.maximum(np.abs(a), 1e-6)
    return {"mean": float(rel.mean()), "max": float(rel.max()), "p95": float(np.percentile(rel, 95))}


def argmax_agreement(float_outputs, int8_outputs, n_classes: int) -> float:
    """Share of rows (softmax over n_classes, rows flattened row-major) where int8 and float agree on the class."""
    a = np.asarray(float_outputs, np.float64).reshape(-1, n_classes)
    b = np.asarray(int8_outputs, np.float64).reshape(-1, n_classes)
    if a.shape != b.shape or a.size == 0:
        raise GaitnodeError(f"cannot compare outputs of shapes {np.shape(float_outputs)} and {np.shape(int8_outputs)}")
    return float(np.mean(a.argmax(axis=1) == b.argmax(axis=1)))


def budget_flags(model_bytes: int, arena_bytes: int, *, max_model_bytes: int,
                 max_arena_bytes: int) -> tuple[bool, bool]:
    """(over_model_budget, over_arena_budget): whether the int8 model / the arena exceed their budgets."""
    return int(model_bytes) > int(max_model_bytes), int(arena_bytes) > int(max_arena_bytes)


class Quantizer:
    """Convert a model dir to int8, verify it in TFLite-Micro and write the firmware C sources.

    Parameters
    ----------
    arena_margin: safety margin on the measured TFLM arena, a fraction (at least 1024 bytes; the
        sum is rounded up to 16).
    max_model_bytes / max_arena_bytes: budgets of the target (flash for the int8 model, RAM for
        the arena); exceeding them sets over_model_budget / over_arena_budget in the report.
    overwrite: replace existing outputs (otherwise GaitnodeError before anything is written).
    name: C identifier stem of the generated sources (g_<name>_model_data, GN_<NAME>_...).

    Results (after `run`)
    ---------------------
    report_: the dict written to <model_dir>/quantize.json (sorted keys): sizes (bytes), ops,
        arena_bytes_measured / arena_bytes (with margin), quantisation parameters, output errors
        on the held-out windows (probabilities: tflm_vs_float, litert_vs_float, litert_float_vs_keras
        as {"max_abs", "mean_abs"}, tflm_vs_litert_max_abs), model_sha256, budget flags; for a VO2
        model also tflm_vs_float_relative / litert_vs_float_relative ({"mean", "max", "p95"}:
        |int8 - float| / float per window, fractions).
    int8_bytes_: size of model_int8.tflite, bytes.
    arena_bytes_: TFLM arena to build with (measured + margin), bytes.
    paths_: {"float_tflite", "int8_tflite", "report", "data_h", "data_cc", "config_h"} -> Path.
    """

    def __init__(self, arena_margin: float = 0.10, max_model_bytes: int = 65536, max_arena_bytes: int = 24576,
                 *, overwrite: bool = False, name: str = "heel_strike"):
        self.arena_margin = arena_margin
        self.max_model_bytes = max_model_bytes
        self.max_arena_bytes = max_arena_bytes
        self.overwrite = overwrite
        self.name = name

    def _check_params(self) -> None:
        m = self.arena_margin
        if isinstance(m, bool) or not isinstance(m, (int, float)) or not math.isfinite(m) or m < 0:
            raise GaitnodeError(f"arena_margin must be a fraction >= 0 (0.10 = 10 %), got {m!r}")
        for key in ("max_model_bytes", "max_arena_bytes"):
            v = getattr(self, key)
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v <= 0:
                raise GaitnodeError(f"{key} must be a positive number of bytes, got {v!r}")

    def run(self, model_dir, representative_x, heldout_x) -> Quantizer:
        """Quantise `model_dir`; representative_x / heldout_x: float32 [n, W, C] normalised windows.

        representative_x calibrates the int8 ranges; heldout_x (other windows) measures the
        output error of int8 against float.
        """
        from gaitnode.training.model_dir import load_meta

        self._check_params()
        model_dir = Path(model_dir)
        meta = load_meta(model_dir)
        window, channels = int(meta["window"]), len(meta["channels"])
        rep = check_windows(representative_x, window, channels, what="representative windows")
        held = check_windows(heldout_x, window, channels, what="held-out windows")
        c_dir = model_dir / C_DIR
        paths = output_paths(model_dir, self.name)
        refuse_existing(paths.values(), overwrite=self.overwrite)

        # Everything is produced in a staging folder inside model_dir and moved into place only
        # when every step passed: a failure leaves no partial set of outputs behind.
        with tempfile.TemporaryDirectory(prefix=".quantize-", dir=model_dir) as tmp:
            staged = {key: Path(tmp) / path.relative_to(model_dir) for key, path in paths.items()}
            report, conv, tensors, arena = self._produce(model_dir, meta, rep, held, staged,
                                                         what=str(paths["int8_tflite"]))
            staged["report"].write_text(json.dumps(report, indent=2, sort_keys=True) + "\n", encoding="utf-8")
            c_dir.mkdir(exist_ok=True)
            for key, path in paths.items():
                os.replace(staged[key], path)

        self.conversion_ = dataclasses.replace(conv, float_path=paths["float_tflite"], int8_path=paths["int8_tflite"])
        self.tensor_report_ = tensors
        self.arena_report_ = arena
        self.report_ = report
        self.int8_bytes_ = report["model_int8_bytes"]
        self.arena_bytes_ = report["arena_bytes"]
        self.paths_ = paths
        return self

    def _produce(self, model_dir: Path, meta: dict, rep: np.ndarray, held: np.ndarray, staged: dict, *, what: str):
        """Convert, check, measure, compare and write the C sources into the `staged` paths.

        Returns (report, conversion, tensor report, arena report).
        """
        conv = convert(model_dir, rep, out_dir=staged["int8_tflite"].parent)
        tensors = check_integer_only(conv.int8_tflite, what=what)
        methods = resolver_methods(tensors.ops, what=what)
        arena = arena_report(conv.int8_tflite, what=what)
        arena_bytes = arena_with_margin(arena.required, self.arena_margin)

        keras_out = KerasRunner(model_dir).predict(held)
        tflm_out = TFLMRunner(conv.int8_tflite, arena_bytes, what=f"{what} (TFLM)").predict(held)
        litert = LiteRTRunner(conv.int8_tflite)
        litert_out = litert.predict(held)
        litert_float_out = LiteRTRunner(conv.float_tflite).predict(held)
        if litert.input_quant is None or litert.output_quant is None:
            raise GaitnodeError(f"{what}: input or output tensor is not int8")
        (in_scale, in_zp), (out_scale, out_zp) = litert.input_quant, litert.output_quant
        quant = {"input_scale": in_scale, "input_zero_point": in_zp, "output_scale": out_scale,
                 "output_zero_point": out_zp, "ops": tensors.ops, "arena_bytes": arena_bytes,
                 "arena_bytes_measured": arena.required, "arena_tail_bytes": arena.recorded_tail}
        write_c_arrays(conv.int8_tflite, meta, quant, staged["config_h"].parent, name=self.name)

        int8_size = len(conv.int8_tflite)
        over_model, over_arena = budget_flags(int8_size, arena_bytes, max_model_bytes=self.max_model_bytes,
                                              max_arena_bytes=self.max_arena_bytes)
        report = {
            "format": "gaitnode-quantize", "version": 1,
            "model_float_bytes": len(conv.float_tflite), "model_int8_bytes": int8_size,
            "model_sha256": hashlib.sha256(conv.int8_tflite).hexdigest(),
            "ops": tensors.ops, "op_resolver_methods": methods, "fused_lstm": tensors.fused_lstm,
            "arena_bytes_recorded_total": arena.recorded_total, "arena_recorded_total_suffices":
                arena.recorded_total_suffices,
            "arena_bytes_measured": arena.required, "arena_bytes": arena_bytes,
            "arena_head_bytes": arena.recorded_head, "arena_tail_bytes": arena.recorded_tail,
            "arena_margin": float(self.arena_margin),
            "input_scale": in_scale, "input_zero_point": in_zp, "output_scale": out_scale,
            "output_zero_point": out_zp,
            "tflm_vs_float": compare(keras_out, tflm_out), "litert_vs_float": compare(keras_out, litert_out),
            "litert_float_vs_keras": compare(keras_out, litert_float_out),
            "tflm_vs_litert_max_abs": compare(litert_out, tflm_out)["max_abs"],
            "n_representative_windows": int(len(rep)), "n_heldout_windows": int(len(held)),
            "max_model_bytes": int(self.max_model_bytes), "max_arena_bytes": int(self.max_arena_bytes),
            "over_model_budget": over_model, "over_arena_budget": over_arena,
            "synthetic_training_data": bool(meta["synthetic_training_data"]),
            "tf_version": conv.tf_version,
        }
        from gaitnode.training.model_dir import is_classifier_meta, is_vo2_meta

        if is_classifier_meta(meta):  # classes: how often int8 and float pick the same one
            report["tflm_vs_float_argmax_agreement"] = argmax_agreement(keras_out, tflm_out, len(meta["classes"]))
        if is_vo2_meta(meta):  # a VO2 value: the error relative to the value matters (the 1 % target)
            report["tflm_vs_float_relative"] = relative_errors(keras_out, tflm_out)
            report["litert_vs_float_relative"] = relative_errors(keras_out, litert_out)
        return report, conv, tensors, arena

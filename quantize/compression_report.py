"""The compression step for one model dir: prune -> int8 -> cluster -> LUT-compress -> TFLM checks.

    r = ModelCompression(sparsity=0.5, bits=4).run(model_dir, train_sessions, eval_sessions)
    r.report_["steps"]["compressed"]["bytes"], r.paths_["compressed_tflite"]

Writes into model_dir: model_pruned_int8.tflite (pruned, int8, clustered weights: runs on any
TFLM build), model_compressed.tflite (the same weights LUT-compressed, needs TFLM's DECODE op) and
compress.json (REPORT_FILE), plus with c_arrays=True c/<name>_compressed_model_data.h/.cc.

Report `report_` (compress.json): {"format": "gaitnode-compress", "version": 1, "task", "metric",
"loss_kind", "sparsity", "bits", "schedule", "epochs", "steps": {"float" | "int8" | "pruned_int8" |
"compressed": {"bytes", "arena_bytes_measured" (not float), "metric", "metric_loss" (vs float)}},
"flash_saving_vs_int8" (fraction), "metric_loss_vs_int8", "target_met", "lossless_check",
"pruned_sparsity", "tensors", "firmware": {"compressed": true, "tflite": file name, "needs": ...},
"synthetic_data"}. Arenas are TFLM's smallest working arena on this 64-bit host (tflm_check).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import numpy as np

from gaitnode.errors import GaitnodeError, refuse_existing

REPORT_FILE = "compress.json"
PRUNED_FILE = "model_pruned_int8.tflite"
COMPRESSED_FILE = "model_compressed.tflite"
TARGET_SAVING = 0.35  # the issue: >= 35 % less flash than plain int8
TARGET_LOSS = 1.0  # at <= 1 % metric loss (points, or percent of the MAPE for VO2)
FIRMWARE_NEEDS = ("TFLM built with USE_TFLM_COMPRESSION defined (the kernels/decode*.cc sources compiled in); "
                  "op resolver: AddDecode() (custom op TFLM_DECODE) next to the model's ops; arena: "
                  "arena_bytes_measured of the compressed step (decoded weights live in the arena), or "
                  "MicroInterpreter::SetDecompressionMemory() with a separate region")


def output_paths(model_dir, name: str) -> dict[str, Path]:
    model_dir = Path(model_dir)
    c = model_dir / "c"
    return {"pruned_tflite": model_dir / PRUNED_FILE, "compressed_tflite": model_dir / COMPRESSED_FILE,
            "report": model_dir / REPORT_FILE, "data_h": c / f"{name}_compressed_model_data.h",
            "data_cc": c / f"{name}_compressed_model_data.cc"}


def _subsample(X: np.ndarray, n: int) -> np.ndarray:
    if len(X) <= n:
        return X
    return X[np.linspace(0, len(X) - 1, n).round().astype(int)]


class ModelCompression:
    """Pruning + clustering + LUT compression of one model dir, with the task metric at each step.

    Parameters: sparsity, bits (LUT index width), epochs / schedule / learning_rate (pruning
    fine-tune), max_train_windows (fine-tune windows, evenly subsampled), n_representative
    (int8 calibration windows), strip_names (drop tensor names from the compressed model),
    c_arrays (also write the compressed model as C arrays), overwrite, seed.

    Results (after `run`): report_ (see the module docstring), paths_, compressed_tflite_ (bytes).
    """

    def __init__(self, sparsity: float = 0.5, bits: int = 4, *, epochs: int = 3, schedule: str = "polynomial",
                 learning_rate: float = 2e-4, max_train_windows: int = 4000, n_representative: int = 300,
                 strip_names: bool = True, c_arrays: bool = False, overwrite: bool = False, seed: int = 0):
        self.sparsity, self.bits, self.epochs, self.schedule = sparsity, bits, epochs, schedule
        self.learning_rate, self.max_train_windows, self.n_representative = learning_rate, max_train_windows, n_representative
        self.strip_names, self.c_arrays, self.overwrite, self.seed = strip_names, c_arrays, overwrite, seed

    def run(self, model_dir, train_sessions, eval_sessions) -> "ModelCompression":
        from gaitnode.quantize.compress import LutCompressor, check_bits, decode_op_count, verify_lossless
        from gaitnode.quantize.compress_tasks import adapter_for
        from gaitnode.quantize.convert import convert
        from gaitnode.quantize.prune import Pruner
        from gaitnode.quantize.runners import KerasRunner, TFLMRunner
        from gaitnode.quantize.tensor_check import check_integer_only
        from gaitnode.quantize.tflm_check import arena_report
        from gaitnode.training.model_dir import load_meta, save_model_dir

        model_dir = Path(model_dir)
        meta = load_meta(model_dir)
        task = adapter_for(meta)
        check_bits(self.bits)
        if not train_sessions or not eval_sessions:
            raise GaitnodeError("compression needs training sessions (fine-tune, calibration) and evaluation sessions")
        paths = output_paths(model_dir, task.c_name)
        written = [k for k in paths if self.c_arrays or not k.startswith("data_")]
        refuse_existing([paths[k] for k in written], overwrite=self.overwrite)

        X = _subsample(task.windows(train_sessions, meta), self.max_train_windows)
        rep = _subsample(X, self.n_representative)
        held = _subsample(task.windows(eval_sessions, meta), 200)
        pruner = Pruner(self.sparsity, epochs=self.epochs, learning_rate=self.learning_rate, schedule=self.schedule,
                        seed=self.seed).fit(model_dir, X)
        with tempfile.TemporaryDirectory(prefix=".compress-", dir=model_dir) as tmp:
            tmp = Path(tmp)
            base = convert(model_dir, rep, out_dir=tmp / "int8")
            pruned_meta = dict(meta, training=dict(meta.get("training", {}), pruning={
                "sparsity": float(self.sparsity), "schedule": self.schedule, "epochs": int(self.epochs),
                "loss": "mse to the unpruned model's outputs", "layer_sparsity": pruner.sparsity_}))
            save_model_dir(tmp / "pruned", pruner.model_, pruned_meta)
            pruned = convert(tmp / "pruned", rep, out_dir=tmp / "pruned_int8")
            check_integer_only(pruned.int8_tflite, what="pruned int8 model")
            lut = LutCompressor(self.bits, strip_names=self.strip_names).run(pruned.int8_tflite)

            arenas = {"int8": arena_report(base.int8_tflite, what="int8 model").required,
                      "pruned_int8": arena_report(lut.clustered_tflite_, what="pruned int8 model").required,
                      "compressed": arena_report(lut.compressed_tflite_, what="compressed model").required}
            lossless = verify_lossless(lut.clustered_tflite_, lut.compressed_tflite_, held,
                                       arena_clustered=arenas["pruned_int8"], arena_compressed=arenas["compressed"])
            runners = {"float": KerasRunner(model_dir),
                       "int8": TFLMRunner(base.int8_tflite, arenas["int8"], what="int8 model (TFLM)"),
                       "pruned_int8": TFLMRunner(lut.clustered_tflite_, arenas["pruned_int8"],
                                                 what="pruned int8 model (TFLM)"),
                       "compressed": TFLMRunner(lut.compressed_tflite_, arenas["compressed"],
                                                what="compressed model (TFLM)")}
            sizes = {"float": len(base.float_tflite), "int8": len(base.int8_tflite),
                     "pruned_int8": len(lut.clustered_tflite_), "compressed": len(lut.compressed_tflite_)}
            scores = {k: task.score(eval_sessions, meta, r) for k, r in runners.items()}
            steps = {k: {"bytes": sizes[k], "arena_bytes_measured": arenas.get(k), "metric": scores[k],
                         "metric_loss_vs_float": task.loss(scores["float"], scores[k])} for k in sizes}
            saving = 1.0 - sizes["compressed"] / sizes["int8"]
            loss_int8 = task.loss(scores["int8"], scores["compressed"])
            report = {
                "format": "gaitnode-compress", "version": 1, "task": task.task, "metric": task.metric,
                "loss_kind": task.loss_kind, "sparsity": float(self.sparsity), "bits": int(self.bits),
                "schedule": self.schedule, "epochs": int(self.epochs), "strip_names": bool(self.strip_names),
                "steps": steps, "flash_saving_vs_int8": saving, "metric_loss_vs_int8": loss_int8,
                "target": {"flash_saving_vs_int8": TARGET_SAVING, "metric_loss": TARGET_LOSS},
                "target_met": bool(saving >= TARGET_SAVING and loss_int8 <= TARGET_LOSS),
                "lossless_check": lossless, "pruned_sparsity": pruner.sparsity_, "tensors": lut.tensors_,
                "n_train_windows": int(len(X)), "n_eval_sessions": len(eval_sessions),
                "synthetic_data": all(bool(s.meta.synthetic) for s in list(train_sessions) + list(eval_sessions)),
                "firmware": {"compressed": True, "tflite": COMPRESSED_FILE, "decode_ops": decode_op_count(
                    lut.compressed_tflite_), "arena_bytes_measured": arenas["compressed"],
                    "extra_arena_bytes_vs_pruned_int8": arenas["compressed"] - arenas["pruned_int8"],
                    "needs": FIRMWARE_NEEDS},
            }
            staged = {"pruned_tflite": lut.clustered_tflite_, "compressed_tflite": lut.compressed_tflite_,
                      "report": (json.dumps(report, indent=2, sort_keys=True) + "\n").encode()}
            if self.c_arrays:
                from gaitnode.quantize.c_export import model_data_files

                h, cc = model_data_files(lut.compressed_tflite_, f"{task.c_name}_compressed")
                staged.update(data_h=h.encode(), data_cc=cc.encode())
            for key, data in staged.items():
                paths[key].parent.mkdir(parents=True, exist_ok=True)
                part = paths[key].with_name(f".{paths[key].name}.{os.getpid()}.tmp")
                part.write_bytes(data)
                os.replace(part, paths[key])
        self.report_ = report
        self.paths_ = {k: paths[k] for k in staged}
        self.compressed_tflite_ = lut.compressed_tflite_
        return self


def summary_rows(reports: dict[str, dict]) -> list[dict]:
    """One row per model ({name: compress.json dict}) for the demo's table and summary file."""
    rows = []
    for name, r in reports.items():
        s = r["steps"]
        rows.append({"model": name, "task": r["task"], "metric": r["metric"], "loss_kind": r["loss_kind"],
                     **{f"{k}_bytes": s[k]["bytes"] for k in s},
                     **{f"{k}_arena": s[k]["arena_bytes_measured"] for k in s if k != "float"},
                     **{f"{k}_metric": round(s[k]["metric"], 3) for k in s},
                     "saving_vs_int8_percent": round(100 * r["flash_saving_vs_int8"], 1),
                     "metric_loss_vs_int8": round(r["metric_loss_vs_int8"], 3), "target_met": r["target_met"],
                     "synthetic": r["synthetic_data"]})
    return rows

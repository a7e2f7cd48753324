"""Keras model dir -> model_float.tflite + model_int8.tflite (full-integer int8), in a child process.

The int8 model is "full integer": int8 input and output, only TFLITE_BUILTINS_INT8 kernels,
activation ranges calibrated on the given representative windows (one window per calibration
step, batch 1). The model is traced with a fixed batch of 1 so that each Keras LSTM layer becomes
one fused UNIDIRECTIONAL_SEQUENCE_LSTM op; a WHILE loop in the result is an error.

The converter runs in a child process (`gaitnode.quantize.convert_child`) because it can abort
the process it runs in; a crash or a failure becomes a GaitnodeError naming the model.

Determinism: the same model.keras and windows give byte-identical files, wherever the model
dir lies. The converter's CONVERSION_METADATA block holds only the TF version, the conversion
options and a hash TF computes from the converted model's own structure (tensorflow.lite.python.
util.get_model_hash), all functions of the inputs, so nothing needs normalising; tests check it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from gaitnode.errors import GaitnodeError, refuse_existing
from gaitnode.quantize.tflite_model import parse

FLOAT_FILE = "model_float.tflite"
INT8_FILE = "model_int8.tflite"
FUSED_LSTM = "UNIDIRECTIONAL_SEQUENCE_LSTM"


@dataclass(frozen=True)
class Conversion:
    """Result of `convert`.

    float_path / int8_path: the written .tflite files. float_tflite / int8_tflite: their bytes.
    ops: builtin op names of the int8 model in execution order. n_lstm_layers: Keras LSTM layers
    in the model (each is one fused op). tf_version: TensorFlow that converted it.
    """

    float_path: Path
    int8_path: Path
    float_tflite: bytes = field(repr=False)
    int8_tflite: bytes = field(repr=False)
    ops: list[str]
    n_lstm_layers: int
    tf_version: str


def check_windows(x, window: int, channels: int, *, what: str) -> np.ndarray:
    """`x` as float32 [n, window, channels] (n >= 1, all finite); GaitnodeError naming `what` otherwise."""
    arr = np.asarray(x)
    if arr.dtype.kind not in "fiu":
        raise GaitnodeError(f"{what}: expected numeric windows, got dtype {arr.dtype}")
    if arr.ndim != 3 or arr.shape[1:] != (window, channels) or arr.shape[0] < 1:
        raise GaitnodeError(f"{what}: expected windows of shape [n >= 1, {window}, {channels}], got {list(arr.shape)}")
    arr = arr.astype(np.float32, copy=False)
    if not np.isfinite(arr).all():
        bad = np.argwhere(~np.isfinite(arr))[0]
        raise GaitnodeError(f"{what}: non-finite value at window {bad[0]}, sample {bad[1]}, channel {bad[2]}")
    return arr


def _child_command(model: Path, rep: Path, out_dir: Path, window: int, channels: int,
                   outputs: int | None = None) -> list[str]:
    cmd = [sys.executable, "-m", "gaitnode.quantize.convert_child", "--model", str(model),
           "--representative", str(rep), "--out-dir", str(out_dir), "--window", str(window),
           "--channels", str(channels)]
    return cmd if outputs is None or outputs == window else cmd + ["--outputs", str(outputs)]


def _failure(model: Path, returncode: int, stderr: str) -> GaitnodeError:
    from gaitnode.quantize.convert_child import ERROR_MARKER

    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    marked = [ln[len(ERROR_MARKER):] for ln in lines if ln.startswith(ERROR_MARKER)]
    last = marked[-1] if marked else (lines[-1] if lines else "no output on stderr")
    if returncode < 0:
        try:
            how = f"killed by {signal.Signals(-returncode).name}"
        except ValueError:
            how = f"killed by signal {-returncode}"
    else:
        how = f"exit status {returncode}"
    return GaitnodeError(f"{model}: TFLite conversion failed ({how}): {last}")


def convert(model_dir, representative_x, *, out_dir=None, overwrite: bool = False,
            timeout_s: float = 3600.0) -> Conversion:
    """Convert `model_dir`/model.keras to model_float.tflite and model_int8.tflite in `out_dir`.

    representative_x: float32 [n, W, C] normalised windows (W, C as in model.json) for the int8
        calibration. out_dir: defaults to model_dir. overwrite: replace existing .tflite files
        (otherwise GaitnodeError). timeout_s: limit for the child process, seconds.
    """
    from gaitnode.training.model_dir import MODEL_FILE, load_meta, output_width

    model_dir = Path(model_dir)
    meta = load_meta(model_dir)
    window, channels = int(meta["window"]), len(meta["channels"])
    outputs = output_width(meta)
    model_path = model_dir / MODEL_FILE
    if not model_path.is_file():
        raise GaitnodeError(f"{model_path}: no such file (the model directory is incomplete)")
    rep = check_windows(representative_x, window, channels, what="representative windows")
    out_dir = Path(out_dir) if out_dir is not None else model_dir
    targets = [out_dir / FLOAT_FILE, out_dir / INT8_FILE]
    refuse_existing(targets, overwrite=overwrite)

    with tempfile.TemporaryDirectory(prefix="gaitnode-convert-") as tmp:
        tmp = Path(tmp)
        np.save(tmp / "representative.npy", rep)
        env = dict(os.environ, PYTHONHASHSEED="0")
        try:
            proc = subprocess.run(_child_command(model_path, tmp / "representative.npy", tmp, window, channels,
                                                 outputs),
                                  capture_output=True, text=True, env=env, timeout=timeout_s)
        except subprocess.TimeoutExpired:
            raise GaitnodeError(f"{model_path}: TFLite conversion did not finish within {timeout_s:g} s") from None
        if proc.returncode != 0:
            raise _failure(model_path, proc.returncode, proc.stderr)
        float_bytes = (tmp / FLOAT_FILE).read_bytes()
        int8_bytes = (tmp / INT8_FILE).read_bytes()
        info = json.loads((tmp / "child.json").read_text())

    ops = parse(int8_bytes, what=f"{model_path} (converted int8)").op_names
    if "WHILE" in ops:
        raise GaitnodeError(f"{model_path}: conversion produced a WHILE loop (ops {ops}); TFLite-Micro needs the "
                            "fused UNIDIRECTIONAL_SEQUENCE_LSTM op (build the model with tf_keras LSTM layers)")
    n_fused = ops.count(FUSED_LSTM)
    if n_fused != info["n_lstm_layers"]:
        raise GaitnodeError(f"{model_path}: {info['n_lstm_layers']} Keras LSTM layers became {n_fused} fused "
                            f"{FUSED_LSTM} ops (ops {ops})")

    out_dir.mkdir(parents=True, exist_ok=True)
    for path, data in zip(targets, (float_bytes, int8_bytes)):
        tmp_path = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp_path.write_bytes(data)
        os.replace(tmp_path, path)
    return Conversion(float_path=targets[0], int8_path=targets[1], float_tflite=float_bytes, int8_tflite=int8_bytes,
                      ops=ops, n_lstm_layers=int(info["n_lstm_layers"]), tf_version=str(info["tf_version"]))

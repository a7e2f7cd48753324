"""Child process of `gaitnode.quantize.convert`: one Keras model -> float and int8 .tflite files.

Run as `python -m gaitnode.quantize.convert_child --model M --representative R.npy --out-dir D
--window W --channels C [--outputs K]` (K outputs per window: W for heel strike, the default; 1
for VO2). It runs apart from the caller because the TFLite converter can abort
the whole process (a C++ CHECK failure, a segmentation fault) instead of raising.

Writes into D: model_float.tflite, model_int8.tflite and child.json ({"n_lstm_layers",
"tf_version"}). On a Python-level failure it prints one line starting with ERROR_MARKER as the
last stderr line and exits with status 3.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ERROR_MARKER = "gaitnode-convert-error: "


def _concrete_function(tf, model, window: int, channels: int):
    # A batch-1 input signature: the LSTM then converts to one fused
    # UNIDIRECTIONAL_SEQUENCE_LSTM op with static shapes (a dynamic batch can leave a WHILE loop).
    fn = tf.function(lambda x: model(x, training=False))
    return fn.get_concrete_function(tf.TensorSpec([1, window, channels], tf.float32, name="x"))


def convert(model_path: Path, representative: np.ndarray, out_dir: Path, window: int, channels: int,
            outputs: int | None = None) -> None:
    from gaitnode import tf_env

    tf, keras = tf_env.load()
    model = keras.models.load_model(str(model_path), compile=False)
    in_shape = tuple(model.input_shape)
    out_shape = tuple(model.output_shape)
    outputs = window if outputs is None else outputs
    # A classifier may output [batch, hop, classes]: what counts is the number of values per window.
    if in_shape[1:] != (window, channels) or int(np.prod(out_shape[1:])) != outputs:
        raise ValueError(f"model input {in_shape} / output {out_shape} do not match model.json "
                         f"(window {window}, {channels} channels: expected (None, {window}, {channels}) -> "
                         f"(None, {outputs}))")
    n_lstm = sum(isinstance(m, keras.layers.LSTM) for m in model.submodules)

    def representative_dataset():
        for i in range(representative.shape[0]):
            yield [representative[i:i + 1]]

    concrete = _concrete_function(tf, model, window, channels)
    float_bytes = tf.lite.TFLiteConverter.from_concrete_functions([concrete], model).convert()

    conv = tf.lite.TFLiteConverter.from_concrete_functions([concrete], model)
    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    conv.representative_dataset = representative_dataset
    conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    conv.inference_input_type = tf.int8
    conv.inference_output_type = tf.int8
    int8_bytes = conv.convert()

    (out_dir / "model_float.tflite").write_bytes(float_bytes)
    (out_dir / "model_int8.tflite").write_bytes(int8_bytes)
    info = {"n_lstm_layers": int(n_lstm), "tf_version": tf.__version__}
    (out_dir / "child.json").write_text(json.dumps(info, sort_keys=True))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="gaitnode.quantize.convert_child")
    ap.add_argument("--model", type=Path, required=True)
    ap.add_argument("--representative", type=Path, required=True)
    ap.add_argument("--out-dir", type=Path, required=True)
    ap.add_argument("--window", type=int, required=True)
    ap.add_argument("--channels", type=int, required=True)
    ap.add_argument("--outputs", type=int, default=None, help="outputs per window (default: the window)")
    args = ap.parse_args(argv)
    try:
        rep = np.load(args.representative).astype(np.float32, copy=False)
        convert(args.model, rep, args.out_dir, args.window, args.channels, args.outputs)
    except Exception as e:  # reported to the parent as one line; it raises the GaitnodeError
        msg = " ".join(str(e).split())[:500] or "(no message)"
        print(f"{ERROR_MARKER}{type(e).__name__}: {msg}", file=sys.stderr, flush=True)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Child process of `vo2_hr_device`: the VO2-from-HR recurrent core (one second) -> float and int8 .tflite.

Run as `python -m gaitnode.training.vo2_hr_convert_child --weights W.npz --representative R.npz --out-dir D`.
It runs apart from the caller because the TFLite converter can abort the process it runs in (as
`gaitnode.quantize.convert_child`, whose conventions it follows). The core is one second of the
model: inputs features [1, F] (standardised) and the GRU state [1, H]; outputs the new state [1, H]
and the seven raw head values [1, K]; fixed batch 1, no loop (the node calls it once per second and
keeps the state). Full-integer int8: int8 inputs and outputs, TFLITE_BUILTINS_INT8 kernels only.

Writes into D: step_float.tflite, step_int8.tflite and child.json ({"tf_version"}). On a Python-level
failure it prints one line starting with ERROR_MARKER as the last stderr line and exits with status 3.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ERROR_MARKER = "gaitnode-convert-error: "


def step_function(tf, w: dict):
    """The one-second core as a tf.function of (features [1, F], state [1, H]) with the weights as constants."""
    c = {k: tf.constant(np.asarray(v, np.float32)) for k, v in w.items()}
    F, H = c["enc_w"].shape[0], c["rec_w"].shape[0]

    @tf.function(input_signature=[tf.TensorSpec([1, F], tf.float32, name="features"),
                                  tf.TensorSpec([1, H], tf.float32, name="state")])
    def step(features, state):
        e = tf.nn.leaky_relu(tf.matmul(features, c["enc_w"]) + c["enc_b"], alpha=0.1)
        xz, xr, xh = tf.split(tf.matmul(e, c["in_w"]) + c["in_b"], 3, axis=1)
        rz, rr, rh = tf.split(tf.matmul(state, c["rec_w"]) + c["rec_b"], 3, axis=1)
        z = tf.sigmoid(xz + rz)
        hh = tf.tanh(xh + tf.sigmoid(xr + rr) * rh)
        h = hh + z * (state - hh)
        heads = tf.matmul(h, c["head_w"]) + c["head_b"]
        return {"new_state": h, "heads": heads}

    return step


def convert(weights: dict, representative: dict, out_dir: Path) -> None:
    from gaitnode import tf_env

    tf, _ = tf_env.load()
    step = step_function(tf, weights)
    concrete = step.get_concrete_function()
    feats, states = representative["features"], representative["state"]

    def representative_dataset():
        for i in range(len(feats)):
            yield [feats[i:i + 1], states[i:i + 1]]  # in the concrete function's input order

    float_bytes = tf.lite.TFLiteConverter.from_concrete_functions([concrete]).convert()
    conv = tf.lite.TFLiteConverter.from_concrete_functions([concrete])
    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    conv.representative_dataset = representative_dataset
    conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    conv.inference_input_type = tf.int8
    conv.inference_output_type = tf.int8
    int8_bytes = conv.convert()
    (out_dir / "step_float.tflite").write_bytes(float_bytes)
    (out_dir / "step_int8.tflite").write_bytes(int8_bytes)
    (out_dir / "child.json").write_text(json.dumps({"tf_version": tf.__version__}, sort_keys=True))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="gaitnode.training.vo2_hr_convert_child")
    ap.add_argument("--weights", type=Path, required=True)
    ap.add_argument("--representative", type=Path, required=True)
    ap.add_argument("--out-dir", type=Path, required=True)
    args = ap.parse_args(argv)
    try:
        with np.load(args.weights) as w, np.load(args.representative) as r:
            convert({k: w[k] for k in w.files}, {k: r[k].astype(np.float32) for k in r.files}, args.out_dir)
    except Exception as e:  # reported to the parent as one line; it raises the GaitnodeError
        msg = " ".join(str(e).split())[:500] or "(no message)"
        print(f"{ERROR_MARKER}{type(e).__name__}: {msg}", file=sys.stderr, flush=True)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())

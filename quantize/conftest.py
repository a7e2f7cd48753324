"""Shared fixtures for the quantize tests: one tiny trained model, converted once per test worker.

The model (Conv1D 8 -> BatchNorm -> MaxPool 2 -> LSTM 8 -> Dense 2 sigmoid -> Reshape) maps
[batch, 32, 6] -> [batch, 32] like the heel-strike models, and is trained for one epoch on
random data (seeded) so that BatchNorm statistics and weights are not at their initial values.
Conversion takes seconds, so the Quantizer runs once per session and tests share its outputs.
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest

W, C = 32, 6
CHANNELS = ["acc_x", "acc_y", "acc_z", "gyr_x", "gyr_y", "gyr_z"]


def tiny_meta() -> dict:
    """A model.json dict for the tiny model (contract fields, values chosen to be distinguishable)."""
    return {
        "format": "gaitnode-model", "version": 1, "task": "heel_strike", "architecture": "cnn_lstm",
        "placement": "shank", "rate_hz": 100.0, "channels": list(CHANNELS), "window": W, "hop": 8,
        "output_delay": 3, "label_half_width": 5, "norm_mean": [0.1, -9.81, 0.3, 1.5, -2.25, 0.0],
        "norm_std": [2.0, 3.5, 1.25, 110.0, 95.5, 60.0], "threshold": 0.45, "min_interval_s": 0.35, "seed": 0,
        "synthetic_training_data": True, "training": {"epochs": 1, "note": "quantize test model, random data"},
    }


def random_windows(n: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(n, W, C)).astype(np.float32)


def build_tiny_model(keras):
    inp = keras.Input((W, C))
    x = keras.layers.Conv1D(8, 2, padding="same", activation="relu")(inp)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.MaxPool1D(2)(x)
    x = keras.layers.LSTM(8, return_sequences=True)(x)
    x = keras.layers.Dense(2, activation="sigmoid")(x)
    out = keras.layers.Reshape((W,))(x)
    return keras.Model(inp, out)


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory):
    """A trained tiny model dir (model.keras + model.json); treat as read-only."""
    from gaitnode import tf_env
    from gaitnode.training.model_dir import save_model_dir

    tf, keras = tf_env.load()
    tf_env.set_seed(0)
    model = build_tiny_model(keras)
    model.compile(optimizer="adam", loss="binary_crossentropy")
    x = random_windows(64, 1)
    y = (np.random.default_rng(2).random((64, W)) < 0.15).astype(np.float32)
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    return save_model_dir(tmp_path_factory.mktemp("tiny") / "model", model, tiny_meta())


def copy_model_dir(src, dst):
    """A fresh copy of the model dir's model.keras and model.json only."""
    dst.mkdir(parents=True)
    for name in ("model.keras", "model.json"):
        shutil.copy2(src / name, dst / name)
    return dst


@pytest.fixture(scope="session")
def quantized(tiny_model_dir, tmp_path_factory):
    """Quantizer run on a copy of the tiny model dir (all outputs written there); treat as read-only."""
    from gaitnode.quantize.quantizer import Quantizer

    d = copy_model_dir(tiny_model_dir, tmp_path_factory.mktemp("quantized") / "model")
    return Quantizer().run(d, random_windows(24, 3), random_windows(10, 4))


@pytest.fixture(scope="session")
def int8_bytes(quantized):
    return quantized.paths_["int8_tflite"].read_bytes()


@pytest.fixture(scope="session")
def float_bytes(quantized):
    return quantized.paths_["float_tflite"].read_bytes()


@pytest.fixture(scope="session")
def edit_tflite():
    """edit_tflite(tflite_bytes, mutate): the model after mutate(ModelT) (the flatbuffer object API)."""
    import flatbuffers
    from ai_edge_litert import schema_py_generated as s

    def _edit(tflite_bytes: bytes, mutate) -> bytes:
        model = s.ModelT.InitFromObj(s.Model.GetRootAsModel(bytes(tflite_bytes), 0))
        mutate(model)
        builder = flatbuffers.Builder(1024)
        builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
        return bytes(builder.Output())

    return _edit


@pytest.fixture(scope="session")
def replace_op(edit_tflite):
    """replace_op(tflite_bytes, old, new): the model with builtin op `old` renamed to `new` (same operands)."""
    from ai_edge_litert import schema_py_generated as s

    codes = {k: v for k, v in vars(s.BuiltinOperator).items() if not k.startswith("_")}

    def _replace(tflite_bytes: bytes, old: str, new: str) -> bytes:
        def mutate(model):
            hits = 0
            for code in model.operatorCodes:
                if max(int(code.builtinCode), int(code.deprecatedBuiltinCode)) == codes[old]:
                    code.builtinCode = codes[new]
                    code.deprecatedBuiltinCode = min(codes[new], 127)
                    hits += 1
            assert hits, f"no {old} op in the model"

        return edit_tflite(tflite_bytes, mutate)

    return _replace


PROBE_CPP = r"""
#include <cstdint>
#include <cstdio>
#include "@name@_model_data.h"
#include "@name@_model_config.h"

#define PRINT_OP(method) std::printf("op %s\n", #method);

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  std::FILE* f = std::fopen(argv[1], "wb");
  if (!f) return 3;
  std::fwrite(g_@name@_model_data, 1, g_@name@_model_data_len, f);
  std::fclose(f);
  std::printf("aligned16 %d\n", (int)(reinterpret_cast<std::uintptr_t>(g_@name@_model_data) % 16 == 0));
  std::printf("window %d\nchannels %d\nhop %d\noutput_delay %d\nlabel_half_width %d\n", GN_@NAME@_WINDOW,
              GN_@NAME@_CHANNELS, GN_@NAME@_HOP, GN_@NAME@_OUTPUT_DELAY, GN_@NAME@_LABEL_HALF_WIDTH);
  std::printf("rate_hz %.9g\nthreshold %.9g\nmin_interval_s %.9g\nmin_interval_samples %d\n",
              (double)GN_@NAME@_RATE_HZ, (double)GN_@NAME@_THRESHOLD, (double)GN_@NAME@_MIN_INTERVAL_S,
              GN_@NAME@_MIN_INTERVAL_SAMPLES);
  std::printf("input_scale %.9g\ninput_zero_point %d\noutput_scale %.9g\noutput_zero_point %d\n",
              (double)GN_@NAME@_INPUT_SCALE, GN_@NAME@_INPUT_ZERO_POINT, (double)GN_@NAME@_OUTPUT_SCALE,
              GN_@NAME@_OUTPUT_ZERO_POINT);
  for (int c = 0; c < GN_@NAME@_CHANNELS; ++c)
    std::printf("norm_mean %.9g\nnorm_std %.9g\nchannel_index %d\n", (double)gn_@name@_norm_mean[c],
                (double)gn_@name@_norm_std[c], (int)gn_@name@_channel_index[c]);
  std::printf("release %.9g\nplacement %d\n", (double)GN_@NAME@_RELEASE, GN_@NAME@_PLACEMENT);
  std::printf("arena_bytes %d\narena_bytes_measured %d\nop_count %d\n", GN_@NAME@_ARENA_BYTES,
              GN_@NAME@_ARENA_BYTES_MEASURED, GN_@NAME@_OP_COUNT);
  GN_@NAME@_OPS(PRINT_OP)
  std::printf("model_bytes %d\nsha256 %s\n", GN_@NAME@_MODEL_BYTES, GN_@NAME@_MODEL_SHA256);
  return 0;
}
"""

PROBE_C = r"""
#include <stdio.h>
#include "@name@_model_config.h"
#define PRINT_OP(method) printf("op %s\n", #method);
int main(void) {
  printf("window %d\ninput_scale %.9g\nnorm_std %.9g\n", GN_@NAME@_WINDOW, (double)GN_@NAME@_INPUT_SCALE,
         (double)gn_@name@_norm_std[GN_@NAME@_CHANNELS - 1]);
  GN_@NAME@_OPS(PRINT_OP)
  return 0;
}
"""


def _parse_probe(stdout: str) -> dict:
    values: dict = {}
    for line in stdout.splitlines():
        key, value = line.split(" ", 1)
        values.setdefault(key, []).append(value)
    return {k: v[0] if len(v) == 1 and k not in ("norm_mean", "norm_std", "channel_index", "op") else v for k, v in values.items()}


def probe_c_sources(c_dir, name: str, work) -> tuple[bytes, dict, dict]:
    """Compile programs against the generated sources in `c_dir` (g++ -std=c++17 and gcc -std=c99,
    -Wall -Wextra -Werror) and run them: (model bytes written by the C++ program, its printed
    values, the C program's printed values). Values are strings (lists for per-channel and ops)."""
    import subprocess

    def run(cmd):
        proc = subprocess.run(cmd, capture_output=True, text=True)
        assert proc.returncode == 0, f"{' '.join(cmd)} failed:\n{proc.stderr}"
        return proc.stdout

    work.mkdir(parents=True, exist_ok=True)
    subs = lambda text: text.replace("@name@", name).replace("@NAME@", name.upper())  # noqa: E731
    (work / "probe.cc").write_text(subs(PROBE_CPP))
    (work / "probe_c.c").write_text(subs(PROBE_C))
    flags = ["-Wall", "-Wextra", "-Werror", f"-I{c_dir}"]
    run(["g++", "-std=c++17", *flags, "-o", str(work / "probe"), str(work / "probe.cc"),
         str(c_dir / f"{name}_model_data.cc")])
    run(["gcc", "-std=c99", "-pedantic", *flags, "-o", str(work / "probe_c"), str(work / "probe_c.c")])
    out = run([str(work / "probe"), str(work / "model.bin")])
    out_c = run([str(work / "probe_c")])
    return (work / "model.bin").read_bytes(), _parse_probe(out), _parse_probe(out_c)

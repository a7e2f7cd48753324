"""The classifier config header (phase, activity): compiled by the C compiler, it carries the
gn_class_model contract; model.json problems and channels a node lacks are refused."""

from __future__ import annotations

import subprocess

import pytest

from gaitnode.ccore.build import find_compiler
from gaitnode.errors import GaitnodeError
from gaitnode.quantize.c_export import write_c_arrays
from gaitnode.quantize.classifier_config import class_codes, classifier_config_header

QUANT = {"input_scale": 0.0078125, "input_zero_point": -1, "output_scale": 0.00390625, "output_zero_point": -128,
         "ops": ["CONV_2D", "UNIDIRECTIONAL_SEQUENCE_LSTM", "SOFTMAX"], "arena_bytes": 9216,
         "arena_bytes_measured": 8192, "arena_tail_bytes": 3040}

PROBE = r"""
#include <stdio.h>
#include "phase_model_config.h"
#include "phase_model_data.h"
#define PRINT_OP(method) printf("op %s\n", #method);
int main(void) {
  printf("window %d hop %d channels %d rate %.9g classes %d last_hop %d\n", GN_PHASE_WINDOW, GN_PHASE_HOP,
         GN_PHASE_CHANNELS, (double)GN_PHASE_RATE_HZ, GN_PHASE_N_CLASSES, GN_PHASE_LAST_HOP);
  for (int k = 0; k < GN_PHASE_N_CLASSES; ++k) printf("code %d\n", gn_phase_class_codes[k]);
  printf("in %.9g %d out %.9g %d\n", (double)GN_PHASE_INPUT_SCALE, GN_PHASE_INPUT_ZERO_POINT,
         (double)GN_PHASE_OUTPUT_SCALE, GN_PHASE_OUTPUT_ZERO_POINT);
  for (int c = 0; c < GN_PHASE_CHANNELS; ++c)
    printf("norm %.9g %.9g %d\n", (double)gn_phase_norm_mean[c], (double)gn_phase_norm_std[c],
           (int)gn_phase_channel_index[c]);
  printf("arena %d persistent %d bytes %d\n", GN_PHASE_ARENA_BYTES, GN_PHASE_ARENA_PERSISTENT_BYTES,
         GN_PHASE_MODEL_BYTES);
  GN_PHASE_OPS(PRINT_OP)
  return 0;
}
"""


def phase_meta(**over) -> dict:
    meta = {"format": "gaitnode-model", "version": 1, "task": "gait_phase", "architecture": "resnet_lstm",
            "placement": "shank", "rate_hz": 100.0, "channels": ["gyr_z", "acc_x"], "window": 40, "hop": 10,
            "norm_mean": [1.5, -9.0], "norm_std": [300.0, 20.0], "input_clip": 1.5,
            "classes": ["HS", "ST", "HO", "SW"], "output": "last_hop", "seed": 0,
            "synthetic_training_data": True, "training": {}}
    meta.update(over)
    return meta


def test_header_compiles_and_carries_the_contract(tmp_path):
    data = bytes(range(200))
    write_c_arrays(data, phase_meta(classes=["SW", "HS", "HO", "ST"]), QUANT, tmp_path, name="phase")
    (tmp_path / "probe.c").write_text(PROBE)
    exe = tmp_path / "probe"
    subprocess.run([find_compiler(), "-std=c11", "-Wall", "-Werror", "-Wno-unused-const-variable",
                    "-Wno-unused-variable", f"-I{tmp_path}", str(tmp_path / "probe.c"), "-o", str(exe)], check=True)
    out = subprocess.run([str(exe)], capture_output=True, text=True, check=True).stdout.splitlines()
    assert out[0] == "window 40 hop 10 channels 2 rate 100 classes 4 last_hop 1"
    assert out[1:5] == ["code 3", "code 0", "code 2", "code 1"]  # SW HS HO ST as protocol codes
    assert out[5] == "in 0.0078125 -1 out 0.00390625 -128"
    assert out[6:8] == ["norm 1.5 300 5", "norm -9 20 0"]  # gyr_z is sample axis 5, acc_x 0
    assert out[8] == "arena 9216 persistent 3040 bytes 200"
    assert sorted(out[9:]) == ["op AddConv2D", "op AddSoftmax", "op AddUnidirectionalSequenceLSTM"]


def test_activity_codes_index_the_activities():
    meta = phase_meta(task="activity", classes=["laying", "walking", "running"], output="window", rate_hz=50.0)
    assert class_codes(meta) == [5, 0, 6]
    assert "#define GN_ACTIVITY_LAST_HOP 0" in classifier_config_header(b"\0" * 8, meta, QUANT, "activity")


@pytest.mark.parametrize("over, message", [
    ({"channels": ["acc_x", "fsr_heel"], "norm_mean": [0, 0], "norm_std": [1, 1]},
     "model channel 'fsr_heel' is not an IMU channel of the node"),
    ({"classes": ["HS", "walking"]}, "field classes: 'walking' is not one of HS, ST, HO, SW"),
    ({"output": "per_sample"}, "field output"),
    ({"task": "vo2"}, "target.* is a required property"),  # checked as the VO2 model it says it is
])
def test_bad_metadata_is_refused(over, message):
    with pytest.raises(GaitnodeError, match=message):
        classifier_config_header(b"\0" * 8, phase_meta(**over), QUANT, "phase")

import json
import subprocess

import numpy as np
import pytest

from gaitnode.errors import GaitnodeError
from gaitnode.quantize.conftest import tiny_meta
from gaitnode.quantize.vo2_config import vo2_config_header

PROBE = r"""
#include <stdio.h>
#include "vo2_model_config.h"
#include "vo2_model_data.h"
#define PRINT_OP(method) printf("op %s\n", #method);
int main(void) {
  printf("window %d\nhop %d\nchannels %d\nrate_hz %.9g\nsmooth_tau_s %.9g\nplacement %d\n", GN_VO2_WINDOW,
         GN_VO2_HOP, GN_VO2_CHANNELS, (double)GN_VO2_RATE_HZ, (double)GN_VO2_SMOOTH_TAU_S, GN_VO2_PLACEMENT);
  printf("input_scale %.9g\ninput_zero_point %d\noutput_scale %.9g\noutput_zero_point %d\n",
         (double)GN_VO2_INPUT_SCALE, GN_VO2_INPUT_ZERO_POINT, (double)GN_VO2_OUTPUT_SCALE, GN_VO2_OUTPUT_ZERO_POINT);
  for (int c = 0; c < GN_VO2_CHANNELS; ++c)
    printf("norm %.9g %.9g %d\n", (double)gn_vo2_norm_mean[c], (double)gn_vo2_norm_std[c],
           (int)gn_vo2_channel_index[c]);
  printf("arena_bytes %d\nmodel_bytes %d\nsha256 %s\nop_count %d\n", GN_VO2_ARENA_BYTES, GN_VO2_MODEL_BYTES,
         GN_VO2_MODEL_SHA256, GN_VO2_OP_COUNT);
  GN_VO2_OPS(PRINT_OP)
  return 0;
}
"""


@pytest.fixture(scope="module")
def vo2_model_dir():
    from gaitnode.twin.testing import small_vo2_model

    return small_vo2_model()


def test_vo2_config_header_compiles_and_carries_the_contract(vo2_model_dir, tmp_path):
    c_dir = vo2_model_dir / "c"
    assert sorted(p.name for p in c_dir.iterdir()) == ["vo2_model_config.h", "vo2_model_data.cc",
                                                       "vo2_model_data.h"]
    (tmp_path / "probe.c").write_text(PROBE)
    subprocess.run(["gcc", "-std=c99", "-pedantic", "-Wall", "-Wextra", "-Werror", f"-I{c_dir}", "-o",
                    str(tmp_path / "probe"), str(tmp_path / "probe.c")], check=True, capture_output=True)
    out = subprocess.run([str(tmp_path / "probe")], check=True, capture_output=True, text=True).stdout
    lines = [ln.split(" ", 1) for ln in out.splitlines()]
    v = {k: x for k, x in lines if k not in ("norm", "op")}
    meta = json.loads((vo2_model_dir / "model.json").read_text())
    q = json.loads((vo2_model_dir / "quantize.json").read_text())
    assert (int(v["window"]), int(v["hop"]), int(v["channels"]), int(v["placement"])) == (128, 100, 6, 0)
    assert np.float32(v["smooth_tau_s"]) == np.float32(meta["smooth_tau_s"])
    assert np.float32(v["output_scale"]) == np.float32(q["output_scale"])
    assert int(v["output_zero_point"]) == q["output_zero_point"] and int(v["input_zero_point"]) == q["input_zero_point"]
    assert v["sha256"] == q["model_sha256"] and int(v["model_bytes"]) == q["model_int8_bytes"]
    assert int(v["arena_bytes"]) == q["arena_bytes"] <= 32768 and q["model_int8_bytes"] <= 65536
    norms = [x.split() for k, x in lines if k == "norm"]
    np.testing.assert_array_equal([np.float32(n[1]) for n in norms], np.float32(meta["norm_std"]))
    assert [int(n[2]) for n in norms] == [0, 1, 2, 3, 4, 5]
    assert [x for k, x in lines if k == "op"] == q["op_resolver_methods"]
    assert int(v["op_count"]) == len(q["op_resolver_methods"])


def test_vo2_report_has_the_error_relative_to_vo2(vo2_model_dir):
    q = json.loads((vo2_model_dir / "quantize.json").read_text())
    rel = q["tflm_vs_float_relative"]
    assert 0 <= rel["mean"] <= rel["p95"] <= rel["max"] < 0.1
    assert q["fused_lstm"] and "UNIDIRECTIONAL_SEQUENCE_LSTM" in q["ops"]
    assert not q["over_model_budget"] and not q["over_arena_budget"]


def test_vo2_header_refuses_a_heel_strike_model():
    quant = {"input_scale": 0.05, "input_zero_point": 0, "output_scale": 0.1, "output_zero_point": -128,
             "ops": ["FULLY_CONNECTED"], "arena_bytes": 2048, "arena_bytes_measured": 1024}
    with pytest.raises(GaitnodeError, match="task 'heel_strike' is not a VO2 model"):
        vo2_config_header(b"\x00" * 16, tiny_meta(), quant)

import hashlib

import numpy as np
import pytest

from gaitnode.errors import GaitnodeError
from gaitnode.quantize.c_export import c_float, write_c_arrays
from gaitnode.quantize.conftest import probe_c_sources, tiny_meta

OPS = ["RESHAPE", "CONV_2D", "UNIDIRECTIONAL_SEQUENCE_LSTM", "FULLY_CONNECTED", "LOGISTIC", "RESHAPE"]


def _quant(**over):
    q = {"input_scale": 0.028413167223334312, "input_zero_point": -10, "output_scale": 0.00390625,
         "output_zero_point": -128, "ops": OPS, "arena_bytes": 7008, "arena_bytes_measured": 5984}
    q.update(over)
    return q


@pytest.fixture(scope="module")
def blob():
    # Not a real model: the C export copies bytes; 1001 is not a multiple of 12 (last line short).
    return np.random.default_rng(5).integers(0, 256, 1001, dtype=np.uint8).tobytes()


def test_generated_sources_compile_and_hold_the_bytes_and_metadata(blob, tmp_path):
    meta = tiny_meta()
    paths = write_c_arrays(blob, meta, _quant(), tmp_path / "c", name="gait_hs")
    assert {p.name for p in paths.values()} == {"gait_hs_model_data.h", "gait_hs_model_data.cc",
                                                 "gait_hs_model_config.h"}
    data, v, vc = probe_c_sources(tmp_path / "c", "gait_hs", tmp_path / "probe")
    assert data == blob
    assert v["aligned16"] == "1"
    for key in ("window", "hop", "output_delay", "label_half_width"):
        assert int(v[key]) == meta[key]
    assert int(v["channels"]) == len(meta["channels"])
    for key in ("rate_hz", "threshold", "min_interval_s"):
        assert np.float32(v[key]) == np.float32(meta[key])
    assert int(v["min_interval_samples"]) == 35
    assert np.float32(v["release"]) == np.float32(0.8 * meta["threshold"])
    assert int(v["placement"]) == 0  # shank
    assert [int(i) for i in v["channel_index"]] == [0, 1, 2, 3, 4, 5]
    q = _quant()
    assert np.float32(v["input_scale"]) == np.float32(q["input_scale"])
    assert np.float32(v["output_scale"]) == np.float32(q["output_scale"])
    assert int(v["input_zero_point"]) == -10 and int(v["output_zero_point"]) == -128
    assert [np.float32(x) for x in v["norm_mean"]] == [np.float32(x) for x in meta["norm_mean"]]
    assert [np.float32(x) for x in v["norm_std"]] == [np.float32(x) for x in meta["norm_std"]]
    assert int(v["arena_bytes"]) == 7008 and int(v["arena_bytes_measured"]) == 5984
    assert v["op"] == ["AddConv2D", "AddFullyConnected", "AddLogistic", "AddReshape",
                       "AddUnidirectionalSequenceLSTM"]
    assert int(v["op_count"]) == 5
    assert int(v["model_bytes"]) == 1001
    assert v["sha256"] == hashlib.sha256(blob).hexdigest()
    # The config header is valid C too.
    assert vc["op"] == v["op"] and vc["window"] == v["window"]
    assert np.float32(vc["norm_std"]) == np.float32(meta["norm_std"][-1])


def test_layout_and_determinism(blob, tmp_path):
    a = write_c_arrays(blob, tiny_meta(), _quant(), tmp_path / "a")
    b = write_c_arrays(blob, tiny_meta(), _quant(), tmp_path / "b")
    for key in a:
        assert a[key].read_bytes() == b[key].read_bytes()
    src = a["data_cc"].read_text()
    assert "alignas(16) const unsigned char g_heel_strike_model_data[] = {" in src
    assert "const unsigned int g_heel_strike_model_data_len = 1001;" in src
    rows = [ln for ln in src.splitlines() if ln.startswith("    0x")]
    assert len(rows) == 84 and all(r.count("0x") == 12 for r in rows[:-1]) and rows[-1].count("0x") == 5
    config = a["config_h"].read_text()
    assert "acc_x, acc_y, acc_z, gyr_x, gyr_y, gyr_z" in config
    assert "#ifndef GN_HEEL_STRIKE_MODEL_CONFIG_H_" in config
    other = write_c_arrays(blob, tiny_meta(), _quant(input_scale=0.03), tmp_path / "other")
    assert other["config_h"].read_bytes() != a["config_h"].read_bytes()


def test_c_float_round_trips():
    for v in (0.1, 100.0, 1 / 3, 1e-30, 3.4e38, -128.0, 0.028413167223334312, 123456789.0):
        text = c_float(v)
        assert text.endswith("f") and ("." in text or "e" in text)
        assert np.float32(float(text[:-1])) == np.float32(v)
    with pytest.raises(GaitnodeError, match="norm_std\\[2\\]: nan is not a finite number"):
        c_float(float("nan"), what="norm_std[2]")


def test_bad_inputs(blob, tmp_path):
    with pytest.raises(GaitnodeError, match="missing key 'arena_bytes'"):
        q = _quant()
        del q["arena_bytes"]
        write_c_arrays(blob, tiny_meta(), q, tmp_path)
    with pytest.raises(GaitnodeError, match="op GELU has no tflite::MicroMutableOpResolver method"):
        write_c_arrays(blob, tiny_meta(), _quant(ops=["CONV_2D", "GELU"]), tmp_path)
    with pytest.raises(GaitnodeError, match="C array name 'Heel-Strike' must be"):
        write_c_arrays(blob, tiny_meta(), _quant(), tmp_path, name="Heel-Strike")
    meta = tiny_meta()
    meta["norm_std"] = meta["norm_std"][:-1]
    with pytest.raises(GaitnodeError, match="norm_std: 5 values for 6 channels"):
        write_c_arrays(blob, meta, _quant(), tmp_path)
    assert not any(tmp_path.iterdir()), "nothing is written when the inputs are bad"
    write_c_arrays(blob, tiny_meta(), _quant(), tmp_path)
    with pytest.raises(GaitnodeError, match="already exists"):
        write_c_arrays(blob, tiny_meta(), _quant(), tmp_path)
    write_c_arrays(blob[:20], tiny_meta(), _quant(), tmp_path, overwrite=True)
    assert "g_heel_strike_model_data_len = 20;" in (tmp_path / "heel_strike_model_data.cc").read_text()

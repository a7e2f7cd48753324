import dataclasses
import json

import numpy as np
import pytest

from gaitnode.errors import GaitnodeError
from gaitnode.quantize.conftest import copy_model_dir, probe_c_sources, random_windows, tiny_meta
from gaitnode.quantize.quantizer import Quantizer, arena_with_margin, budget_flags


def test_report_file_and_attributes(quantized):
    r = quantized.report_
    text = quantized.paths_["report"].read_text()
    assert json.loads(text) == r
    assert list(json.loads(text)) == sorted(r)
    int8 = quantized.paths_["int8_tflite"].read_bytes()
    assert quantized.int8_bytes_ == r["model_int8_bytes"] == len(int8)
    assert r["model_float_bytes"] == quantized.paths_["float_tflite"].stat().st_size
    assert r["fused_lstm"] and "UNIDIRECTIONAL_SEQUENCE_LSTM" in r["ops"]
    assert "AddUnidirectionalSequenceLSTM" in r["op_resolver_methods"]
    assert r["arena_bytes_measured"] >= r["arena_bytes_recorded_total"] > 0
    assert quantized.arena_bytes_ == r["arena_bytes"] == arena_with_margin(r["arena_bytes_measured"], 0.10)
    assert r["input_zero_point"] in range(-128, 128) and r["input_scale"] > 0
    assert r["output_scale"] == pytest.approx(1 / 256) and r["output_zero_point"] == -128
    assert r["tflm_vs_float"]["max_abs"] < 0.05 and r["litert_vs_float"]["max_abs"] < 0.05
    assert r["tflm_vs_float"]["mean_abs"] <= r["tflm_vs_float"]["max_abs"]
    assert r["litert_float_vs_keras"]["max_abs"] < 1e-5
    assert r["tflm_vs_litert_max_abs"] <= 4 * r["output_scale"]
    assert (r["over_model_budget"], r["over_arena_budget"]) == (False, False)
    assert r["n_heldout_windows"] == 10 and r["n_representative_windows"] == 24
    assert r["synthetic_training_data"] is True


def test_c_sources_match_model_and_report(quantized, tmp_path):
    c_dir = quantized.paths_["config_h"].parent
    assert c_dir == quantized.paths_["report"].parent / "c"
    data, v, _ = probe_c_sources(c_dir, "heel_strike", tmp_path)
    r = quantized.report_
    assert data == quantized.paths_["int8_tflite"].read_bytes()
    assert v["sha256"] == r["model_sha256"]
    assert np.float32(v["input_scale"]) == np.float32(r["input_scale"])
    assert int(v["input_zero_point"]) == r["input_zero_point"]
    assert int(v["arena_bytes"]) == r["arena_bytes"]
    assert v["op"] == r["op_resolver_methods"]
    assert int(v["window"]) == tiny_meta()["window"]


def test_arena_with_margin():
    assert arena_with_margin(5984, 0.10) == 5984 + 1024  # 10 % < 1024 bytes: the minimum applies
    assert arena_with_margin(20000, 0.10) == 22000
    assert arena_with_margin(20001, 0.10) == 22016  # 20001 + 2001 = 22002, rounded up to 16
    assert arena_with_margin(10000, 0.0) == 11024


def test_budget_flags():
    assert budget_flags(70000, 1000, max_model_bytes=65536, max_arena_bytes=24576) == (True, False)
    assert budget_flags(65536, 24592, max_model_bytes=65536, max_arena_bytes=24576) == (False, True)


def test_existing_outputs_are_refused_before_any_work(quantized):
    d = quantized.paths_["report"].parent
    before = quantized.paths_["report"].read_text()
    with pytest.raises(GaitnodeError, match="already exists"):
        Quantizer().run(d, random_windows(2, 0), random_windows(2, 1))
    assert quantized.paths_["report"].read_text() == before


def test_bad_parameters_and_windows(tiny_model_dir):
    with pytest.raises(GaitnodeError, match="arena_margin must be a fraction >= 0"):
        Quantizer(arena_margin=-0.1).run(tiny_model_dir, random_windows(2, 0), random_windows(2, 1))
    with pytest.raises(GaitnodeError, match="max_arena_bytes must be a positive number of bytes"):
        Quantizer(max_arena_bytes=0).run(tiny_model_dir, random_windows(2, 0), random_windows(2, 1))
    with pytest.raises(GaitnodeError, match=r"held-out windows: expected windows of shape \[n >= 1, 32, 6\]"):
        Quantizer().run(tiny_model_dir, random_windows(2, 0), np.zeros((0, 32, 6), np.float32))


def test_a_failing_step_leaves_no_outputs(quantized, tiny_model_dir, tmp_path, monkeypatch):
    import gaitnode.quantize.quantizer as qmod

    d = copy_model_dir(tiny_model_dir, tmp_path / "m")
    done = quantized.conversion_

    def reuse_conversion(model_dir, rep, out_dir):  # the fixture's conversion, without a child process
        paths = {"float_path": out_dir / "model_float.tflite", "int8_path": out_dir / "model_int8.tflite"}
        paths["float_path"].write_bytes(done.float_tflite)
        paths["int8_path"].write_bytes(done.int8_tflite)
        return dataclasses.replace(done, **paths)

    def no_tflm(tflite_bytes, what):
        raise GaitnodeError(f"{what}: model uses ops TFLM cannot run: X")

    monkeypatch.setattr(qmod, "convert", reuse_conversion)
    monkeypatch.setattr(qmod, "arena_report", no_tflm)
    with pytest.raises(GaitnodeError, match=r"m/model_int8\.tflite: model uses ops TFLM cannot run: X"):
        Quantizer().run(d, random_windows(2, 0), random_windows(2, 1))
    assert sorted(p.name for p in d.iterdir()) == ["model.json", "model.keras"]


def test_arena_parts_for_a_shared_arena(quantized):
    """TFLM's recorded head (non-persistent) and tail (persistent) add up to its recorded total; the
    tail reaches the config header, from which the build sizes the arena the models share."""
    r = quantized.report_
    assert r["arena_head_bytes"] > 0 and r["arena_tail_bytes"] > 0
    assert r["arena_head_bytes"] + r["arena_tail_bytes"] == r["arena_bytes_recorded_total"]
    config = quantized.paths_["config_h"].read_text()
    assert f"#define GN_HEEL_STRIKE_ARENA_PERSISTENT_BYTES {r['arena_tail_bytes']}\n" in config

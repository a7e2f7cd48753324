import sys

import numpy as np
import pytest

from gaitnode.errors import GaitnodeError
from gaitnode.quantize import convert as convert_mod
from gaitnode.quantize.conftest import copy_model_dir, random_windows
from gaitnode.quantize.convert import convert
from gaitnode.quantize.tflite_model import parse


def test_conversion_outputs(quantized):
    conv = quantized.conversion_
    assert conv.float_path.read_bytes() == conv.float_tflite
    assert conv.int8_path.read_bytes() == conv.int8_tflite
    assert conv.n_lstm_layers == 1
    m = parse(conv.int8_tflite)
    assert m.op_names == conv.ops
    assert conv.ops.count("UNIDIRECTIONAL_SEQUENCE_LSTM") == 1 and "WHILE" not in conv.ops
    # Full-integer: int8 in, int8 out, batch 1.
    first_in = m.tensors[m.operators[0].inputs[0]]
    last_out = m.tensors[m.operators[-1].outputs[0]]
    assert (first_in.dtype, first_in.shape) == ("INT8", (1, 32, 6))
    assert (last_out.dtype, last_out.shape) == ("INT8", (1, 32))
    f = parse(conv.float_tflite)
    assert f.op_names.count("UNIDIRECTIONAL_SEQUENCE_LSTM") == 1
    assert f.tensors[f.operators[0].inputs[0]].dtype == "FLOAT32"


def test_conversion_is_deterministic(quantized, tiny_model_dir, tmp_path):
    # Same model (a copy elsewhere) and the same representative windows as the fixture's run.
    d = copy_model_dir(tiny_model_dir, tmp_path / "elsewhere")
    again = convert(d, random_windows(24, 3), out_dir=tmp_path / "out")
    assert again.float_tflite == quantized.conversion_.float_tflite
    assert again.int8_tflite == quantized.conversion_.int8_tflite


def test_existing_outputs_are_not_replaced(quantized):
    d = quantized.paths_["int8_tflite"].parent
    before = quantized.paths_["int8_tflite"].read_bytes()
    with pytest.raises(GaitnodeError, match="model_float.tflite: already exists.*--force"):
        convert(d, random_windows(2, 0))
    assert quantized.paths_["int8_tflite"].read_bytes() == before


def test_bad_representative_windows(tiny_model_dir, tmp_path):
    with pytest.raises(GaitnodeError, match=r"representative windows: expected windows of shape \[n >= 1, 32, 6\], "
                                            r"got \[5, 16, 6\]"):
        convert(tiny_model_dir, np.zeros((5, 16, 6), np.float32), out_dir=tmp_path)
    x = random_windows(3, 0)
    x[1, 4, 5] = np.inf
    with pytest.raises(GaitnodeError, match="non-finite value at window 1, sample 4, channel 5"):
        convert(tiny_model_dir, x, out_dir=tmp_path)


def test_missing_model_dir(tmp_path):
    with pytest.raises(GaitnodeError, match="model.json: no such file"):
        convert(tmp_path, random_windows(2, 0))


def test_child_failure_is_reported(tiny_model_dir, tmp_path):
    d = copy_model_dir(tiny_model_dir, tmp_path / "corrupt")
    (d / "model.keras").write_bytes(b"this is not a keras archive" * 10)
    with pytest.raises(GaitnodeError) as e:
        convert(d, random_windows(2, 0))
    msg = str(e.value)
    assert msg.startswith(f"{d / 'model.keras'}: TFLite conversion failed (exit status 3): ")
    assert len(msg.splitlines()) == 1
    assert not (d / "model_int8.tflite").exists()


def test_child_crash_by_signal_is_reported(tiny_model_dir, tmp_path, monkeypatch):
    crash = "import os, signal, sys; print('converter aborting', file=sys.stderr, flush=True); " \
            "os.kill(os.getpid(), signal.SIGSEGV)"
    monkeypatch.setattr(convert_mod, "_child_command", lambda *a: [sys.executable, "-c", crash])
    with pytest.raises(GaitnodeError, match=r"model\.keras: TFLite conversion failed \(killed by SIGSEGV\): "
                                            r"converter aborting$"):
        convert(tiny_model_dir, random_windows(2, 0), out_dir=tmp_path)

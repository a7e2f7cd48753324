import numpy as np
import pytest

from gaitnode.errors import GaitnodeError
from gaitnode.quantize.conftest import random_windows
from gaitnode.quantize.runners import (
    KerasRunner, LiteRTRunner, TFLMRunner, dequantize_output, quantize_input,
)


@pytest.fixture(scope="module")
def windows():
    return random_windows(4, 11)


@pytest.fixture(scope="module")
def tflm(int8_bytes, quantized):
    return TFLMRunner(int8_bytes, quantized.arena_bytes_)


def test_quantize_rounds_half_away_from_zero_and_clips():
    q = quantize_input(np.array([0.25, -0.25, 0.75, 100.0, -100.0]), 0.5, 3, np.int8)
    assert q.dtype == np.int8
    assert q.tolist() == [4, 2, 5, 127, -128]
    assert dequantize_output(np.array([-128, 0, 127], np.int8), 1 / 256, -128).tolist() == [0.0, 0.5, 255 / 256]


def test_litert_int8_state_does_not_leak_between_windows(quantized, windows):
    r = LiteRTRunner(quantized.paths_["int8_tflite"])
    same = r.predict(np.stack([windows[0], windows[0]]))
    assert np.array_equal(same[0], same[1])
    alone = r.predict(windows[1:2])
    after = r.predict(windows[:2])
    assert np.array_equal(alone[0], after[1])
    # Without the reset the LSTM state would carry over (so the checks above can fail).
    interp = r._interp
    x = quantize_input(windows[:1], *r.input_quant, np.int8)
    interp.reset_all_variables()
    outs = []
    for _ in range(2):
        interp.set_tensor(r._in["index"], x)
        interp.invoke()
        outs.append(interp.get_tensor(r._out["index"]).copy())
    assert not np.array_equal(outs[0], outs[1])


def test_tflm_state_does_not_leak_and_matches_litert(tflm, quantized, windows):
    same = tflm.predict(np.stack([windows[2], windows[2]]))
    assert np.array_equal(same[0], same[1])
    out = tflm.predict(windows)
    assert out.dtype == np.float32 and out.shape == (4, 32)
    assert ((out >= 0) & (out <= 1)).all()
    lite = LiteRTRunner(quantized.paths_["int8_tflite"].read_bytes()).predict(windows)
    # Different int8 kernels (TFLM vs LiteRT reference); a few output steps at most.
    assert np.abs(out - lite).max() <= 4 * tflm.output_quant[0]


def test_int8_close_to_keras_and_float_tflite_equal_to_keras(quantized, windows):
    keras_out = KerasRunner(quantized.paths_["float_tflite"].parent).predict(windows)
    float_out = LiteRTRunner(quantized.paths_["float_tflite"]).predict(windows)
    int8_out = LiteRTRunner(quantized.paths_["int8_tflite"]).predict(windows)
    assert keras_out.shape == (4, 32)
    assert np.abs(float_out - keras_out).max() < 1e-5
    assert np.abs(int8_out - keras_out).max() < 0.05


def test_bad_input_is_rejected(tflm, quantized):
    with pytest.raises(GaitnodeError, match=r"expected input windows \[n, 32, 6\], got \[2, 32, 5\]"):
        tflm.predict(np.zeros((2, 32, 5), np.float32))
    bad = np.zeros((1, 32, 6), np.float32)
    bad[0, 3, 2] = np.nan
    with pytest.raises(GaitnodeError, match="NaN or infinite"):
        LiteRTRunner(quantized.paths_["int8_tflite"]).predict(bad)
    assert tflm.predict(np.zeros((0, 32, 6), np.float32)).shape == (0, 32)


def test_unloadable_models_are_errors(tmp_path):
    with pytest.raises(GaitnodeError, match="no such .tflite file"):
        LiteRTRunner(tmp_path / "missing.tflite")
    with pytest.raises(GaitnodeError, match="LiteRT cannot load the model"):
        LiteRTRunner(b"\x00" * 64)
    with pytest.raises(GaitnodeError, match="not a TFLite flatbuffer"):
        TFLMRunner(b"\x00" * 64, 8192)

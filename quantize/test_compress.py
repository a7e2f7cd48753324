import numpy as np
import pytest

from gaitnode.errors import GaitnodeError
from gaitnode.quantize.compress import (LutCompressor, check_bits, cluster_values, decode_op_count,
                                        strip_tensor_names, verify_lossless)


def test_cluster_values_limits_distinct_values_and_keeps_zero():
    v = np.random.default_rng(0).integers(-127, 128, size=(40, 7)).astype(np.int8)
    v[:, 0] = 0
    out = cluster_values(v, 4)
    assert out.dtype == np.int8 and out.shape == v.shape
    assert len(np.unique(out)) <= 4
    assert np.all(out[:, 0] == 0)
    assert np.mean(np.abs(out.astype(int) - v)) < 32  # nearest centre, not a constant


def test_cluster_values_leaves_few_values_alone():
    v = np.array([-3, 0, 5, 5, -3], np.int8)
    assert np.array_equal(cluster_values(v, 4), v)


@pytest.mark.parametrize("bits", [0, 8, 2.5, True])
def test_check_bits_refuses_widths_tflm_cannot_decode(bits):
    with pytest.raises(GaitnodeError, match="LUT index bits"):
        check_bits(bits)


def test_compressed_model_is_smaller_and_decodes_exactly_in_tflm():
    from gaitnode.quantize.tflm_check import arena_report
    from gaitnode.twin.testing import small_heel_strike_model

    int8 = (small_heel_strike_model() / "model_int8.tflite").read_bytes()
    c = LutCompressor(bits=3).run(int8)
    assert c.n_compressed_ >= 1 and decode_op_count(c.compressed_tflite_) >= 1
    assert decode_op_count(c.clustered_tflite_) == 0
    assert len(c.compressed_tflite_) < len(c.clustered_tflite_)
    lstm_rows = [r for r in c.tensors_ if r["op"] == "UNIDIRECTIONAL_SEQUENCE_LSTM"]
    assert lstm_rows == []  # LSTM weights are never candidates (TFLM reads them in Prepare)
    assert all(r["distinct_max"] <= 8 for r in c.tensors_)
    x = np.random.default_rng(1).normal(size=(6, 128, 6)).astype(np.float32)
    a1 = arena_report(c.clustered_tflite_).required
    a2 = arena_report(c.compressed_tflite_).required
    assert verify_lossless(c.clustered_tflite_, c.compressed_tflite_, x, arena_clustered=a1,
                           arena_compressed=a2)["max_abs"] == 0.0
    assert len(strip_tensor_names(c.clustered_tflite_)) < len(c.clustered_tflite_)


def test_verify_lossless_refuses_a_model_with_other_outputs():
    from gaitnode.quantize.tflm_check import arena_report
    from gaitnode.twin.testing import small_heel_strike_model

    int8 = (small_heel_strike_model() / "model_int8.tflite").read_bytes()
    c1, c2 = LutCompressor(bits=1).run(int8), LutCompressor(bits=4).run(int8)
    x = np.random.default_rng(2).normal(size=(4, 128, 6)).astype(np.float32)
    with pytest.raises(GaitnodeError, match="differ"):
        verify_lossless(c2.clustered_tflite_, c1.compressed_tflite_, x,
                        arena_clustered=arena_report(c2.clustered_tflite_).required,
                        arena_compressed=arena_report(c1.compressed_tflite_).required)


def test_damaged_model_bytes_give_one_error():
    with pytest.raises(GaitnodeError):
        LutCompressor(bits=4).run(b"not a flatbuffer at all")

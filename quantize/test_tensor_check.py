import pytest

from gaitnode.errors import GaitnodeError
from gaitnode.quantize.tensor_check import check_integer_only
from gaitnode.quantize.tflite_model import parse


def test_int8_model_is_integer_only_with_fused_lstm(int8_bytes):
    r = check_integer_only(int8_bytes)
    assert r.fused_lstm
    assert "WHILE" not in r.ops
    assert r.ops.count("UNIDIRECTIONAL_SEQUENCE_LSTM") == 1
    # Only the LSTM's float scale intermediates are float32, and they were allowed as such.
    assert r.lstm_float_intermediates and all(n.endswith("_intermediate") for n in r.lstm_float_intermediates)
    assert r.dtype_counts.get("FLOAT32", 0) == len(r.lstm_float_intermediates)
    assert set(r.dtype_counts) <= {"INT8", "INT16", "INT32", "FLOAT32"}
    assert r.n_tensors == sum(r.dtype_counts.values())
    assert r.unique_ops == sorted(set(r.ops))


def test_float_model_fails_naming_the_tensor(float_bytes):
    first_float = next(t for t in parse(float_bytes).tensors if t.dtype == "FLOAT32")
    with pytest.raises(GaitnodeError) as e:
        check_integer_only(float_bytes, what="model_float.tflite")
    msg = str(e.value)
    assert msg.startswith("model_float.tflite: tensor ")
    assert f"'{first_float.name}' is float32" in msg
    assert "more non-integer tensors" in msg


def test_intermediates_are_recognised_by_op_not_by_name(int8_bytes, edit_tflite):
    # Same tensors, but the LSTM op no longer lists them as its intermediates: now they are plain
    # float tensors and the model is rejected, although their names still end in _intermediate.
    def drop_intermediates(model):
        for op in model.subgraphs[0].operators:
            op.intermediates = []

    edited = edit_tflite(int8_bytes, drop_intermediates)
    with pytest.raises(GaitnodeError, match=r"_intermediate' is float32"):
        check_integer_only(edited)


def test_int64_tensor_is_rejected(int8_bytes, edit_tflite):
    from ai_edge_litert import schema_py_generated as s

    def make_int64(model):
        for t in model.subgraphs[0].tensors:
            if t.type == s.TensorType.INT32:
                t.type = s.TensorType.INT64
                return

    with pytest.raises(GaitnodeError, match="is int64, not int8/int16/int32"):
        check_integer_only(edit_tflite(int8_bytes, make_int64))

import pytest

from gaitnode.errors import GaitnodeError
from gaitnode.quantize.op_resolver import RESOLVER_METHODS, resolver_method, resolver_methods
from gaitnode.quantize.tensor_check import check_integer_only

# Methods the heel-strike models and their likely variants need (names as in TFLM's header).
EXPECTED = {
    "CONV_2D": "AddConv2D", "FULLY_CONNECTED": "AddFullyConnected", "MAX_POOL_2D": "AddMaxPool2D",
    "UNIDIRECTIONAL_SEQUENCE_LSTM": "AddUnidirectionalSequenceLSTM", "RESHAPE": "AddReshape",
    "LOGISTIC": "AddLogistic", "MUL": "AddMul", "ADD": "AddAdd", "QUANTIZE": "AddQuantize",
    "DEQUANTIZE": "AddDequantize", "EXPAND_DIMS": "AddExpandDims", "SQUEEZE": "AddSqueeze", "MEAN": "AddMean",
    "SOFTMAX": "AddSoftmax", "TANH": "AddTanh", "RELU": "AddRelu", "CONCATENATION": "AddConcatenation",
    "STRIDED_SLICE": "AddStridedSlice", "PAD": "AddPad", "AVERAGE_POOL_2D": "AddAveragePool2D",
    "DEPTHWISE_CONV_2D": "AddDepthwiseConv2D", "SHAPE": "AddShape", "PACK": "AddPack", "UNPACK": "AddUnpack",
    "TRANSPOSE": "AddTranspose", "SUM": "AddSum", "BATCH_MATMUL": "AddBatchMatMul",
}


def test_known_ops_map_to_header_method_names():
    for op, method in EXPECTED.items():
        assert resolver_method(op) == method
    assert len(set(RESOLVER_METHODS.values())) == len(RESOLVER_METHODS)


def test_methods_of_the_int8_model(int8_bytes):
    ops = check_integer_only(int8_bytes).ops
    methods = resolver_methods(ops)
    assert methods == sorted(set(methods))
    assert len(methods) == len(set(ops))
    assert "AddUnidirectionalSequenceLSTM" in methods and "AddConv2D" in methods


def test_unknown_op_is_an_error_naming_it():
    with pytest.raises(GaitnodeError, match=r"m\.tflite: op GELU has no tflite::MicroMutableOpResolver method"):
        resolver_methods(["CONV_2D", "GELU"], what="m.tflite")
    with pytest.raises(GaitnodeError, match="op CUSTOM:MyOp has no"):
        resolver_method("CUSTOM:MyOp")

import pytest

from gaitnode.errors import GaitnodeError
from gaitnode.quantize.tflite_model import parse


def test_parse_reads_ops_tensors_and_lstm_intermediates(int8_bytes):
    m = parse(int8_bytes)
    assert m.n_subgraphs == 1
    assert m.op_names.count("UNIDIRECTIONAL_SEQUENCE_LSTM") == 1
    assert "CONV_2D" in m.op_names and "FULLY_CONNECTED" in m.op_names
    lstm = next(op for op in m.operators if op.name == "UNIDIRECTIONAL_SEQUENCE_LSTM")
    assert lstm.intermediates, "the int8 LSTM op lists its scale intermediates"
    names = {m.tensors[i].name for i in lstm.intermediates}
    assert all(n.endswith("_intermediate") for n in names)
    inp = m.tensors[m.operators[0].inputs[0]]
    assert inp.dtype == "INT8" and inp.shape == (1, 32, 6)


def test_parse_rejects_non_tflite_bytes():
    with pytest.raises(GaitnodeError, match=r"x\.bin: not a TFLite flatbuffer"):
        parse(b"PK\x03\x04 this is a zip file", what="x.bin")
    with pytest.raises(GaitnodeError, match="not a TFLite flatbuffer"):
        parse(b"", what="empty")


def test_parse_rejects_truncated_model(int8_bytes):
    with pytest.raises(GaitnodeError, match=r"cut\.tflite: damaged TFLite flatbuffer"):
        parse(int8_bytes[:64], what="cut.tflite")

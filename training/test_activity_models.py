import numpy as np
import pytest

from gaitnode.errors import GaitnodeError
from gaitnode.training.activity_models import (
    ACTIVITY_ARCHITECTURES, build_activity_model, check_activity_architecture, compile_activity_model,
)


def test_paper_and_node_sizes():
    paper = build_activity_model("cnn_lstm_paper", 128, 6, 6)
    node = build_activity_model("cnn_lstm", 128, 6, 6)
    # paper 003: conv 128 k4 x2, LSTM 100 x2, dense 100, softmax 6 -> 251,570 weights (~250 KB as int8)
    assert paper.count_params() == 251_570
    assert node.count_params() == 20_374
    for m in (paper, node):
        assert m.input_shape == (None, 128, 6) and m.output_shape == (None, 6)
    lstms = [layer for layer in paper.layers if layer.__class__.__name__ == "LSTM"]
    assert [(l.units, l.return_sequences, l.unroll) for l in lstms] == [(100, True, False), (100, False, False)]
    convs = [layer for layer in paper.layers if layer.__class__.__name__ == "Conv1D"]
    assert [(c.filters, c.kernel_size) for c in convs] == [(128, (4,)), (128, (4,))]
    assert paper.layers[-1].activation.__name__ == "softmax"


def test_outputs_are_probabilities_and_seeded():
    x = np.random.default_rng(0).normal(size=(3, 64, 6)).astype(np.float32)
    a = build_activity_model("cnn_lstm", 64, 6, 4, seed=3)
    b = build_activity_model("cnn_lstm", 64, 6, 4, seed=3)
    pa = np.asarray(a(x, training=False))
    np.testing.assert_allclose(pa.sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(pa, np.asarray(b(x, training=False)))
    compile_activity_model(a)
    assert a.loss == "sparse_categorical_crossentropy"


def test_bad_arguments():
    with pytest.raises(GaitnodeError, match="activity architecture 'resnet'"):
        check_activity_architecture("resnet")
    with pytest.raises(GaitnodeError, match="multiple of 4"):
        build_activity_model("cnn_lstm", 126, 6, 6)
    with pytest.raises(GaitnodeError, match="at least 2 classes"):
        build_activity_model("cnn_lstm", 128, 6, 1)
    with pytest.raises(GaitnodeError, match="number of channels"):
        build_activity_model("cnn_lstm", 128, 0, 6)
    assert set(ACTIVITY_ARCHITECTURES) == {"cnn_lstm", "cnn_lstm_paper"}


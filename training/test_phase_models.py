import numpy as np
import pytest

from gaitnode.errors import GaitnodeError
from gaitnode.training.phase_models import (
    NODE_ARCHITECTURES, PHASE_ARCHITECTURES, build_phase_model, check_phase_architecture, compile_phase_model,
)


@pytest.mark.parametrize("architecture", NODE_ARCHITECTURES)
def test_node_models_output_a_softmax_per_row_of_the_last_hop(architecture):
    m = build_phase_model(architecture, 40, 6, 4, 10, seed=0)
    assert m.input_shape == (None, 40, 6) and m.output_shape == (None, 10, 4)
    x = np.random.default_rng(0).uniform(-1, 1, (3, 40, 6)).astype(np.float32)
    p = np.asarray(m(x))
    np.testing.assert_allclose(p.sum(-1), 1.0, atol=1e-5)
    assert m.count_params() < 20000  # int8 <= ~40 KB (checked by the quantizer in the CLI test)
    lstms = [layer for layer in m.layers if type(layer).__name__ == "LSTM"]
    assert len(lstms) == 2 and all(layer.return_sequences and not layer.unroll for layer in lstms)
    # Equal seeds, equal weights
    m2 = build_phase_model(architecture, 40, 6, 4, 10, seed=0)
    for a, b in zip(m.get_weights(), m2.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_the_last_rows_only_see_the_past():
    # Changing the input after row r cannot change outputs of rows <= r: the LSTMs run forward only.
    m = build_phase_model("lstm_only", 40, 6, 4, 10, seed=1)
    x = np.random.default_rng(1).uniform(-1, 1, (1, 40, 6)).astype(np.float32)
    y = x.copy()
    y[0, 35:] += 0.5
    a, b = np.asarray(m(x)), np.asarray(m(y))
    np.testing.assert_allclose(a[0, :5], b[0, :5], atol=1e-6)
    assert np.abs(a[0, 5:] - b[0, 5:]).max() > 1e-4


def test_attention_model_has_the_papers_layers():
    m = build_phase_model("resnet_lstm_tpa", 40, 6)
    names = {layer.name for layer in m.layers}
    assert {"head_att_w1", "head_att_w2", "head_att_v", "head_att_softmax", "head_att_context"} <= names


def test_paper_size_reference_and_training_ignores_unlabelled_rows():
    m = build_phase_model("resnet_lstm_paper", 40, 6)
    assert m.count_params() > 5_000_000
    assert check_phase_architecture("resnet_lstm_paper").stride == 2
    small = compile_phase_model(build_phase_model("resnet_lstm", 40, 6, seed=0))
    x = np.random.default_rng(2).uniform(-1, 1, (8, 40, 6)).astype(np.float32)
    y = np.full((8, 10), -1)
    y[:, :3] = 1
    loss_a = small.evaluate(x, y, verbose=0)
    y[:, 3:] = -1  # the same labelled rows; the others stay -1
    assert small.evaluate(x, y, verbose=0) == pytest.approx(loss_a)
    assert np.isfinite(small.train_on_batch(x, y))


def test_bad_parameters():
    with pytest.raises(GaitnodeError, match="not one of"):
        build_phase_model("resnet50", 40, 6)
    with pytest.raises(GaitnodeError, match="multiple of its time stride 2"):
        build_phase_model("resnet_lstm", 40, 6, hop=5)
    with pytest.raises(GaitnodeError, match="at least 2 classes"):
        build_phase_model("lstm_only", 40, 6, n_classes=1)
    with pytest.raises(GaitnodeError, match="channels"):
        build_phase_model("lstm_only", 40, 0)
    assert set(NODE_ARCHITECTURES) < set(PHASE_ARCHITECTURES)

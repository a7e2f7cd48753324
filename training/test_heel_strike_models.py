import numpy as np
import pytest

from gaitnode.errors import GaitnodeError
from gaitnode.training.heel_strike_models import build_model, feature_blocks

# Parameter counts for C = 6 input channels (BatchNorm counts gamma, beta, moving mean and variance):
# cnn_lstm:       conv 2*6*32+32 + bn 4*32 + conv 2*32*32+32 + bn 4*32 + lstm 4*48*(32+48+1)
#                 + dense 48*32+32 + out 32*4+4                                     = 20004
# lstm_only:      lstm 4*64*(6+64+1) + dense 64*32+32 + out 32*1+1                   = 20289
# cnn_lstm_paper: conv 2*6*512+512 + bn 4*512 + conv 2*512*256+256 + bn 4*256
#                 + lstm 4*128*(256+128+1) + dense 128*50+50 + out 50*4+4           = 475902
PARAMS = {"cnn_lstm": 20004, "lstm_only": 20289, "cnn_lstm_paper": 475902}


@pytest.mark.parametrize("architecture", ["cnn_lstm", "lstm_only"])
def test_per_sample_sigmoid_output_and_parameter_count(architecture):
    model = build_model(architecture, 64, 6, seed=0)
    assert model.count_params() == PARAMS[architecture]
    x = np.random.default_rng(0).normal(size=(3, 64, 6)).astype(np.float32)
    y = model(x, training=False).numpy()
    assert y.shape == (3, 64)
    assert np.all((y > 0) & (y < 1))
    names = [layer.name for layer in model.layers[1:]]
    assert all(n.startswith(("features_", "head_")) for n in names)
    assert names[-1] == "head_reshape"


def test_layer_names_mark_feature_blocks_and_the_head():
    m = build_model("cnn_lstm", 64, 6)
    assert [[layer.name for layer in b] for b in feature_blocks(m)] == [
        ["features_b1_conv", "features_b1_bn", "features_b1_pool"],
        ["features_b2_conv", "features_b2_bn", "features_b2_pool"]]
    assert [layer.name for layer in m.layers if layer.name.startswith("head_")] == [
        "head_lstm", "head_dropout", "head_dense", "head_out", "head_reshape"]
    m = build_model("lstm_only", 64, 9)
    assert [[layer.name for layer in b] for b in feature_blocks(m)] == [["features_b1_lstm"]]
    assert m.input_shape == (None, 64, 9)
    lstm = m.get_layer("features_b1_lstm")
    assert lstm.unroll is False and lstm.return_sequences


def test_paper_model_sizes():
    # built, not run: it is for the accuracy comparison, far above the node's 64 KB
    m = build_model("cnn_lstm_paper", 128, 6, batch_size=1)
    assert m.count_params() == PARAMS["cnn_lstm_paper"]
    assert all(layer.name.startswith(("features_", "head_")) for layer in m.layers[1:])
    assert m.input_shape == (1, 128, 6) and m.output_shape == (1, 128)
    assert m.get_layer("features_b1_conv").filters == 512 and m.get_layer("features_b1_conv").kernel_size == (2,)
    assert m.get_layer("features_b2_conv").filters == 256
    assert m.get_layer("head_lstm").units == 128 and m.get_layer("head_dropout").rate == 0.2
    assert m.get_layer("head_dense").units == 50
    assert m.get_layer("head_lstm").output_shape == (1, 32, 128)  # 128 samples pooled by 4


def test_same_seed_same_weights_other_seed_other_weights():
    a, b, c = (build_model("cnn_lstm", 32, 6, seed=s) for s in (3, 3, 4))
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(wa, wb)
    assert not np.array_equal(a.get_weights()[0], c.get_weights()[0])


@pytest.mark.parametrize("architecture,lookahead", [("cnn_lstm", 6), ("lstm_only", 0)])
def test_outputs_only_see_a_few_samples_ahead(architecture, lookahead):
    # The k=2 'same' convolutions and pooling let LSTM step v see samples up to 4v + 6; the
    # LSTM-only model is causal. So a change at sample t leaves outputs j < t - lookahead - 3 alone.
    m = build_model(architecture, 64, 6, seed=1)
    x = np.random.default_rng(1).normal(size=(1, 64, 6)).astype(np.float32)
    x2 = x.copy()
    t = 40
    x2[0, t] += 3.0
    y, y2 = m(x, training=False).numpy()[0], m(x2, training=False).numpy()[0]
    unchanged = t - lookahead - 3
    np.testing.assert_array_equal(y[:unchanged], y2[:unchanged])
    assert np.any(y[t:] != y2[t:])


def test_bad_arguments_are_errors():
    with pytest.raises(GaitnodeError, match="architecture 'cnn' is not one of"):
        build_model("cnn", 64, 6)
    with pytest.raises(GaitnodeError, match="multiple of 4"):
        build_model("cnn_lstm", 62, 6)
    with pytest.raises(GaitnodeError, match="channels"):
        build_model("lstm_only", 64, 0)

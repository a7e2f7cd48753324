import numpy as np
import pytest

from gaitnode.errors import GaitnodeError
from gaitnode.training.vo2_models import (
    EXT_CONV, VO2_ARCHITECTURES, build_vo2_model, check_vo2_architecture, extend_for_transfer, is_extended,
)


@pytest.mark.parametrize("name", ["cnn_lstm", "lstm_only"])
def test_models_map_a_window_to_one_vo2_value_with_stable_names(name):
    m = build_vo2_model(name, 64, 6, target_mean=20.0, target_std=8.0, seed=1)
    assert m.input_shape == (None, 64, 6) and m.output_shape == (None, 1)
    names = [layer.name for layer in m.layers]
    assert names[-2:] == ["head_out", "head_denorm"]
    assert any(n.startswith("features_b1_") for n in names)
    again = build_vo2_model(name, 64, 6, target_mean=20.0, target_std=8.0, seed=1)
    x = np.random.default_rng(0).normal(size=(3, 64, 6)).astype(np.float32)
    np.testing.assert_array_equal(m(x, training=False).numpy(), again(x, training=False).numpy())


def test_paper_sizes_and_errors():
    spec = VO2_ARCHITECTURES["cnn_lstm_paper"]
    assert (spec.conv_filters, spec.kernel_size, spec.lstm_units, spec.dense_units) == ((512, 256), 2, 128, 50)
    assert (spec.ext_filters, spec.ext_lstm_units) == (512, 128)
    with pytest.raises(GaitnodeError, match="VO2 architecture 'resnet' is not one of"):
        check_vo2_architecture("resnet")
    with pytest.raises(GaitnodeError, match="positive multiple of 4"):
        check_vo2_architecture("cnn_lstm", 30)
    with pytest.raises(GaitnodeError, match="positive spread"):
        build_vo2_model("cnn_lstm", 64, 6, target_std=0.0)


def test_extension_from_the_base_computes_the_base_model_until_trained():
    base = build_vo2_model("cnn_lstm", 64, 6, target_mean=15.0, target_std=5.0, seed=2)
    ext = extend_for_transfer(base, "cnn_lstm", init="base")
    assert is_extended(ext) and not is_extended(base)
    conv = ext.get_layer(EXT_CONV)
    assert conv.kernel_size == (3,) and conv.filters == base.get_layer("features_b2_conv").filters
    x = np.random.default_rng(1).normal(size=(4, 64, 6)).astype(np.float32)
    np.testing.assert_allclose(ext(x, training=False).numpy(), base(x, training=False).numpy(), rtol=1e-5, atol=1e-5)
    with pytest.raises(GaitnodeError, match="already has the transfer-learning extension"):
        extend_for_transfer(ext, "cnn_lstm")


def test_random_extension_is_the_papers_fresh_head():
    base = build_vo2_model("cnn_lstm", 64, 6, seed=2)
    ext = extend_for_transfer(base, "cnn_lstm", init="random", seed=5)
    names = [layer.name for layer in ext.layers]
    assert [EXT_CONV, "head_ext_bn", "head_ext_lstm"] == [n for n in names if n.startswith("head_ext")]
    np.testing.assert_array_equal(ext.get_layer("features_b1_conv").get_weights()[0],
                                  base.get_layer("features_b1_conv").get_weights()[0])
    assert ext.output_shape == (None, 1)
    with pytest.raises(GaitnodeError, match="has no convolutional feature extractor"):
        extend_for_transfer(build_vo2_model("lstm_only", 64, 6), "lstm_only")
    with pytest.raises(GaitnodeError, match="extension init 'zero' is not one of"):
        extend_for_transfer(base, "cnn_lstm", init="zero")

"""The VO2 architectures (tf_keras), all mapping [batch, W, C] -> [batch, 1] VO2 in ml/kg/min.

Input: one window of W samples x C channels, normalised as in model.json. Output: the VO2 the
gait in that window stands for (ml/kg/min). The node smooths these per-window values with a
first-order filter (model.json smooth_tau_s, see vo2_estimate.py), so training fits the filtered
series to the measured VO2 and the per-window output becomes the VO2 the body is heading to.

* "cnn_lstm_paper": paper 000's VO2 network at its published size: Conv1D 512 (k=2, ReLU,
  padding same) -> BatchNorm -> MaxPool(2) -> Conv1D 256 (k=2) -> BatchNorm -> MaxPool(2) ->
  LSTM 128 -> Dropout 0.2 -> Dense 50 ReLU -> Dense 1. About 0.4 M parameters: far above the
  node's 64 KB, built for the comparison only. tanh LSTM (what the fused int8 kernel runs).
* "cnn_lstm": the same structure sized for the node (Conv1D 32/32 with kernel 5: a wider view per
  layer at the same size; LSTM 32, Dense 32; ~16 k parameters, ~29 KB int8, ~16 KB arena).
* "lstm_only": the paper's comparison: an LSTM (64) on the raw sequence -> Dense 32 -> Dense 1.

Every model ends in Dense(1) followed by `head_denorm` (a fixed Rescaling: x * target_std +
target_mean, from the training targets), so the network works on a unit-scale target while the
saved model outputs ml/kg/min; after int8 conversion it is a constant multiply-add (or folded
into the last FULLY_CONNECTED). LSTMs return their last state only (one fused
UNIDIRECTIONAL_SEQUENCE_LSTM op, never unrolled).

Layer names are stable: `features_b<k>_*` are feature-extractor block k (counted from the
input), `head_*` the head; fine-tuning freezes by these prefixes. `extend_for_transfer` adds
paper 000's transfer-learning extension (`head_ext_conv`: Conv1D k=3 after the frozen feature
extractor, then an LSTM and a dense head).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gaitnode import tf_env
from gaitnode.errors import GaitnodeError
from gaitnode.training.heel_strike_models import FEATURES_PREFIX, HEAD_PREFIX

EXT_CONV = f"{HEAD_PREFIX}ext_conv"
EXTENSION_INITS = ("base", "random")


@dataclass(frozen=True)
class Vo2ArchitectureSpec:
    """Sizes of one VO2 architecture: conv filters per block (empty: none), kernel size, LSTM units,
    head Dense units, dropout after the LSTM; ext_filters / ext_lstm_units: the transfer-learning
    extension's Conv1D (k=3) filters and LSTM units when it is initialised at random."""

    conv_filters: tuple[int, ...]
    kernel_size: int
    lstm_units: int
    dense_units: int
    dropout: float = 0.2
    ext_filters: int = 0
    ext_lstm_units: int = 0

    @property
    def pool(self) -> int:
        """Time reduction before the LSTM (MaxPool(2) per conv block)."""
        return 2 ** len(self.conv_filters)


VO2_ARCHITECTURES = {
    "cnn_lstm_paper": Vo2ArchitectureSpec(conv_filters=(512, 256), kernel_size=2, lstm_units=128, dense_units=50,
                                          ext_filters=512, ext_lstm_units=128),
    "cnn_lstm": Vo2ArchitectureSpec(conv_filters=(32, 32), kernel_size=5, lstm_units=32, dense_units=32,
                                    ext_filters=32, ext_lstm_units=32),
    "lstm_only": Vo2ArchitectureSpec(conv_filters=(), kernel_size=0, lstm_units=64, dense_units=32),
}
DEFAULT_VO2_ARCHITECTURE = "cnn_lstm"


def check_vo2_architecture(architecture: str, window: int | None = None) -> Vo2ArchitectureSpec:
    """The spec of `architecture`; GaitnodeError for an unknown name or a window the pooling cannot divide."""
    if architecture not in VO2_ARCHITECTURES:
        raise GaitnodeError(f"VO2 architecture {architecture!r} is not one of {', '.join(VO2_ARCHITECTURES)}")
    spec = VO2_ARCHITECTURES[architecture]
    if window is not None and (not isinstance(window, int) or window < spec.pool or window % spec.pool):
        raise GaitnodeError(f"window {window!r} samples does not suit VO2 architecture {architecture!r}: it must be "
                            f"a positive multiple of {spec.pool} (the pooling factor)")
    return spec


class _Init:
    """Distinct seeded initialisers, one per weight, in build order."""

    def __init__(self, keras, seed: int, offset: int = 0):
        self.keras, self.seed, self.k = keras, int(seed), offset

    def glorot(self):
        self.k += 1
        return self.keras.initializers.GlorotUniform(seed=self.seed * 1000 + self.k)

    def orth(self):
        self.k += 1
        return self.keras.initializers.Orthogonal(seed=self.seed * 1000 + self.k)


def _head(x, layers, init: _Init, lstm_units: int, dense_units: int, dropout: float, seed: int,
          target_mean: float, target_std: float, lstm_name: str):
    x = layers.LSTM(lstm_units, return_sequences=False, unroll=False, kernel_initializer=init.glorot(),
                    recurrent_initializer=init.orth(), name=lstm_name)(x)
    x = layers.Dropout(dropout, seed=seed, name=f"{HEAD_PREFIX}dropout")(x)
    x = layers.Dense(dense_units, activation="relu", kernel_initializer=init.glorot(), name=f"{HEAD_PREFIX}dense")(x)
    x = layers.Dense(1, kernel_initializer=init.glorot(), name=f"{HEAD_PREFIX}out")(x)
    return layers.Rescaling(float(target_std), offset=float(target_mean), name=f"{HEAD_PREFIX}denorm")(x)


def _check_target_scale(target_mean: float, target_std: float) -> None:
    if not (np.isfinite(target_mean) and np.isfinite(target_std) and target_std > 0):
        raise GaitnodeError(f"VO2 target scale must be finite with a positive spread, got mean {target_mean!r}, "
                            f"std {target_std!r}")


def build_vo2_model(architecture: str, window: int, n_channels: int, *, target_mean: float = 20.0,
                    target_std: float = 10.0, batch_size: int | None = None, seed: int = 0):
    """Build (uncompiled) `architecture` for windows of `window` samples x `n_channels` channels.

    target_mean / target_std (ml/kg/min): the output scale (head_denorm), from the training targets.
    batch_size: fixed batch dimension or None (any). seed: seeds every initialiser and the dropout.
    Returns a tf_keras Model with input [batch, window, n_channels] and output [batch, 1].
    """
    spec = check_vo2_architecture(architecture, window)
    if not isinstance(n_channels, int) or n_channels < 1:
        raise GaitnodeError(f"number of channels must be a positive integer, got {n_channels!r}")
    _check_target_scale(target_mean, target_std)
    _, keras = tf_env.load()
    layers = keras.layers
    init = _Init(keras, seed)
    inp = keras.Input(shape=(window, n_channels), batch_size=batch_size, name="input")
    x = inp
    for k, filters in enumerate(spec.conv_filters, start=1):
        b = f"{FEATURES_PREFIX}b{k}_"
        x = layers.Conv1D(filters, spec.kernel_size, padding="same", activation="relu",
                          kernel_initializer=init.glorot(), name=b + "conv")(x)
        x = layers.BatchNormalization(name=b + "bn")(x)
        x = layers.MaxPooling1D(2, padding="same", name=b + "pool")(x)
    # Without convolutions the LSTM is the feature extractor; with them it starts the head.
    lstm_name = f"{FEATURES_PREFIX}b1_lstm" if not spec.conv_filters else f"{HEAD_PREFIX}lstm"
    out = _head(x, layers, init, spec.lstm_units, spec.dense_units, spec.dropout, seed, target_mean, target_std,
                lstm_name)
    return keras.Model(inp, out, name=f"vo2_{architecture}")


def is_extended(model) -> bool:
    """Whether `model` already carries the transfer-learning extension."""
    return any(layer.name == EXT_CONV for layer in model.layers)


def extend_for_transfer(base, architecture: str, *, init: str = "base", seed: int = 0):
    """Paper 000's transfer-learning model: the base's feature extractor (its `features_*` layers,
    weights copied), then Conv1D(k=3) `head_ext_conv`, an LSTM and a dense head.

    init "base" (default): the new Conv1D has as many filters as the features it reads and
    starts as the identity (centre tap 1, linear), the LSTM and dense head start as copies of
    the base's, so the extended model computes exactly the base model until fine-tuning moves
    it; two minutes of data then adapt a working model instead of training a head from nothing.
    init "random": the paper's recipe scaled to the architecture (spec.ext_filters filters, ReLU,
    BatchNorm, spec.ext_lstm_units LSTM units, a fresh dense head), randomly initialised; only
    head_denorm (the output scale) is kept. Returns the new (uncompiled) model.
    Raises GaitnodeError for a model without convolutional features (lstm_only) or already extended.
    """
    spec = check_vo2_architecture(architecture)
    if init not in EXTENSION_INITS:
        raise GaitnodeError(f"extension init {init!r} is not one of {', '.join(EXTENSION_INITS)}")
    if not spec.conv_filters:
        raise GaitnodeError(f"VO2 architecture {architecture!r} has no convolutional feature extractor to extend; "
                            f"fine-tune it without the extension")
    if is_extended(base):
        raise GaitnodeError(f"model {base.name!r} already has the transfer-learning extension ({EXT_CONV})")
    _, keras = tf_env.load()
    layers = keras.layers
    by_name = {layer.name: layer for layer in base.layers}
    denorm = by_name[f"{HEAD_PREFIX}denorm"]
    window, n_channels = base.input_shape[1:]
    inp = keras.Input(shape=(window, n_channels), name="input")
    x = inp
    feature_layers = [layer for layer in base.layers if layer.name.startswith(FEATURES_PREFIX)]
    for layer in feature_layers:
        x = layer.__class__.from_config(layer.get_config())(x)
    n_features = int(x.shape[-1])
    mk = _Init(keras, seed, offset=500)
    if init == "base":
        x = layers.Conv1D(n_features, 3, padding="same", activation=None, name=EXT_CONV)(x)
        lstm = by_name[f"{HEAD_PREFIX}lstm"]
        out = _head(x, layers, mk, lstm.units, by_name[f"{HEAD_PREFIX}dense"].units, spec.dropout, seed,
                    float(denorm.offset), float(denorm.scale), f"{HEAD_PREFIX}lstm")
    else:
        x = layers.Conv1D(spec.ext_filters, 3, padding="same", activation="relu", kernel_initializer=mk.glorot(),
                          name=EXT_CONV)(x)
        x = layers.BatchNormalization(name=f"{HEAD_PREFIX}ext_bn")(x)
        out = _head(x, layers, mk, spec.ext_lstm_units, spec.dense_units, spec.dropout, seed,
                    float(denorm.offset), float(denorm.scale), f"{HEAD_PREFIX}ext_lstm")
    model = keras.Model(inp, out, name=f"{base.name}_extended")
    copied = [layer.name for layer in feature_layers] + [f"{HEAD_PREFIX}denorm"]
    if init == "base":
        copied += [f"{HEAD_PREFIX}lstm", f"{HEAD_PREFIX}dense", f"{HEAD_PREFIX}out"]
        ext = model.get_layer(EXT_CONV)
        kernel = np.zeros((3, n_features, n_features), np.float32)
        kernel[1] = np.eye(n_features, dtype=np.float32)
        ext.set_weights([kernel, np.zeros(n_features, np.float32)])
    for name in copied:
        model.get_layer(name).set_weights(by_name[name].get_weights())
    return model


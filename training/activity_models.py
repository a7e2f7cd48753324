"""The activity-recognition architectures (tf_keras): [batch, W, C] -> [batch, n_classes] softmax.

Paper 003 (CNN-LSTM on UCI HAR): Conv1D 128 (kernel 4, ReLU) -> MaxPool(2) -> Dropout -> Conv1D 128
(kernel 4, ReLU) -> MaxPool(2) -> Dropout -> LSTM 100 -> LSTM 100 -> Dense 100 ReLU -> Dense n softmax,
Adam, batch 32, categorical cross-entropy.

* "cnn_lstm_paper": those sizes (about 252 k parameters, ~250 KB as int8: far above the node's
  flash budget; built for the comparison). The paper does not give the dropout rate: 0.25 here.
  The paper "flattens" before the LSTM; an LSTM needs a sequence, so the pooled feature sequence
  [W/4, 128] goes into it (the usual reading of that figure).
* "cnn_lstm": the same structure sized for the node: Conv1D 16/32 (kernel 4), LSTM 32 x 2,
  Dense 32 (20.4 k parameters, ~32 KB int8, ~11 KB TFLM arena measured). The first conv's output
  [128, filters] sets the arena's peak: 32 filters there measured 15.0 KB, 16 filters 10.8 KB.

Convolutions use padding "same", so W/4 rows reach the LSTMs (W a multiple of 4). The first LSTM
returns its sequence, the second its last state; both are plain tanh LSTMs, never unrolled, so the
converter emits fused UNIDIRECTIONAL_SEQUENCE_LSTM ops that TFLite-Micro runs in int8. Layer names
follow the other models: `features_b<k>_*` (conv blocks), `head_*` (LSTMs, dense, output).
"""

from __future__ import annotations

from dataclasses import dataclass

from gaitnode import tf_env
from gaitnode.errors import GaitnodeError
from gaitnode.training.heel_strike_models import FEATURES_PREFIX, HEAD_PREFIX
from gaitnode.training.vo2_models import _Init


@dataclass(frozen=True)
class ActivityArchitectureSpec:
    """Sizes of one activity architecture: conv filters per block, kernel size, LSTM units per layer,
    Dense units, dropout after each conv block."""

    conv_filters: tuple[int, ...]
    kernel_size: int
    lstm_units: tuple[int, ...]
    dense_units: int
    dropout: float = 0.25

    @property
    def pool(self) -> int:
        """Time reduction before the LSTMs (MaxPool(2) per conv block)."""
        return 2 ** len(self.conv_filters)


ACTIVITY_ARCHITECTURES = {
    "cnn_lstm_paper": ActivityArchitectureSpec(conv_filters=(128, 128), kernel_size=4, lstm_units=(100, 100),
                                               dense_units=100),
    "cnn_lstm": ActivityArchitectureSpec(conv_filters=(16, 32), kernel_size=4, lstm_units=(32, 32), dense_units=32),
}
DEFAULT_ACTIVITY_ARCHITECTURE = "cnn_lstm"


def check_activity_architecture(architecture: str, window: int | None = None) -> ActivityArchitectureSpec:
    """The spec of `architecture`; GaitnodeError for an unknown name or a window the pooling cannot divide."""
    if architecture not in ACTIVITY_ARCHITECTURES:
        raise GaitnodeError(f"activity architecture {architecture!r} is not one of "
                            f"{', '.join(ACTIVITY_ARCHITECTURES)}")
    spec = ACTIVITY_ARCHITECTURES[architecture]
    if window is not None and (isinstance(window, bool) or not isinstance(window, int) or window < spec.pool
                               or window % spec.pool):
        raise GaitnodeError(f"window {window!r} rows does not suit activity architecture {architecture!r}: it must "
                            f"be a positive multiple of {spec.pool} (the pooling factor)")
    return spec


def build_activity_model(architecture: str, window: int, n_channels: int, n_classes: int, *,
                         batch_size: int | None = None, seed: int = 0):
    """Build (uncompiled) `architecture` for windows of `window` rows x `n_channels` channels and
    `n_classes` classes. batch_size: fixed batch dimension or None. seed: every initialiser and dropout.
    Returns a tf_keras Model: input [batch, window, n_channels] -> softmax [batch, n_classes]."""
    spec = check_activity_architecture(architecture, window)
    for name, v in (("number of channels", n_channels), ("number of classes", n_classes)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise GaitnodeError(f"{name} must be a positive integer, got {v!r}")
    if n_classes < 2:
        raise GaitnodeError(f"an activity model needs at least 2 classes, got {n_classes}")
    _, keras = tf_env.load()
    layers = keras.layers
    init = _Init(keras, seed)
    inp = keras.Input(shape=(window, n_channels), batch_size=batch_size, name="input")
    x = inp
    for k, filters in enumerate(spec.conv_filters, start=1):
        b = f"{FEATURES_PREFIX}b{k}_"
        x = layers.Conv1D(filters, spec.kernel_size, padding="same", activation="relu",
                          kernel_initializer=init.glorot(), name=b + "conv")(x)
        x = layers.MaxPooling1D(2, padding="same", name=b + "pool")(x)
        x = layers.Dropout(spec.dropout, seed=seed + k, name=b + "dropout")(x)
    for k, units in enumerate(spec.lstm_units, start=1):
        x = layers.LSTM(units, return_sequences=k < len(spec.lstm_units), unroll=False,
                        kernel_initializer=init.glorot(), recurrent_initializer=init.orth(),
                        name=f"{HEAD_PREFIX}lstm{k}")(x)
    x = layers.Dense(spec.dense_units, activation="relu", kernel_initializer=init.glorot(),
                     name=f"{HEAD_PREFIX}dense")(x)
    out = layers.Dense(n_classes, activation="softmax", kernel_initializer=init.glorot(), name=f"{HEAD_PREFIX}out")(x)
    return keras.Model(inp, out, name=f"activity_{architecture}")


def compile_activity_model(model, learning_rate: float = 1e-3):
    """Adam + sparse categorical cross-entropy (the paper's loss on integer labels) + accuracy; returns model."""
    _, keras = tf_env.load()
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model

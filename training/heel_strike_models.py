"""The three heel-strike architectures (tf_keras), all mapping [batch, W, C] -> [batch, W].

Input: one window of W samples x C channels, normalised. Output: one sigmoid probability per
input sample (see the model-dir contract for how output j maps to a session sample).

* "cnn_lstm_paper": the CNN-LSTM of paper 000 at its published size: Conv1D 512 (k=2, ReLU,
  padding same) -> BatchNorm -> MaxPool(2) -> Conv1D 256 (k=2) -> BatchNorm -> MaxPool(2) ->
  LSTM 128 -> Dropout 0.2 -> Dense 50 ReLU -> output. About 476 k parameters (~0.5 MB int8):
  far above a 64 KB microcontroller budget, built for the accuracy comparison only. The
  paper gives the LSTM a ReLU activation; tanh is kept here because it is what the fused
  TFLite LSTM kernel implements and a ReLU LSTM state is unbounded (no int8 scale fits it).
* "cnn_lstm": the same structure sized for the node (Conv1D 32/32, LSTM 48, Dense 32, ~20 k
  parameters; ~33 KB int8 and a ~14 KB TFLite-Micro arena at W=128, C=6).
* "lstm_only": the paper's comparison model: an LSTM on the raw sequence (no convolutions,
  no pooling), sized to about the parameter count of "cnn_lstm" (LSTM 64, Dense 32).

Per-sample output after pooling: the convolutional models pool by P=4, so the LSTM runs at W/4
steps; its head ends in Dense(P, sigmoid) and Reshape((W,)), so output j is unit j % P of LSTM
step j // P. That converts to plain FULLY_CONNECTED / RESHAPE / LOGISTIC ops. The LSTM is
never unrolled (one fused UNIDIRECTIONAL_SEQUENCE_LSTM op after conversion).

Layer names are stable (weights can be copied by name, e.g. into a batch-1 rebuild for
conversion). Layers named `features_b<k>_*` are feature-extractor block k (counted from the
input); layers named `head_*` are the head. Fine-tuning freezes by these prefixes.
"""

from __future__ import annotations

from dataclasses import dataclass

from gaitnode import tf_env
from gaitnode.errors import GaitnodeError

FEATURES_PREFIX = "features_"
HEAD_PREFIX = "head_"


@dataclass(frozen=True)
class ArchitectureSpec:
    """Sizes of one architecture: conv filters per block (empty: no convolutions), LSTM units,
    head Dense units, LSTM dropout."""

    conv_filters: tuple[int, ...]
    kernel_size: int
    lstm_units: int
    dense_units: int
    dropout: float = 0.2

    @property
    def pool(self) -> int:
        """Time reduction before the LSTM (MaxPool(2) per conv block)."""
        return 2 ** len(self.conv_filters)


ARCHITECTURES = {
    "cnn_lstm_paper": ArchitectureSpec(conv_filters=(512, 256), kernel_size=2, lstm_units=128, dense_units=50),
    "cnn_lstm": ArchitectureSpec(conv_filters=(32, 32), kernel_size=2, lstm_units=48, dense_units=32),
    "lstm_only": ArchitectureSpec(conv_filters=(), kernel_size=0, lstm_units=64, dense_units=32),
}
DEFAULT_ARCHITECTURE = "cnn_lstm"


def check_architecture(architecture: str, window: int | None = None) -> ArchitectureSpec:
    """The spec of `architecture`; GaitnodeError for an unknown name or a window the pooling cannot divide."""
    if architecture not in ARCHITECTURES:
        raise GaitnodeError(f"architecture {architecture!r} is not one of {', '.join(ARCHITECTURES)}")
    spec = ARCHITECTURES[architecture]
    if window is not None and (not isinstance(window, int) or window < spec.pool or window % spec.pool):
        raise GaitnodeError(f"window {window!r} samples does not suit architecture {architecture!r}: it must be a "
                            f"positive multiple of {spec.pool} (the pooling factor)")
    return spec


def build_model(architecture: str, window: int, n_channels: int, *, batch_size: int | None = None,
                seed: int = 0):
    """Build (uncompiled) `architecture` for windows of `window` samples x `n_channels` channels.

    batch_size: fixed batch dimension (1 for a microcontroller conversion) or None (any).
    seed: seeds every initialiser and the dropout, so equal arguments give equal weights.
    Returns a tf_keras Model with input [batch, window, n_channels] and output [batch, window].
    """
    spec = check_architecture(architecture, window)
    if not isinstance(n_channels, int) or n_channels < 1:
        raise GaitnodeError(f"number of channels must be a positive integer, got {n_channels!r}")
    _, keras = tf_env.load()
    layers = keras.layers
    counter = iter(range(1000))

    def init():  # a distinct, seeded initialiser per weight
        return keras.initializers.GlorotUniform(seed=seed * 1000 + next(counter))

    def orth():
        return keras.initializers.Orthogonal(seed=seed * 1000 + next(counter))

    inp = keras.Input(shape=(window, n_channels), batch_size=batch_size, name="input")
    x = inp
    for k, filters in enumerate(spec.conv_filters, start=1):
        b = f"{FEATURES_PREFIX}b{k}_"
        x = layers.Conv1D(filters, spec.kernel_size, padding="same", activation="relu",
                          kernel_initializer=init(), name=b + "conv")(x)
        x = layers.BatchNormalization(name=b + "bn")(x)
        x = layers.MaxPooling1D(2, padding="same", name=b + "pool")(x)
    # Without convolutions the LSTM is the feature extractor; with them it starts the head.
    lstm_name = f"{FEATURES_PREFIX}b1_lstm" if not spec.conv_filters else f"{HEAD_PREFIX}lstm"
    x = layers.LSTM(spec.lstm_units, return_sequences=True, unroll=False, kernel_initializer=init(),
                    recurrent_initializer=orth(), name=lstm_name)(x)
    x = layers.Dropout(spec.dropout, seed=seed, name=f"{HEAD_PREFIX}dropout")(x)
    x = layers.Dense(spec.dense_units, activation="relu", kernel_initializer=init(), name=f"{HEAD_PREFIX}dense")(x)
    x = layers.Dense(spec.pool, activation="sigmoid", kernel_initializer=init(), name=f"{HEAD_PREFIX}out")(x)
    out = layers.Reshape((window,), name=f"{HEAD_PREFIX}reshape")(x)
    return keras.Model(inp, out, name=f"heel_strike_{architecture}")


def feature_blocks(model) -> list[list]:
    """Feature-extractor layers grouped by block, block 1 (nearest the input) first."""
    blocks: dict[int, list] = {}
    for layer in model.layers:
        if layer.name.startswith(FEATURES_PREFIX):
            k = int(layer.name[len(FEATURES_PREFIX) + 1:].split("_", 1)[0])
            blocks.setdefault(k, []).append(layer)
    if not blocks:
        raise GaitnodeError(f"model {model.name!r} has no layers named {FEATURES_PREFIX}*; it was not built by "
                            f"gaitnode.training.heel_strike_models")
    return [blocks[k] for k in sorted(blocks)]


def per_sample_bce(y_true, y_pred):
    """Binary cross-entropy per output sample ([batch, W], no reduction), so that a [batch, W]
    sample_weight weights every sample (Keras then averages over all elements)."""
    _, keras = tf_env.load()
    return keras.backend.binary_crossentropy(y_true, y_pred)

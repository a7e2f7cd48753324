"""Gait-phase architectures (paper 001, tf_keras): [batch, window, C] -> [batch, hop, n_classes].

Output: a softmax over the phases for each of the LAST `hop` rows of the window (model.json
output "last_hop"). The convolutional front end shortens time by `stride` (1 or 2); the LSTMs
return their whole sequence, the last hop / stride steps are kept (Cropping1D), and a per-step
Dense(stride * n_classes) + Reshape(hop, n_classes) gives every input row of those steps its own
logits, so one LSTM step labels `stride` rows. All of it converts to plain int8 CONV_2D, ADD,
UNIDIRECTIONAL_SEQUENCE_LSTM (fused, never unrolled), STRIDED_SLICE, FULLY_CONNECTED, RESHAPE
and SOFTMAX ops (the attention adds TANH, MUL, MEAN).

* "resnet_lstm" (the node's): residual 1-D CNN (paper 001's ResNet blocks scaled to the MCU: stem
  Conv1D 16 k5, a 16-filter residual block, a 24-filter residual block with stride 2) -> LSTM 24
  -> LSTM 24 (return sequences) -> Dense 24 ReLU -> softmax per row (~15 k parameters).
* "resnet_lstm_tpa": the same with the paper's temporal attention after the LSTMs:
  score_t = v^T tanh(W1 h_t + W2 q), q = the last hidden state h_T, a = softmax_t(score), context
  c = mean_t(a_t h_t) (the sum / T: the constant is absorbed by the next layer), and each of the
  last steps combines its own state with the context: ReLU(Wh h_t + Wc c + b) -> softmax per row.
* "lstm_only": the paper's LSTM baseline: LSTM 32 -> LSTM 32 on the raw rows (stride 1) -> Dense 32
  ReLU -> softmax per row.
* "resnet_lstm_paper": the paper-size reference: ResNet-34's stages in 1-D (3, 4, 6, 3 basic
  blocks of 64/128/256/512 filters, k3) after a 7-wide stride-2 stem conv (64), without the
  further down-sampling that would leave nothing of a 40-row window -> LSTM 128 x 2 -> Dense 64.
  About 7 M parameters: built for the comparison (parameter count, a short training), not for a node.

Compiled by `compile_phase_model` with SparseCategoricalCrossentropy(ignore_class=-1) (rows
labelled -1 do not count), so a saved model can be fine-tuned with plain `fit` on phase_arrays.
Layer names: `features_*` the CNN/LSTM feature extractor, `head_*` the attention and the output.
"""

from __future__ import annotations

from dataclasses import dataclass

from gaitnode import tf_env
from gaitnode.errors import GaitnodeError
from gaitnode.training.heel_strike_models import FEATURES_PREFIX, HEAD_PREFIX


@dataclass(frozen=True)
class PhaseArchitectureSpec:
    """stem: (filters, kernel, stride) of the first conv (None: no CNN); stages: (filters, blocks,
    stride) of residual stages; lstm_units (two layers); dense_units; attention units (0: none)."""

    stem: tuple[int, int, int] | None
    stages: tuple[tuple[int, int, int], ...]
    lstm_units: int
    dense_units: int
    attention: int = 0
    kernel_size: int = 3
    dropout: float = 0.1

    @property
    def stride(self) -> int:
        s = self.stem[2] if self.stem else 1
        for _, _, st in self.stages:
            s *= st
        return s


PHASE_ARCHITECTURES = {
    "resnet_lstm": PhaseArchitectureSpec(stem=(16, 5, 1), stages=((16, 1, 1), (24, 1, 2)), lstm_units=24,
                                         dense_units=24),
    # LSTM 20 and 8 attention units: the attention's extra ops and activations then fit the same budgets.
    "resnet_lstm_tpa": PhaseArchitectureSpec(stem=(16, 5, 1), stages=((16, 1, 1), (24, 1, 2)), lstm_units=20,
                                             dense_units=20, attention=8),
    "lstm_only": PhaseArchitectureSpec(stem=None, stages=(), lstm_units=32, dense_units=32),
    "resnet_lstm_paper": PhaseArchitectureSpec(stem=(64, 7, 2), stages=((64, 3, 1), (128, 4, 1), (256, 6, 1),
                                                                        (512, 3, 1)),
                                               lstm_units=128, dense_units=64),
}
NODE_ARCHITECTURES = ("resnet_lstm", "resnet_lstm_tpa", "lstm_only")  # int8 fits the node's budget
DEFAULT_PHASE_ARCHITECTURE = "resnet_lstm"


def check_phase_architecture(architecture: str, window: int | None = None, hop: int | None = None):
    """The spec of `architecture`; GaitnodeError for an unknown name or a window/hop its stride cannot divide."""
    if architecture not in PHASE_ARCHITECTURES:
        raise GaitnodeError(f"phase architecture {architecture!r} is not one of {', '.join(PHASE_ARCHITECTURES)}")
    spec = PHASE_ARCHITECTURES[architecture]
    for name, v in (("window", window), ("hop", hop)):
        if v is not None and (not isinstance(v, int) or v < spec.stride or v % spec.stride):
            raise GaitnodeError(f"{name} {v!r} rows does not suit phase architecture {architecture!r}: it must be a "
                                f"positive multiple of its time stride {spec.stride}")
    if window is not None and hop is not None and hop > window:
        raise GaitnodeError(f"hop {hop} must not exceed the window {window}")
    return spec


class _Init:
    def __init__(self, keras, seed: int):
        self.keras, self.seed, self.k = keras, int(seed), 0

    def glorot(self):
        self.k += 1
        return self.keras.initializers.GlorotUniform(seed=self.seed * 1000 + self.k)

    def he(self):
        self.k += 1
        return self.keras.initializers.HeNormal(seed=self.seed * 1000 + self.k)

    def orth(self):
        self.k += 1
        return self.keras.initializers.Orthogonal(seed=self.seed * 1000 + self.k)


def _residual_block(x, layers, init, filters: int, kernel: int, stride: int, name: str):
    """He et al.'s basic block in 1-D: conv-BN-ReLU-conv-BN + shortcut (1x1 conv when the shape changes), ReLU."""
    # Short names: each becomes part of several tensor names in the .tflite (flash bytes on the node).
    y = layers.Conv1D(filters, kernel, strides=stride, padding="same", kernel_initializer=init.he(),
                      name=name + "c1")(x)
    y = layers.BatchNormalization(name=name + "n1")(y)
    y = layers.ReLU(name=name + "r1")(y)
    y = layers.Conv1D(filters, kernel, padding="same", kernel_initializer=init.he(), name=name + "c2")(y)
    y = layers.BatchNormalization(name=name + "n2")(y)
    if stride != 1 or int(x.shape[-1]) != filters:
        x = layers.Conv1D(filters, 1, strides=stride, padding="same", kernel_initializer=init.he(),
                          name=name + "p")(x)
        x = layers.BatchNormalization(name=name + "pn")(x)
    return layers.ReLU(name=name + "r")(layers.Add(name=name + "a")([x, y]))


def _last_steps(x, layers, keep: int, name: str):
    steps = int(x.shape[1])
    return x if keep == steps else layers.Cropping1D((steps - keep, 0), name=name)(x)


def build_phase_model(architecture: str, window: int, n_channels: int, n_classes: int = 4, hop: int = 10, *,
                      batch_size: int | None = None, seed: int = 0):
    """Build (uncompiled) `architecture`: input [batch, window, n_channels] -> output [batch, hop, n_classes]
    (a softmax per row of the last hop rows). batch_size: fixed batch (1 for conversion) or None.
    seed: seeds every initialiser and dropout."""
    spec = check_phase_architecture(architecture, window, hop)
    for name, v in (("number of channels", n_channels), ("number of classes", n_classes)):
        if not isinstance(v, int) or isinstance(v, bool) or v < 1:
            raise GaitnodeError(f"{name} must be a positive integer, got {v!r}")
    if n_classes < 2:
        raise GaitnodeError(f"a phase model needs at least 2 classes, got {n_classes}")
    _, keras = tf_env.load()
    layers = keras.layers
    init = _Init(keras, seed)
    inp = keras.Input(shape=(window, n_channels), batch_size=batch_size, name="input")
    x = inp
    if spec.stem is not None:
        filters, kernel, stride = spec.stem
        x = layers.Conv1D(filters, kernel, strides=stride, padding="same", kernel_initializer=init.he(),
                          name=f"{FEATURES_PREFIX}b1_c")(x)
        x = layers.BatchNormalization(name=f"{FEATURES_PREFIX}b1_n")(x)
        x = layers.ReLU(name=f"{FEATURES_PREFIX}b1_r")(x)
        for s, (filters, blocks, stride) in enumerate(spec.stages, start=2):
            for b in range(blocks):
                x = _residual_block(x, layers, init, filters, spec.kernel_size, stride if b == 0 else 1,
                                    f"{FEATURES_PREFIX}b{s}_{b}")
    k = len(spec.stages) + 2
    for i in (1, 2):
        x = layers.LSTM(spec.lstm_units, return_sequences=True, unroll=False, kernel_initializer=init.glorot(),
                        recurrent_initializer=init.orth(), name=f"{FEATURES_PREFIX}b{k}_lstm{i}")(x)
    h = layers.Dropout(spec.dropout, seed=seed, name=f"{HEAD_PREFIX}dropout")(x)
    keep = hop // spec.stride
    last = _last_steps(h, layers, keep, f"{HEAD_PREFIX}last_steps")
    if spec.attention:
        steps = int(h.shape[1])
        q = _last_steps(h, layers, 1, f"{HEAD_PREFIX}query")  # [b, 1, U]: q = h_T
        w1h = layers.Dense(spec.attention, use_bias=False, kernel_initializer=init.glorot(),
                           name=f"{HEAD_PREFIX}att_w1")(h)
        w2q = layers.Dense(spec.attention, kernel_initializer=init.glorot(), name=f"{HEAD_PREFIX}att_w2")(q)
        e = layers.Add(name=f"{HEAD_PREFIX}att_add")([w1h, w2q])  # broadcast over the steps
        e = layers.Activation("tanh", name=f"{HEAD_PREFIX}att_tanh")(e)
        score = layers.Dense(1, use_bias=False, kernel_initializer=init.glorot(), name=f"{HEAD_PREFIX}att_v")(e)
        a = layers.Reshape((steps,), name=f"{HEAD_PREFIX}att_flat")(score)
        a = layers.Softmax(name=f"{HEAD_PREFIX}att_softmax")(a)  # over the steps
        a = layers.Reshape((steps, 1), name=f"{HEAD_PREFIX}att_weights")(a)
        ctx = layers.GlobalAveragePooling1D(keepdims=True, name=f"{HEAD_PREFIX}att_context")(
            layers.Multiply(name=f"{HEAD_PREFIX}att_weighted")([a, h]))  # [b, 1, U]
        own = layers.Dense(spec.dense_units, kernel_initializer=init.glorot(), name=f"{HEAD_PREFIX}dense")(last)
        mix = layers.Dense(spec.dense_units, use_bias=False, kernel_initializer=init.glorot(),
                           name=f"{HEAD_PREFIX}dense_context")(ctx)
        z = layers.ReLU(name=f"{HEAD_PREFIX}dense_relu")(layers.Add(name=f"{HEAD_PREFIX}combine")([own, mix]))
    else:
        z = layers.Dense(spec.dense_units, activation="relu", kernel_initializer=init.glorot(),
                         name=f"{HEAD_PREFIX}dense")(last)
    z = layers.Dense(spec.stride * n_classes, kernel_initializer=init.glorot(), name=f"{HEAD_PREFIX}logits")(z)
    z = layers.Reshape((hop, n_classes), name=f"{HEAD_PREFIX}rows")(z)
    out = layers.Softmax(name=f"{HEAD_PREFIX}softmax")(z)
    return keras.Model(inp, out, name="phase")  # short: the name prefixes every tensor name in the .tflite


def compile_phase_model(model, learning_rate: float = 2e-3):
    """Compile with Adam and per-row sparse categorical cross-entropy that ignores rows labelled -1."""
    _, keras = tf_env.load()
    model.compile(optimizer=keras.optimizers.Adam(learning_rate),
                  loss=keras.losses.SparseCategoricalCrossentropy(ignore_class=-1))
    return model

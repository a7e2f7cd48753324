"""What both HR dynamics models share: the drive encoder + GRU backbone, small MLPs, weights I/O.

Backbone (paper 002, section 4): e_t = f_enc(x_t) (dense, LeakyReLU), s_t = GRU(e_1..e_t) (causal,
over the whole sequence). The latent HR unit is g = (HR - HR_CENTER) / HR_SCALE.

Every model maps (x [B, T, F], y [B, T] bpm, anchor [B, T], observe [B, T]) to HR [B, T] in bpm:
anchor = 1 where the HR state is set to the known y (the session's first second, each window's first
second in standard mode), observe = 1 where y is a measurement to take in (gap filling); elsewhere
y is ignored.
"""

from __future__ import annotations

import numpy as np

from gaitnode import tf_env
from gaitnode.errors import GaitnodeError
from gaitnode.training.hr_data import HR_BOUNDS_BPM, HR_CENTER, HR_SCALE, N_FEATURES

G_MIN = (HR_BOUNDS_BPM[0] - HR_CENTER) / HR_SCALE
G_MAX = (HR_BOUNDS_BPM[1] - HR_CENTER) / HR_SCALE
AGE_SCALE_S = 600.0  # the age of the last known HR saturates at 10 minutes


def leaky(x):
    tf, _ = tf_env.load()
    return tf.nn.leaky_relu(x, alpha=0.2)


def dense(units: int, seed: int, *, activation=None, use_bias: bool = True, scale: float = 1.0):
    """A tf_keras Dense layer with seeded Glorot weights (scaled by `scale`)."""
    _, keras = tf_env.load()
    init = keras.initializers.VarianceScaling(scale=scale, mode="fan_avg", distribution="uniform", seed=seed)
    return keras.layers.Dense(units, activation=activation, use_bias=use_bias, kernel_initializer=init)


class Mlp:
    """Two-layer MLP (LeakyReLU hidden layer), the paper's head for every learned map."""

    def __init__(self, hidden: int, out: int, seed: int, out_scale: float = 1.0):
        self.l1 = dense(hidden, seed, activation=leaky)
        self.l2 = dense(out, seed + 1, scale=out_scale)

    def __call__(self, x):
        return self.l2(self.l1(x))

    @property
    def layers(self):
        return [self.l1, self.l2]


def last_known(yn, known):
    """(latent HR of the last known second up to t, its age in units of AGE_SCALE_S), each [B, T].

    Before the first known second: 0 and age 1."""
    tf, _ = tf_env.load()
    t = tf.cast(tf.range(tf.shape(yn)[1]), tf.float32)[None, :] + tf.zeros_like(yn)
    idx = tf.where(known > 0, t, -1.0)
    last = tf.transpose(tf.scan(tf.maximum, tf.transpose(idx)))
    value = tf.gather(yn, tf.cast(tf.maximum(last, 0.0), tf.int32), batch_dims=1)
    seen = tf.cast(last >= 0.0, tf.float32)
    age = tf.minimum((t - last) / AGE_SCALE_S, 1.0)
    return value * seen, seen * age + (1.0 - seen)


class Backbone:
    """Encoder + GRU: (x [B, T, N_FEATURES], latent HR yn [B, T], known [B, T]) -> s [B, T, hidden].

    Besides the drive, the encoder sees the last known HR and how long ago it was known (what the
    mode gives the model), so the GRU can place the subject's HR response relative to the drive."""

    def __init__(self, hidden: int, seed: int):
        _, keras = tf_env.load()
        self.enc = dense(hidden, seed, activation=leaky)
        self.gru = keras.layers.GRU(hidden, return_sequences=True,
                                    kernel_initializer=keras.initializers.GlorotUniform(seed=seed + 1),
                                    recurrent_initializer=keras.initializers.Orthogonal(seed=seed + 2))

    def __call__(self, x, yn, known):
        tf, _ = tf_env.load()
        value, age = last_known(yn, known)
        return self.gru(self.enc(tf.concat([x, value[..., None], age[..., None]], axis=-1)))

    @property
    def layers(self):
        return [self.enc, self.gru]


def build(model, seq_len: int = 4) -> None:
    """Create the model's variables with one call on zeros (batch 1)."""
    tf, _ = tf_env.load()
    z = tf.zeros((1, seq_len))
    model(tf.zeros((1, seq_len, N_FEATURES)), z + HR_CENTER, tf.one_hot([0], seq_len), z)


def get_weights(model) -> list[np.ndarray]:
    return [v.numpy() for v in model.variables_]


def set_weights(model, weights: list[np.ndarray]) -> None:
    vs = model.variables_
    if len(vs) != len(weights) or any(tuple(v.shape) != tuple(w.shape) for v, w in zip(vs, weights)):
        raise GaitnodeError(f"the stored weights ({len(weights)} arrays) do not fit this {model.kind} model "
                            f"({len(vs)} variables); the model folder is damaged or from another version")
    for v, w in zip(vs, weights):
        v.assign(w)


def collect_variables(*parts) -> list:
    """Variables of layers / Mlp / Backbone objects and bare tf.Variables, in a fixed order."""
    out = []
    for p in parts:
        if hasattr(p, "layers"):
            for layer in p.layers:
                out += list(layer.weights)
        elif hasattr(p, "weights"):
            out += list(p.weights)
        else:
            out.append(p)
    return out


def time_major(*tensors):
    """[B, T, ...] -> [T, B, ...] for tf.scan."""
    tf, _ = tf_env.load()
    out = []
    for t in tensors:
        perm = [1, 0] + list(range(2, len(t.shape)))
        out.append(tf.transpose(t, perm))
    return out

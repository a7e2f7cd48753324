"""The neural-Kalman VO2 model of paper 002 (tf_keras), its GRU-only baseline, and the paper's losses.

Both architectures map (features [B, T, F] normalised, v0 [B, 1]) -> VO2 [B, T] in the internal
unit (target / scale, e.g. l/min); v0 is the calibration VO2 (the first second) in that unit.

"kalman" (paper 002, section 5 and appendix B.4), per second t:
    e_t = LeakyReLU(Dense(x_t));  h_t = GRU(e_1..e_t)          causal, so it runs on a live stream
    obs_t = v0 + Dense(h_t)                                      f_obs: the VO2 the HR "observes"
    k_t = sigmoid(Dense(h_t))                                    f_gain: Kalman gain in (0, 1)
    up_t, down_t = softplus(Dense(h_t))                          f_dmax, -f_dmin: rate limits per second
    a_t = tanh(Dense(h_t))                                       f_trend: trend extrapolation factor
    prior_t = v_{t-1} + a_t (v_{t-1} - v_{t-2})
    v_t = v_{t-1} + clip(prior_t - v_{t-1} + k_t (obs_t - prior_t), -down_t, up_t)     (v_0 = v_-1 = v0)
    d_t = v0 + Dense(h_t);  b_t = sigmoid(Dense(h_t))            direct pathway and learned blend
    vo2_t = b_t d_t + (1 - b_t) v_t
With a_t = 0 the update is the issue's v_t = v_{t-1} + gain [obs - v_{t-1}], clipped. The filter state
is its own v_t (the blend is an output, not fed back). The GRU (Keras's reset_after formulation: the
input projection x W + b_in is one Dense layer before the loop), the seven heads (one [H, 7] matrix)
and the Kalman update run in one custom RNN cell (`KalmanCell`, a tf_keras RNN loop, never unrolled),
so the model trains by backpropagation through time in one loop; per step it is exactly what a node or
the host computes on a live stream.

"gru": the same encoder and GRU with only the direct pathway, vo2_t = v0 + Dense(h_t) (the
comparison model: no Kalman state, no rate limits).

Differences from the paper, each for the node or the data size: the GRU is one causal layer (the
paper: a bidirectional two-layer GRU of 128, which needs the future of the recording); heads are one
Dense layer each (the paper: two-layer MLPs with dropout 0.1); sizes default to enc 16 / GRU 32.
"""

from __future__ import annotations

import numpy as np

from gaitnode import tf_env
from gaitnode.errors import GaitnodeError

ARCHITECTURES = ("kalman", "gru")
RATE_LIMIT_INIT = 0.05  # initial rate limits, internal unit per second (0.05 l/min/s: a fast on-transient)
HEADS = ("obs", "gain", "up", "down", "trend", "blend", "direct")
_CELL = None


def head_bias_init() -> list[float]:
    """Initial head biases: gain and blend sigmoid(-1) = 0.27, rate limits softplus = RATE_LIMIT_INIT, others 0."""
    rate = float(np.log(np.expm1(RATE_LIMIT_INIT)))
    return [0.0, -1.0, rate, rate, 0.0, -1.0, 0.0]


def kalman_cell_class():
    """The `KalmanCell` tf_keras layer class (defined on first use, after TensorFlow is loaded)."""
    global _CELL
    if _CELL is not None:
        return _CELL
    tf, keras = tf_env.load()

    class KalmanCell(keras.layers.Layer):
        """One second of the GRU, the heads and the clipped Kalman update (see the module docstring).

        Input per step [B, 3H]: the GRU's input projection x W + b_in (gates z, r, h: Keras's
        reset_after layout); constant: v0 [B, 1]. States: h [B, H] and (v_{t-1}, v_{t-2}, started) [B, 3]; both start
        at zero and the first step takes v_{t-1} = v_{t-2} = v0. Output [B, 1]: the blended VO2."""

        def __init__(self, units: int, seed: int = 0, **kwargs):
            super().__init__(**kwargs)
            self.units = int(units)
            self.seed = int(seed)
            self.state_size = [self.units, 3]
            self.output_size = 1

        def build(self, input_shape):
            H = self.units
            self.recurrent_kernel = self.add_weight(
                name="recurrent_kernel", shape=(H, 3 * H),
                initializer=keras.initializers.Orthogonal(seed=self.seed))
            self.recurrent_bias = self.add_weight(name="recurrent_bias", shape=(3 * H,), initializer="zeros")
            self.head_kernel = self.add_weight(
                name="head_kernel", shape=(H, len(HEADS)),
                initializer=keras.initializers.RandomNormal(stddev=0.01, seed=self.seed + 1))
            self.head_bias = self.add_weight(name="head_bias", shape=(len(HEADS),),
                                             initializer=keras.initializers.Constant(head_bias_init()))
            super().build(input_shape)

        def call(self, inputs, states, constants):
            h, kv = states[0], states[1]
            v0 = constants[0]
            xz, xr, xh = tf.split(inputs, 3, axis=1)
            rz, rr, rh = tf.split(tf.matmul(h, self.recurrent_kernel) + self.recurrent_bias, 3, axis=1)
            z = tf.sigmoid(xz + rz)
            hh = tf.tanh(xh + tf.sigmoid(xr + rr) * rh)
            h = hh + z * (h - hh)
            o_obs, o_gain, o_up, o_down, o_trend, o_blend, o_direct = tf.split(
                tf.matmul(h, self.head_kernel) + self.head_bias, len(HEADS), axis=1)
            v1, v2, started = tf.split(kv, 3, axis=1)
            v1 = v0 + started * (v1 - v0)  # the first step starts from v0
            v2 = v0 + started * (v2 - v0)
            prior = v1 + tf.tanh(o_trend) * (v1 - v2)
            step = prior - v1 + tf.sigmoid(o_gain) * (v0 + o_obs - prior)
            v = v1 + tf.minimum(tf.maximum(step, -tf.nn.softplus(o_down)), tf.nn.softplus(o_up))
            out = v + tf.sigmoid(o_blend) * (v0 + o_direct - v)
            return out, [h, tf.concat([v, v1, tf.ones_like(v)], axis=1)]

        def get_config(self):
            return {**super().get_config(), "units": self.units, "seed": self.seed}

    _CELL = KalmanCell
    return _CELL


def custom_objects() -> dict:
    """What `keras.models.load_model` needs to load a saved model of this module."""
    return {"KalmanCell": kalman_cell_class()}


def build_model(architecture: str, n_features: int, *, enc_units: int = 16, gru_units: int = 32,
                seq_len: int | None = None, batch_size: int | None = None, seed: int = 0):
    """Build (uncompiled) `architecture` ("kalman" | "gru"); see the module docstring.

    seq_len / batch_size: fixed sizes or None (any). seed: seeds every initialiser.
    Returns a tf_keras Model with inputs {"x": [B, T, n_features], "v0": [B, 1]} and output [B, T]."""
    if architecture not in ARCHITECTURES:
        raise GaitnodeError(f"architecture {architecture!r} is not one of {', '.join(ARCHITECTURES)}")
    for name, v in (("n_features", n_features), ("enc_units", enc_units), ("gru_units", gru_units)):
        if not isinstance(v, (int, np.integer)) or v < 1:
            raise GaitnodeError(f"{name} must be a positive integer, got {v!r}")
    _, keras = tf_env.load()
    layers = keras.layers
    counter = iter(range(1000))

    def init():
        return keras.initializers.GlorotUniform(seed=seed * 1000 + next(counter))

    x_in = keras.Input(shape=(seq_len, n_features), batch_size=batch_size, name="x")
    v0_in = keras.Input(shape=(1,), batch_size=batch_size, name="v0")
    e = layers.Dense(enc_units, kernel_initializer=init(), name="enc")(x_in)
    e = layers.LeakyReLU(0.1, name="enc_act")(e)
    v0_seq = layers.RepeatVector(1, name="v0_seq")(v0_in)  # [B, 1, 1]: broadcast over time
    reshape = layers.Reshape((-1,) if seq_len is None else (seq_len,), name="vo2")
    if architecture == "gru":
        h = layers.GRU(gru_units, return_sequences=True, unroll=False, kernel_initializer=init(),
                       recurrent_initializer=keras.initializers.Orthogonal(seed=seed * 1000 + next(counter)),
                       name="gru")(e)
        delta = layers.Dense(1, kernel_initializer=keras.initializers.RandomNormal(stddev=0.01, seed=seed),
                             name="direct_delta")(h)
        return keras.Model({"x": x_in, "v0": v0_in}, reshape(layers.Add(name="direct")([delta, v0_seq])),
                           name="vo2_hr_gru")
    xp = layers.Dense(3 * gru_units, kernel_initializer=init(), name="gru_input")(e)
    out = layers.RNN(kalman_cell_class()(gru_units, seed=seed * 1000 + next(counter), name="kalman_cell"),
                     return_sequences=True, unroll=False, name="kalman")(xp, constants=[v0_in])
    return keras.Model({"x": x_in, "v0": v0_in}, reshape(out), name="vo2_hr_kalman")


def curriculum(epoch: int) -> tuple[float, float, float]:
    """Paper 002's loss weights at (0-based) epoch e: (lambda_base, lambda_dynamic, lambda_aux) =
    (max(0.30, 1 - e/20), 1 - lambda_base, min(0.30, 0.10 + 0.01 e))."""
    base = max(0.30, 1.0 - epoch / 20.0)
    return base, 1.0 - base, min(0.30, 0.10 + 0.01 * epoch)


def paper_loss(y_true, y_pred, mask, weights, *, alpha: float, beta: float):
    """Paper 002's composite loss on a batch [B, T] (masked; weights = (base, dynamic, aux) tensors).

    base: MAE. dynamic: alpha |dv^ - dv| + beta |d2v^ - d2v| (finite differences per second, pairs
    where both samples are valid). aux (moment loss), per sequence: |mean^ - mean| + |std^ - std| +
    |Q95(|dv^|) - Q95(|dv|)|, averaged over the batch. Returns (total, parts dict)."""
    tf, _ = tf_env.load()
    m = tf.cast(mask, y_pred.dtype)
    n = tf.maximum(tf.reduce_sum(m), 1.0)
    yt = tf.where(m > 0, y_true, y_pred)  # masked targets never enter any difference
    mae = tf.reduce_sum(tf.abs(y_pred - yt) * m) / n
    d_p, d_t = y_pred[:, 1:] - y_pred[:, :-1], yt[:, 1:] - yt[:, :-1]
    m1 = m[:, 1:] * m[:, :-1]
    dd_p, dd_t = d_p[:, 1:] - d_p[:, :-1], d_t[:, 1:] - d_t[:, :-1]
    m2 = m1[:, 1:] * m1[:, :-1]
    deriv = (alpha * tf.reduce_sum(tf.abs(d_p - d_t) * m1) / tf.maximum(tf.reduce_sum(m1), 1.0)
             + beta * tf.reduce_sum(tf.abs(dd_p - dd_t) * m2) / tf.maximum(tf.reduce_sum(m2), 1.0))
    cnt = tf.maximum(tf.reduce_sum(m, axis=1), 1.0)
    mean_p = tf.reduce_sum(y_pred * m, axis=1) / cnt
    mean_t = tf.reduce_sum(yt * m, axis=1) / cnt
    std_p = tf.sqrt(tf.reduce_sum(tf.square(y_pred - mean_p[:, None]) * m, axis=1) / cnt + 1e-8)
    std_t = tf.sqrt(tf.reduce_sum(tf.square(yt - mean_t[:, None]) * m, axis=1) / cnt + 1e-8)
    moments = tf.reduce_mean(tf.abs(mean_p - mean_t) + tf.abs(std_p - std_t)
                             + tf.abs(_q95(tf.abs(d_p) * m1) - _q95(tf.abs(d_t) * m1)))
    base_w, dyn_w, aux_w = weights
    total = base_w * mae + dyn_w * deriv + aux_w * moments
    return total, {"mae": mae, "derivative": deriv, "moments": moments}


def _q95(a):
    """95th percentile along the last axis (nearest rank; masked entries are 0 and rank lowest)."""
    tf, _ = tf_env.load()
    s = tf.sort(a, axis=-1)
    k = tf.cast(tf.math.round(0.95 * tf.cast(tf.shape(a)[-1] - 1, tf.float32)), tf.int32)
    return s[:, k]

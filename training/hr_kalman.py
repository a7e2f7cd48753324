"""Neural Kalman HR model (paper 002, section 4 and appendix B.2).

State z = (g, g') (latent HR and its velocity per second) with a diagonal covariance P = (P_g, P_v).
Per second t, from the backbone state s_t:

  measurement (where HR y_t is observed):  k = f_gain(P, R_hr);  nu = y_t - g
                                           g += k nu;  g' += 0.5 k nu;  P *= (1 - k, 1 - 0.5 k)
  anchor (HR known, e.g. a window start):  g = y_t,  P_g = P_MIN (g' kept: the model's own estimate)
  prediction to t+1:                       g += g';  g' += f_tr(s_t, z);  P += Q(s_t)
  drive pseudo-observation (when no HR     k = f_gain(P, R(s_t));  nu = f_obs(s_t) - g
  is measured at t+1):                     g += k nu;  g' += 0.5 k nu;  P *= (1 - k, 1 - 0.5 k)

So a measured second's innovation is the HR itself, an unmeasured one's the HR the drive demands:
through a dropout the filter carries on from the velocity it tracked on the measured HR.

f_gain: k = sigmoid(log P_g - log R + MLP(log P_g, log P_v, log R)), the classical gain P_g / (P_g + R)
with a learned correction, shared by both updates; R_hr is a learned constant, Q(s_t) and R(s_t) are
MLPs (log scale). The fixed 0.5 damps velocity corrections as in
the paper. After every update g is clipped to HR_BOUNDS_BPM and g' to +-V_MAX_BPM_S.
"""

from __future__ import annotations

import numpy as np

from gaitnode import tf_env
from gaitnode.training.hr_backbone import (
    G_MAX, G_MIN, Backbone, Mlp, collect_variables, dense, leaky, time_major,
)
from gaitnode.training.hr_data import HR_CENTER, HR_SCALE

GAMMA = 0.5  # velocity correction damping (paper)
V_MAX_BPM_S = 5.0  # fastest plausible HR change
P_MIN = 1e-4  # covariance floor (latent units squared)


class NeuralKalmanHr:
    """The neural Kalman HR model; call with (x, y, anchor, observe) as in hr_backbone."""

    kind = "neural_kalman"

    def __init__(self, hidden: int = 32, seed: int = 0, transition_hidden: int = 16):
        tf, _ = tf_env.load()
        self.config = {"hidden": int(hidden), "seed": int(seed), "transition_hidden": int(transition_hidden)}
        self.backbone = Backbone(hidden, seed)
        self.obs = Mlp(hidden, 1, seed + 10)
        self.noise = Mlp(hidden, 2, seed + 20, out_scale=0.1)
        self.meas = Mlp(hidden, 1, seed + 30, out_scale=0.1)
        self.tr_s = dense(transition_hidden, seed + 40)
        self.tr_z = dense(transition_hidden, seed + 41, use_bias=False)
        self.tr_out = dense(1, seed + 42, scale=0.01)
        self.gain = Mlp(16, 1, seed + 50, out_scale=0.1)
        # log variances, latent units: Q ~ (0.3 bpm)^2 per s, R ~ (6 bpm)^2, R_hr ~ (1.5 bpm)^2, P0 ~ (3 bpm)^2
        self.q_bias = tf.Variable(np.log([1e-4, 1e-5]), dtype=tf.float32, name="q_bias")
        self.r_bias = tf.Variable(np.log(0.04), dtype=tf.float32, name="r_bias")
        self.log_r_hr = tf.Variable(np.log(2.5e-3), dtype=tf.float32, name="log_r_hr")
        self.log_p0 = tf.Variable(np.log([1e-2, 1e-3]), dtype=tf.float32, name="log_p0")

    @property
    def variables_(self) -> list:
        return collect_variables(self.backbone, self.obs, self.noise, self.meas, self.tr_s, self.tr_z, self.tr_out,
                                 self.gain, self.q_bias, self.r_bias, self.log_r_hr, self.log_p0)

    def _gain(self, pg, pv, log_r):
        """Scalar gain: the classical P_g / (P_g + R) in logit form, corrected by the learned f_gain."""
        tf, _ = tf_env.load()
        log_pg = tf.math.log(pg)
        f = tf.stack([log_pg, tf.math.log(pv), log_r], axis=-1)
        return tf.sigmoid(log_pg - log_r + self.gain(f)[..., 0])

    def __call__(self, x, y, anchor, observe, training: bool = False):
        tf, _ = tf_env.load()
        yn = (y - HR_CENTER) / HR_SCALE
        s = self.backbone(x, yn, tf.clip_by_value(anchor + observe, 0.0, 1.0))
        o = self.obs(s)[..., 0]
        q = tf.exp(self.noise(s) + self.q_bias)  # [B, T, 2]
        log_r = self.meas(s)[..., 0] + self.r_bias
        a_s = self.tr_s(s)
        v_max = V_MAX_BPM_S / HR_SCALE
        observe_next = tf.concat([observe[:, 1:], tf.zeros_like(observe[:, :1])], axis=1)
        seq = time_major(o, q, log_r, a_s, anchor, observe, observe_next, yn)
        log_r_hr = self.log_r_hr

        def update(g, v, pg, pv, k, nu):
            g = tf.clip_by_value(g + k * nu, G_MIN, G_MAX)
            v = tf.clip_by_value(v + GAMMA * k * nu, -v_max, v_max)
            return g, v, tf.maximum(pg * (1.0 - k), P_MIN), tf.maximum(pv * (1.0 - GAMMA * k), P_MIN)

        def step(carry, inp):
            g, v, pg, pv, _ = carry
            ot, qt, lrt, ast, an, ob, ob_next, yt = inp
            # HR measurement (gap filling): learned gain on the innovation
            k = ob * self._gain(pg, pv, log_r_hr + tf.zeros_like(pg))
            g, v, pg, pv = update(g, v, pg, pv, k, yt - g)
            # anchor: the HR is known exactly
            g = an * yt + (1.0 - an) * g
            pg = an * P_MIN + (1.0 - an) * pg
            out = g
            # prediction from the drive
            acc = self.tr_out(leaky(ast + self.tr_z(tf.stack([g, v], axis=-1))))[..., 0]
            g = tf.clip_by_value(g + v, G_MIN, G_MAX)
            v = tf.clip_by_value(v + acc, -v_max, v_max)
            pg, pv = pg + qt[..., 0], pv + qt[..., 1]
            # pseudo-observation of the demanded HR, unless the HR itself is measured at t+1
            k = (1.0 - ob_next) * self._gain(pg, pv, lrt)
            g, v, pg, pv = update(g, v, pg, pv, k, ot - g)
            return g, v, pg, pv, out

        b = tf.shape(yn)[0]
        p0 = tf.exp(self.log_p0)
        init = (tf.zeros([b]), tf.zeros([b]), tf.fill([b], p0[0]), tf.fill([b], p0[1]), tf.zeros([b]))
        g = tf.scan(step, seq, initializer=init)[4]
        return HR_CENTER + HR_SCALE * tf.transpose(g)

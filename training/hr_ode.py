"""Neural ODE HR model (paper 002, section 4 and appendix B.1).

    dg/du = d(s_t) - g,   u: latent time with du/dt = 1 / tau(s_t),   HR = HR_CENTER + HR_SCALE * g

s_t is the backbone state (encoder + GRU of the drive); d (the HR the current effort demands) and
tau (how fast HR follows it, TAU_MIN_S + softplus) are small MLPs of s_t. The paper integrates
dg/dt = d - g in its own latent time; a learned time scale makes the same right-hand side cover
HR time constants of tens of seconds at 1 s steps. Integration: classical RK4 over each 1 s step,
d linear between the step's ends. Where the HR is known (anchor or observe) the state is set to
it; the ODE has no gain to weigh a measurement. HR is clipped to HR_BOUNDS_BPM.
"""

from __future__ import annotations

import numpy as np

from gaitnode import tf_env
from gaitnode.training.hr_backbone import G_MAX, G_MIN, Backbone, Mlp, collect_variables, time_major
from gaitnode.training.hr_data import HR_CENTER, HR_SCALE

TAU_MIN_S = 2.0  # RK4 at a 1 s step is stable for steps up to 2.78 time constants


class NeuralOdeHr:
    """The neural ODE HR model; call with (x, y, anchor, observe) as in hr_backbone."""

    kind = "neural_ode"

    def __init__(self, hidden: int = 32, seed: int = 0, tau_init_s: float = 40.0):
        tf, _ = tf_env.load()
        self.config = {"hidden": int(hidden), "seed": int(seed), "tau_init_s": float(tau_init_s)}
        self.backbone = Backbone(hidden, seed)
        self.demand = Mlp(hidden, 1, seed + 10)
        self.rate = Mlp(hidden, 1, seed + 20, out_scale=0.1)
        # softplus(bias) + TAU_MIN_S = tau_init_s at the start (small output weights)
        self.tau_bias = tf.Variable(np.log(np.expm1(tau_init_s - TAU_MIN_S)), dtype=tf.float32, name="tau_bias")

    @property
    def variables_(self) -> list:
        return collect_variables(self.backbone, self.demand, self.rate, self.tau_bias)

    def __call__(self, x, y, anchor, observe, training: bool = False):
        tf, _ = tf_env.load()
        yn = (y - HR_CENTER) / HR_SCALE
        known = tf.clip_by_value(anchor + observe, 0.0, 1.0)
        s = self.backbone(x, yn, known)
        d = self.demand(s)[..., 0]
        tau = TAU_MIN_S + tf.nn.softplus(self.rate(s)[..., 0] + self.tau_bias)
        h = 1.0 / tau
        d1 = tf.concat([d[:, 1:], d[:, -1:]], axis=1)
        seq = time_major(d, 0.5 * (d + d1), d1, h, known, yn)

        def step(carry, inp):
            g, _ = carry
            d0, dm, dn, hh, k, yk = inp
            g = k * yk + (1.0 - k) * g
            g = tf.clip_by_value(g, G_MIN, G_MAX)
            k1 = d0 - g
            k2 = dm - (g + 0.5 * hh * k1)
            k3 = dm - (g + 0.5 * hh * k2)
            k4 = dn - (g + hh * k3)
            return g + hh / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4), g

        g0 = tf.zeros_like(yn[:, 0])
        _, g = tf.scan(step, seq, initializer=(g0, g0))
        return HR_CENTER + HR_SCALE * tf.transpose(g)

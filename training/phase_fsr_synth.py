"""Synthetic heel and ball (forefoot) forces from the simulator's gait events, to test the FSR rules.

The simulator's stride table (simulate.gait.plan_strides: per leg t_hs, t_ff, t_ho, t_to and the
push-off before each stride, t_ho_prev / t_to_prev) says when each part of the foot is off the
ground: the heel from heel off to the next heel strike, the forefoot from toe off to the next foot
flat (for the last stride of a walk: to the final step's heel strike and foot flat). Outside those
intervals (stance, and standing between walks) the part carries load.

Force shapes (fractions of body weight, BW): the heel rises over `ramp_s` from its heel strike to
an impact peak (~1.2 BW) that settles to ~0.6 BW, and falls to zero over `ramp_s` ending at heel off;
the ball rises from foot flat and falls to zero at toe off, with a push-off peak (~1.1 BW) before
toe off. A sensor offset and white noise (noise_bw, BW) are added. SYNTHETIC: not a model of any
insole; it only places the threshold crossings at the simulator's event times.
"""

from __future__ import annotations

import numpy as np

from gaitnode.errors import GaitnodeError
from gaitnode.sessions.model import SIDES


def _envelope(t: np.ndarray, off_start: np.ndarray, off_stop: np.ndarray, ramp_s: float):
    """(envelope in [0, 1], seconds since the last landing, seconds to the next lift-off) for a part that is
    off the ground in [off_start_i, off_stop_i)."""
    order = np.argsort(off_start)
    a, b = off_start[order], off_stop[order]
    i = np.searchsorted(a, t, side="right") - 1  # last interval starting at or before t
    inside = (i >= 0) & (t < np.where(i >= 0, b[np.maximum(i, 0)], -np.inf))
    since = np.where(i >= 0, t - b[np.maximum(i, 0)], np.inf)  # since the last landing
    j = i + 1
    until = np.where(j < len(a), a[np.minimum(j, len(a) - 1)] - t, np.inf)  # to the next lift-off
    env = np.clip(np.minimum(since, until) / ramp_s, 0.0, 1.0)
    env[inside] = 0.0
    return env, since, until


def synthetic_fsr(strides, side: str, t_s, *, body_weight_n: float = 700.0, ramp_s: float = 0.015,
                  noise_bw: float = 0.01, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(heel, ball) force in N at times t_s (s) of leg `side` from the simulator's stride table.
    SYNTHETIC (see the module docstring)."""
    if side not in SIDES:
        raise GaitnodeError(f"side {side!r} is not one of {', '.join(SIDES)}")
    t = np.asarray(t_s, np.float64)
    leg = strides[strides["side"] == SIDES.index(side)]
    if not len(leg):
        raise GaitnodeError(f"the stride table has no {side} strides")
    # Every stride's swing into it, plus the last swing of each bout (into the final step, whose foot flat
    # follows its heel strike as in the stride before it).
    last = leg.groupby("bout", sort=False).tail(1)
    final_ff = last["t_next_hs"] + (last["t_ff"] - last["t_hs"])
    heel_env, heel_since, _ = _envelope(t, np.r_[leg["t_ho_prev"], last["t_ho"]], np.r_[leg["t_hs"], last["t_next_hs"]],
                                        ramp_s)
    ball_env, _, ball_until = _envelope(t, np.r_[leg["t_to_prev"], last["t_to"]], np.r_[leg["t_ff"], final_ff], ramp_s)
    heel = heel_env * (0.6 + 0.6 * np.exp(-np.clip(heel_since, 0, None) / 0.08))
    ball = ball_env * (0.5 + 0.6 * np.exp(-np.clip(ball_until, 0, None) / 0.12))
    rng = np.random.default_rng(seed)
    offset = rng.uniform(-0.01, 0.01, 2)
    heel = heel + offset[0] + noise_bw * rng.standard_normal(len(t))
    ball = ball + offset[1] + noise_bw * rng.standard_normal(len(t))
    return (heel * body_weight_n).astype(np.float64), (ball * body_weight_n).astype(np.float64)

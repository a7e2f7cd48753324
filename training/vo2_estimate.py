"""The node's VO2 estimate stage in Python: per-window outputs -> estimates -> smoothed VO2.

What the firmware's gn_vo2 stage does with the model's outputs (and what evaluation scores):

1. every `period_s` (CONFIG estimate_period_ms, 5 s by default) from the session's first
   sample, the outputs of the windows that ended in that period are averaged into one estimate
   u_j; a period without an output holds the previous period's mean; no estimate before the
   first output;
2. the estimates are smoothed by a first-order filter, exact discretisation of
   dx/dt = (u - x) / tau with u held over the step: x_j = x_{j-1} + (1 - exp(-dt_j / tau)) (u_j - x_{j-1}),
   dt_j the time since the previous estimate; x starts at the first estimate; tau 0 = no smoothing.

This is the CNN-LSTM path of the firmware's gn_vo2.h (gn_vo2_model_output / gn_vo2_estimate).

VO2 follows a change of effort with a time constant of 20-45 s (phase II kinetics); a window
sees only the current gait, so the smoothing puts the lag back. Training fits the per-window
model through the same filter (`vo2_trainer`), and `fit_smoothing` picks tau on validation data.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gaitnode.errors import GaitnodeError

DEFAULT_PERIOD_S = 5.0
TAU_GRID_S = (0.0, 5.0, 10.0, 15.0, 20.0, 25.0, 30.0, 35.0, 40.0, 50.0, 60.0, 80.0)


def smooth(t_s, u, tau_s: float) -> np.ndarray:
    """First-order smoothing of values u at increasing times t_s (see the module docstring), float64."""
    t = np.asarray(t_s, np.float64)
    u = np.asarray(u, np.float64)
    if t.shape != u.shape or t.ndim != 1:
        raise GaitnodeError(f"smoothing: times {t.shape} and values {u.shape} must be 1-D of one length")
    if not np.isfinite(tau_s) or tau_s < 0:
        raise GaitnodeError(f"smoothing time constant must be >= 0 s, got {tau_s!r}")
    x = np.empty_like(u)
    if len(u) == 0:
        return x
    if tau_s == 0:
        return u.copy()
    x[0] = u[0]
    a = -np.expm1(-np.diff(t) / float(tau_s))
    for j in range(1, len(u)):
        x[j] = x[j - 1] + a[j - 1] * (u[j] - x[j - 1])
    return x


@dataclass
class Estimates:
    """The node's VO2 estimates of one session: t_s [J] (s), raw [J] (period means of the window
    outputs, ml/kg/min), smoothed [J] (ml/kg/min, what the node reports)."""

    t_s: np.ndarray
    raw: np.ndarray
    smoothed: np.ndarray


def period_means(t_end, outputs, *, period_s: float = DEFAULT_PERIOD_S, t0: float = 0.0,
                 t_last: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(estimate times, inputs) of the node's estimate stage: at t0 + j P (j = 1, 2, ... up to
    t_last, default the last window's end) the mean of the outputs of windows ending in
    (t0 + (j-1) P, t0 + j P], or the previous mean when none did; nothing before the first output."""
    t_end = np.asarray(t_end, np.float64)
    y = np.asarray(outputs, np.float64).reshape(-1)
    if t_end.shape != y.shape:
        raise GaitnodeError(f"estimates: {len(t_end)} window times for {len(y)} outputs")
    if not period_s > 0:
        raise GaitnodeError(f"estimate period must be positive, got {period_s!r} s")
    if len(y) == 0:
        return np.zeros(0), np.zeros(0)
    last = float(t_end[-1]) if t_last is None else float(t_last)
    # Period j holds t in (t0 + (j-1) P, t0 + j P]; 1e-9 keeps a window ending on a boundary in its period.
    j = np.maximum(np.ceil((t_end - t0) / period_s - 1e-9).astype(np.int64), 1)
    n_periods = max(int(np.floor((last - t0) / period_s + 1e-9)), int(j[-1]) if t_last is None else 0)
    sums = np.bincount(j, weights=y, minlength=n_periods + 1)[1:n_periods + 1]
    counts = np.bincount(j, minlength=n_periods + 1)[1:n_periods + 1]
    first = int(j[0]) - 1
    if first >= n_periods:
        return np.zeros(0), np.zeros(0)
    means = np.empty(n_periods - first)
    held = np.nan
    for k in range(first, n_periods):
        if counts[k]:
            held = sums[k] / counts[k]
        means[k - first] = held
    return t0 + period_s * np.arange(first + 1, n_periods + 1), means


def device_estimates(t_end, outputs, *, tau_s: float, period_s: float = DEFAULT_PERIOD_S,
                     t0: float = 0.0, t_last: float | None = None) -> Estimates:
    """The node's estimates from per-window outputs (ml/kg/min) at window end times t_end (s)."""
    t, raw = period_means(t_end, outputs, period_s=period_s, t0=t0, t_last=t_last)
    return Estimates(t_s=t, raw=raw, smoothed=smooth(t, raw, tau_s))


def fit_smoothing(sessions, *, period_s: float = DEFAULT_PERIOD_S, grid=TAU_GRID_S) -> tuple[float, dict]:
    """The tau (s) of `grid` with the lowest mean absolute percentage error of the smoothed estimates.

    sessions: iterable of (t_end [n], outputs [n], t0, reference(t) -> ml/kg/min) per session.
    Returns (best tau, {tau: MAPE %}). GaitnodeError when no estimate has a positive reference.
    """
    sessions = list(sessions)
    scores = {}
    for tau in grid:
        errs = []
        for t_end, out, t0, ref in sessions:
            est = device_estimates(t_end, out, tau_s=float(tau), period_s=period_s, t0=t0)
            r = ref(est.t_s)
            ok = np.isfinite(r) & (r > 0)
            errs.append(np.abs(est.smoothed[ok] - r[ok]) / r[ok])
        e = np.concatenate(errs) if errs else np.zeros(0)
        if e.size == 0:
            raise GaitnodeError("smoothing fit: no estimate has a positive VO2 reference")
        scores[float(tau)] = float(100.0 * e.mean())
    best = min(scores, key=lambda k: (scores[k], k))
    return best, scores

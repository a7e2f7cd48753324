"""A VO2 model over a whole session: windows at the deployed hop, outputs, the node's estimates.

Window k holds samples [k*hop, k*hop + W) and its output (ml/kg/min) belongs to the time of its
last sample, when the node would run it. `session_estimates` turns the outputs into what the
node reports (period means, smoothed with model.json smooth_tau_s; see vo2_estimate).
"""

from __future__ import annotations

import numpy as np

from gaitnode.errors import GaitnodeError
from gaitnode.sessions.model import Session
from gaitnode.training.datasets import session_name
from gaitnode.training.vo2_dataset import check_vo2_session, model_inputs, session_windows_at_hop
from gaitnode.training.vo2_estimate import DEFAULT_PERIOD_S, Estimates, device_estimates


def session_vo2_windows(session: Session, meta: dict) -> np.ndarray:
    """The model inputs of a session: float32 [n, W, C], normalised and clipped (model.json input_clip),
    windows every hop samples.
    GaitnodeError for a session at another rate than the model's or shorter than one window."""
    check_vo2_session(session, source=None, rate_hz=meta["rate_hz"], need_mass=False)
    x, starts, _ = session_windows_at_hop(session, meta["channels"], int(meta["window"]), int(meta["hop"]))
    return model_inputs(x[starts[:, None] + np.arange(int(meta["window"]))], meta["norm_mean"], meta["norm_std"],
                        meta.get("input_clip"))


def predict_vo2_session(session: Session, meta: dict, runner) -> tuple[np.ndarray, np.ndarray]:
    """(window end times [n] s, outputs [n] ml/kg/min) of `runner` (anything with
    predict(X [n, W, C]) -> [n, 1]: Keras, LiteRT or TFLM runners) on the session.
    GaitnodeError for a wrong rate or placement, or a runner output of the wrong shape."""
    check_vo2_session(session, source=None, rate_hz=meta["rate_hz"], placement=meta["placement"], need_mass=False)
    x, starts, t_end = session_windows_at_hop(session, meta["channels"], int(meta["window"]), int(meta["hop"]))
    X = model_inputs(x[starts[:, None] + np.arange(int(meta["window"]))], meta["norm_mean"], meta["norm_std"],
                     meta.get("input_clip"))
    out = np.asarray(runner.predict(X))
    if out.shape != (len(X), 1):
        raise GaitnodeError(f"{session_name(session)}: the model runner returned shape {out.shape} for {len(X)} "
                            f"windows; expected ({len(X)}, 1)")
    return t_end, out[:, 0].astype(np.float64)


def session_estimates(session: Session, meta: dict, runner, *, period_s: float = DEFAULT_PERIOD_S,
                      tau_s: float | None = None) -> Estimates:
    """The node's VO2 estimates (ml/kg/min) for the session: outputs averaged per period_s and
    smoothed with tau_s (None: model.json smooth_tau_s), periods counted from the first sample."""
    t_end, out = predict_vo2_session(session, meta, runner)
    tau = float(meta["smooth_tau_s"]) if tau_s is None else float(tau_s)
    t = session.imu.t_s
    return device_estimates(t_end, out, tau_s=tau, period_s=period_s, t0=float(t[0]), t_last=float(t[-1]))

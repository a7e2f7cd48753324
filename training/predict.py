"""Per-sample heel-strike probabilities over a whole session, stitched from window outputs.

Stitching (the model-dir contract; the firmware does the same): window k starts at s = k*hop
and contributes its outputs j in [W - hop, W) (the first window also [output_delay, W - hop))
to samples s + j - output_delay. So every sample from 0 to the end of the last window's
contribution is covered exactly once; later samples (the tail) have no output and are NaN.
"""

from __future__ import annotations

import numpy as np

from gaitnode.errors import GaitnodeError
from gaitnode.sessions.model import Session
from gaitnode.training.datasets import session_name
from gaitnode.training.windows import (
    at_rate, check_window_params, make_windows, normalise, same_rate, session_matrix,
)


def stitch(outputs: np.ndarray, n_samples: int, hop: int, output_delay: int) -> np.ndarray:
    """Per-sample float32 [n_samples] from window outputs [n, W] (NaN where no output covers a sample)."""
    outputs = np.asarray(outputs, np.float32)
    n, w = outputs.shape
    check_window_params(w, hop, output_delay)
    p = np.full(n_samples, np.nan, np.float32)
    if n == 0:
        return p
    first = outputs[0, output_delay:]
    p[:len(first)] = first[:n_samples]
    if n > 1:
        # Window k >= 1 fills samples [k*hop + W - hop - d, k*hop + W - d): contiguous blocks of hop.
        tail = outputs[1:, w - hop:].reshape(-1)
        start = w - output_delay
        end = min(n_samples, start + len(tail))
        p[start:end] = tail[:end - start]
    return p


class KerasModelRunner:
    """Adapter: an in-memory tf_keras model as a runner (`predict(X [n, W, C]) -> [n, W]`)."""

    def __init__(self, model, batch_size: int = 256):
        self.model = model
        self.batch_size = batch_size

    def predict(self, X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, np.float32)
        if len(X) == 0:
            return np.zeros((0, X.shape[1]), np.float32)
        return np.asarray(self.model.predict(X, batch_size=self.batch_size, verbose=0), np.float32)


def session_windows(session: Session, meta: dict) -> np.ndarray:
    """The model inputs of a session: float32 [n, W, C], normalised, at the model's rate (resampled
    if needed), windows every `hop` samples (the deployed hop; model.json gives all parameters)."""
    x = normalise(session_matrix(session, meta["channels"], meta["rate_hz"]), meta["norm_mean"], meta["norm_std"])
    return make_windows(x, int(meta["window"]), int(meta["hop"]), int(meta["output_delay"]),
                        name=session_name(session))


def predict_session(session: Session, meta: dict, runner) -> np.ndarray:
    """Heel-strike probability per IMU sample of `session`, float32 [N], NaN where uncovered.

    meta: the model.json dict (channels, rate_hz, window, hop, output_delay, norm_mean,
    norm_std). runner: anything with `predict(X [n, W, C] float32) -> [n, W]` (e.g.
    KerasModelRunner, or an int8 TFLite runner). A session at another rate is resampled to the
    model's rate and the probabilities are interpolated back onto its own sample times.
    Raises GaitnodeError for a session shorter than one window or a runner output of the wrong shape.
    """
    window, hop, delay = int(meta["window"]), int(meta["hop"]), int(meta["output_delay"])
    name = session_name(session)
    resampled = at_rate(session, meta["rate_hz"])
    X = session_windows(resampled, meta)
    out = np.asarray(runner.predict(X))
    if out.shape != (len(X), window):
        raise GaitnodeError(f"{name}: the model runner returned shape {out.shape} for {len(X)} windows; "
                            f"expected ({len(X)}, {window})")
    p = stitch(out, len(resampled.imu), hop, delay)
    if same_rate(session.meta.rate_hz, meta["rate_hz"]):
        return p
    return np.interp(session.imu.t_s, resampled.imu.t_s, p, left=np.nan, right=np.nan).astype(np.float32)

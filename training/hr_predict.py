"""Run an HR dynamics model over whole sequences in the paper's two modes, or with observations.

Modes (paper 002, section 4):
  standard    the HR of the first second of every window (window_s, non-overlapping, from the
              session start) is known; the model predicts the rest of each window
  generative  only the session's first second is known; the model predicts everything after it

A window whose first second has no HR (a dropout) is anchored at its first second that has one.
"""

from __future__ import annotations

import numpy as np

from gaitnode import tf_env
from gaitnode.errors import GaitnodeError
from gaitnode.training.hr_data import N_FEATURES, HrSequence

MODES = ("standard", "generative")
DEFAULT_WINDOW_S = 60


def anchor_mask(hr: np.ndarray, mode: str, window_s: int = DEFAULT_WINDOW_S) -> np.ndarray:
    """float32 [N]: 1 at the seconds whose HR the mode gives the model (first finite one per window)."""
    if mode not in MODES:
        raise GaitnodeError(f"mode {mode!r} is not one of {', '.join(MODES)}")
    if not (isinstance(window_s, (int, np.integer)) and window_s >= 2):
        raise GaitnodeError(f"window_s must be an integer of at least 2 seconds, got {window_s!r}")
    n = len(hr)
    starts = np.arange(0, n, window_s) if mode == "standard" else np.array([0])
    finite = np.isfinite(hr)
    out = np.zeros(n, np.float32)
    for s in starts:
        e = min(s + window_s, n) if mode == "standard" else n
        hit = np.flatnonzero(finite[s:e])
        if len(hit):
            out[s + hit[0]] = 1.0
    return out


def _compiled(model):
    """The model's forward pass as one traced graph for any batch and length (built once per model)."""
    fn = getattr(model, "_predict_fn", None)
    if fn is None:
        tf, _ = tf_env.load()
        spec = tf.TensorSpec([None, None], tf.float32)
        fn = tf.function(lambda x, y, a, o: model(x, y, a, o),
                         input_signature=[tf.TensorSpec([None, None, N_FEATURES], tf.float32), spec, spec, spec])
        model._predict_fn = fn
    return fn


def run_many(model, xs, hrs, anchors, observes=None) -> list[np.ndarray]:
    """run() for several sequences in one batch (padded at the end; the models are causal)."""
    n = max(len(h) for h in hrs)
    b = len(hrs)
    X = np.zeros((b, n, N_FEATURES), np.float32)
    Y, A, O = (np.zeros((b, n), np.float32) for _ in range(3))
    for i, (x, hr, a) in enumerate(zip(xs, hrs, anchors)):
        o = np.zeros(len(hr), np.float32) if observes is None or observes[i] is None else np.asarray(observes[i])
        finite = np.isfinite(hr)
        if np.any((a > 0) & ~finite) or np.any((o > 0) & ~finite):
            raise GaitnodeError("an anchored or observed second has no HR value")
        if not (a[0] or o[0]):
            raise GaitnodeError("the model starts from a known HR: the first second must be anchored or observed")
        m = len(hr)
        X[i, :m], Y[i, :m], A[i, :m], O[i, :m] = x, np.where(finite, hr, 0.0), a, o
    out = _compiled(model)(X, Y, A, O).numpy().astype(np.float64)
    return [out[i, :len(h)] for i, h in enumerate(hrs)]


def run(model, x: np.ndarray, hr: np.ndarray, anchor: np.ndarray, observe: np.ndarray | None = None) -> np.ndarray:
    """The model's HR (bpm, float64 [N]) for one sequence: x [N, F], hr [N] (NaN = unknown),
    anchor / observe [N] (see hr_backbone)."""
    return run_many(model, [x], [hr], [anchor], None if observe is None else [observe])[0]


def predict(model, seq: HrSequence, mode: str, window_s: int = DEFAULT_WINDOW_S) -> tuple[np.ndarray, np.ndarray]:
    """(predicted HR bpm [N], anchor mask [N]) of the sequence in a mode."""
    anchor = anchor_mask(seq.hr, mode, window_s)
    return run(model, seq.x, seq.hr, anchor), anchor

"""The paper's classical baselines for gait phases (paper 001, Table V): KNN and SVM (scikit-learn).

They see the same model input as the networks (windows of `window` rows, [-1, 1]-normalised and
clipped) and label the same rows (the last `hop` of each window). Each labelled row r gets a
feature vector from the rows up to it (no look-ahead, like the node): per channel the value at r,
its differences to r - 5 and r - 10, and the mean, standard deviation, minimum and maximum over
the `context` rows ending at r (6 channels -> 42 features). Features are standardised, then
    knn: KNeighborsClassifier(n_neighbors=5, distance weights);
    svm: SVC(RBF, C=10, gamma "scale").
Both are fitted on at most `max_rows` labelled rows drawn at random (the SVM's cost grows with
the square of the rows).

Saved beside their metadata: `baseline.pkl` (joblib) and `baseline.json` (the model.json fields:
channels, window, hop, norm_mean, norm_std, input_clip, classes, ...; "architecture" "knn"/"svm").
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from gaitnode.errors import GaitnodeError, refuse_existing

BASELINE_KINDS = ("knn", "svm")
BASELINE_FILE = "baseline.pkl"
BASELINE_META = "baseline.json"
LAGS = (5, 10)


def row_features(X: np.ndarray, hop: int, context: int = 20) -> np.ndarray:
    """Features of the last `hop` rows of each window X [n, W, C] -> [n * hop, C * (3 + len(LAGS))]."""
    X = np.asarray(X, np.float32)
    n, W, C = X.shape
    if not 1 <= hop <= W or context > W or max(LAGS) >= W:
        raise GaitnodeError(f"baseline features need hop <= window and {max(context, max(LAGS) + 1)} rows of "
                            f"context, got window {W}, hop {hop}")
    out = []
    for j in range(W - hop, W):
        lo = max(0, j - context + 1)
        seg = X[:, lo:j + 1]
        parts = [X[:, j]] + [X[:, j] - X[:, max(0, j - lag)] for lag in LAGS]
        parts += [seg.mean(1), seg.std(1), seg.min(1), seg.max(1)]
        out.append(np.concatenate(parts, axis=1))
    return np.stack(out, axis=1).reshape(n * hop, -1)


class PhaseBaseline:
    """KNN or SVM per-row phase classifier on window features (see the module docstring).

    Parameters: kind "knn" | "svm", max_rows (labelled rows used for fitting), seed.
    `fit(X, Y)` with model-input windows X [n, W, C] and labels Y [n, hop] (-1 ignored) returns self;
    results: estimator_ (the scikit-learn pipeline), n_rows_ (rows fitted), hop_.
    `predict(X)` -> int64 [n, hop] class indices.
    """

    def __init__(self, kind: str = "knn", max_rows: int = 20000, seed: int = 0):
        self.kind = kind
        self.max_rows = max_rows
        self.seed = seed

    def fit(self, X, Y) -> "PhaseBaseline":
        from sklearn.neighbors import KNeighborsClassifier
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler
        from sklearn.svm import SVC

        if self.kind not in BASELINE_KINDS:
            raise GaitnodeError(f"baseline {self.kind!r} is not one of {', '.join(BASELINE_KINDS)}")
        if not isinstance(self.max_rows, int) or self.max_rows < 10:
            raise GaitnodeError(f"max_rows must be an integer >= 10, got {self.max_rows!r}")
        X, Y = np.asarray(X, np.float32), np.asarray(Y, np.int64)
        if X.ndim != 3 or Y.ndim != 2 or len(X) != len(Y):
            raise GaitnodeError(f"baseline fit needs windows [n, W, C] and labels [n, hop], got {X.shape} and "
                                f"{Y.shape}")
        hop = Y.shape[1]
        y = Y.reshape(-1)
        rows = np.flatnonzero(y >= 0)
        if len(np.unique(y[rows])) < 2:
            raise GaitnodeError("baseline fit needs labelled rows of at least 2 phases")
        rng = np.random.default_rng(self.seed)
        rows = np.sort(rng.choice(rows, size=min(self.max_rows, len(rows)), replace=False))
        win = np.unique(rows // hop)  # the windows of the chosen rows (sorted)
        feats = row_features(X[win], hop)
        pos = np.searchsorted(win, rows // hop) * hop + rows % hop
        clf = (KNeighborsClassifier(n_neighbors=5, weights="distance") if self.kind == "knn"
               else SVC(C=10.0, gamma="scale", random_state=self.seed))
        self.estimator_ = make_pipeline(StandardScaler(), clf).fit(feats[pos], y[rows])
        self.n_rows_, self.hop_ = int(len(rows)), int(hop)
        return self

    def predict(self, X) -> np.ndarray:
        X = np.asarray(X, np.float32)
        if len(X) == 0:
            return np.zeros((0, self.hop_), np.int64)
        out = [self.estimator_.predict(row_features(X[b:b + 4096], self.hop_)) for b in range(0, len(X), 4096)]
        return np.concatenate(out).astype(np.int64).reshape(len(X), self.hop_)


def save_baseline(path, baseline: PhaseBaseline, meta: dict, *, overwrite: bool = False) -> Path:
    """Write baseline.pkl + baseline.json into directory `path`."""
    import joblib

    d = Path(path)
    refuse_existing([d / BASELINE_FILE, d / BASELINE_META], overwrite=overwrite)
    d.mkdir(parents=True, exist_ok=True)
    joblib.dump(baseline, d / BASELINE_FILE)
    (d / BASELINE_META).write_text(json.dumps(meta, sort_keys=True, indent=2) + "\n", encoding="utf-8")
    return d


def is_baseline_dir(path) -> bool:
    return (Path(path) / BASELINE_META).is_file()


def load_baseline(path) -> tuple[PhaseBaseline, dict]:
    """(baseline, meta) from a directory written by save_baseline. Only load directories you made:
    baseline.pkl is a pickle."""
    import joblib

    d = Path(path)
    for f in (d / BASELINE_META, d / BASELINE_FILE):
        if not f.is_file():
            raise GaitnodeError(f"{f}: no such file; {d} is not a phase baseline directory "
                                f"(train one with `gaitnode train phase --architecture knn|svm`)")
    try:
        meta = json.loads((d / BASELINE_META).read_text(encoding="utf-8"))
        baseline = joblib.load(d / BASELINE_FILE)
    except Exception as e:  # a damaged pickle raises many types
        raise GaitnodeError(f"{d}: cannot load the baseline ({type(e).__name__}: {e})") from None
    if not isinstance(baseline, PhaseBaseline) or not isinstance(meta, dict) or meta.get("task") != "gait_phase":
        raise GaitnodeError(f"{d}: not a gait-phase baseline")
    return baseline, meta

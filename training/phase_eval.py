"""Score gait-phase predictions as paper 001 does, overall and per terrain, protocol and session.

Predictors (`PhasePredictor(kind, model_dir)`) label the last `hop` rows of every window of a session
(phase_dataset.phase_windows, the deployed hop, so every row after the first window - hop rows is
labelled exactly once):
    float: the Keras model; int8: the int8 .tflite in LiteRT (reference kernels);
    tflm: the int8 model in the TFLite-Micro interpreter (as on the node, arena from quantize.json);
    knn / svm: the classical baselines (phase_baselines).
The label of a row is the argmax of its softmax.

Metrics (metrics.classification.classification_report, rows whose true phase is -1 ignored):
accuracy, per-phase precision / recall / F1, macro-F1, micro-F1, confusion matrix (rows = true).
Terrain from the sessions' activity labels: level (walking, running), stairs_up, stairs_down.

Report (`report_`, JSON-ready): {"classes", "synthetic", "n_sessions", "overall": report,
"by_terrain": {terrain: report}, "by_protocol": {protocol: report}, "sessions": [{"name", "subject",
"protocol", "n_rows", "accuracy", "macro_f1"}]}, each report ClassificationReport.to_dict().
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from gaitnode.errors import GaitnodeError
from gaitnode.metrics.classification import classification_report
from gaitnode.sessions.model import Session
from gaitnode.training.datasets import session_name
from gaitnode.training.phase_dataset import TERRAINS, phase_windows

PREDICTOR_KINDS = ("float", "int8", "tflm", "knn", "svm")


class PhasePredictor:
    """One model (or baseline) as `predict(X [n, W, C] model input) -> int64 [n, hop]` phase indices.

    kind: one of PREDICTOR_KINDS; model_dir: the model folder (model.json) or, for knn / svm, the
    baseline folder (baseline.json). `meta` is its metadata; `proba(X)` gives [n, hop, K] for the networks.
    """

    def __init__(self, kind: str, model_dir):
        if kind not in PREDICTOR_KINDS:
            raise GaitnodeError(f"phase predictor {kind!r} is not one of {', '.join(PREDICTOR_KINDS)}")
        self.kind, self.model_dir = kind, Path(model_dir)
        if kind in ("knn", "svm"):
            from gaitnode.training.phase_baselines import load_baseline

            self._baseline, self.meta = load_baseline(self.model_dir)
            if self.meta.get("architecture") != kind:
                raise GaitnodeError(f"{self.model_dir}: a {self.meta.get('architecture')} baseline, not {kind}")
            return
        from gaitnode.training.model_dir import load_meta

        self.meta = load_meta(self.model_dir)
        if self.meta.get("task") != "gait_phase":
            raise GaitnodeError(f"{self.model_dir}: a {self.meta.get('task')} model, not a gait-phase model")
        if kind == "float":
            from gaitnode.quantize.runners import KerasRunner

            self._runner = KerasRunner(self.model_dir)
        else:
            self._runner = _int8_runner(kind, self.model_dir)

    def proba(self, X) -> np.ndarray:
        if self.kind in ("knn", "svm"):
            raise GaitnodeError(f"the {self.kind} baseline gives labels, not probabilities")
        hop, k = int(self.meta["hop"]), len(self.meta["classes"])
        return np.asarray(self._runner.predict(X), np.float32).reshape(len(X), hop, k)

    def predict(self, X) -> np.ndarray:
        if self.kind in ("knn", "svm"):
            return self._baseline.predict(X)
        return self.proba(X).argmax(-1).astype(np.int64)


def _int8_runner(kind: str, model_dir: Path):
    from gaitnode.quantize.convert import INT8_FILE
    from gaitnode.quantize.quantizer import REPORT_FILE
    from gaitnode.quantize.runners import LiteRTRunner, TFLMRunner

    path = model_dir / INT8_FILE
    if not path.is_file():
        raise GaitnodeError(f"{path}: no such file; run `gaitnode quantize phase {model_dir}` first")
    if kind == "int8":
        return LiteRTRunner(path)
    try:
        arena = int(json.loads((model_dir / REPORT_FILE).read_text())["arena_bytes"])
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise GaitnodeError(f"{model_dir / REPORT_FILE}: no readable arena size ({type(e).__name__}: {e}); run "
                            f"`gaitnode quantize phase {model_dir}` again") from None
    return TFLMRunner(path.read_bytes(), arena, what=f"{path} (TFLM)")


def _report(y_true, y_pred, classes) -> dict:
    if not np.any(np.asarray(y_true) >= 0):
        return {"n_samples": 0}
    return classification_report(y_true, y_pred, labels=range(len(classes)), names=classes).to_dict()


class PhaseEvaluation:
    """Per-row phase metrics over several sessions (see the module docstring).

    `evaluate(sessions, predictions, meta, names=None)`: predictions[i] int64 [n_i, hop] for the windows
    of phase_windows(sessions[i], meta). Returns self with report_ and rows_ ({session name:
    (y_true [m], y_pred [m], terrain [m])} of the labelled rows).
    """

    def evaluate(self, sessions: list[Session], predictions, meta: dict, names=None) -> "PhaseEvaluation":
        sessions, predictions = list(sessions), list(predictions)
        if not sessions:
            raise GaitnodeError("no sessions to evaluate")
        if len(sessions) != len(predictions):
            raise GaitnodeError(f"{len(sessions)} sessions but {len(predictions)} prediction arrays")
        names = list(names) if names is not None else [session_name(s) for s in sessions]
        classes = list(meta["classes"])
        rows, per_session, by_protocol = {}, [], {}
        all_t, all_p, all_g = [], [], []
        for s, pred, name in zip(sessions, predictions, names):
            _, Y, T = phase_windows(s, meta)
            pred = np.asarray(pred)
            if pred.shape != Y.shape:
                raise GaitnodeError(f"{name}: predictions of shape {pred.shape} for {Y.shape} labelled rows")
            keep = Y >= 0
            t, p, g = Y[keep], pred[keep].astype(np.int64), T[keep]
            rows[name] = (t, p, g)
            protocol = s.meta.protocol or "unknown"
            by_protocol.setdefault(protocol, ([], []))
            by_protocol[protocol][0].append(t)
            by_protocol[protocol][1].append(p)
            r = _report(t, p, classes)
            per_session.append({"name": name, "subject": str(s.meta.subject.id), "protocol": protocol,
                                "n_rows": int(len(t)), "accuracy": r.get("accuracy"), "macro_f1": r.get("macro_f1")})
            all_t.append(t)
            all_p.append(p)
            all_g.append(g)
        t, p, g = np.concatenate(all_t), np.concatenate(all_p), np.concatenate(all_g)
        if len(t) == 0:
            raise GaitnodeError("no labelled gait rows to score (every phase label is -1)")
        self.rows_ = rows
        self.report_ = {
            "classes": classes, "synthetic": all(bool(s.meta.synthetic) for s in sessions),
            "n_sessions": len(sessions), "overall": _report(t, p, classes),
            "by_terrain": {name: _report(t[g == k], p[g == k], classes) for k, name in enumerate(TERRAINS)},
            "by_protocol": {k: _report(np.concatenate(a), np.concatenate(b), classes)
                            for k, (a, b) in sorted(by_protocol.items())},
            "sessions": per_session,
        }
        return self


def predict_sessions(predictor: PhasePredictor, sessions: list[Session]) -> list[np.ndarray]:
    """The predictor's labels [n_i, hop] for every window of every session (phase_windows)."""
    return [predictor.predict(phase_windows(s, predictor.meta)[0]) for s in sessions]


def agreement(a: list[np.ndarray], b: list[np.ndarray]) -> float:
    """Fraction of rows on which two predictors give the same phase (e.g. int8 vs float)."""
    x, y = np.concatenate([v.ravel() for v in a]), np.concatenate([v.ravel() for v in b])
    if x.shape != y.shape or x.size == 0:
        raise GaitnodeError(f"cannot compare {x.size} with {y.size} predicted rows")
    return float((x == y).mean())

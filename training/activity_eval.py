"""Score an activity model on sessions: the paper's metrics per window, overall, per protocol and subject.

Windows are the node's (activity_dataset: 50 Hz rows, the model's window and deployed hop, labels by
the model's label rule); unlabelled windows (running, unknown) are left out and counted. The
prediction of a window is the argmax of the model's softmax. Metrics (paper 003's Table I and
Fig. 6; metrics.classification.classification_report): accuracy, per-class precision / recall /
F1 / support, macro- and micro-F1, confusion matrix (rows true, columns predicted). "steady"
repeats accuracy on windows whose rows all hold one activity (no transition inside), the kind of
windows UCI HAR keeps.

Runners (`activity_runner`): "float" (Keras), "int8" (LiteRT reference kernels) or "tflm" (the int8
model in TFLite-Micro with the arena from quantize.json, as on the device).

Report (`report_`, JSON-ready): {"classes", "label_rule", "n_sessions", "synthetic", "n_windows",
"n_unlabelled", "overall": classification_report(...).to_dict(), "steady": {"n", "accuracy"},
"by_protocol": {name: {"n", "accuracy", "macro_f1"}}, "by_subject": {...}, "sessions": [{"name",
"subject", "protocol", "n", "accuracy"}]}.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from gaitnode.errors import GaitnodeError
from gaitnode.metrics.classification import classification_report
from gaitnode.sessions.model import Session
from gaitnode.training.activity_dataset import meta_label_rule, prepare_for_model
from gaitnode.training.vo2_dataset import model_inputs

RUNNER_KINDS = ("float", "int8", "tflm")
QUANTIZE_NAME = "activity"


def check_activity_meta(meta: dict, where) -> dict:
    if meta.get("task") != "activity":
        raise GaitnodeError(f"{where}: a {meta.get('task')} model, not an activity model "
                            f"(train one with `gaitnode train activity`)")
    return meta


def activity_runner(model_dir, kind: str = "float"):
    """(runner, meta): a runner (`predict(X [n, W, C] normalised) -> [n, n_classes]` probabilities)
    of the activity model in `model_dir`, kind "float" | "int8" | "tflm" (module docstring)."""
    from gaitnode.quantize.quantizer import output_paths
    from gaitnode.quantize.runners import KerasRunner, LiteRTRunner, TFLMRunner
    from gaitnode.training.model_dir import load_meta

    if kind not in RUNNER_KINDS:
        raise GaitnodeError(f"activity model kind {kind!r} is not one of {', '.join(RUNNER_KINDS)}")
    model_dir = Path(model_dir)
    meta = check_activity_meta(load_meta(model_dir), model_dir)
    if kind == "float":
        return KerasRunner(model_dir), meta
    paths = output_paths(model_dir, QUANTIZE_NAME)
    if not paths["int8_tflite"].is_file() or not paths["report"].is_file():
        raise GaitnodeError(f"{model_dir}: no int8 model; run `gaitnode quantize activity {model_dir} "
                            f"--data SESSIONS` first")
    if kind == "int8":
        return LiteRTRunner(paths["int8_tflite"]), meta
    try:
        arena = int(json.loads(paths["report"].read_text(encoding="utf-8"))["arena_bytes"])
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise GaitnodeError(f"{paths['report']}: cannot read arena_bytes ({e})") from None
    return TFLMRunner(paths["int8_tflite"].read_bytes(), arena, what=f"{paths['int8_tflite']} (TFLM)"), meta


def predict_prepared(prepared, meta: dict, runner) -> np.ndarray:
    """Probabilities float32 [n, n_classes] of every window of one ActivityPrepared session."""
    k = len(meta["classes"])
    if len(prepared.starts) == 0:
        return np.zeros((0, k), np.float32)
    clip = meta.get("input_clip")
    X = model_inputs(prepared.windows(), meta["norm_mean"], meta["norm_std"], None if clip is None else float(clip))
    out = np.asarray(runner.predict(X), np.float32)
    if out.shape != (len(X), k):
        raise GaitnodeError(f"{prepared.name}: the model runner returned shape {out.shape} for {len(X)} windows; "
                            f"expected ({len(X)}, {k})")
    return out


def _summary(y_true: np.ndarray, y_pred: np.ndarray, k: int) -> dict:
    if len(y_true) == 0:
        return {"n": 0, "accuracy": None, "macro_f1": None}
    r = classification_report(y_true, y_pred, labels=range(k))
    return {"n": int(len(y_true)), "accuracy": float(r.accuracy), "macro_f1": float(r.macro_f1)}


class ActivityEvaluation:
    """Scores an activity model on sessions (see the module docstring).

    Parameters: meta (the model.json dict: channels, rate, window, hop, classes, normalisation).
    `evaluate(sessions, runner)` returns self with report_ and predictions_ ({session name:
    {"end_sample", "y_true", "y_pred", "probs", "purity"}} of every window, -1 = unlabelled).
    """

    def __init__(self, meta: dict):
        self.meta = meta

    def evaluate(self, sessions: list[Session], runner) -> "ActivityEvaluation":
        sessions = list(sessions or [])
        if not sessions:
            raise GaitnodeError("no sessions to evaluate")
        meta = check_activity_meta(self.meta, "model metadata")
        classes = list(meta["classes"])
        k = len(classes)
        prepared = prepare_for_model(sessions, meta)
        preds, rows, groups = {}, [], {"protocol": {}, "subject": {}}
        t_all, p_all, steady_t, steady_p = [], [], [], []
        n_unlabelled = 0
        for p in prepared:
            probs = predict_prepared(p, meta, runner)
            y_pred = np.argmax(probs, axis=1).astype(np.int64)
            preds[p.name] = {"end_sample": p.end_sample, "y_true": p.y, "y_pred": y_pred, "probs": probs,
                             "purity": p.purity}
            keep = p.y >= 0
            n_unlabelled += int((~keep).sum())
            t, q = p.y[keep], y_pred[keep]
            t_all.append(t)
            p_all.append(q)
            steady = p.purity[keep] >= 1.0
            steady_t.append(t[steady])
            steady_p.append(q[steady])
            rows.append({"name": p.name, "subject": p.subject, "protocol": p.protocol, **_summary(t, q, k)})
            for key, value in (("protocol", p.protocol), ("subject", p.subject)):
                g = groups[key].setdefault(value, ([], []))
                g[0].append(t)
                g[1].append(q)
        y_true, y_pred = np.concatenate(t_all), np.concatenate(p_all)
        if len(y_true) == 0:
            raise GaitnodeError(f"no window of the {len(sessions)} sessions is labelled with one of "
                                f"{', '.join(classes)}; nothing to score")
        st, sp = np.concatenate(steady_t), np.concatenate(steady_p)
        self.predictions_ = preds
        self.report_ = {
            "classes": classes, "label_rule": meta_label_rule(meta), "n_sessions": len(sessions),
            "synthetic": all(bool(s.meta.synthetic) for s in sessions),
            "n_windows": int(len(y_true)), "n_unlabelled": n_unlabelled,
            "overall": classification_report(y_true, y_pred, labels=range(k), names=classes).to_dict(),
            "steady": {"n": int(len(st)), "accuracy": float(np.mean(st == sp)) if len(st) else None},
            **{f"by_{key}": {name: _summary(np.concatenate(a), np.concatenate(b), k)
                             for name, (a, b) in sorted(g.items())} for key, g in groups.items()},
            "sessions": rows,
        }
        return self


def agreement(float_probs, other_probs) -> dict:
    """How an int8 runner's outputs follow the float model's over the same windows: {"n",
    "argmax_agreement" (fraction of windows with the same class), "max_abs_prob", "mean_abs_prob"}
    (quantize's own comparisons, as in quantize.json)."""
    from gaitnode.quantize.quantizer import argmax_agreement
    from gaitnode.quantize.tflm_check import compare

    a = np.asarray(float_probs, np.float64)
    b = np.asarray(other_probs, np.float64)
    if a.shape != b.shape or a.ndim != 2 or a.size == 0:
        raise GaitnodeError(f"cannot compare probabilities of shapes {a.shape} and {b.shape}")
    d = compare(a, b)
    return {"n": int(len(a)), "argmax_agreement": argmax_agreement(a, b, a.shape[1]),
            "max_abs_prob": d["max_abs"], "mean_abs_prob": d["mean_abs"]}

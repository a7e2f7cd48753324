"""Task adapters for the compression step: per model.json task, its windows and its metric.

    a = adapter_for(meta)
    X = a.windows(sessions, meta)                 # float32 [n, W, C] model inputs
    score = a.score(sessions, meta, runner)       # the task metric of any runner (Keras, TFLM)
    a.loss(reference, score)                      # metric loss, <= 1 is the issue's target

Metrics (each in percent):
* heel_strike: event F1 (+-50 ms, `heel_strike_eval.HeelStrikeEvaluation`, the firmware's C picker)
  - loss in absolute percentage points (reference - score).
* vo2: MAPE of the node's estimates (`vo2_eval.Vo2Evaluation`) - loss relative: 100 * (score -
  reference) / reference, percent of the reference MAPE.
* gait_phase / activity: accuracy on labelled windows (`phase_dataset.phase_arrays`,
  `activity_dataset.activity_arrays`; phase scores every labelled row of each window's last hop)
  - loss in absolute percentage points.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from gaitnode.errors import GaitnodeError


@dataclass(frozen=True)
class TaskAdapter:
    """One task: name (model.json task), c_name (C identifier stem), metric (name, percent),
    higher_is_better, loss_kind ("points" | "relative"), windows / score functions."""

    task: str
    c_name: str
    metric: str
    higher_is_better: bool
    loss_kind: str
    windows: Callable
    score: Callable

    def loss(self, reference: float, score: float) -> float:
        """Metric loss of `score` against `reference` (positive = worse); see the module docstring."""
        if self.loss_kind == "relative":
            return 100.0 * (score - reference) / max(abs(reference), 1e-9)
        return (reference - score) if self.higher_is_better else (score - reference)


def _hs_windows(sessions, meta):
    from gaitnode.training.predict import session_windows
    from gaitnode.training.windows import at_rate

    return np.concatenate([session_windows(at_rate(s, meta["rate_hz"]), meta) for s in sessions])


def _hs_score(sessions, meta, runner) -> float:
    from gaitnode.ccore.hs_picker import HeelStrikePicker
    from gaitnode.training.heel_strike_eval import Detection, HeelStrikeEvaluation
    from gaitnode.training.predict import predict_session

    dets = []
    for s in sessions:  # as heel_strike_detectors.ModelDetector.detect, with any runner
        p = predict_session(s, meta, runner)
        picker = HeelStrikePicker(threshold=float(meta["threshold"]), min_interval_s=float(meta["min_interval_s"]),
                                  rate_hz=float(s.meta.rate_hz)).pick(p, t_s=s.imu.t_s)
        covered = np.isfinite(p)
        dets.append(Detection(events_s=picker.events_s_, sample_pred=covered & (np.nan_to_num(p) >= meta["threshold"]),
                              covered=covered, prob=p))
    ev = HeelStrikeEvaluation(label_half_width=int(meta["label_half_width"])).evaluate(sessions, dets)
    return 100.0 * float(ev.report_["overall"]["events"]["f1"])


def _vo2_windows(sessions, meta):
    from gaitnode.training.vo2_predict import session_vo2_windows

    return np.concatenate([session_vo2_windows(s, meta) for s in sessions])


def _vo2_score(sessions, meta, runner) -> float:
    from gaitnode.training.vo2_eval import Vo2Evaluation
    from gaitnode.training.vo2_predict import session_estimates

    est = [session_estimates(s, meta, runner) for s in sessions]
    mape = Vo2Evaluation().evaluate(sessions, est).report_["overall"].get("mape_pct")
    if mape is None:
        raise GaitnodeError("no VO2 estimate could be scored (sessions too short or without a VO2 reference)")
    return float(mape)


def _arrays(task: str):
    if task == "gait_phase":
        from gaitnode.training.phase_dataset import phase_arrays

        return phase_arrays
    from gaitnode.training.activity_dataset import activity_arrays

    return activity_arrays


def _cls_windows(task: str):
    return lambda sessions, meta: _arrays(task)(sessions, meta)[0]


def _cls_score(task: str):
    def score(sessions, meta, runner) -> float:
        X, Y = _arrays(task)(sessions, meta)
        n_classes = len(meta["classes"])
        pred = np.asarray(runner.predict(X)).reshape(len(X), -1, n_classes).argmax(axis=-1).reshape(Y.shape)
        keep = Y >= 0
        if not np.any(keep):
            raise GaitnodeError(f"no labelled {task} window in the evaluation sessions")
        return 100.0 * float(np.mean(pred[keep] == Y[keep]))
    return score


ADAPTERS = {
    "heel_strike": TaskAdapter("heel_strike", "heel_strike", "event_f1_percent", True, "points", _hs_windows, _hs_score),
    "vo2": TaskAdapter("vo2", "vo2", "mape_percent", False, "relative", _vo2_windows, _vo2_score),
    "gait_phase": TaskAdapter("gait_phase", "phase", "accuracy_percent", True, "points", _cls_windows("gait_phase"),
                              _cls_score("gait_phase")),
    "activity": TaskAdapter("activity", "activity", "accuracy_percent", True, "points", _cls_windows("activity"),
                            _cls_score("activity")),
}


def adapter_for(meta: dict) -> TaskAdapter:
    """The adapter of model.json's task; GaitnodeError for a task the compression step does not know."""
    task = meta.get("task")
    if task not in ADAPTERS:
        raise GaitnodeError(f"cannot compress a {task!r} model: tasks with a metric here are {', '.join(ADAPTERS)}")
    return ADAPTERS[task]

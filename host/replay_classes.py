"""Score a replay's PHASE and ACTIVITY frames against the session's per-sample labels.

    phase, runs = score_phase(session, result, n_sent=len(session.imu))
    activity, rows = score_activity(session, result, n_sent=len(session.imu))

Gait phase: each PHASE frame labels the board samples first_index .. first_index + count - 1 (the
replay's sample index is the session's row index). Every session sample whose reference `phase` is
not -1 is scored: those a frame labelled are compared with gaitnode.metrics.classification
(accuracy, per-phase precision/recall/F1, macro-F1, micro-F1, confusion; paper 001's metrics);
those no frame labelled are *missing* (the model's first window, lost frames), counted apart and
also folded into `accuracy_all` as errors.

Activity: each ACTIVITY frame is compared with the session's `activity` label at its sample_index
(the window's last sample). A frame is left out (`n_ignored`) when that label is -1 (unknown) or a
class the model does not have (e.g. running for the six UCI HAR classes); the model's classes are
the ones its frames list.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from gaitnode.protocol import messages as m

PHASE_NAMES = tuple(c.name for c in m.PhaseCode)  # sessions.model.PHASES
ACTIVITY_NAMES = tuple(c.name.lower() for c in m.ActivityCode)  # sessions.model.ACTIVITIES


@dataclass
class PhaseScore:
    """The node's gait phases vs the session's `phase` labels.

    n_frames: PHASE frames the node sent. n_reference: samples in the replayed part with a reference
    phase (not -1). n_covered: of those, samples a PHASE frame labelled; n_missing: the others.
    accuracy, macro_f1, micro_f1: over the covered samples (None when none is covered).
    accuracy_all: correct / n_reference (missing samples count as errors; None without reference).
    per_class: phase name -> {"precision", "recall", "f1", "support"} (covered samples).
    confusion: rows = reference phase, columns = the node's (HS, ST, HO, SW order).
    has_reference: False when the session has no phase labels (then only n_frames is meaningful).
    """

    n_frames: int
    n_reference: int
    n_covered: int
    n_missing: int
    accuracy: float | None
    macro_f1: float | None
    micro_f1: float | None
    accuracy_all: float | None
    per_class: dict = field(default_factory=dict)
    confusion: list = field(default_factory=list)
    has_reference: bool = True

    def line(self, data: str) -> str:
        head = f"gait phase: {self.n_frames} PHASE frames"
        if not self.has_reference:
            return f"{head}; the session has no phase labels, nothing to score"
        if self.accuracy is None:
            return f"{head}; none of the {self.n_reference} labelled samples was labelled by the node [{data}]"
        return (f"{head}, {self.n_covered} of {self.n_reference} labelled samples covered ({self.n_missing} missing): "
                f"accuracy {self.accuracy:.3f}, macro-F1 {self.macro_f1:.3f}, micro-F1 {self.micro_f1:.3f}; "
                f"counting missing samples as errors {self.accuracy_all:.3f} [{data}]")


@dataclass
class ActivityScore:
    """The node's activity windows vs the session's `activity` label at each window's last sample.

    n_frames: ACTIVITY frames the node sent. n_scored: frames compared; n_ignored: frames whose
    reference is -1 or a class the model does not have. classes: the model's class names (as its
    frames list them). accuracy, macro_f1: over the scored frames (None when none).
    per_class, confusion: as PhaseScore, over `classes`. has_reference: False when the session has
    no activity labels.
    """

    n_frames: int
    n_scored: int
    n_ignored: int
    classes: list = field(default_factory=list)
    accuracy: float | None = None
    macro_f1: float | None = None
    per_class: dict = field(default_factory=dict)
    confusion: list = field(default_factory=list)
    has_reference: bool = True

    def line(self, data: str) -> str:
        head = f"activity: {self.n_frames} ACTIVITY frames"
        if not self.has_reference:
            return f"{head}; the session has no activity labels, nothing to score"
        if self.accuracy is None:
            return f"{head}; none with a reference among the model's classes ({self.n_ignored} ignored) [{data}]"
        return (f"{head}, {self.n_scored} scored ({self.n_ignored} ignored: unknown or a class the model lacks): "
                f"accuracy {self.accuracy:.3f}, macro-F1 {self.macro_f1:.3f} [{data}]")


def device_phase_labels(result, n: int) -> np.ndarray:
    """The node's phase per sample 0..n-1 from the PHASE frames (int8, -1 where none labelled it;
    a sample labelled twice keeps the later frame's label)."""
    out = np.full(n, -1, np.int8)
    for r in result.of_type(m.Phase):
        first = int(r.msg.first_index)
        codes = np.asarray(r.msg.codes, np.int8)
        lo, hi = max(first, 0), min(first + len(codes), n)
        if hi > lo:
            out[lo:hi] = codes[lo - first:hi - first]
    return out


def phase_runs(labels: np.ndarray) -> list[tuple[int, int, int]]:
    """Runs (first, last, code) of equal labels, -1 runs left out."""
    if len(labels) == 0:
        return []
    edges = np.flatnonzero(np.diff(labels)) + 1
    starts = np.concatenate([[0], edges])
    ends = np.concatenate([edges, [len(labels)]]) - 1
    return [(int(a), int(b), int(labels[a])) for a, b in zip(starts, ends) if labels[a] >= 0]


def _report(y_true, y_pred, labels, names) -> dict:
    from gaitnode.metrics.classification import classification_report

    return classification_report(y_true, y_pred, labels=labels, names=names).to_dict()


def score_phase(session, result, *, n_sent: int) -> tuple[PhaseScore | None, list[tuple[int, int, int]]]:
    """(PhaseScore, the node's phase runs (first, last, code) over the samples sent); (None, [])
    when the node sent no PHASE frame."""
    frames = result.of_type(m.Phase)
    if not frames:
        return None, []
    n = min(int(n_sent), len(session.imu))
    dev = device_phase_labels(result, n)
    runs = phase_runs(dev)
    if session.phase is None:
        return PhaseScore(len(frames), 0, 0, 0, None, None, None, None, has_reference=False), runs
    ref = np.asarray(session.phase[:n], np.int64)
    labelled = ref >= 0
    covered = labelled & (dev >= 0)
    n_ref, n_cov = int(labelled.sum()), int(covered.sum())
    if n_cov == 0:
        return PhaseScore(len(frames), n_ref, 0, n_ref, None, None, None, 0.0 if n_ref else None), runs
    rep = _report(ref[covered], dev[covered].astype(np.int64), range(len(PHASE_NAMES)), list(PHASE_NAMES))
    correct = int(np.trace(np.asarray(rep["confusion"])))
    return PhaseScore(len(frames), n_ref, n_cov, n_ref - n_cov, rep["accuracy"], rep["macro_f1"], rep["micro_f1"],
                      correct / n_ref, rep["per_class"], rep["confusion"]), runs


def score_activity(session, result, *, n_sent: int) -> tuple[ActivityScore | None, list[dict]]:
    """(ActivityScore, one row per ACTIVITY frame: {"sample_index", "activity", "probs", "reference"});
    (None, []) when the node sent no ACTIVITY frame. probs: class name -> probability (0..1);
    reference: the session's label name at the frame's sample, None when unknown or not replayed."""
    frames = [r.msg for r in result.of_type(m.Activity)]
    if not frames:
        return None, []
    n = min(int(n_sent), len(session.imu))
    labels = None if session.activity is None else np.asarray(session.activity[:n], np.int64)
    classes = sorted({int(c) for f in frames for c in f.classes})
    rows, y_true, y_pred = [], [], []
    for f in frames:
        i = int(f.sample_index)
        ref = int(labels[i]) if labels is not None and 0 <= i < n else -1
        rows.append({"sample_index": i, "activity": ACTIVITY_NAMES[int(f.code)],
                     "probs": {ACTIVITY_NAMES[int(c)]: p / 255.0 for c, p in zip(f.classes, f.probs)},
                     "reference": ACTIVITY_NAMES[ref] if ref >= 0 else None})
        if ref >= 0 and ref in classes:
            y_true.append(ref)
            y_pred.append(int(f.code))
    names = [ACTIVITY_NAMES[c] for c in classes]
    if labels is None:
        return ActivityScore(len(frames), 0, len(frames), names, has_reference=False), rows
    if not y_true:
        return ActivityScore(len(frames), 0, len(frames), names), rows
    rep = _report(np.array(y_true), np.array(y_pred), classes, names)
    return ActivityScore(len(frames), len(y_true), len(frames) - len(y_true), names, rep["accuracy"],
                         rep["macro_f1"], rep["per_class"], rep["confusion"]), rows

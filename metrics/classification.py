"""Per-sample classification metrics: gait phases, activities and binary heel-strike labels.

Definitions follow the papers (see docs/metrics.md): per-class precision, recall and F1
from the confusion matrix; macro-F1 = unweighted mean of per-class F1 (paper 001);
micro-F1 from pooled TP / predicted / true counts (paper 001); weighted-F1 and the
binary report as in paper 000's Tables 2 and 5. Samples whose *true* label is -1
(unlabelled: no gait, unknown activity) are left out of every metric and counted in
`n_ignored`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gaitnode.errors import GaitnodeError

UNLABELLED = -1


@dataclass
class ClassificationReport:
    """Per-sample multi-class metrics. Arrays are indexed like `labels`.

    Attributes:
        labels: int64 [K] the class codes evaluated; names: their display names.
        confusion: int64 [K, K], rows = true class, columns = predicted class.
        n_samples: samples evaluated (true label != -1); n_ignored: samples with true label -1.
        n_pred_outside: evaluated samples whose prediction is not in `labels` (e.g. -1);
            they count as errors (a false negative of the true class, no false positive).
        accuracy: correct / n_samples.
        support: int64 [K] true samples per class.
        precision, recall, f1: float64 [K]. A class never predicted has precision 0; a
            class with no true samples has recall 0; a class with neither true nor
            predicted samples (possible only when `labels` is given) has NaN for all three
            and is left out of the macro average.
        macro_precision, macro_recall, macro_f1: unweighted means over classes (NaN classes left out).
        micro_precision, micro_recall, micro_f1: from pooled counts, sum TP / sum predicted
            (in labels) and sum TP / sum true; micro_f1 is their harmonic mean. It equals
            accuracy whenever every prediction is in `labels`.
        weighted_f1: support-weighted mean of per-class F1.
    """

    labels: np.ndarray
    names: list[str]
    confusion: np.ndarray
    n_samples: int
    n_ignored: int
    n_pred_outside: int
    accuracy: float
    support: np.ndarray
    precision: np.ndarray
    recall: np.ndarray
    f1: np.ndarray
    macro_precision: float
    macro_recall: float
    macro_f1: float
    micro_precision: float
    micro_recall: float
    micro_f1: float
    weighted_f1: float

    def table(self) -> list[dict]:
        """The result table as the papers print it: one row per class, then "macro" and "micro" rows;
        each {"class", "precision", "recall", "f1", "support"} (floats, NaN for an absent class; the
        support of the summary rows is n_samples). Accuracy and the confusion matrix are attributes."""
        rows = [{"class": n, "precision": float(p), "recall": float(r), "f1": float(f), "support": int(s)}
                for n, p, r, f, s in zip(self.names, self.precision, self.recall, self.f1, self.support)]
        for kind in ("macro", "micro"):
            rows.append({"class": kind, "precision": getattr(self, f"{kind}_precision"),
                         "recall": getattr(self, f"{kind}_recall"), "f1": getattr(self, f"{kind}_f1"),
                         "support": self.n_samples})
        return rows

    def to_dict(self) -> dict:
        """JSON-serialisable form (NaN becomes None); per-class metrics keyed by name."""
        def num(x):
            return None if np.isnan(x) else float(x)

        return {
            "labels": self.labels.tolist(), "names": list(self.names),
            "confusion": self.confusion.tolist(),
            "n_samples": self.n_samples, "n_ignored": self.n_ignored, "n_pred_outside": self.n_pred_outside,
            "accuracy": num(self.accuracy),
            "per_class": {n: {"precision": num(p), "recall": num(r), "f1": num(f), "support": int(s)}
                          for n, p, r, f, s in zip(self.names, self.precision, self.recall, self.f1, self.support)},
            **{k: num(getattr(self, k)) for k in (
                "macro_precision", "macro_recall", "macro_f1",
                "micro_precision", "micro_recall", "micro_f1", "weighted_f1")},
        }


@dataclass
class BinaryReport:
    """Per-sample binary metrics of the positive class (1), as paper 000 reports heel strikes.

    tp, fp, fn, tn: counts; accuracy = (tp + tn) / n; precision = tp / (tp + fp);
    recall = tp / (tp + fn); f1 = 2 tp / (2 tp + fp + fn). A 0/0 ratio is 0.0, except that
    with no positives at all in truth and prediction precision = recall = f1 = 1.0 (the
    same convention as `match_events`).
    confusion: [[tn, fp], [fn, tp]] (rows = true 0/1, columns = predicted 0/1).
    n_ignored: samples whose true label is -1.
    """

    tp: int
    fp: int
    fn: int
    tn: int
    n_ignored: int
    accuracy: float
    precision: float
    recall: float
    f1: float

    @property
    def confusion(self) -> np.ndarray:
        return np.array([[self.tn, self.fp], [self.fn, self.tp]], dtype=np.int64)

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in (
            "tp", "fp", "fn", "tn", "n_ignored", "accuracy", "precision", "recall", "f1")}


def _labels_array(name: str, y) -> np.ndarray:
    try:
        a = np.asarray(y)
    except (TypeError, ValueError) as e:
        raise GaitnodeError(f"{name}: labels must be integers ({e})") from None
    if a.ndim != 1:
        raise GaitnodeError(f"{name}: labels must be a 1-D array, got shape {a.shape}")
    if a.dtype == bool:
        return a.astype(np.int64)
    if not np.issubdtype(a.dtype, np.number):
        raise GaitnodeError(f"{name}: labels must be integers, got dtype {a.dtype}")
    if not np.issubdtype(a.dtype, np.integer):
        bad = ~np.isfinite(a) | (a != np.round(a))
        if bad.any():
            i = int(np.argmax(bad))
            raise GaitnodeError(f"{name}: label at sample {i} is {a[i]}, not an integer class code")
    return a.astype(np.int64)


def _pair(y_true, y_pred) -> tuple[np.ndarray, np.ndarray, int]:
    """Validated (true, pred) with unlabelled samples removed, and how many were removed."""
    t = _labels_array("y_true", y_true)
    p = _labels_array("y_pred", y_pred)
    if len(t) != len(p):
        raise GaitnodeError(f"y_true has {len(t)} samples but y_pred has {len(p)}")
    keep = t != UNLABELLED
    if not keep.any():
        raise GaitnodeError(f"no labelled samples to evaluate ({len(t)} samples, all labelled {UNLABELLED})"
                            if len(t) else "no samples to evaluate")
    return t[keep], p[keep], int((~keep).sum())


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    num, den = np.asarray(num, float), np.asarray(den, float)
    return np.divide(num, den, out=np.zeros_like(num), where=den > 0)


def classification_report(y_true, y_pred, labels=None, names=None) -> ClassificationReport:
    """Per-sample accuracy, per-class precision/recall/F1, macro/micro/weighted F1, confusion.

    Args:
        y_true, y_pred: integer class codes per sample (same length). Samples with
            y_true == -1 are unlabelled and ignored (counted in `n_ignored`).
        labels: class codes to evaluate, in order (default: sorted codes seen in y_true
            and y_pred, -1 excluded). A true label outside `labels` is an error.
        names: display names, one per label (default: the codes as text). For phases pass
            `labels=range(4), names=PHASES`; for activities `names=ACTIVITIES`.

    Raises:
        GaitnodeError: length mismatch, non-integer or non-1-D labels, no labelled sample,
            a true label not in `labels`, or `names` of the wrong length.
    """
    t, p, n_ignored = _pair(y_true, y_pred)
    if labels is None:
        lab = np.unique(np.concatenate([t, p[p != UNLABELLED]]))
    else:
        lab = _labels_array("labels", list(labels))
        if len(np.unique(lab)) != len(lab) or len(lab) == 0:
            raise GaitnodeError(f"labels must be distinct class codes, got {lab.tolist()}")
    if names is None:
        names = [str(v) for v in lab]
    else:
        names = [str(n) for n in names]
        if len(names) != len(lab):
            raise GaitnodeError(f"{len(names)} names given for {len(lab)} labels {lab.tolist()}")

    k = len(lab)
    # Map codes to 0..k-1 (k = "outside labels") without assuming codes are small.
    order = np.argsort(lab)
    def index_of(y):
        pos = np.clip(np.searchsorted(lab[order], y), 0, k - 1)
        return np.where(lab[order][pos] == y, order[pos], k)

    ti, pi = index_of(t), index_of(p)
    if (ti == k).any():
        i = int(np.argmax(ti == k))
        raise GaitnodeError(f"y_true has label {t[i]} (labelled sample {i}) that is not in labels {lab.tolist()}")
    full = np.bincount(ti * (k + 1) + pi, minlength=k * (k + 1)).reshape(k, k + 1)
    cm, outside = full[:, :k], int(full[:, k].sum())

    tp = np.diag(cm).astype(float)
    support = full.sum(axis=1)  # includes predictions outside labels (they are misses)
    predicted = cm.sum(axis=0)
    precision, recall = _ratio(tp, predicted), _ratio(tp, support)
    f1 = _ratio(2 * tp, support + predicted)  # = 2PR/(P+R)
    absent = (support == 0) & (predicted == 0)
    precision[absent] = recall[absent] = f1[absent] = np.nan

    n = len(t)
    micro_p = tp.sum() / predicted.sum() if predicted.sum() else 0.0
    micro_r = tp.sum() / n
    micro_f1 = 2 * micro_p * micro_r / (micro_p + micro_r) if (micro_p + micro_r) else 0.0
    present = ~absent
    return ClassificationReport(
        labels=lab, names=names, confusion=cm, n_samples=n, n_ignored=n_ignored, n_pred_outside=outside,
        accuracy=float(tp.sum() / n), support=support, precision=precision, recall=recall, f1=f1,
        macro_precision=float(precision[present].mean()), macro_recall=float(recall[present].mean()),
        macro_f1=float(f1[present].mean()),
        micro_precision=float(micro_p), micro_recall=float(micro_r), micro_f1=float(micro_f1),
        weighted_f1=float((f1[present] * support[present]).sum() / support.sum()),
    )


def binary_report(y_true, y_pred) -> BinaryReport:
    """Per-sample metrics of the positive class, e.g. heel strike (1) vs not (0), as paper 000.

    Args:
        y_true, y_pred: 0/1 (or bool) per sample; y_true == -1 marks unlabelled samples,
            which are ignored.

    Raises:
        GaitnodeError: length mismatch, a value other than 0/1 (or -1 in y_true), or no
            labelled sample.
    """
    t, p, n_ignored = _pair(y_true, y_pred)
    for name, a in (("y_true", t), ("y_pred", p)):
        bad = (a != 0) & (a != 1)
        if bad.any():
            i = int(np.argmax(bad))
            raise GaitnodeError(f"{name}: binary labels must be 0 or 1, got {a[i]} at labelled sample {i}")
    tp = int(np.sum((t == 1) & (p == 1)))
    fp = int(np.sum((t == 0) & (p == 1)))
    fn = int(np.sum((t == 1) & (p == 0)))
    tn = int(np.sum((t == 0) & (p == 0)))
    no_positives = tp + fp + fn == 0
    return BinaryReport(
        tp=tp, fp=fp, fn=fn, tn=tn, n_ignored=n_ignored,
        accuracy=(tp + tn) / len(t),
        precision=1.0 if no_positives else (tp / (tp + fp) if tp + fp else 0.0),
        recall=1.0 if no_positives else (tp / (tp + fn) if tp + fn else 0.0),
        f1=1.0 if no_positives else 2 * tp / (2 * tp + fp + fn),
    )

import json

import numpy as np
import pytest

from gaitnode.errors import GaitnodeError
from gaitnode.metrics.classification import binary_report, classification_report
from gaitnode.sessions.model import PHASES


def _from_confusion(cm):
    """(y_true, y_pred) with exactly the given confusion matrix (rows = true)."""
    t, p = [], []
    for i, row in enumerate(cm):
        for j, c in enumerate(row):
            t += [i] * c
            p += [j] * c
    return np.array(t), np.array(p)


# Paper 000, Table 5 (hybrid CNN-LSTM). Its confusion table lists rows = predicted,
# columns = true: true HS = 2667 + 449 = 3116, which is Table 2's class-1 support.
PAPER_TP, PAPER_FP, PAPER_FN, PAPER_TN = 2667, 439, 449, 10171


def test_hand_computed_three_class_example():
    y_true = [0, 0, 0, 1, 1, 2, 2, 2, 2, 1]
    y_pred = [0, 1, 0, 1, 2, 2, 2, 0, 2, 1]
    r = classification_report(y_true, y_pred, names=["a", "b", "c"])
    np.testing.assert_array_equal(r.confusion, [[2, 1, 0], [0, 2, 1], [1, 0, 3]])
    np.testing.assert_array_equal(r.support, [3, 3, 4])
    np.testing.assert_allclose(r.precision, [2 / 3, 2 / 3, 3 / 4])
    np.testing.assert_allclose(r.recall, [2 / 3, 2 / 3, 3 / 4])
    np.testing.assert_allclose(r.f1, [2 / 3, 2 / 3, 3 / 4])
    assert r.accuracy == pytest.approx(0.7)
    assert r.macro_f1 == pytest.approx((2 / 3 + 2 / 3 + 3 / 4) / 3)
    assert r.weighted_f1 == pytest.approx((3 * 2 / 3 + 3 * 2 / 3 + 4 * 3 / 4) / 10)
    assert r.micro_f1 == pytest.approx(r.accuracy)


def test_unbalanced_classes_separate_macro_from_micro():
    # 90 samples of class 0 all right; 10 of class 1, all predicted as 0.
    t = np.r_[np.zeros(90), np.ones(10)].astype(int)
    p = np.zeros(100, int)
    r = classification_report(t, p)
    assert r.accuracy == pytest.approx(0.9)
    assert r.micro_f1 == pytest.approx(0.9)
    f1_0 = 2 * 90 / (2 * 90 + 10)
    np.testing.assert_allclose(r.f1, [f1_0, 0.0])
    np.testing.assert_allclose(r.precision, [0.9, 0.0])  # class 1 never predicted: 0/0 -> 0
    assert r.macro_f1 == pytest.approx(f1_0 / 2)


def test_unlabelled_samples_are_ignored_and_counted():
    t = [-1, 0, 1, -1, 1]
    p = [1, 0, 1, 0, 0]
    r = classification_report(t, p)
    assert r.n_ignored == 2 and r.n_samples == 3
    np.testing.assert_array_equal(r.confusion, [[1, 0], [1, 1]])


def test_prediction_outside_labels_is_a_miss_not_a_false_positive():
    t = [0, 0, 1, 1]
    p = [0, -1, 1, 1]  # the model said "no gait" on a labelled sample
    r = classification_report(t, p)
    assert r.labels.tolist() == [0, 1]
    assert r.n_pred_outside == 1
    assert r.accuracy == pytest.approx(0.75)
    np.testing.assert_allclose(r.recall, [0.5, 1.0])
    np.testing.assert_allclose(r.precision, [1.0, 1.0])
    assert r.micro_precision == pytest.approx(1.0)
    assert r.micro_recall == pytest.approx(0.75)
    assert r.micro_f1 == pytest.approx(2 * 0.75 / 1.75)


def test_phase_labels_with_an_absent_class():
    t = [0, 1, 1, 3, 3, 3]
    p = [0, 1, 3, 3, 3, 1]
    r = classification_report(t, p, labels=range(4), names=PHASES)
    assert r.names == list(PHASES)
    assert r.confusion.shape == (4, 4)
    assert np.isnan(r.f1[2])  # HO neither true nor predicted: not a failure, left out
    assert r.macro_f1 == pytest.approx(np.mean(r.f1[[0, 1, 3]]))
    d = json.loads(json.dumps(r.to_dict()))
    assert d["per_class"]["HO"]["f1"] is None
    assert d["per_class"]["ST"]["support"] == 2


def test_paper_000_table_2_per_class_report():
    t, p = _from_confusion([[PAPER_TN, PAPER_FP], [PAPER_FN, PAPER_TP]])
    r = classification_report(t, p)
    assert r.support.tolist() == [10_610, 3_116]
    np.testing.assert_allclose(np.round(r.precision, 2), [0.96, 0.86])
    np.testing.assert_allclose(np.round(r.recall, 2), [0.96, 0.86])
    np.testing.assert_allclose(np.round(r.f1, 2), [0.96, 0.86])
    assert round(r.accuracy, 2) == 0.94
    assert round(r.macro_f1, 2) == 0.91
    assert round(r.weighted_f1, 2) == 0.94


def test_paper_000_table_5_binary_heel_strike_metrics():
    t, p = _from_confusion([[PAPER_TN, PAPER_FP], [PAPER_FN, PAPER_TP]])
    r = binary_report(t, p)
    assert (r.tp, r.fp, r.fn, r.tn) == (PAPER_TP, PAPER_FP, PAPER_FN, PAPER_TN)
    assert round(100 * r.accuracy, 2) == 93.53
    assert round(100 * r.precision, 2) == 85.87
    assert round(100 * r.recall, 2) == 85.59
    assert round(100 * r.f1, 2) == 85.73
    np.testing.assert_array_equal(r.confusion, [[PAPER_TN, PAPER_FP], [PAPER_FN, PAPER_TP]])


def test_binary_accepts_bool_and_ignores_unlabelled():
    r = binary_report(np.array([1, 0, -1, 1]), np.array([True, False, True, False]))
    assert (r.tp, r.fp, r.fn, r.tn, r.n_ignored) == (1, 0, 1, 1, 1)
    assert r.precision == 1.0 and r.recall == 0.5
    assert json.loads(json.dumps(r.to_dict()))["f1"] == pytest.approx(2 / 3)


def test_binary_without_positives_anywhere_is_perfect():
    r = binary_report([0, 0, 0], [0, 0, 0])
    assert (r.accuracy, r.precision, r.recall, r.f1) == (1.0, 1.0, 1.0, 1.0)
    missed = binary_report([0, 1], [0, 0])
    assert (missed.precision, missed.recall, missed.f1) == (0.0, 0.0, 0.0)


@pytest.mark.parametrize("call, message", [
    (lambda: classification_report([0, 1], [0]), "y_true has 2 samples but y_pred has 1"),
    (lambda: classification_report([0, 1.5], [0, 1]), "y_true: label at sample 1 is 1.5"),
    (lambda: classification_report([0, np.nan], [0, 1]), "y_true: label at sample 1 is nan"),
    (lambda: classification_report(["a"], ["a"]), "y_true: labels must be integers"),
    (lambda: classification_report([[0, 1]], [[0, 1]]), "1-D"),
    (lambda: classification_report([-1, -1], [0, 1]), "no labelled samples"),
    (lambda: classification_report([], []), "no samples"),
    (lambda: classification_report([0, 5], [0, 0], labels=[0, 1]), "label 5 .* not in labels"),
    (lambda: classification_report([0, 1], [0, 1], names=["x"]), "1 names given for 2 labels"),
    (lambda: classification_report([0, 1], [0, 1], labels=[0, 0]), "distinct"),
    (lambda: binary_report([0, 2], [0, 1]), "y_true: binary labels must be 0 or 1, got 2"),
    (lambda: binary_report([0, 1], [0, -1]), "y_pred: binary labels must be 0 or 1, got -1"),
])
def test_bad_labels_raise_clear_error(call, message):
    with pytest.raises(GaitnodeError, match=message):
        call()


def test_result_table_rows_per_class_then_macro_and_micro():
    r = classification_report([0, 0, 1, 1, -1], [0, 1, 1, 1, 0], names=["HS", "ST"])
    rows = r.table()
    assert [row["class"] for row in rows] == ["HS", "ST", "macro", "micro"]
    assert rows[0] == {"class": "HS", "precision": 1.0, "recall": 0.5, "f1": pytest.approx(2 / 3), "support": 2}
    assert rows[2]["f1"] == pytest.approx(r.macro_f1) and rows[3]["f1"] == pytest.approx(r.accuracy)
    assert rows[3]["support"] == 4

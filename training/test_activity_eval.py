import numpy as np
import pytest

from gaitnode.errors import GaitnodeError
from gaitnode.training.activity_dataset import ACTIVITY_CLASSES
from gaitnode.training.activity_eval import ActivityEvaluation, activity_runner, agreement
from gaitnode.training.test_activity_dataset import toy_session

CH = ["acc_x", "acc_y", "acc_z", "gyr_x", "gyr_y", "gyr_z"]
META = {"format": "gaitnode-model", "version": 1, "task": "activity", "architecture": "cnn_lstm",
        "placement": "shank", "rate_hz": 50.0, "channels": CH, "window": 128, "hop": 64,
        "norm_mean": [0.0] * 6, "norm_std": [1.0] * 6, "input_clip": 6.0, "classes": list(ACTIVITY_CLASSES),
        "output": "window", "seed": 0, "synthetic_training_data": True, "training": {"label_rule": "majority"}}
STANDING, LAYING = ACTIVITY_CLASSES.index("standing"), ACTIVITY_CLASSES.index("laying")


class PoseRunner:
    """Predicts laying when the window's mean model-input acc_z (clipped at 6) is above 2.5, else standing (so a
    window half standing, half laying counts as laying)."""

    def __init__(self):
        self.calls = 0

    def predict(self, X):
        self.calls += 1
        out = np.full((len(X), 6), 0.02, np.float32)
        out[np.arange(len(X)), np.where(X[:, :, 2].mean(axis=1) > 2.5, LAYING, STANDING)] = 0.9
        return out


@pytest.fixture(scope="module")
def sessions():
    # laying 5.12 s and standing 5.12 s = 4 + 4 whole windows, a change in the middle of one
    a = toy_session([("standing", 5.12), ("laying", 5.12), ("running", 2.56)], subject="A", protocol="daily_living")
    b = toy_session([("walking", 5.12), ("laying", 5.12)], subject="B", protocol="stairs")
    return [a, b]


def test_report_has_the_papers_metrics(sessions):
    ev = ActivityEvaluation(META).evaluate(sessions, PoseRunner())
    r = ev.report_
    o = r["overall"]
    # A: windows at rows 0, 64, ..., 512 (9): standing x3, tie standing/laying -> laying (newer), laying x3,
    #    laying/running tie -> running (-1), running (-1); B: walking x3, laying x4 (incl. the tie)
    assert r["n_windows"] == 7 + 7 and r["n_unlabelled"] == 2 and r["synthetic"] is True
    cm = np.array(o["confusion"])
    assert cm[STANDING, STANDING] == 3 and cm[LAYING, LAYING] == 8 and cm[0, STANDING] == 3  # walking -> standing
    assert cm.sum() == 14 and o["accuracy"] == pytest.approx(11 / 14)
    assert o["per_class"]["walking"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 3}
    assert o["per_class"]["standing"]["precision"] == pytest.approx(0.5)
    assert o["per_class"]["upstairs"]["f1"] is None  # neither true nor predicted
    assert {"macro_f1", "micro_f1", "weighted_f1"} <= set(o) and o["names"] == list(ACTIVITY_CLASSES)
    assert r["steady"]["n"] == 12 and r["steady"]["accuracy"] == pytest.approx(9 / 12)
    assert r["by_protocol"]["stairs"]["accuracy"] == pytest.approx(4 / 7)
    assert r["by_subject"]["A"]["accuracy"] == 1.0 and len(r["sessions"]) == 2
    p = ev.predictions_[next(iter(ev.predictions_))]
    assert p["y_true"].tolist()[-2:] == [-1, -1] and p["end_sample"][0] == 255


def test_agreement():
    a = np.array([[0.9, 0.1], [0.4, 0.6], [0.5, 0.5]])
    b = np.array([[0.8, 0.2], [0.6, 0.4], [0.5, 0.5]])
    r = agreement(a, b)
    assert r["n"] == 3 and r["argmax_agreement"] == pytest.approx(2 / 3)
    assert r["max_abs_prob"] == pytest.approx(0.2)
    with pytest.raises(GaitnodeError, match="cannot compare"):
        agreement(a, b[:2])


def test_errors(sessions, tmp_path):
    with pytest.raises(GaitnodeError, match="no sessions"):
        ActivityEvaluation(META).evaluate([], PoseRunner())
    with pytest.raises(GaitnodeError, match="hold no window labelled"):
        ActivityEvaluation(META).evaluate([toy_session([("running", 5.12)])], PoseRunner())
    with pytest.raises(GaitnodeError, match="not an activity model"):
        ActivityEvaluation({**META, "task": "gait_phase"}).evaluate(sessions, PoseRunner())

    class Wrong:
        def predict(self, X):
            return np.zeros((len(X), 4), np.float32)

    with pytest.raises(GaitnodeError, match=r"returned shape \(9, 4\)"):
        ActivityEvaluation(META).evaluate(sessions, Wrong())
    with pytest.raises(GaitnodeError, match="kind 'fp16'"):
        activity_runner(tmp_path, "fp16")
    with pytest.raises(GaitnodeError, match="not a model directory"):
        activity_runner(tmp_path, "float")

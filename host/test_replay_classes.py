"""Scoring PHASE and ACTIVITY frames against a session's labels: covered, missing and ignored
samples, the metrics of gaitnode.metrics.classification, and the runs the report draws."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from gaitnode.host.replay_classes import device_phase_labels, phase_runs, score_activity, score_phase
from gaitnode.host.test_report import make_session
from gaitnode.protocol import messages as m
from gaitnode.protocol.framing import Frame
from gaitnode.protocol.link import Received
from gaitnode.protocol.replay import ReplayResult


def result_of(msgs, n: int) -> ReplayResult:
    return ReplayResult(n_samples=n, outputs=[Received(Frame(0, 0, 0, b""), x, 0.0) for x in msgs])


def phase_frames(labels: np.ndarray, *, start: int, hop: int = 10, lost=()):
    """PHASE frames of `hop` samples copying `labels` (-1 sent as ST) from `start`, leaving out frames
    whose first index is in `lost`."""
    out = []
    for i in range(start, len(labels) - hop + 1, hop):
        if i not in lost:
            codes = np.where(labels[i:i + hop] < 0, 1, labels[i:i + hop])
            out.append(m.Phase(i, tuple(int(c) for c in codes), (200,) * hop))
    return out


def test_a_node_copying_the_reference_scores_one_except_the_missing_samples():
    s = make_session(20.0)
    n = len(s.imu)
    frames = phase_frames(s.phase, start=300, lost={1000, 1010})  # the first window, two lost frames
    score, runs = score_phase(s, result_of(frames, n), n_sent=n)
    n_ref = int((s.phase >= 0).sum())
    assert score.n_frames == len(frames) and score.n_reference == n_ref
    assert score.n_missing == 100 + 20 and score.n_covered == n_ref - 120  # samples 200..299 are labelled
    assert score.accuracy == pytest.approx(1.0) and score.macro_f1 == pytest.approx(1.0)
    assert score.micro_f1 == pytest.approx(1.0)
    assert score.accuracy_all == pytest.approx((n_ref - 120) / n_ref)
    assert set(score.per_class) == {"HS", "ST", "HO", "SW"}
    assert np.trace(np.array(score.confusion)) == score.n_covered
    assert runs[0][0] == 300 and all(a <= b for a, b, _ in runs)
    assert not any(a <= 1005 <= b for a, b, _ in runs)  # the lost frames leave a gap


def test_wrong_phases_lower_accuracy_and_f1_per_phase():
    s = make_session(20.0)
    n = len(s.imu)
    wrong = s.phase.copy()
    wrong[wrong == 2] = 3  # the node never says heel off
    score, _ = score_phase(s, result_of(phase_frames(wrong, start=200), n), n_sent=n)
    ho = int((s.phase[200:] == 2).sum())
    assert score.n_missing == 0
    assert score.accuracy == pytest.approx(1 - ho / score.n_covered)
    assert score.per_class["HO"]["recall"] == 0.0 and score.per_class["HS"]["f1"] == pytest.approx(1.0)
    assert score.macro_f1 < score.accuracy


def test_only_samples_sent_are_scored_and_no_frames_means_no_score():
    s = make_session(20.0)
    score, _ = score_phase(s, result_of(phase_frames(s.phase, start=200), len(s.imu)), n_sent=1000)
    assert score.n_reference == 800 and score.n_missing == 0
    assert score_phase(s, result_of([], len(s.imu)), n_sent=len(s.imu)) == (None, [])
    assert score_activity(s, result_of([], len(s.imu)), n_sent=len(s.imu)) == (None, [])


def test_a_session_without_labels_reports_counts_only():
    s = dataclasses.replace(make_session(10.0), phase=None, activity=None)
    frames = [m.Phase(0, (1,) * 10, (255,) * 10), m.Activity(99, 0, (0, 4), (200, 55))]
    ph, _ = score_phase(s, result_of(frames, len(s.imu)), n_sent=len(s.imu))
    act, rows = score_activity(s, result_of(frames, len(s.imu)), n_sent=len(s.imu))
    assert (ph.has_reference, ph.n_frames, ph.accuracy) == (False, 1, None)
    assert (act.has_reference, act.n_frames, act.accuracy) == (False, 1, None)
    assert "no phase labels" in ph.line("synthetic data") and "no activity labels" in act.line("synthetic data")
    assert rows[0]["reference"] is None


def test_device_labels_take_the_later_frame_and_stay_inside_the_samples():
    res = result_of([m.Phase(0, (1,) * 10, (255,) * 10), m.Phase(5, (2,) * 10, (255,) * 10),
                     m.Phase(18, (3,) * 5, (255,) * 5)], 20)
    labels = device_phase_labels(res, 20)
    np.testing.assert_array_equal(labels, [1] * 5 + [2] * 10 + [-1] * 3 + [3, 3])
    assert phase_runs(labels) == [(0, 4, 1), (5, 14, 2), (18, 19, 3)]
    assert phase_runs(np.zeros(0, np.int8)) == []


def test_activity_frames_are_scored_at_their_last_sample_ignoring_unknown_and_foreign_classes():
    s = make_session(20.0)  # standing for the first 2 s, then walking
    s.activity[1500:1600] = -1  # unknown
    s.activity[1800:] = 6  # running: the six-class model has no such class
    six = tuple(range(6))
    frames = [
        m.Activity(150, m.ActivityCode.STANDING, six, (0, 0, 0, 10, 240, 5)),   # right
        m.Activity(450, m.ActivityCode.WALKING, six, (250, 5, 0, 0, 0, 0)),     # right
        m.Activity(950, m.ActivityCode.UPSTAIRS, six, (100, 150, 5, 0, 0, 0)),  # wrong
        m.Activity(1550, m.ActivityCode.WALKING, six, (255, 0, 0, 0, 0, 0)),    # unknown: ignored
        m.Activity(1900, m.ActivityCode.WALKING, six, (255, 0, 0, 0, 0, 0)),    # running: ignored
    ]
    score, rows = score_activity(s, result_of(frames, len(s.imu)), n_sent=len(s.imu))
    assert (score.n_frames, score.n_scored, score.n_ignored) == (5, 3, 2)
    assert score.classes == ["walking", "upstairs", "downstairs", "sitting", "standing", "laying"]
    assert score.accuracy == pytest.approx(2 / 3)
    assert score.per_class["walking"]["recall"] == pytest.approx(0.5)
    assert score.per_class["standing"]["f1"] == pytest.approx(1.0)
    assert [r["reference"] for r in rows] == ["standing", "walking", "walking", None, "running"]
    assert rows[2]["activity"] == "upstairs" and rows[2]["probs"]["upstairs"] == pytest.approx(150 / 255)
    assert "3 scored (2 ignored" in score.line("synthetic data") and "accuracy 0.667" in score.line("x")


def test_a_model_with_running_scores_running_windows():
    s = make_session(20.0)
    s.activity[1800:] = 6
    seven = tuple(range(7))
    frames = [m.Activity(1900, m.ActivityCode.RUNNING, seven, (0,) * 6 + (255,))]
    score, _ = score_activity(s, result_of(frames, len(s.imu)), n_sent=len(s.imu))
    assert (score.n_scored, score.accuracy) == (1, 1.0) and "running" in score.classes

"""Gait phase (PHASE frames) and activity (ACTIVITY frames) of replayed sessions, asserted against each
session's per-sample labels with the thresholds stored beside it; deselected at collection for a node
whose INFO lists no gait-phase (needs_phase) or activity (needs_activity) model."""

from __future__ import annotations

import numpy as np

from gaitnode.protocol import messages as m
from hil_tests.test_sessions import replay

MISSING_MAX_S = 1.0  # unlabelled at the start (the first window but its last hop) and the end (< a hop)


def test_gait_phases_match_the_reference(dut, phase_case):
    session, out, th, link = replay(dut, phase_case)
    report = "\n".join(out.summary.lines())  # names synthetic data as such
    ph = out.summary.phase
    assert ph is not None, f"the node lists a gait-phase model but sent no PHASE frame\n{report}"
    assert ph.has_reference, f"{phase_case.path} has no phase labels: set \"phase_accuracy_min\": null in " \
                             f"{phase_case.thresholds_path}"
    assert ph.accuracy >= th.phase_accuracy_min, \
        f"gait phase accuracy {ph.accuracy:.3f} < {th.phase_accuracy_min} ({th.note})\n{report}"
    # every labelled sample after the first window was labelled, over a lossless link
    assert link["device_seq_gaps"] == 0 and out.summary.complete, report
    assert ph.n_missing <= MISSING_MAX_S * dut.rate_hz, report
    # frames follow each other: consecutive, non-overlapping, inside the samples sent
    frames = [r.msg for r in out.result.of_type(m.Phase)]
    starts = np.array([f.first_index for f in frames])
    ends = starts + np.array([f.count for f in frames])
    assert np.all(starts[1:] == ends[:-1]), "PHASE frames overlap or leave gaps"
    assert ends[-1] <= len(session.imu) and len({f.count for f in frames}) == 1, report


def test_activity_matches_the_reference(dut, activity_case):
    session, out, th, link = replay(dut, activity_case)
    report = "\n".join(out.summary.lines())
    act = out.summary.activity
    assert act is not None, f"the node lists an activity model but sent no ACTIVITY frame\n{report}"
    assert act.has_reference, f"{activity_case.path} has no activity labels: set \"activity_accuracy_min\": " \
                              f"null in {activity_case.thresholds_path}"
    assert act.n_scored > 0, f"no window with a reference among the model's classes ({act.classes})\n{report}"
    assert act.accuracy >= th.activity_accuracy_min, \
        f"activity accuracy {act.accuracy:.3f} < {th.activity_accuracy_min} ({th.note})\n{report}"
    frames = [r.msg for r in out.result.of_type(m.Activity)]
    index = [f.sample_index for f in frames]
    assert np.all(np.diff(index) > 0) and index[-1] < len(session.imu), report
    hop = set(np.diff(index).tolist())
    assert len(hop) <= 1, f"ACTIVITY windows not evenly spaced: {sorted(hop)}"
    for f in frames:  # the model's classes every time, the code its most probable one, p summing to 1
        assert f.classes == frames[0].classes
        assert f.probs[f.classes.index(f.code)] == max(f.probs)
        assert abs(sum(f.probs) - 255) <= len(f.probs), f

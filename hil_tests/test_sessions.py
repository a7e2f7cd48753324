"""Replays of recorded sessions through the DUT, asserted at event level against the thresholds stored
beside each session: the committed synthetic sessions, plus a rig owner's `--sessions DIR`."""

from __future__ import annotations

import numpy as np
import pytest

from gaitnode.protocol import messages as m


def replay(dut, case):
    """The case's session replayed at maximum speed: (session, outcome, thresholds, host link counter deltas)."""
    from gaitnode.sessions.store import read_session

    thresholds = case.thresholds()
    session = read_session(case.path)
    before = dut.counters()
    out = dut.replay(session, case.path, tolerance_s=thresholds.tolerance_s)
    after = dut.counters()
    return session, out, thresholds, {k: after[k] - before[k] for k in after}


def test_heel_strikes_match_the_reference_over_a_lossless_link(dut, session_case):
    session, out, th, link = replay(dut, session_case)
    report = "\n".join(out.summary.lines())  # names synthetic data as such
    detectors = ["classical"] + (["nn"] if dut.has_heel_strike_model else [])
    for name in detectors:
        score = out.summary.detectors[name]
        assert score.f1 is not None, f"{session_case.path} has no reference heel strikes to score against"
        assert score.f1 >= th.f1_min[name], f"{name} F1 {score.f1:.3f} < {th.f1_min[name]} ({th.note})\n{report}"
    # nothing lost, damaged, reordered or refused on the way
    assert out.summary.complete, report
    assert link == {"bad_frames": 0, "device_seq_gaps": 0, "undecodable": 0, "wrong_version": 0}, report
    assert out.result.nacks == [] and out.summary.rejected_frames == 0 and out.summary.resyncs == 0, report
    # the side the replay's CONFIG gave the node: the session's, else the node's own
    side = m.Side[session.meta.side.upper()] if session.meta.side else m.Side(out.info.side)
    for name, source in (("nn", m.Source.NN), ("classical", m.Source.CLASSICAL)):
        events = out.result.heel_strikes(source)
        assert np.all(np.diff([h.sample_index + h.frac for h in events]) > 0), f"{name} events out of order\n{report}"
        assert {h.side for h in events} <= {side}, f"{name} events name another side than the configured {side.name}"


def test_vo2_estimates_are_within_the_session_tolerance(dut, vo2_case):
    case, estimator = vo2_case
    _, out, th, _ = replay(dut, case)
    report = "\n".join(out.summary.lines())
    vo2 = out.summary.vo2.get(estimator)
    assert vo2 is not None, f"the node sent no VO2 estimate from its {estimator} estimator\n{report}"
    assert vo2.reference is not None, (f"{case.path} has no VO2 reference series: set \"vo2_mape_max\": null "
                                       f"in {case.thresholds_path}")
    assert vo2.n > 0 and vo2.mape_pct is not None, report
    limit = th.vo2_mape_max[estimator]
    assert vo2.mape_pct <= limit, f"{estimator} VO2 MAPE {vo2.mape_pct:.1f} % > {limit} % ({th.note})\n{report}"
    unknown = set(out.summary.vo2) - set(th.vo2_mape_max)
    assert not unknown, f"the node sent VO2 from estimators no threshold names: {sorted(unknown)}"

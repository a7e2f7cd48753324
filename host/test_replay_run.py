"""SessionReplay through the twin (real C core, real TFLM model), and the scoring on hand-made outputs."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import numpy as np
import pytest

from gaitnode.errors import GaitnodeError
from gaitnode.host.node import open_node
from gaitnode.host.replay_run import (
    SessionReplay, build_outcome, positions_to_times, score_detectors, score_vo2, session_config,
)
from gaitnode.protocol import messages as m
from gaitnode.protocol.framing import Frame
from gaitnode.protocol.link import Received
from gaitnode.protocol.replay import NodeReset, ReplayResult
from gaitnode.sessions.model import Events, Imu, Series, Session, SessionMeta, Subject


@pytest.fixture(scope="module")
def replayed(walk, twin_model_dir):
    """One full replay of the walk through a twin at max speed, shared by the tests that only read it."""
    with open_node(twin=True, model_dir=twin_model_dir) as node:
        return SessionReplay().run(node, walk)


def received(msg, host_s: float = 0.0) -> Received:
    return Received(Frame(type=int(m.msg_type(msg)), seq=0, t_us=0, payload=b""), msg, host_s)


def test_twin_replay_of_a_walk_finds_the_heel_strikes(replayed, walk):
    s = replayed.summary
    assert s.complete and s.note == ""
    assert s.samples == s.samples_total == len(walk.imu)
    assert s.synthetic
    assert set(s.detectors) == {"nn", "classical"}
    for name, d in s.detectors.items():
        assert d.f1 >= 0.9, (name, d)
        assert d.n_ref == len(walk.heel_strikes())
        assert d.n_found == len(replayed.result.heel_strikes(m.Source[name.upper()]))
        assert d.tp + d.fn == d.n_ref and d.tp + d.fp == d.n_found
        assert abs(d.median_error_ms) < 50
        lat = d.latency_ms
        assert 0 < lat["median"] <= lat["p95"] <= lat["max"]
    assert (s.lost_frames, s.bad_frames, s.rejected_frames, s.resyncs) == (0, 0, 0, 0)
    # no VO2 model on this twin, but every node runs the ACSM equations once CONFIG gives a height
    assert set(s.vo2) == {"acsm"} and s.vo2["acsm"].reference == "vo2_true" and s.vo2["acsm"].n >= 5
    # Every device event is on the session clock, inside the walk, and counted once.
    t = walk.imu.t_s
    assert len(replayed.heel_strikes) == sum(d.n_found for d in s.detectors.values())
    assert all(t[0] - 0.1 <= e.t_s <= t[-1] + 0.1 for e in replayed.heel_strikes)
    matched = [e for e in replayed.heel_strikes if e.matched_ref_t_s is not None]
    assert len(matched) == sum(d.tp for d in s.detectors.values())
    assert all(abs(e.t_s - e.matched_ref_t_s) <= 0.05 + 1e-9 for e in matched)
    assert replayed.span_s == (pytest.approx(t[0]), pytest.approx(t[-1]))


def test_summary_lines_name_the_data_synthetic(replayed):
    lines = replayed.summary.lines()
    accuracy = [ln for ln in lines if "F1" in ln or "MAE" in ln]
    assert len(accuracy) == 3 and all("synthetic data" in ln for ln in accuracy)
    assert any(ln.startswith("VO2 (acsm vs vo2_true)") for ln in lines)
    assert any(ln.startswith("link: 0 lost frames") for ln in lines)
    assert "synthetic data" in replayed.summary.short_line()


def test_stopping_early_scores_only_what_was_sent(walk, twin_model_dir):
    seen = []
    runner = SessionReplay(on_output=seen.append,
                           should_stop=lambda: any(isinstance(r.msg, m.HeelStrike) for r in seen))
    with open_node(twin=True, model_dir=twin_model_dir) as node:
        out = runner.run(node, walk)
    s = out.summary
    assert not s.complete and "stopped early" in s.note
    assert 0 < s.samples < len(walk.imu)
    last_sent_t = walk.imu.t_s[s.samples - 1]
    assert s.detectors["nn"].n_ref == int(np.sum(walk.heel_strikes() <= last_sent_t))
    assert s.lines()[0].startswith("INCOMPLETE replay: stopped early")


def test_node_reset_mid_replay_keeps_a_partial_outcome(walk, twin_model_dir):
    with open_node(twin=True, model_dir=twin_model_dir) as node:
        def reset_on_first_heel_strike(r):
            if isinstance(r.msg, m.HeelStrike) and node.twin.resets == 0:
                node.reset()

        with pytest.raises(NodeReset, match="reset during the replay") as err:
            SessionReplay(on_output=reset_on_first_heel_strike).run(node, walk)
    partial = err.value.partial_outcome
    assert not partial.summary.complete
    assert "failed after" in partial.summary.note and "reset" in partial.summary.note
    assert partial.heel_strikes  # what arrived before the reset is kept
    assert partial.summary.samples < len(walk.imu)


def test_the_session_and_the_node_must_fit():
    info = m.Info(1, "fw", "twin", 100, 16, 2000, 4900, 256, 26, 0, 0, 0)
    node = SimpleNamespace(rate_hz=100.0, info=info)
    s = _session(rate_hz=200.0)
    with pytest.raises(GaitnodeError, match="sampled at 200 Hz but the node .* runs at 100 Hz"):
        SessionReplay().run(node, s)
    s = _session()
    s.meta.placement = "wrist"
    with pytest.raises(GaitnodeError, match="placement is 'wrist'; a node detects heel strikes on the shank or "
                                            "the foot only"):
        session_config(s, info)
    s = _session()
    s.meta.subject.height_m = 3.5
    with pytest.raises(GaitnodeError, match="subject cannot be sent to the node: .*height_m"):
        session_config(s, info)
    with pytest.raises(GaitnodeError, match="speed must be a positive"):
        SessionReplay(speed=0)


def test_config_comes_from_the_session_meta():
    info = m.Info(1, "fw", "twin", 100, 16, 2000, 4900, 256, 26, 0, 0, 1)
    s = _session()
    s.meta.placement, s.meta.side = "foot", None
    s.meta.subject = Subject("x", "female", 30.0, 1.7, 60.0)
    c = session_config(s, info)
    assert c == m.Config(sex=m.Sex.FEMALE, placement=m.Placement.FOOT, side=m.Side.RIGHT, age_years=30.0,
                         height_m=1.7, mass_kg=60.0)  # side unknown in the session: the node's own


def test_positions_follow_the_session_clock_across_a_dropped_sample():
    t_us = np.r_[np.arange(5) * 10_000, 60_000 + np.arange(5) * 10_000] + 1_000_000  # sample 5 (50 ms) dropped
    s = _session(t_us=t_us)
    got = positions_to_times(s, [0.0, 4.5, 5.0, -0.5, 9.25])
    assert got == pytest.approx([1.0, 1.05, 1.06, 0.995, 1.1025])


def test_sessions_without_reference_report_counts_only(replayed, walk):
    bare = dataclasses.replace(walk, events=Events.empty())
    scores, events = score_detectors(bare, replayed.result, n_sent=len(walk.imu))
    for d in scores.values():
        assert not d.has_reference and d.f1 is None and d.n_ref == 0 and d.n_found > 0
    assert all(e.matched_ref_t_s is None for e in events)
    out = build_outcome(bare, replayed.result, replayed.info, n_sent=len(walk.imu))
    assert any("no reference heel strikes in the session" in ln for ln in out.summary.lines())
    assert "nn" in out.summary.short_line()


def test_vo2_estimates_are_scored_per_estimator_against_the_reference():
    s = _session(n=1000)  # 10 s at 100 Hz from t = 1 s
    s.series["vo2_true"] = Series([1.0, 11.0], [1000.0, 2000.0])  # 100 ml/min per s
    est = [m.Estimate(m.EstimateKind.VO2_ML_MIN, m.Estimator.CNN_LSTM, i, v)
           for i, v in ((100, 1150.0), (500, 1450.0), (900, 1900.0))]  # refs 1100, 1500, 1900
    extra = [m.Estimate(m.EstimateKind.VO2_ML_MIN, m.Estimator.ACSM, 100, 2200.0),
             m.Estimate(m.EstimateKind.VO2_ML_KG_MIN, m.Estimator.ACSM, 100, 31.0),
             m.Estimate(m.EstimateKind.CADENCE, m.Estimator.HS_INTERVALS, 100, 110.0)]
    res = ReplayResult(n_samples=1000, outputs=[received(e) for e in est + extra])
    scores = score_vo2(s, res)
    assert list(scores) == ["acsm", "cnn_lstm"]
    v = scores["cnn_lstm"]
    assert (v.n, v.n_sent, v.estimator, v.reference) == (3, 3, "cnn_lstm", "vo2_true")
    assert v.mae_ml_min == pytest.approx((50 + 50 + 0) / 3)
    assert v.mape_pct == pytest.approx(100 * (50 / 1100 + 50 / 1500) / 3)
    assert scores["acsm"].n == 1 and scores["acsm"].mape_pct == pytest.approx(100.0)
    info = m.Info(1, "fw", "twin", 100, 16, 2000, 4900, 256, 26, 0, 0, 0)
    lines = build_outcome(s, res, info, n_sent=1000).summary.lines()
    assert "VO2 (cnn_lstm vs vo2_true): 3 estimates, MAE 33 ml/min, MAPE 2.6 % [synthetic data]" in lines
    assert "VO2 (acsm vs vo2_true): 1 estimates, MAE 1100 ml/min, MAPE 100.0 % [synthetic data]" in lines
    del s.series["vo2_true"]
    assert score_vo2(s, res)["cnn_lstm"].reference is None
    v = score_vo2(s, res)["cnn_lstm"]
    assert v.reference is None and v.mae_ml_min is None and v.n == 0
    assert score_vo2(s, ReplayResult(n_samples=1000, outputs=[received(extra[2])])) == {}
    out = build_outcome(s, res, info, n_sent=1000)
    assert "VO2 (cnn_lstm): 3 estimates from the node, the session has no VO2 reference" in out.summary.lines()


def test_measured_vo2_is_averaged_around_each_estimate():
    s = _session(n=6000)  # 60 s
    t = np.arange(1.0, 61.0, 2.0)
    s.series["vo2"] = Series(t, np.where(np.arange(len(t)) % 2 == 0, 900.0, 1100.0))  # breath scatter around 1000
    res = ReplayResult(n_samples=6000, outputs=[received(m.Estimate(m.EstimateKind.VO2_ML_MIN, m.Estimator.ACSM,
                                                                    3000, 1000.0))])
    v = score_vo2(s, res)["acsm"]
    assert v.reference == "vo2" and v.mape_pct == pytest.approx(0.0, abs=1.0)


def test_vo2_per_kg_estimates_use_the_session_mass_when_the_node_sends_no_ml_min():
    s = _session(n=1000)
    s.series["vo2_true"] = Series([1.0, 11.0], [1400.0, 1400.0])
    s.meta.subject.mass_kg = 70.0
    res = ReplayResult(n_samples=1000, outputs=[received(m.Estimate(m.EstimateKind.VO2_ML_KG_MIN,
                                                                    m.Estimator.CNN_LSTM, 500, 21.0))])
    assert score_vo2(s, res)["cnn_lstm"].mae_ml_min == pytest.approx(70.0)
    s.meta.subject.mass_kg = None
    assert score_vo2(s, res)["cnn_lstm"].n == 0


def _session(*, rate_hz: float = 100.0, n: int = 200, t_us=None) -> Session:
    t_us = np.arange(n) * int(1e6 / rate_hz) + 1_000_000 if t_us is None else np.asarray(t_us)
    k = len(t_us)
    meta = SessionMeta(subject=Subject("S1", "male", 40.0, 1.8, 75.0), rate_hz=rate_hz, side="left", synthetic=True)
    z = np.zeros((k, 3))
    return Session(meta, Imu(t_us, z, z, z))

"""The replay result file: written atomically, read back whole, clear errors for what is not one."""

from __future__ import annotations

import json
import os
import shutil

import numpy as np
import pytest

from gaitnode.errors import GaitnodeError
from gaitnode.host.replay_result import (
    FORMAT, default_result_path, file_sha256, is_result_file, load_result_session, read_result, write_result,
)
from gaitnode.host.replay_run import build_outcome
from gaitnode.host.test_report import make_session
from gaitnode.protocol import messages as m
from gaitnode.protocol.framing import Frame
from gaitnode.protocol.link import Received
from gaitnode.protocol.replay import ReplayResult
from gaitnode.sessions.store import write_session

INFO = m.Info(1, "gaitnode-twin-1", "twin", 100, 16, 2000, 4900, 256, 26, 0, 0, 0,
              (m.InfoModel("heel_strike", bytes(range(32)), 34520, 15584, 14160),))
NN_DELAY_S, CLASSICAL_DELAY_S = 0.010, -0.015


def _rx(msg, host_s: float) -> Received:
    return Received(Frame(type=int(m.msg_type(msg)), seq=0, t_us=0, payload=b""), msg, host_s)


def _hs(t_s: float, source: m.Source, host_s: float) -> Received:
    p = t_s * 100.0  # the session starts at t = 0 and runs at 100 Hz
    return _rx(m.HeelStrike(int(p * 1e4), int(np.floor(p)), float(p - np.floor(p)), 0.9, source, m.Side.LEFT), host_s)


def make_outcome(session, session_path, *, vo2: bool = False, note: str = "", classes: bool = False):
    """A scored outcome of node outputs made up around the session's reference heel strikes:
    nn misses the first one, finds the others 10 ms late and adds one false positive between the
    first two; classical finds all of them 15 ms early. Host send times: 1 ms per sample; every
    event arrives 30 ms after its contact's sample was sent. classes: PHASE frames copying the
    reference from sample 300 and two ACTIVITY frames (one right, one wrong)."""
    ref = session.heel_strikes()
    n = len(session.imu)
    send = np.arange(n) * 1e-3
    out = []
    for t in ref:
        host = np.searchsorted(session.imu.t_s, t) * 1e-3 + 0.030
        if t != ref[0]:
            out.append(_hs(t + NN_DELAY_S, m.Source.NN, host))
        out.append(_hs(t + CLASSICAL_DELAY_S, m.Source.CLASSICAL, host))
    out.append(_hs((ref[0] + ref[1]) / 2, m.Source.NN, 5.0))
    out.append(_rx(m.Estimate(m.EstimateKind.CADENCE, m.Estimator.HS_INTERVALS, 1500, 109.0), 2.0))
    if vo2:
        out += [_rx(m.Estimate(m.EstimateKind.VO2_ML_MIN, m.Estimator.CNN_LSTM, i, 900.0), 2.0)
                for i in (1000, 2000)]
    if classes:
        codes = np.where(session.phase < 0, 1, session.phase)
        out += [_rx(m.Phase(i, tuple(int(c) for c in codes[i:i + 10]), (230,) * 10), 2.0)
                for i in range(300, n - 9, 10)]
        six = tuple(range(6))
        out += [_rx(m.Activity(150, m.ActivityCode.STANDING, six, (0, 0, 0, 5, 250, 0)), 2.0),
                _rx(m.Activity(1000, m.ActivityCode.SITTING, six, (20, 0, 0, 235, 0, 0)), 2.0)]
    out.append(_rx(m.Telemetry(loop_load_permille=40, ring_capacity=256, mode=2, samples_processed=n,
                               models=(m.TelemetryModel(1000, 2000, 1500, 90, 14160),)), 3.0))
    res = ReplayResult(n_samples=n, outputs=sorted(out, key=lambda r: r.host_s), send_host_s=send,
                       nacks=[m.Nack(7, m.MsgType.SAMPLES, m.NackReason.BAD_VALUE, 4)], wall_s=3.0)
    return build_outcome(session, res, INFO, n_sent=n, session_path=session_path, speed=10.0, note=note)


@pytest.fixture
def session_file(tmp_path):
    return write_session(make_session(30.0), tmp_path / "walk.gns")


def test_the_made_up_outcome_scores_as_designed(session_file):
    o = make_outcome(make_session(30.0), session_file)
    nn, cl = o.summary.detectors["nn"], o.summary.detectors["classical"]
    n_ref = len(make_session(30.0).heel_strikes())
    assert (nn.n_ref, nn.tp, nn.fp, nn.fn) == (n_ref, n_ref - 1, 1, 1)
    assert (cl.tp, cl.fp, cl.fn) == (n_ref, 0, 0)
    assert nn.median_error_ms == pytest.approx(10.0, abs=0.01)
    assert cl.median_error_ms == pytest.approx(-15.0, abs=0.01)
    assert nn.latency_ms["median"] == pytest.approx(30.0, abs=1e-6)


def test_write_then_read_gives_everything_back(session_file, tmp_path):
    s = make_session(30.0)
    outcome = make_outcome(s, session_file, vo2=True)
    path = write_result(outcome, default_result_path(session_file))
    assert path == tmp_path / "walk.result.json"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary left
    r = read_result(path)
    assert r.summary == outcome.summary
    assert r.passes == [outcome.summary]
    assert r.heel_strikes == outcome.heel_strikes
    assert r.estimates == outcome.estimates and [e["kind"] for e in r.estimates] == ["cadence", "vo2_ml_min",
                                                                                       "vo2_ml_min"]
    assert r.session_path == tmp_path / "walk.gns"
    assert r.session_sha256 == file_sha256(session_file)
    assert r.synthetic and r.complete and r.speed == 10.0
    assert r.node["models"][0]["sha256"] == bytes(range(32)).hex()
    assert r.node["board"] == "twin"
    assert r.telemetry[0]["samples_processed"] == len(s.imu) and r.telemetry[0]["host_s"] == 3.0
    assert r.nacks == [{"seq": 7, "type": int(m.MsgType.SAMPLES), "reason": int(m.NackReason.BAD_VALUE),
                        "detail": 4}]
    assert r.span_s == pytest.approx((0.0, s.imu.t_s[-1]))
    doc = json.loads(path.read_text())
    assert doc["format"] == FORMAT and doc["version"] == 3
    assert doc["session"] == {"path": "walk.gns", "given": str(session_file), "sha256": file_sha256(session_file)}
    assert r.summary.vo2["cnn_lstm"].n == 2


def test_result_and_session_can_move_together(session_file, tmp_path):
    (tmp_path / "results").mkdir()
    path = write_result(make_outcome(make_session(30.0), session_file), tmp_path / "results" / "a.result.json")
    assert json.loads(path.read_text())["session"]["path"] == "../walk.gns"
    moved = tmp_path / "moved"
    shutil.copytree(tmp_path, moved, ignore=shutil.ignore_patterns("moved"))
    shutil.rmtree(tmp_path / "results")
    os.remove(session_file)
    r = read_result(moved / "results" / "a.result.json")
    assert load_result_session(r).duration_s == pytest.approx(make_session(30.0).duration_s)


def test_existing_results_are_kept_unless_overwrite(session_file, tmp_path):
    outcome = make_outcome(make_session(30.0), session_file)
    path = write_result(outcome, tmp_path / "r.result.json")
    before = path.read_text()
    with pytest.raises(GaitnodeError, match="already exists; pass --force"):
        write_result(make_outcome(make_session(30.0), session_file, note="x"), path)
    assert path.read_text() == before
    write_result(make_outcome(make_session(30.0), session_file, note="node reset"), path, overwrite=True)
    r = read_result(path)
    assert not r.complete and r.note == "node reset" and r.summary.lines()[0] == "INCOMPLETE replay: node reset"
    with pytest.raises(GaitnodeError, match="folder .* does not exist"):
        write_result(outcome, tmp_path / "nope" / "r.json")


def test_a_result_needs_its_session_file(session_file, tmp_path):
    outcome = make_outcome(make_session(30.0), None)
    with pytest.raises(GaitnodeError, match="needs the session's file"):
        write_result(outcome, tmp_path / "r.json")
    assert not (tmp_path / "r.json").exists()


@pytest.mark.parametrize("content, message", [
    ("", "invalid JSON at line 1"),
    ("{\"format\": \"something else\"}", "not a replay result \\(no \"format\""),
    ("[1, 2]", "not a replay result"),
    (json.dumps({"format": FORMAT, "version": 9}), "replay result version 9; this gaitnode reads versions 1, 2, 3"),
    (json.dumps({"format": FORMAT, "version": 1}), "names no session file"),
    (json.dumps({"format": FORMAT, "version": 1, "session": {"path": "a.gns"}, "synthetic": True}),
     "damaged replay result \\(KeyError"),
])
def test_what_is_not_a_result_is_refused_clearly(tmp_path, content, message):
    p = tmp_path / "r.result.json"
    p.write_text(content)
    with pytest.raises(GaitnodeError, match=message):
        read_result(p)
    with pytest.raises(GaitnodeError, match="no such file"):
        read_result(tmp_path / "missing.json")


def test_a_gone_or_changed_session_is_a_clear_error(session_file, tmp_path):
    path = write_result(make_outcome(make_session(30.0), session_file), tmp_path / "r.result.json")
    write_session(make_session(20.0), session_file, overwrite=True)
    with pytest.raises(GaitnodeError, match="has changed since the replay"):
        load_result_session(read_result(path))
    os.remove(session_file)
    with pytest.raises(GaitnodeError, match=f"its session {session_file} is gone"):
        load_result_session(read_result(path))


def test_result_files_are_told_from_sessions_by_content(session_file, tmp_path):
    path = write_result(make_outcome(make_session(30.0), session_file), tmp_path / "r.gns")
    assert is_result_file(path)
    assert not is_result_file(session_file)
    assert not is_result_file(tmp_path / "missing")


def test_a_version_1_result_with_one_vo2_score_reads_as_one_estimator(session_file, tmp_path):
    path = write_result(make_outcome(make_session(30.0), session_file, vo2=True), tmp_path / "walk.result.json")
    doc = json.loads(path.read_text())
    doc["version"] = 1
    doc["summary"]["vo2"] = doc["summary"]["vo2"]["cnn_lstm"]
    for p in doc["passes"]:
        p["vo2"] = None
    path.write_text(json.dumps(doc))
    r = read_result(path)
    assert list(r.summary.vo2) == ["cnn_lstm"] and r.summary.vo2["cnn_lstm"].n == 2 and r.passes[0].vo2 == {}


def test_phase_and_activity_are_written_and_read_back(session_file, tmp_path):
    session = make_session(30.0)
    o = make_outcome(session, session_file, classes=True)
    assert o.summary.phase.accuracy == pytest.approx(1.0) and o.summary.phase.n_missing == 100
    assert o.summary.activity.accuracy == pytest.approx(0.5)
    r = read_result(write_result(o, tmp_path / "walk.result.json"))
    assert r.raw["version"] == 3
    assert r.summary.phase == o.summary.phase and r.summary.activity == o.summary.activity
    assert r.passes[0].phase == o.summary.phase
    assert r.phase_runs[0] == {"start_s": pytest.approx(3.0), "end_s": r.phase_runs[0]["end_s"], "first_index": 300,
                               "last_index": r.phase_runs[0]["last_index"], "phase": r.phase_runs[0]["phase"]}
    assert sum(x["last_index"] - x["first_index"] + 1 for x in r.phase_runs) == len(session.imu) - 300
    assert [(a["t_s"], a["activity"], a["reference"]) for a in r.activities] == [
        (pytest.approx(1.5), "standing", "standing"), (pytest.approx(10.0), "sitting", "walking")]
    lines = "\n".join(r.summary.lines())
    assert "gait phase:" in lines and "accuracy 1.000" in lines and "activity: 2 ACTIVITY frames" in lines
    assert "phase accuracy 1.000, activity accuracy 0.500" in r.summary.short_line()


def test_a_version_2_result_reads_without_phase_or_activity(session_file, tmp_path):
    path = write_result(make_outcome(make_session(30.0), session_file), tmp_path / "walk.result.json")
    doc = json.loads(path.read_text())
    doc["version"] = 2
    for key in ("phase_runs", "activities"):
        del doc[key]
    for summ in (doc["summary"], *doc["passes"]):
        del summ["phase"], summ["activity"]
    path.write_text(json.dumps(doc))
    r = read_result(path)
    assert r.summary.phase is None and r.summary.activity is None and r.phase_runs == [] and r.activities == []
    assert "gait phase" not in "\n".join(r.summary.lines())


def test_a_result_of_a_newer_version_is_refused_by_its_version(session_file, tmp_path):
    path = write_result(make_outcome(make_session(30.0), session_file), tmp_path / "walk.result.json")
    doc = json.loads(path.read_text())
    doc["version"] = 4
    path.write_text(json.dumps(doc))
    with pytest.raises(GaitnodeError, match="version 4; this gaitnode reads versions 1, 2, 3"):
        read_result(path)

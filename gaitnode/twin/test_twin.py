"""The twin end to end: the firmware core behind a pty, talked to through pyserial exactly as a
board would be, inference in the real TFLM interpreter."""

from __future__ import annotations

import dataclasses
import time

import numpy as np
import pytest

from gaitnode.errors import GaitnodeError
from gaitnode.protocol import messages as m
from gaitnode.protocol.link import Link, NodeRejected
from gaitnode.protocol.replay import replay_counts
from gaitnode.protocol.samples import from_counts
from gaitnode.twin.twin import TwinNode, session_counts


def as_received_by_node(session, ranges):
    """The session as the node sees it after int16 counts (what the host-side reference must use)."""
    from gaitnode.sessions.model import Imu

    raw = session_counts(session, ranges)
    acc, gyr, mag = from_counts(raw, ranges)
    imu = Imu(session.imu.t_us, acc, gyr, mag)
    return dataclasses.replace(session, imu=imu), raw


def event_times(session, events) -> np.ndarray:
    """Session times (s) of node events: the replayed sample's own time + the fraction (the host
    maps the node's sample index back to the session's clock)."""
    t = session.imu.t_s
    return np.array([t[e.sample_index] + e.frac / session.meta.rate_hz for e in events])


def test_twin_announces_itself_and_answers_hello():
    with TwinNode() as twin, Link(twin.port) as link:
        info = link.hello()
        assert info.board == "twin"
        assert info.protocol == 1
        assert info.sample_rate_hz == twin.board.sample_rate_hz
        assert len(info.models) == 0


def test_replay_events_equal_the_host_evaluation_of_the_same_model(twin_model_dir, walk):
    """Same int8 model (TFLM), same stitching, same C picker: the device's events over the pty must be
    the events the host-side evaluation finds on the same samples."""
    from gaitnode.training.heel_strike_detectors import ClassicalDetector, ModelDetector

    with TwinNode(twin_model_dir) as twin, Link(twin.port) as link:
        seen, raw = as_received_by_node(walk, twin.ranges)
        res = replay_counts(link, raw, rate_hz=walk.meta.rate_hz)
        assert twin.inference_error is None and twin.write_failures == 0
    assert res.nacks == [] and res.bad_frames == 0 and res.device_seq_gaps == 0
    nn = res.heel_strikes(m.Source.NN)
    classical = res.heel_strikes(m.Source.CLASSICAL)
    want_nn = ModelDetector(twin_model_dir, "tflm").detect(seen).events_s
    want_classical = ClassicalDetector().detect(seen).events_s
    assert len(want_nn) > 20 and len(want_classical) > 20
    got_nn, got_classical = event_times(walk, nn), event_times(walk, classical)
    assert len(got_nn) == len(want_nn)
    assert np.max(np.abs(got_nn - want_nn)) <= 0.0101  # at most one sample apart (input rounding)
    assert len(got_classical) == len(want_classical)
    assert np.max(np.abs(got_classical - want_classical)) < 1e-4
    # the event's device time is its contact time on the replay clock
    assert all(abs(e.t_us - (e.sample_index + e.frac) * 10_000) <= 1 for e in nn)


def test_replay_heel_strikes_match_the_reference(twin_model_dir, walk):
    from gaitnode.metrics.events import match_events

    with TwinNode(twin_model_dir) as twin, Link(twin.port) as link:
        _, raw = as_received_by_node(walk, twin.ranges)
        res = replay_counts(link, raw, rate_hz=walk.meta.rate_hz)
    ref = walk.heel_strikes()
    for source in (m.Source.NN, m.Source.CLASSICAL):
        got = event_times(walk, res.heel_strikes(source))
        score = match_events(ref, got, tolerance_s=0.05)
        assert score.f1 >= 0.9, (source, score)


def test_live_mode_streams_the_imu_in_order(walk):
    with TwinNode(live_session=walk) as twin, Link(twin.port) as link:
        link.request(m.ModeMsg(m.Mode.LIVE))
        got: list = []
        deadline = time.monotonic() + 1.5
        while time.monotonic() < deadline:
            got.extend(r.msg for r in link.read(0.05) if isinstance(r.msg, m.Samples))
        link.request(m.ModeMsg(m.Mode.IDLE), keep=[])
        raw = session_counts(walk, twin.ranges)
    assert sum(len(s.raw) for s in got) >= 50
    index = 0
    for s in got:
        assert s.first_index == index  # no lost or reordered batches
        np.testing.assert_array_equal(s.raw, raw[index:index + len(s.raw)])
        index += len(s.raw)


def test_garbage_on_the_line_is_counted_and_the_node_recovers():
    with TwinNode() as twin, Link(twin.port) as link:
        link.write_raw(bytes(range(1, 200)) + b"\x00" + b"\x03\xff\xff\x00")
        nack = link.wait_for(lambda x: isinstance(x, m.Nack), 2.0).msg
        assert nack.reason in (m.NackReason.CRC, m.NackReason.COBS, m.NackReason.TOO_SHORT)
        assert link.hello().board == "twin"
        with pytest.raises(NodeRejected, match="WRONG_MODE"):
            link.request(m.Samples(first_index=0, raw=np.zeros((3, 9), np.int16)))


def test_a_model_dir_without_int8_model_is_refused(tmp_path):
    (tmp_path / "model.json").write_text("{}")
    with pytest.raises(GaitnodeError):
        TwinNode(tmp_path)

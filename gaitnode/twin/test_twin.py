"""The twin end to end: the firmware core behind a pty, talked to through pyserial exactly as a
board would be, inference in the real TFLM interpreter."""

from __future__ import annotations

import dataclasses
import struct
import time

import numpy as np
import pytest

from gaitnode.errors import GaitnodeError
from gaitnode.protocol import messages as m
from gaitnode.protocol.framing import Frame, encode_frame
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


@pytest.fixture(scope="module")
def vo2_model_dir():
    """A small real quantized VO2 model (gaitnode.twin.testing.small_vo2_model), read-only."""
    from gaitnode.twin.testing import small_vo2_model

    return small_vo2_model()


def host_vo2_estimates(raw, ranges, vo2_dir, hs_meta, period: int, n: int):
    """The CNN-LSTM estimates the node must send, computed on the host from the same int16 samples:
    C input quantisation, the same int8 model in TFLM on the node's VO2 windows (phased half a
    heel-strike hop after the heel-strike windows, gn_node.h), dequantised, averaged per estimate
    period, smoothed with the model's smooth_tau_s. Returns {tick sample index: ml/kg/min}."""
    import json

    from gaitnode.ccore.input_quant import InputQuantizer, physical_units
    from gaitnode.quantize.c_export import channel_index
    from gaitnode.quantize.runners import TFLMRunner

    meta = json.loads((vo2_dir / "model.json").read_text())
    q = json.loads((vo2_dir / "quantize.json").read_text())
    phys = physical_units(raw, ranges.acc_g, ranges.gyr_dps, ranges.mag_ut)
    x = InputQuantizer(channel_index(meta["channels"]), meta["norm_mean"], meta["norm_std"], q["input_scale"],
                       q["input_zero_point"]).quantize(phys)
    w, hop, hs_w, hs_hop = meta["window"], meta["hop"], hs_meta["window"], hs_meta["hop"]
    start = (hs_w + hs_hop // 2 - w) % hs_hop
    runner = TFLMRunner((vo2_dir / "model_int8.tflite").read_bytes(), q["arena_bytes"])
    ready, values = [], []
    for s in range(start, n - w + 1, hop):
        y = int(runner.run_raw(x[s:s + w][None])[0])
        ready.append(s + w - 1)
        values.append(q["output_scale"] * (y - q["output_zero_point"]))
    ready, values = np.array(ready), np.array(values)
    out, y, held, seen = {}, None, None, False
    for tick in range(period, n, period):
        new = values[(ready <= tick) & (ready > tick - period)]
        if len(new):
            held, seen = float(np.mean(new)), True
        if not seen:
            continue
        y = held if y is None else y + (1 - np.exp(-period / 100.0 / meta["smooth_tau_s"])) * (held - y)
        out[tick] = y
    return out


def test_vo2_model_on_the_twin_equals_the_host_evaluation(twin_model_dir, vo2_model_dir, walk):
    """Both estimators over the pty: the CNN-LSTM estimates are the host's TFLM run of the same int8
    model on the same windows (averaged, smoothed); ml/min = ml/kg/min x the CONFIG mass; ACSM is
    the host-side ACSM (the same C) on the node's own heel-strike events; both models in INFO and
    TELEMETRY."""
    import json

    from gaitnode.ccore.acsm import acsm_series

    subj = walk.meta.subject
    cfg = m.Config(m.Sex.MALE if subj.sex == "male" else m.Sex.FEMALE, m.Placement.SHANK, m.Side.LEFT,
                   float(subj.age), float(subj.height_m), float(subj.mass_kg), 200, 1000)
    with TwinNode(twin_model_dir, vo2_model_dir=vo2_model_dir) as twin, Link(twin.port) as link:
        info = link.hello()
        _, raw = as_received_by_node(walk, twin.ranges)
        res = replay_counts(link, raw, rate_hz=walk.meta.rate_hz, config=cfg)
        tel = link.wait_for(lambda x: isinstance(x, m.Telemetry), 2.0).msg
        assert twin.inference_error is None and twin.write_failures == 0
        arena = twin.inference.arena_used_by_model
    q = json.loads((vo2_model_dir / "quantize.json").read_text())
    assert [x.name for x in info.models] == ["heel_strike", "vo2"]
    assert info.models[1].sha256.hex() == q["model_sha256"] and info.models[1].arena_bytes == q["arena_bytes"]
    assert res.nacks == [] and res.bad_frames == 0 and res.device_seq_gaps == 0
    assert len(tel.models) == 2 and tel.models[1].arena_used == arena[1] > 0

    est = [r.msg for r in res.of_type(m.Estimate)]
    cnn = {e.sample_index: e.value for e in est if e.estimator == m.Estimator.CNN_LSTM
           and e.kind == m.EstimateKind.VO2_ML_KG_MIN}
    want = host_vo2_estimates(raw, twin.ranges, vo2_model_dir, json.loads((twin_model_dir / "model.json").read_text()),
                              100, len(raw))
    assert len(cnn) >= 30 and sorted(cnn) == sorted(want)
    for tick, value in cnn.items():
        assert value == pytest.approx(want[tick], rel=1e-4), tick
    for kind2, kind3 in zip([e for e in est if e.kind == m.EstimateKind.VO2_ML_KG_MIN],
                            [e for e in est if e.kind == m.EstimateKind.VO2_ML_MIN]):
        assert (kind3.estimator, kind3.sample_index) == (kind2.estimator, kind2.sample_index)
        assert kind3.value == pytest.approx(kind2.value * float(np.float32(subj.mass_kg)), rel=1e-6)

    acsm = {e.sample_index: e.value for e in est if e.estimator == m.Estimator.ACSM
            and e.kind == m.EstimateKind.VO2_ML_KG_MIN}
    hs = [(e.sample_index + e.frac) / 100.0 for e in res.heel_strikes(m.Source.NN)]
    ticks = np.array(sorted(acsm))
    host = acsm_series(hs, ticks / 100.0, height_m=float(np.float32(subj.height_m)), sex=subj.sex,
                       estimate_period_s=1.0)
    # the node counts a heel strike once it is detected (up to ~0.5 s later): the medians agree once walking
    device = np.array([acsm[t] for t in ticks])
    assert np.all(device >= 3.5) and device[-1] > 3.5 + 1.0
    np.testing.assert_allclose(device[-10:], host[-10:], rtol=0.02)


def test_a_vo2_model_needs_a_board_with_a_vo2_slot(vo2_model_dir, twin_model_dir):
    with pytest.raises(GaitnodeError, match="board esp32s3 carries no VO2 model"):
        TwinNode(vo2_model_dir=vo2_model_dir, board="esp32s3")
    with pytest.raises(GaitnodeError, match="is not a VO2 model"):
        TwinNode(vo2_model_dir=twin_model_dir)
    with pytest.raises(GaitnodeError, match="is a VO2 model, not a heel-strike model"):
        TwinNode(vo2_model_dir)


def test_classical_only_twin_estimates_acsm_from_the_gyro_detector(walk):
    subj = walk.meta.subject
    cfg = m.Config(m.Sex.UNKNOWN, m.Placement.SHANK, m.Side.LEFT, 0.0, float(subj.height_m), 0.0, 0, 1000)
    with TwinNode() as twin, Link(twin.port) as link:
        _, raw = as_received_by_node(walk, twin.ranges)
        res = replay_counts(link, raw, rate_hz=walk.meta.rate_hz, config=cfg)
    est = [r.msg for r in res.of_type(m.Estimate)]
    acsm = [e.value for e in est if e.estimator == m.Estimator.ACSM]
    assert len(acsm) == len(raw) // 100 - (len(raw) % 100 == 0)  # one a second, no mass: no ml/min
    assert all(e.kind != m.EstimateKind.VO2_ML_MIN for e in est)
    assert any(e.kind == m.EstimateKind.CADENCE for e in est) and acsm[-1] > 3.5 + 1.0


def test_config_outside_physiology_is_refused_by_the_twin():
    with TwinNode() as twin, Link(twin.port) as link:
        link.write_raw(encode_frame(Frame(type=m.MsgType.CONFIG, seq=77, t_us=0, payload=bytes(
            [1, 0, 0]) + struct.pack("<fff", 30.0, 1.2 * 100, 70.0) + bytes(4))))  # height in cm: BAD_VALUE
        nack = link.wait_for(lambda x: isinstance(x, m.Nack) and x.seq == 77, 2.0).msg
        assert (nack.reason, nack.detail) == (m.NackReason.BAD_VALUE, 7)
        link.write_raw(encode_frame(Frame(type=m.MsgType.CONFIG, seq=78, t_us=0, payload=bytes(
            [1, 0, 0]) + struct.pack("<fff", 30.0, 0.3, 70.0) + bytes(4))))
        nack = link.wait_for(lambda x: isinstance(x, m.Nack) and x.seq == 78, 2.0).msg
        assert (nack.reason, nack.detail) == (m.NackReason.PHYSIOLOGY, 7)
        assert str(NodeRejected(nack, "CONFIG")) == ("the node rejected CONFIG: PHYSIOLOGY: CONFIG field height_m "
                                                     "(payload byte 7) outside 0.5..2.5 m, 0 = unknown")

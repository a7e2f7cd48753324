"""Protocol conformance (docs/protocol.md): every host -> device type answered, every device -> host type
refused, every NACK reason the host can provoke, and the TELEMETRY counters that count them."""

from __future__ import annotations

import struct

import numpy as np
import pytest
from cobs import cobs

from gaitnode.protocol import messages as m
from gaitnode.protocol.framing import MAX_WIRE, Frame, encode_frame
from gaitnode.protocol.link import NodeRejected
from gaitnode.protocol.samples import to_counts

R, T = m.NackReason, m.MsgType
SEQ = 0xBEE0  # seq numbers of hand-made frames: far from the Link's own, so answers cannot be confused
G = 9.80665


def config_payload(**values) -> bytes:
    """A CONFIG payload packed without the host's validation (so it can hold out-of-range values)."""
    v = {"sex": 0, "placement": 0, "side": 0, "age": 0.0, "height": 0.0, "mass": 0.0, "tele": 0, "est": 0, **values}
    return struct.pack("<BBBfffHH", v["sex"], v["placement"], v["side"], v["age"], v["height"], v["mass"],
                       v["tele"], v["est"])


def still_samples(dut, n: int, gravity_axis: int) -> np.ndarray:
    """n counts of a node lying still with gravity along one sensor axis."""
    acc = np.zeros((n, 3))
    acc[:, gravity_axis] = G
    raw, clipped = to_counts(acc, np.zeros((n, 3)), np.zeros((n, 3)), dut.node.ranges)
    assert clipped == 0
    return raw


def nack_for(dut, seq: int, type_: int):
    answer = dut.answer_to(seq, type_)
    assert isinstance(answer, m.Nack), answer
    return answer


def test_hello_is_answered_by_info_describing_the_board(dut):
    info = dut.link.hello()
    board = dut.board
    assert info.protocol == 1 and info.mode == m.Mode.IDLE
    assert info.board == board.name and info.sample_rate_hz == board.sample_rate_hz
    assert (info.acc_range_g, info.gyr_range_dps, info.mag_range_ut) == (
        board.ranges.acc_g, board.ranges.gyr_dps, board.ranges.mag_ut)
    assert info.ring_capacity == board.ring_capacity
    assert 1 <= info.max_batch <= m.MAX_BATCH


def test_config_and_mode_are_acknowledged(dut):
    cfg = m.Config(m.Sex.FEMALE, dut.info.placement, dut.info.side, 34.0, 1.7, 61.0, 1000, 5000)
    ack = dut.request(cfg)
    assert ack.type == T.CONFIG
    ack = dut.request(m.ModeMsg(m.Mode.REPLAY))
    assert ack.type == T.MODE and ack.credits == dut.info.ring_capacity and ack.next_index == 0
    ack = dut.request(m.Samples(0, np.zeros((0, m.AXES), np.int16)))  # an empty batch only asks for credits
    assert ack.type == T.SAMPLES and ack.credits == dut.info.ring_capacity and ack.next_index == 0
    assert dut.request(m.ModeMsg(m.Mode.IDLE)).type == T.MODE


@pytest.mark.parametrize("msg", [m.Samples(0, np.zeros((3, m.AXES), np.int16)), m.Calibrate(50)],
                         ids=["samples", "calibrate"])
def test_samples_and_calibrate_in_idle_are_refused_with_wrong_mode(dut, msg):
    with pytest.raises(NodeRejected) as e:
        dut.request(msg)
    assert e.value.nack.reason == R.WRONG_MODE and e.value.nack.detail == m.Mode.IDLE


def test_every_device_to_host_type_is_refused_as_not_sendable(dut):
    from gaitnode.protocol.vectors import message_cases

    examples = {m.pack(msg)[0]: msg for _, msg, _, _ in message_cases()}
    device_only = sorted(set(T) - m.HOST_TO_DEVICE)
    assert len(device_only) == 10  # INFO .. CALIBRATION without the host's, PHASE, ACTIVITY
    for t in device_only:
        seq = dut.link.send(examples[t])
        nack = nack_for(dut, seq, t)
        assert (nack.reason, nack.detail) == (R.NOT_SENDABLE, t), T(t).name


@pytest.mark.parametrize("type_, payload, version, reason, detail", [
    (0x00, b"", 1, R.UNKNOWN_TYPE, 0x00),
    (0x10, b"", 1, R.UNKNOWN_TYPE, 0x10),
    (0xFF, b"\x01\x02", 1, R.UNKNOWN_TYPE, 0xFF),
    (T.HELLO, b"", 2, R.VERSION, 2),
    (T.MODE, b"\x00", 0, R.VERSION, 0),
    (T.HELLO, b"\x00", 1, R.BAD_LENGTH, 1),
    (T.MODE, b"\x00\x00", 1, R.BAD_LENGTH, 2),
    (T.CONFIG, config_payload()[:-1], 1, R.BAD_LENGTH, 18),
    (T.CALIBRATE, b"\x00\x00\x00", 1, R.BAD_LENGTH, 3),
    (T.MODE, b"\x03", 1, R.BAD_VALUE, 0),
    (T.CONFIG, config_payload(sex=3), 1, R.BAD_VALUE, 0),
    (T.CONFIG, config_payload(side=2), 1, R.BAD_VALUE, 2),
    (T.CONFIG, config_payload(age=float("nan")), 1, R.BAD_VALUE, 3),
    (T.CONFIG, config_payload(height=3.5), 1, R.BAD_VALUE, 7),
    (T.CONFIG, config_payload(mass=-1.0), 1, R.BAD_VALUE, 11),
], ids=["type-0x00", "type-0x10", "type-0xFF", "version-2", "version-0", "hello-1-byte", "mode-2-bytes",
        "config-18-bytes", "calibrate-3-bytes", "mode-3", "config-sex", "config-side", "config-age-nan",
        "config-height", "config-mass"])
def test_malformed_frames_are_refused_with_reason_and_detail(dut, type_, payload, version, reason, detail):
    dut.send_raw(type_, payload, seq=SEQ, version=version)
    nack = nack_for(dut, SEQ, type_)
    assert (R(nack.reason), nack.detail) == (reason, detail)
    assert dut.request(m.ModeMsg(m.Mode.IDLE)).type == T.MODE  # the node goes on answering


def test_replay_refuses_gaps_bad_batches_and_names_the_expected_index(dut):
    raw = np.arange(8 * m.AXES, dtype=np.int16).reshape(8, m.AXES)
    dut.request(m.ModeMsg(m.Mode.REPLAY))
    assert dut.request(m.Samples(0, raw[:5])).next_index == 5
    with pytest.raises(NodeRejected) as e:
        dut.request(m.Samples(7, raw[:1]))  # samples 5 and 6 missing
    assert (e.value.nack.reason, e.value.nack.detail) == (R.SEQUENCE, 5)
    with pytest.raises(NodeRejected) as e:
        dut.request(m.Samples(0, raw[:2]))  # a batch sent twice
    assert (e.value.nack.reason, e.value.nack.detail) == (R.SEQUENCE, 5)
    head = struct.pack("<IBB", 5, 2, 0)
    for payload, reason, detail in (
            (head + raw[:3].tobytes(), R.BAD_LENGTH, 6 + 3 * 18),  # count says 2, three samples follow
            (struct.pack("<IBB", 5, m.MAX_BATCH + 1, 0) + raw[:2].tobytes(), R.BAD_VALUE, 4),  # count too big
            (struct.pack("<IBB", 5, 2, 1) + raw[:2].tobytes(), R.BAD_VALUE, 5)):  # reserved byte set
        dut.send_raw(T.SAMPLES, payload, seq=SEQ)
        nack = nack_for(dut, SEQ, T.SAMPLES)
        assert (R(nack.reason), nack.detail) == (reason, detail)
    assert dut.request(m.Samples(5, raw[5:])).next_index == 8  # nothing refused was taken


def test_calibration_reports_gravity_refuses_a_second_request_and_returns_to_identity(dut):
    dut.request(m.ModeMsg(m.Mode.REPLAY))
    index = 0
    for axis, gravity in ((2, (0.0, 0.0, G)), (1, (0.0, G, 0.0))):  # the second pose is the target: no rotation
        assert dut.request(m.Calibrate(50)).type == T.CALIBRATE
        with pytest.raises(NodeRejected) as e:
            dut.request(m.Calibrate(50))
        assert e.value.nack.reason == R.BUSY
        raw = still_samples(dut, 50, axis)
        for start in range(0, 50, 25):  # 50 samples fit the ring: no need to wait for credits
            dut.link.send(m.Samples(index + start, raw[start:start + 25]))
        index += 50
        cal = dut.link.wait_for(lambda x: isinstance(x, m.Calibration), 2.0).msg
        assert cal.status == m.CalibStatus.DONE
        assert np.allclose(cal.gravity, gravity, atol=0.02)
        rot = np.array(cal.rot)
        assert np.allclose(rot @ np.array(gravity), (0.0, G, 0.0), atol=0.02)  # gravity turned onto +y
        acks = [a for a in dut.drain() if isinstance(a.msg, (m.Ack, m.Nack)) and a.msg.type == T.SAMPLES]
        assert [a.msg.next_index for a in acks if isinstance(a.msg, m.Ack)] == [index - 25, index]
    assert np.allclose(rot, np.eye(3), atol=1e-6)  # the node is left as it was found
    dut.request(m.ModeMsg(m.Mode.IDLE))


def bad_frames() -> list[tuple[str, bytes, int, int, int]]:
    """(name, wire bytes, NACK reason, type, seq) of frames the decoder must refuse."""
    good = encode_frame(Frame(type=T.MODE, seq=SEQ, t_us=0, payload=b"\x00"))
    crc = bytearray(good)
    crc[-3] ^= 0x41  # a payload/CRC byte, never 0x00 after the flip: the header stays readable
    assert crc[-3] != 0
    short = cobs.encode(bytes([1, T.HELLO, SEQ & 0xFF, SEQ >> 8, 7, 7])) + b"\x00"  # 6 decoded bytes
    return [("crc", bytes(crc), R.CRC, T.MODE, SEQ),
            ("cobs", b"\x07\x01\x02\x00", R.COBS, 0xFF, 0),  # the code byte runs past the chunk
            ("short", short, R.TOO_SHORT, T.HELLO, SEQ),
            ("oversized", b"\x55" * (MAX_WIRE + 10) + b"\x00", R.OVERSIZED, 0xFF, 0)]


@pytest.mark.parametrize("name, data, reason, type_, seq", bad_frames(), ids=[b[0] for b in bad_frames()])
def test_undecodable_frames_are_refused_and_the_next_frame_decodes(dut, name, data, reason, type_, seq):
    dut.link.write_raw(data)
    nack = dut.link.wait_for(lambda x: isinstance(x, m.Nack) and x.reason == reason, 2.0).msg
    assert (nack.type, nack.seq, nack.detail) == (type_, seq, 0)
    assert dut.link.hello().protocol == 1  # resynchronised at the 0x00


def test_telemetry_counts_every_refused_frame_by_kind(dut):
    dut.configure(telemetry_period_ms=100)
    before = dut.telemetry()
    dut.send_raw(T.HELLO, b"", seq=SEQ, version=2)                     # rx_bad_version
    dut.send_raw(0x42, b"", seq=SEQ + 1)                               # rx_unknown_type
    dut.send_raw(T.MODE, b"\x00\x00", seq=SEQ + 2)                     # rx_bad_length
    dut.send_raw(T.MODE, b"\x07", seq=SEQ + 3)                         # rx_rejected: BAD_VALUE
    dut.send_raw(T.CALIBRATE, b"\x00\x00", seq=SEQ + 4)                # rx_rejected: WRONG_MODE
    dut.send_raw(T.LOG, b"\x01hi", seq=SEQ + 5)                        # rx_rejected: NOT_SENDABLE
    for _, data, *_ in bad_frames():                                   # rx_crc, rx_cobs, rx_short, rx_oversized
        dut.link.write_raw(data)
    dut.link.hello()  # answered after everything above
    after = dut.telemetry()
    grew = {k: getattr(after, k) - getattr(before, k) for k in (
        "rx_frames", "rx_bad_version", "rx_unknown_type", "rx_bad_length", "rx_rejected", "rx_crc", "rx_cobs",
        "rx_short", "rx_oversized")}
    # rx_frames: the six decodable frames above and the HELLO
    assert grew == {"rx_frames": 7, "rx_bad_version": 1, "rx_unknown_type": 1, "rx_bad_length": 1, "rx_rejected": 3,
                    "rx_crc": 1, "rx_cobs": 1, "rx_short": 1, "rx_oversized": 1}

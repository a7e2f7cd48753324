"""Message payloads: hand-written layouts, round trips of every type, validation, the C enums."""

import re
import struct
from pathlib import Path

import numpy as np
import pytest

from gaitnode.errors import GaitnodeError
from gaitnode.protocol import messages as m
from gaitnode.protocol.framing import Frame, FrameDecoder, ProtocolError, encode_frame
from gaitnode.protocol.vectors import message_cases

SRC = Path(__file__).resolve().parents[2] / "firmware" / "lib" / "gaitnode_core" / "src"


def _c_enum(header: str, prefix: str) -> dict[str, int]:
    text = (SRC / header).read_text()
    return {k: int(v, 0) for k, v in re.findall(rf"\b{prefix}(\w+) = (0x[0-9A-Fa-f]+|\d+)", text)}


@pytest.mark.parametrize("enum, header, prefix", [
    (m.MsgType, "gn_msg.h", "GN_MSG_"), (m.NackReason, "gn_msg.h", "GN_NACK_"), (m.Mode, "gn_msg.h", "GN_MODE_"),
    (m.Side, "gn_msg.h", "GN_SIDE_"), (m.Sex, "gn_msg.h", "GN_SEX_"), (m.Source, "gn_msg.h", "GN_SOURCE_"),
    (m.Estimator, "gn_msg.h", "GN_ESTIMATOR_"), (m.LogLevel, "gn_msg.h", "GN_LOG_"),
    (m.CalibStatus, "gn_calib.h", "GN_CALIB_"), (m.Placement, "gn_gyro_hs.h", "GN_PLACEMENT_"),
])
def test_enums_match_the_c_headers(enum, header, prefix):
    assert {e.name: e.value for e in enum} == _c_enum(header, prefix)


def test_estimate_kinds_match_c():
    c = _c_enum("gn_msg.h", "GN_EST_")
    assert {e.name: e.value for e in m.EstimateKind} == c


def test_max_batch_formula():
    assert m.MAX_BATCH == (480 - 6) // 18 == 26


def test_layouts_by_hand():
    assert m.pack(m.Ack(0x0102, m.MsgType.SAMPLES, 0x0304, 0x05060708)) == (
        m.MsgType.ACK, bytes.fromhex("0201" "05" "0403" "08070605"))
    assert m.pack(m.Nack(0x0102, 0xFF, m.NackReason.SEQUENCE, 0x0A0B0C0D))[1] == bytes.fromhex("0201ff0b0d0c0b0a")
    assert m.pack(m.ModeMsg(m.Mode.REPLAY))[1] == b"\x02"
    assert m.pack(m.Calibrate(200))[1] == b"\xc8\x00"
    assert m.pack(m.Log(m.LogLevel.WARN, "hi"))[1] == b"\x02hi"
    assert m.pack(m.Hello()) == (m.MsgType.HELLO, b"")
    assert m.pack(m.Config(m.Sex.MALE, m.Placement.FOOT, m.Side.RIGHT, 32.0, 2.0, 64.0, 0x0102, 0x0304))[1] == \
        bytes.fromhex("020101" "00000042" "00000040" "00008042" "0201" "0403")
    assert m.pack(m.Estimate(m.EstimateKind.CADENCE, m.Estimator.ACSM, 0x01020304, 1.0))[1] == \
        bytes.fromhex("0001" "04030201" "0000803f")
    assert m.pack(m.HeelStrike(0x0102030405060708, 9, 0.5, 1.0, m.Source.CLASSICAL, m.Side.LEFT))[1] == \
        bytes.fromhex("0807060504030201" "09000000" "0000003f" "0000803f" "01" "00")
    raw = np.zeros((2, 9), np.int16)
    raw[0, 0], raw[0, 8], raw[1, 1] = 1, -1, -32768
    assert m.pack(m.Samples(0x01020304, raw))[1] == bytes.fromhex("04030201" "02" "00") + \
        bytes.fromhex("0100" + "0000" * 7 + "ffff") + bytes.fromhex("0000" "0080" + "0000" * 7)
    cal = m.pack(m.Calibration(m.CalibStatus.MOVED, (1.0, 0.0, 0.0), ((1, 0, 0), (0, 1, 0), (0, 0, 1))))[1]
    assert len(cal) == 49 and cal[0] == 2 and cal[1:5] == bytes.fromhex("0000803f")
    assert struct.unpack("<9f", cal[13:]) == (1, 0, 0, 0, 1, 0, 0, 0, 1)


def test_info_and_telemetry_offsets():
    info = m.Info(1, "fw", "board", 100, 16, 2000, 4900, 256, 26, m.Mode.LIVE, m.Placement.FOOT, m.Side.RIGHT,
                  (m.InfoModel("a", bytes(range(32)), 1, 2, 3),))
    p = m.pack(info)[1]
    assert len(p) == 48 + 60
    assert p[0] == 1 and p[1:17] == b"fw" + bytes(14) and p[17:33] == b"board" + bytes(11)
    assert struct.unpack_from("<5HB", p, 33) == (100, 16, 2000, 4900, 256, 26)
    assert tuple(p[44:48]) == (1, 1, 1, 1)
    assert p[48:64] == b"a" + bytes(15) and p[64:96] == bytes(range(32))
    assert struct.unpack_from("<3I", p, 96) == (1, 2, 3)
    tel = m.Telemetry(loop_load_permille=1, ring_high_water=2, ring_capacity=3, mode=m.Mode.REPLAY,
                      samples_processed=4, infer_errors=5, models=(m.TelemetryModel(6, 7, 8, 9, 10),))
    p = m.pack(tel)[1]
    assert len(p) == 60 + 20
    assert struct.unpack_from("<3HBB", p) == (1, 2, 3, 2, 1)
    assert struct.unpack_from("<13I", p, 8) == (4,) + (0,) * 11 + (5,)
    assert struct.unpack_from("<5I", p, 60) == (6, 7, 8, 9, 10)


@pytest.mark.parametrize("name, msg, seq, t_us", message_cases(), ids=[c[0] for c in message_cases()])
def test_round_trip_every_case(name, msg, seq, t_us):
    t, payload = m.pack(msg)
    assert len(payload) <= 480
    back = m.unpack(t, payload)
    assert back == msg and type(back) is type(msg)
    frame = m.to_frame(msg, seq, t_us)
    decoded = FrameDecoder().feed(encode_frame(frame))
    assert decoded == [frame] and m.from_frame(decoded[0]) == msg


def test_every_type_round_trips():
    assert {m.msg_type(c[1]) for c in message_cases()} == set(m.MsgType)


@pytest.mark.parametrize("name, msg, seq, t_us", message_cases(), ids=[c[0] for c in message_cases()])
def test_wrong_lengths(name, msg, seq, t_us):
    t, payload = m.pack(msg)
    variable = t == m.MsgType.LOG  # any length from 1 up
    for bad in (payload + b"\x00", payload[:-1]):
        if variable and 1 <= len(bad) <= 480 or bad == payload:
            continue
        with pytest.raises(ProtocolError) as e:
            m.unpack(t, bad)
        assert e.value.reason == m.NackReason.BAD_LENGTH and e.value.detail == len(bad)
        assert "payload of" in str(e.value)


def test_enum_fields_are_enums_after_unpack():
    msg = m.unpack(m.MsgType.HEEL_STRIKE, m.pack(m.HeelStrike(1, 2, 0.0, 1.0, 1, 1))[1])
    assert msg.source is m.Source.CLASSICAL and msg.side is m.Side.RIGHT


@pytest.mark.parametrize("msg, field", [
    (m.Config(3, 0, 0), "sex"),
    (m.Config(0, 2, 0), "placement"),
    (m.Config(0, 0, 0, age_years=-1.0), "age_years"),
    (m.Config(0, 0, 0, height_m=float("nan")), "height_m"),
    (m.Config(0, 0, 0, mass_kg=501.0), "mass_kg"),
    (m.Config(0, 0, 0, telemetry_period_ms=70000), "telemetry_period_ms"),
    (m.ModeMsg(3), "mode"),
    (m.HeelStrike(-1, 0, 0.0, 1.0, 0, 0), "t_us"),
    (m.HeelStrike(0, 0, 1e39, 1.0, 0, 0), "frac"),
    (m.Estimate(9, 0, 0, 1.0), "kind"),
    (m.Ack(0, 0x10), "type"),
    (m.Phase(0, (), ()), "count"),
    (m.Phase(0, [0] * 65, [0] * 65), "count"),
    (m.Phase(0, (0, 4), (1, 1)), "code[1]"),
    (m.Phase(0, (0,), (256,)), "confidence[0]"),
    (m.Phase(2**32, (0,), (1,)), "first_index"),
    (m.Activity(0, 7, (0,), (1,)), "code"),
    (m.Activity(0, 0, (), ()), "n"),
    (m.Activity(0, 0, [0] * 9, [0] * 9), "n"),
    (m.Activity(0, 0, (0, 1, 9), (1, 1, 1)), "class[2]"),
    (m.Activity(0, 0, (0,), (-1,)), "prob[0]"),
    (m.Nack(0, 0, 0), "reason"),
    (m.Log(4, "x"), "level"),
    (m.Info(1, "x" * 17, "b", 100, 16, 2000, 4900, 256, 26, 0, 0, 0), "firmware"),
    (m.Info(1, "fw", "b\x00", 100, 16, 2000, 4900, 256, 26, 0, 0, 0), "board"),
    (m.Info(1, "fw", "b", 100, 16, 2000, 4900, 256, 26, 0, 0, 0, (m.InfoModel("n", b"short", 1, 2),)), "sha256"),
    (m.Calibration(4, (0, 0, 0), ((1, 0, 0),) * 3), "status"),
    (m.Telemetry(rx_crc=2**32), "rx_crc"),
])
def test_pack_rejects_bad_values(msg, field):
    with pytest.raises(ProtocolError) as e:
        m.pack(msg)
    assert isinstance(e.value, GaitnodeError)
    assert f"field {field} " in str(e.value) and e.value.reason == m.NackReason.BAD_VALUE


@pytest.mark.parametrize("field, value, offset", [
    ("age_years", 4.9, 3), ("age_years", 121.0, 3), ("height_m", 0.3, 7), ("height_m", 2.51, 7),
    ("mass_kg", 19.0, 11), ("mass_kg", 330.0, 11),
])
def test_config_outside_physiology(field, value, offset):
    """Valid on the wire, not a person: PHYSIOLOGY (detail = the field's offset) from pack and unpack,
    with a message naming the field, the value and the range."""
    cfg = m.Config(m.Sex.MALE, 0, 0, **{field: value})
    with pytest.raises(ProtocolError) as e:
        m.pack(cfg)
    assert (e.value.reason, e.value.detail) == (m.NackReason.PHYSIOLOGY, offset)
    lo, hi = m.PHYSIOLOGY_RANGES[field]
    assert f"field {field} (payload byte {offset}) is {value:g}" in str(e.value)
    assert f"outside physiology {lo:g}..{hi:g}" in str(e.value) and "0 = unknown" in str(e.value)
    good = bytearray(m.pack(m.Config(m.Sex.MALE, 0, 0))[1])
    good[offset:offset + 4] = struct.pack("<f", value)
    with pytest.raises(ProtocolError) as e:
        m.unpack(m.MsgType.CONFIG, bytes(good))
    assert (e.value.reason, e.value.detail) == (m.NackReason.PHYSIOLOGY, offset)


def test_config_physiology_limits_and_unknown_are_accepted():
    for cfg in (m.Config(0, 0, 0), m.Config(1, 0, 0, 5.0, 0.5, 20.0), m.Config(2, 1, 1, 120.0, 2.5, 300.0),
                m.Config(2, 0, 0, 0.0, 1.75, 0.0)):
        assert m.unpack(*m.pack(cfg)) == cfg
    # a wire-level problem is reported before any physiology one, whatever its offset
    with pytest.raises(ProtocolError) as e:
        m.pack(m.Config(0, 0, 0, age_years=2.0, mass_kg=600.0))
    assert (e.value.reason, e.value.detail) == (m.NackReason.BAD_VALUE, 11)


def test_nack_text_names_the_field_and_range():
    assert m.nack_text(m.Nack(3, m.MsgType.CONFIG, m.NackReason.PHYSIOLOGY, 7)) == \
        "PHYSIOLOGY: CONFIG field height_m (payload byte 7) outside 0.5..2.5 m, 0 = unknown"
    assert m.nack_text(m.Nack(3, m.MsgType.CONFIG, m.NackReason.BAD_VALUE, 11)) == \
        "BAD_VALUE: CONFIG field mass_kg (payload byte 11) outside 0..500 (or NaN)"
    assert m.nack_text(m.Nack(3, m.MsgType.MODE, m.NackReason.BAD_VALUE, 0)) == \
        "BAD_VALUE: MODE field mode (payload byte 0)"
    assert m.nack_text(m.Nack(3, m.MsgType.SAMPLES, m.NackReason.SEQUENCE, 520)) == "SEQUENCE (detail 520)"
    assert m.nack_text(m.Nack(3, m.MsgType.CONFIG, 99, 1)) == "reason 99 (detail 1)"
    assert m.field_name(m.MsgType.CONFIG, 15) == "telemetry_period_ms" and m.field_name(m.MsgType.CONFIG, 4) is None


def test_text_fields():
    info = m.Info(1, "ü" * 8, "", 100, 16, 2000, 4900, 256, 26, 0, 0, 0)
    assert m.unpack(*m.pack(info)) == info
    # Bytes after the NUL are ignored, undecodable bytes replaced (the C side does not check text).
    p = bytearray(m.pack(info)[1])
    p[17:33] = b"ab\x00zz" + bytes(11)
    p[1] = 0xFF
    back = m.unpack(m.MsgType.INFO, bytes(p))
    assert back.board == "ab" and back.firmware.startswith("\ufffd")
    assert m.unpack(m.MsgType.LOG, b"\x01\xffok").text == "\ufffdok"


def test_log_limit():
    assert len(m.pack(m.Log(0, "x" * m.LOG_MAX))[1]) == 480
    with pytest.raises(ProtocolError, match="exceeds 479"):
        m.pack(m.Log(0, "x" * (m.LOG_MAX + 1)))


def test_samples_checks():
    s = m.Samples(3, [[1] * 9, [2] * 9])
    assert s.raw.dtype == np.int16 and s.raw.shape == (2, 9) and not s.raw.flags.writeable
    assert s == m.Samples(3, np.array([[1] * 9, [2] * 9], np.int32)) and s != m.Samples(4, s.raw)
    for bad in (np.zeros((2, 8)), np.zeros(9), [[40000] + [0] * 8], [[0.5] * 9]):
        with pytest.raises(ProtocolError, match="SAMPLES raw"):
            m.Samples(0, bad)
    with pytest.raises(ProtocolError, match="count"):
        m.pack(m.Samples(0, np.zeros((m.MAX_BATCH + 1, 9), np.int16)))
    assert m.unpack(*m.pack(m.Samples(0, np.zeros((0, 9), np.int16)))).raw.shape == (0, 9)


@pytest.mark.parametrize("t", [0x00, 0x10, 0x7F, 0xFF])
def test_unknown_type(t):
    with pytest.raises(ProtocolError, match="unknown message type") as e:
        m.unpack(t, b"")
    assert e.value.reason == m.NackReason.UNKNOWN_TYPE and e.value.detail == t


def test_not_a_message():
    with pytest.raises(ProtocolError, match="not a protocol message"):
        m.pack(object())


def test_from_frame_checks_version():
    with pytest.raises(ProtocolError, match="protocol version 2") as e:
        m.from_frame(Frame(type=1, seq=0, t_us=0, payload=b"", version=2))
    assert e.value.reason == m.NackReason.VERSION and e.value.detail == 2


def test_directions():
    assert m.MsgType.SAMPLES in m.HOST_TO_DEVICE and m.MsgType.SAMPLES in m.DEVICE_TO_HOST
    assert m.HOST_TO_DEVICE | m.DEVICE_TO_HOST == set(m.MsgType)
    assert m.HOST_TO_DEVICE & m.DEVICE_TO_HOST == {m.MsgType.SAMPLES}


def test_phase_and_activity_layouts_by_hand():
    assert m.pack(m.Phase(0x01020304, (m.PhaseCode.HS, m.PhaseCode.SW), (255, 7))) == (
        m.MsgType.PHASE, bytes.fromhex("04030201" "02" "00ff" "0307"))
    assert m.pack(m.Activity(0x0A0B0C0D, m.ActivityCode.SITTING, (3, 4), (250, 5))) == (
        m.MsgType.ACTIVITY, bytes.fromhex("0d0c0b0a" "03" "02" "03fa" "0405"))
    assert len(m.pack(m.Phase(0, [1] * m.PHASE_MAX, [0] * m.PHASE_MAX))[1]) == 5 + 2 * 64
    assert len(m.pack(m.Activity(0, 0, [0] * m.ACTIVITY_MAX, [0] * m.ACTIVITY_MAX))[1]) == 6 + 2 * 8


def test_phase_and_activity_codes_follow_the_session_labels():
    from gaitnode.sessions.model import ACTIVITIES, PHASES
    assert tuple(c.name for c in m.PhaseCode) == PHASES
    assert tuple(c.name.lower() for c in m.ActivityCode) == ACTIVITIES


def test_phase_and_activity_unpack():
    ph = m.unpack(m.MsgType.PHASE, bytes.fromhex("0a000000" "03" "0080" "0190" "02ff"))
    assert (ph.first_index, ph.count, ph.codes, ph.confidences) == (10, 3, (0, 1, 2), (128, 144, 255))
    act = m.unpack(m.MsgType.ACTIVITY, bytes.fromhex("05000000" "06" "02" "06f0" "000f"))
    assert act.code is m.ActivityCode.RUNNING and act.classes == (6, 0) and act.probs == (240, 15)
    assert act.probabilities() == pytest.approx({"running": 240 / 255, "walking": 15 / 255})


@pytest.mark.parametrize("type_, payload, reason, detail", [
    (m.MsgType.PHASE, "0000000000", m.NackReason.BAD_LENGTH, 5),          # no item
    (m.MsgType.PHASE, "00000000000000", m.NackReason.BAD_VALUE, 4),       # count 0
    (m.MsgType.PHASE, "00000000410000", m.NackReason.BAD_VALUE, 4),       # count 65
    (m.MsgType.PHASE, "0000000041" + "00" * 130, m.NackReason.BAD_LENGTH, 135),  # longer than 64 items
    (m.MsgType.PHASE, "000000000200ff", m.NackReason.BAD_LENGTH, 7),      # one item short
    (m.MsgType.PHASE, "000000000200ff04ff", m.NackReason.BAD_VALUE, 7),   # code 4
    (m.MsgType.ACTIVITY, "0000000007010000", m.NackReason.BAD_VALUE, 4),  # argmax code 7
    (m.MsgType.ACTIVITY, "000000000000", m.NackReason.BAD_LENGTH, 6),     # no class
    (m.MsgType.ACTIVITY, "0000000000000000", m.NackReason.BAD_VALUE, 5),  # n 0
    (m.MsgType.ACTIVITY, "0000000000090000", m.NackReason.BAD_VALUE, 5),  # n 9 (before the exact length)
    (m.MsgType.ACTIVITY, "00000000000200ff", m.NackReason.BAD_LENGTH, 8),
    (m.MsgType.ACTIVITY, "00000000000200ff0a00", m.NackReason.BAD_VALUE, 8),  # class 10
])
def test_phase_and_activity_unpack_rejects(type_, payload, reason, detail):
    with pytest.raises(ProtocolError) as e:
        m.unpack(type_, bytes.fromhex(payload))
    assert (e.value.reason, e.value.detail) == (reason, detail)


def test_phase_and_activity_field_names_and_sequences():
    assert m.field_name(m.MsgType.PHASE, 4) == "count" and m.field_name(m.MsgType.PHASE, 7) == "code[1]"
    assert m.field_name(m.MsgType.PHASE, 8) == "confidence[1]" and m.field_name(m.MsgType.PHASE, 5 + 128) is None
    assert m.field_name(m.MsgType.ACTIVITY, 4) == "code" and m.field_name(m.MsgType.ACTIVITY, 9) == "prob[1]"
    assert m.nack_text(m.Nack(1, m.MsgType.PHASE, m.NackReason.BAD_VALUE, 9)) == \
        "BAD_VALUE: PHASE field code[2] (payload byte 9)"
    for bad in (lambda: m.Phase(0, 3, (1,)), lambda: m.Activity(0, 0, "ab", (1, 1))):
        with pytest.raises(ProtocolError, match="must be a sequence"):
            bad()
    with pytest.raises(ProtocolError, match="2 codes but 1 confidences"):
        m.pack(m.Phase(0, (0, 1), (5,)))
    with pytest.raises(ProtocolError, match="1 classes but 2 probabilities"):
        m.pack(m.Activity(0, 0, (0,), (5, 6)))

"""Shared protocol test vectors: firmware/test/vectors/protocol_vectors.{json,h}.

The JSON is the source of truth for both sides; the C header holds the same vectors as byte
arrays and gn_msg_* initializers for the C unit tests (firmware/test/test_{crc16,cobs,frame,msg}.c).
Regenerate both after a protocol change with

    python -m gaitnode.protocol.vectors          (--check: exit 1 when the committed files differ)

Where expected bytes come from: CRC values from crcmod (plus the published check value 0x29B1),
COBS encodings from the `cobs` package, payloads from gaitnode.protocol.messages (whose layouts
test_messages.py also checks against hand-written bytes), and the outcome of each decoder stream
is fixed by how the stream is built, not by running a decoder.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import struct
import sys
from enum import IntEnum
from pathlib import Path

import numpy as np
from cobs import cobs

from gaitnode.protocol import messages as m
from gaitnode.protocol.framing import (MAX_PAYLOAD, MAX_WIRE, PROTOCOL_VERSION, Frame, crc16,
                                       encode_frame)

REPO = Path(__file__).resolve().parents[2]
OUT_DIR = REPO / "firmware" / "test" / "vectors"
JSON_NAME, HEADER_NAME = "protocol_vectors.json", "protocol_vectors.h"
COMMAND = "python -m gaitnode.protocol.vectors"
CRC_CHECK = 0x29B1  # CRC-16/CCITT-FALSE of b"123456789" (the catalogue's check value)


# ---- the vectors ----

def _nonzero(n: int, start: int = 0) -> bytes:
    """n bytes, none 0x00."""
    return bytes(((start + 7 * i) % 255) + 1 for i in range(n))


def _crc_vectors() -> list[dict]:
    data = [("check", b"123456789"), ("empty", b""), ("zero", b"\x00"), ("ff4", b"\xff" * 4),
            ("all_bytes", bytes(range(256))),
            ("frame_header", struct.pack("<BBHQ", 1, 5, 0x1234, 0x0102030405060708))]
    out = [{"name": name, "data": d.hex(), "crc": crc16(d)} for name, d in data]
    assert out[0]["crc"] == CRC_CHECK
    return out


def _cobs_vectors() -> tuple[list[dict], list[dict]]:
    mixed = bytearray(_nonzero(600, 3))
    for i in range(0, 600, 97):
        mixed[i] = 0
    mixed[300:310] = bytes(10)
    data = [
        ("empty", b""), ("zero", b"\x00"), ("zeros_2", b"\x00\x00"), ("zeros_3", b"\x00\x00\x00"),
        ("short_mixed", bytes.fromhex("11220033")), ("trailing_zeros", bytes.fromhex("11000000")),
        ("zero_framed", bytes.fromhex("001100")),
        ("nonzero_253", _nonzero(253)), ("nonzero_254", _nonzero(254)), ("nonzero_255", _nonzero(255)),
        ("nonzero_254_zero", _nonzero(254) + b"\x00"), ("zero_nonzero_254", b"\x00" + _nonzero(254)),
        ("nonzero_507", _nonzero(507)), ("nonzero_508", _nonzero(508)), ("nonzero_509", _nonzero(509)),
        ("zeros_300", bytes(300)), ("mixed_600", bytes(mixed)),
    ]
    valid = [{"name": n, "decoded": d.hex(), "encoded": cobs.encode(d).hex()} for n, d in data]
    invalid = [("zero_byte", "0100"), ("zero_in_block", "031100"), ("code_past_end", "050102"),
               ("code_past_end_ff", "ff" + "01" * 10), ("second_code_past_end", "0211" + "04aa")]
    return valid, [{"name": n, "encoded": e} for n, e in invalid]


def _sha(seed: int) -> bytes:
    return bytes((seed * 31 + 17 * i) % 256 for i in range(32))


def _raw(n: int, seed: int) -> np.ndarray:
    v = (np.arange(n * m.AXES, dtype=np.int64).reshape(n, m.AXES) * 2731 + seed) % 65536 - 32768
    if n:
        v[0, :3] = (0, -32768, 32767)  # zeros exercise COBS, extremes the sign handling
    return v.astype(np.int16)


def message_cases() -> list[tuple[str, object, int, int]]:
    """(name, message, seq, t_us) of every message vector: each type at least once, edge sizes."""
    info_models = (m.InfoModel("hs_shank_int8", _sha(1), 48_212, 61_440, 52_104),
                   m.InfoModel("hs_foot_int8", _sha(2), 47_000, 61_440, 0))
    tel_models = tuple(m.TelemetryModel(1000 + i, 2000 + i, 1500 + i, 10 + i, 50_000 + i) for i in range(4))
    long_text = ("walking " * 60)[: m.LOG_MAX]
    hop = [m.PhaseCode.SW] * 3 + [m.PhaseCode.HS] * 2 + [m.PhaseCode.ST] * 4 + [m.PhaseCode.HO]
    full = [i % 4 for i in range(m.PHASE_MAX)]
    return [
        ("hello", m.Hello(), 0, 0),
        ("info_no_models", m.Info(PROTOCOL_VERSION, "0.4.0", "twin", 100, 16, 2000, 4900, 256, m.MAX_BATCH,
                                  m.Mode.IDLE, m.Placement.SHANK, m.Side.LEFT), 0, 1_500_000),
        ("info_two_models", m.Info(PROTOCOL_VERSION, "0.4.0-dev+abcdef", "esp32s3_devkitc", 100, 16, 2000, 4900,
                                   512, m.MAX_BATCH, m.Mode.LIVE, m.Placement.FOOT, m.Side.RIGHT, info_models),
         1, 2_000_000),
        ("config", m.Config(m.Sex.FEMALE, m.Placement.SHANK, m.Side.RIGHT, 34.5, 1.6875, 61.25, 1000, 2000), 7, 0),
        ("config_unknown_subject", m.Config(m.Sex.UNKNOWN, m.Placement.FOOT, m.Side.LEFT), 8, 0),
        ("config_physiology_low", m.Config(m.Sex.MALE, m.Placement.SHANK, m.Side.LEFT, 5.0, 0.5, 20.0), 8, 0),
        ("config_physiology_high", m.Config(m.Sex.FEMALE, m.Placement.SHANK, m.Side.LEFT, 120.0, 2.5, 300.0), 8, 0),
        ("mode_replay", m.ModeMsg(m.Mode.REPLAY), 9, 0),
        ("mode_idle", m.ModeMsg(m.Mode.IDLE), 0xFFFF, 0),
        ("samples_empty", m.Samples(0, np.zeros((0, m.AXES), np.int16)), 10, 0),
        ("samples_one", m.Samples(123_456, _raw(1, 5)), 11, 1_234_567),
        ("samples_max_batch", m.Samples(0xFFFFFFF0, _raw(m.MAX_BATCH, 11)), 12, 9_876_543_210),
        ("heel_strike", m.HeelStrike(12_345_678, 1234, -0.25, 0.9375, m.Source.NN, m.Side.LEFT), 13, 12_400_000),
        ("heel_strike_classical", m.HeelStrike(2**64 - 1, 2**32 - 1, 0.5, 1.0, m.Source.CLASSICAL, m.Side.RIGHT),
         14, 2**64 - 1),
        ("estimate_cadence", m.Estimate(m.EstimateKind.CADENCE, m.Estimator.HS_INTERVALS, 6000, 112.5), 15, 60_000_000),
        ("estimate_vo2", m.Estimate(m.EstimateKind.VO2_ML_KG_MIN, m.Estimator.ACSM, 6100, 23.75), 16, 61_000_000),
        ("telemetry_no_models", m.Telemetry(loop_load_permille=12, ring_high_water=3, ring_capacity=256), 17, 1),
        ("telemetry_four_models", m.Telemetry(
            loop_load_permille=345, ring_high_water=200, ring_capacity=256, mode=m.Mode.REPLAY,
            samples_processed=100_000, dropped_samples=1, rx_frames=4000, rx_crc=2, rx_cobs=3, rx_short=4,
            rx_oversized=5, rx_unknown_type=6, rx_bad_length=7, rx_bad_version=8, rx_rejected=9,
            tx_dropped_frames=10, infer_errors=11, models=tel_models), 18, 2**40),
        ("log_empty", m.Log(m.LogLevel.DEBUG, ""), 19, 0),
        ("log_text", m.Log(m.LogLevel.WARN, "ring 90% full"), 20, 5_000_000),
        ("log_max", m.Log(m.LogLevel.ERROR, long_text), 21, 6_000_000),
        ("ack_samples", m.Ack(12, m.MsgType.SAMPLES, 230, 26), 22, 7_000_000),
        ("nack_unreadable", m.Nack(0, 0xFF, m.NackReason.CRC, 3), 23, 8_000_000),
        ("nack_sequence", m.Nack(40, m.MsgType.SAMPLES, m.NackReason.SEQUENCE, 520), 24, 8_100_000),
        ("nack_physiology", m.Nack(41, m.MsgType.CONFIG, m.NackReason.PHYSIOLOGY, 7), 24, 8_200_000),
        ("calibrate", m.Calibrate(200), 25, 0),
        ("calibration_done", m.Calibration(m.CalibStatus.DONE, (0.125, 9.75, -0.5),
                                           ((1.0, 0.0, 0.0), (0.0, 0.5, -0.75), (0.0, 0.75, 0.5))), 26, 9_000_000),
        ("phase_one", m.Phase(0, (m.PhaseCode.HS,), (255,)), 27, 0),
        ("phase_hop", m.Phase(123_450, hop, (201, 180, 255, 97, 128, 250, 251, 252, 253, 140)), 28, 1_234_500_000),
        ("phase_max", m.Phase(2**32 - m.PHASE_MAX, full, [(37 * i) % 256 for i in range(m.PHASE_MAX)]),
         29, 2**63),
        ("activity_six", m.Activity(6_400, m.ActivityCode.WALKING, range(6), (230, 10, 5, 3, 6, 1)), 30, 64_000_000),
        ("activity_seven", m.Activity(2**32 - 1, m.ActivityCode.RUNNING, (6, 0, 1, 2, 3, 4, 5),
                                      (255, 0, 0, 0, 0, 0, 0)), 31, 2**40),
        ("activity_one_class", m.Activity(128, m.ActivityCode.LAYING, (m.ActivityCode.LAYING,), (255,)), 32, 0),
    ]


def _invalid_cases() -> list[tuple[str, int, bytes, int, int]]:
    """(name, type, payload, reason, detail): payloads both sides must reject the same way."""
    t, R = m.MsgType, m.NackReason

    def payload(msg) -> bytes:
        return m.pack(msg)[1]

    def patch(p: bytes, offset: int, new: bytes) -> bytes:
        return p[:offset] + new + p[offset + len(new):]

    config = payload(m.Config(m.Sex.MALE, m.Placement.SHANK, m.Side.LEFT, 40.0, 1.8, 80.0))
    info = payload(m.Info(1, "fw", "twin", 100, 16, 2000, 4900, 256, m.MAX_BATCH, 0, 0, 0))
    samples2 = payload(m.Samples(5, _raw(2, 1)))
    hs = payload(m.HeelStrike(1, 2, 0.0, 1.0, 0, 0))
    est = payload(m.Estimate(0, 0, 1, 2.0))
    tel = payload(m.Telemetry())
    phase = payload(m.Phase(1000, (0, 1, 2, 3, 3), (255, 250, 200, 150, 100)))
    act = payload(m.Activity(500, 0, range(6), (200, 20, 10, 10, 10, 5)))
    f32 = struct.Struct("<f").pack
    return [
        ("hello_not_empty", t.HELLO, b"\x00", R.BAD_LENGTH, 1),
        ("info_too_short", t.INFO, info[:47], R.BAD_LENGTH, 47),
        ("info_bad_mode", t.INFO, patch(info, 44, b"\x03"), R.BAD_VALUE, 44),
        ("info_bad_placement", t.INFO, patch(info, 45, b"\x02"), R.BAD_VALUE, 45),
        ("info_models_missing", t.INFO, patch(info, 47, b"\x01"), R.BAD_LENGTH, 48),
        ("config_short", t.CONFIG, config[:-1], R.BAD_LENGTH, 18),
        ("config_bad_sex", t.CONFIG, patch(config, 0, b"\x03"), R.BAD_VALUE, 0),
        ("config_bad_side", t.CONFIG, patch(config, 2, b"\x02"), R.BAD_VALUE, 2),
        ("config_age_too_high", t.CONFIG, patch(config, 3, f32(131.0)), R.BAD_VALUE, 3),
        ("config_height_nan", t.CONFIG, patch(config, 7, f32(math.nan)), R.BAD_VALUE, 7),
        ("config_mass_negative", t.CONFIG, patch(config, 11, f32(-1.0)), R.BAD_VALUE, 11),
        # valid on the wire, not a person: PHYSIOLOGY, once every field passed its wire check
        ("config_age_child", t.CONFIG, patch(config, 3, f32(4.5)), R.PHYSIOLOGY, 3),
        ("config_height_too_short", t.CONFIG, patch(config, 7, f32(0.3)), R.PHYSIOLOGY, 7),
        ("config_height_too_tall", t.CONFIG, patch(config, 7, f32(2.6)), R.PHYSIOLOGY, 7),
        ("config_mass_light", t.CONFIG, patch(config, 11, f32(19.5)), R.PHYSIOLOGY, 11),
        ("config_mass_in_lb", t.CONFIG, patch(config, 11, f32(310.0)), R.PHYSIOLOGY, 11),
        ("config_physiology_then_nan", t.CONFIG, patch(patch(config, 3, f32(2.0)), 11, f32(math.nan)),
         R.BAD_VALUE, 11),
        ("mode_empty", t.MODE, b"", R.BAD_LENGTH, 0),
        ("mode_bad", t.MODE, b"\x03", R.BAD_VALUE, 0),
        ("samples_too_short", t.SAMPLES, samples2[:5], R.BAD_LENGTH, 5),
        ("samples_count_over_max", t.SAMPLES, patch(samples2, 4, bytes([m.MAX_BATCH + 1])), R.BAD_VALUE, 4),
        ("samples_count_mismatch", t.SAMPLES, samples2[:-m.SAMPLE_BYTES], R.BAD_LENGTH, 6 + m.SAMPLE_BYTES),
        ("samples_reserved_set", t.SAMPLES, patch(samples2, 5, b"\x01"), R.BAD_VALUE, 5),
        ("heel_strike_bad_source", t.HEEL_STRIKE, patch(hs, 20, b"\x02"), R.BAD_VALUE, 20),
        ("heel_strike_long", t.HEEL_STRIKE, hs + b"\x00", R.BAD_LENGTH, 23),
        ("estimate_bad_kind", t.ESTIMATE, patch(est, 0, b"\x05"), R.BAD_VALUE, 0),
        ("estimate_bad_estimator", t.ESTIMATE, patch(est, 1, b"\x03"), R.BAD_VALUE, 1),
        ("telemetry_bad_mode", t.TELEMETRY, patch(tel, 6, b"\x07"), R.BAD_VALUE, 6),
        ("telemetry_models_missing", t.TELEMETRY, patch(tel, 7, b"\x02"), R.BAD_LENGTH, 60),
        ("log_empty_payload", t.LOG, b"", R.BAD_LENGTH, 0),
        ("log_bad_level", t.LOG, b"\x04hi", R.BAD_VALUE, 0),
        ("ack_unknown_type", t.ACK, payload(m.Ack(1, 5, 0, 0))[:2] + b"\x10" + bytes(6), R.BAD_VALUE, 2),
        ("nack_reason_none", t.NACK, bytes(8), R.BAD_VALUE, 3),
        ("nack_reason_unknown", t.NACK, b"\x00\x00\x05\x0f" + bytes(4), R.BAD_VALUE, 3),
        ("calibrate_long", t.CALIBRATE, b"\x00\x00\x00", R.BAD_LENGTH, 3),
        ("calibration_bad_status", t.CALIBRATION, b"\x04" + bytes(48), R.BAD_VALUE, 0),
        ("type_zero", 0x00, b"", R.UNKNOWN_TYPE, 0),
        ("phase_empty_payload", t.PHASE, b"", R.BAD_LENGTH, 0),
        ("phase_too_short", t.PHASE, phase[:4], R.BAD_LENGTH, 4),
        ("phase_header_only", t.PHASE, phase[:5], R.BAD_LENGTH, 5),
        ("phase_count_zero", t.PHASE, patch(phase[:7], 4, b"\x00"), R.BAD_VALUE, 4),
        ("phase_count_over_max", t.PHASE, patch(phase[:7], 4, bytes([m.PHASE_MAX + 1])), R.BAD_VALUE, 4),
        ("phase_over_max_length", t.PHASE, struct.pack("<IB", 0, m.PHASE_MAX + 1) + bytes(2 * (m.PHASE_MAX + 1)),
         R.BAD_LENGTH, 5 + 2 * (m.PHASE_MAX + 1)),
        ("phase_count_mismatch", t.PHASE, phase[:-2], R.BAD_LENGTH, 13),
        ("phase_long", t.PHASE, phase + b"\x00", R.BAD_LENGTH, 16),
        ("phase_bad_code", t.PHASE, patch(phase, 9, b"\x04"), R.BAD_VALUE, 9),
        ("phase_bad_last_code", t.PHASE, patch(phase, 13, b"\xff"), R.BAD_VALUE, 13),
        ("activity_too_short", t.ACTIVITY, act[:5], R.BAD_LENGTH, 5),
        ("activity_bad_code", t.ACTIVITY, patch(act, 4, b"\x07"), R.BAD_VALUE, 4),
        ("activity_bad_code_and_n", t.ACTIVITY, patch(act, 4, b"\x08\x00"), R.BAD_VALUE, 4),
        ("activity_header_only", t.ACTIVITY, act[:6], R.BAD_LENGTH, 6),
        ("activity_n_zero", t.ACTIVITY, patch(act[:8], 5, b"\x00"), R.BAD_VALUE, 5),
        ("activity_n_over_max", t.ACTIVITY, patch(act[:8], 5, bytes([m.ACTIVITY_MAX + 1])), R.BAD_VALUE, 5),
        ("activity_over_max_length", t.ACTIVITY, struct.pack("<IBB", 0, 0, m.ACTIVITY_MAX + 1)
         + bytes(2 * (m.ACTIVITY_MAX + 1)), R.BAD_LENGTH, 6 + 2 * (m.ACTIVITY_MAX + 1)),
        ("activity_classes_missing", t.ACTIVITY, act[:-2], R.BAD_LENGTH, 16),
        ("activity_bad_class", t.ACTIVITY, patch(act, 12, b"\x07"), R.BAD_VALUE, 12),
        ("type_after_last", 0x10, b"", R.UNKNOWN_TYPE, 16),
        ("type_ff", 0xFF, b"\x01", R.UNKNOWN_TYPE, 255),
    ]


def _event_ok(frame: Frame) -> dict:
    return {"result": "ok", "version": frame.version, "type": frame.type, "seq": frame.seq, "t_us": frame.t_us,
            "payload": frame.payload.hex()}


def _event_err(kind: str, type_: int | None = None, seq: int | None = None) -> dict:
    return {"result": kind, "type": type_, "seq": seq}


def _stream_cases() -> list[dict]:
    """Byte streams for the frame decoders with the outcome each part must have, by construction."""
    cases = {name: (msg, seq, t_us) for name, msg, seq, t_us in message_cases()}
    frames = {name: m.to_frame(msg, seq, t_us) for name, (msg, seq, t_us) in cases.items()}
    a, b, c = frames["ack_samples"], frames["heel_strike"], frames["samples_one"]
    wa, wb, wc = encode_frame(a), encode_frame(b), encode_frame(c)
    ok = _event_ok

    # A frame whose payload byte was flipped, encoded correctly: valid COBS, bad CRC.
    body = bytearray(cobs.decode(wb[:-1]))
    body[12] ^= 0x40
    bad_crc = cobs.encode(bytes(body)) + b"\x00"
    # Two bytes glued in front of a frame without a delimiter: the decoded frame starts 55 00.
    glued = bytes([0x02, 0x55]) + wa
    glued_body = cobs.decode(glued[:-1])
    assert glued_body[:2] == b"\x55\x00" and crc16(glued_body[:-2]) != int.from_bytes(glued_body[-2:], "little")
    v2 = encode_frame(Frame(type=m.MsgType.HELLO, seq=3, t_us=5, payload=b"", version=2))
    largest = encode_frame(frames["log_max"])
    assert len(largest) <= MAX_WIRE and len(frames["log_max"].payload) == MAX_PAYLOAD

    streams = [
        ("back_to_back", wa + wb + wc, [ok(a), ok(b), ok(c)]),
        ("lone_delimiters", b"\x00\x00" + wa + b"\x00\x00\x00" + wb + b"\x00", [ok(a), ok(b)]),
        # 0x41 announces 64 bytes, 9 follow: invalid COBS, then the decoder resynchronises.
        ("garbage_then_frame", b"\x41" * 10 + b"\x00" + wa, [_event_err("cobs"), ok(a)]),
        ("glued_garbage", glued + wb, [_event_err("crc", 0x00, a.version | (a.type << 8)), ok(b)]),
        ("crc_error", bad_crc + wc, [_event_err("crc", b.type, b.seq), ok(c)]),
        # 5 decoded bytes: header fields type 5, seq 7 readable, but too short for header + CRC.
        ("short_readable", cobs.encode(bytes.fromhex("0105070009")) + b"\x00" + wa,
         [_event_err("short", 5, 7), ok(a)]),
        # 4 decoded bytes are the least with a readable type and seq; 3 are not readable.
        ("short_four", cobs.encode(bytes.fromhex("01060800")) + b"\x00" + wa, [_event_err("short", 6, 8), ok(a)]),
        ("short_unreadable", cobs.encode(b"\x01\x06\x08") + b"\x00" + wa, [_event_err("short"), ok(a)]),
        # Reported once, at the first byte too many; the rest up to the delimiter is dropped.
        ("oversized_raw", b"\x41" * 600 + b"\x00" + wa, [_event_err("oversized"), ok(a)]),
        # Valid COBS of 497 bytes decoding to 496 zero bytes: too long once decoded.
        ("oversized_decoded", b"\x01" * (MAX_WIRE - 1) + b"\x00" + wb, [_event_err("oversized", 0, 0), ok(b)]),
        ("largest_frame", largest + wa, [ok(frames["log_max"]), ok(a)]),
        ("other_version", v2 + wa, [ok(Frame(type=m.MsgType.HELLO, seq=3, t_us=5, payload=b"", version=2)), ok(a)]),
    ]
    out = []
    for name, wire, events in streams:
        counters = {k: 0 for k in ("ok", "cobs", "short", "oversized", "crc")}
        for e in events:
            counters[e["result"]] += 1
        out.append({"name": name, "wire": wire.hex(), "events": events, "counters": counters})
    return out


def _jsonable(value):
    if isinstance(value, IntEnum):
        return int(value)
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).hex()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if dataclasses.is_dataclass(value):
        return {f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (tuple, list)):
        return [_jsonable(v) for v in value]
    return value


def message_fields(msg) -> dict:
    """A message's fields as JSON values (enums as ints, bytes as hex, arrays as lists)."""
    return _jsonable(msg)


def message_from_fields(type_: int, fields: dict):
    """The message of type_ from message_fields() output (the JSON vectors)."""
    t = m.MsgType(type_)
    f = dict(fields)
    if t == m.MsgType.INFO:
        f["models"] = tuple(m.InfoModel(**{**x, "sha256": bytes.fromhex(x["sha256"])}) for x in f["models"])
    elif t == m.MsgType.TELEMETRY:
        f["models"] = tuple(m.TelemetryModel(**x) for x in f["models"])
    elif t == m.MsgType.SAMPLES:
        f["raw"] = np.array(f["raw"], dtype=np.int16).reshape(-1, m.AXES)
    elif t == m.MsgType.PHASE:
        f["codes"], f["confidences"] = tuple(f["codes"]), tuple(f["confidences"])
    elif t == m.MsgType.ACTIVITY:
        f["classes"], f["probs"] = tuple(f["classes"]), tuple(f["probs"])
    elif t == m.MsgType.CALIBRATION:
        f["gravity"] = tuple(f["gravity"])
        f["rot"] = tuple(tuple(r) for r in f["rot"])
    cls = {m.MsgType.HELLO: m.Hello, m.MsgType.INFO: m.Info, m.MsgType.CONFIG: m.Config,
           m.MsgType.MODE: m.ModeMsg, m.MsgType.SAMPLES: m.Samples, m.MsgType.HEEL_STRIKE: m.HeelStrike,
           m.MsgType.ESTIMATE: m.Estimate, m.MsgType.TELEMETRY: m.Telemetry, m.MsgType.LOG: m.Log,
           m.MsgType.ACK: m.Ack, m.MsgType.NACK: m.Nack, m.MsgType.CALIBRATE: m.Calibrate,
           m.MsgType.CALIBRATION: m.Calibration, m.MsgType.PHASE: m.Phase, m.MsgType.ACTIVITY: m.Activity}[t]
    return cls(**f)


def build() -> dict:
    """The whole vector set (what protocol_vectors.json holds)."""
    msgs = []
    for name, msg, seq, t_us in message_cases():
        t, payload = m.pack(msg)
        canonical = m.unpack(t, payload)  # fields as they travel (floats rounded to f32)
        msgs.append({"name": name, "type": int(t), "type_name": t.name, "fields": message_fields(canonical),
                     "payload": payload.hex(), "seq": seq, "t_us": t_us,
                     "wire": encode_frame(Frame(int(t), seq, t_us, payload)).hex()})
    invalid = [{"name": n, "type": int(t), "payload": p.hex(), "reason": int(r), "reason_name": m.NackReason(r).name,
                "detail": d} for n, t, p, r, d in _invalid_cases()]
    cobs_valid, cobs_invalid = _cobs_vectors()
    return {
        "about": f"gaitnode serial protocol test vectors, protocol version {PROTOCOL_VERSION}; generated by "
                 f"`{COMMAND}` (gaitnode/protocol/vectors.py), do not edit",
        "protocol_version": PROTOCOL_VERSION, "max_payload": MAX_PAYLOAD, "max_batch": m.MAX_BATCH,
        "max_wire": MAX_WIRE,
        "crc16": _crc_vectors(), "cobs": cobs_valid, "cobs_invalid": cobs_invalid,
        "messages": msgs, "invalid_payloads": invalid, "streams": _stream_cases(),
    }


def json_text(vectors: dict) -> str:
    return json.dumps(vectors, indent=1) + "\n"


# ---- the C header ----

class _CWriter:
    """Collects byte arrays (deduplicated) and declarations for protocol_vectors.h."""

    def __init__(self) -> None:
        self.arrays: dict[bytes, str] = {}
        self.decls: list[str] = []

    def bytes_ref(self, data: bytes) -> str:
        if not data:
            return "NULL"
        if data not in self.arrays:
            name = f"gn_vec_b{len(self.arrays)}"
            self.arrays[data] = name
            self.decls.append(f"static const uint8_t {name}[{len(data)}] GN_VEC_UNUSED = {{\n{_byte_list(data)}}};")
        return self.arrays[data]


def _byte_list(data: bytes, per_line: int = 16) -> str:
    lines = []
    for i in range(0, len(data), per_line):
        lines.append("    " + ", ".join(f"0x{b:02x}" for b in data[i:i + per_line]) + ",")
    return "\n".join(lines) + "\n"


def _c_str(s: str) -> str:
    return json.dumps(s)  # a C-compatible literal for the ASCII names used here


def _c_uint(v: int) -> str:
    return f"UINT64_C({v})" if v > 0xFFFFFFFF else f"{v}u"


def _c_float(v: float) -> str:
    assert math.isfinite(v) and struct.unpack("<f", struct.pack("<f", v))[0] == v, v
    r = repr(float(v))
    return r + "f" if ("." in r or "e" in r) else r + ".0f"


def _c_chars(text: str, size: int) -> str:
    data = text.encode("utf-8").ljust(size, b"\x00")
    return "{" + ", ".join(str(b) for b in data) + "}"


def _c_bytes(data: bytes) -> str:
    return "{" + ", ".join(f"0x{b:02x}" for b in data) + "}"


def _c_init(t: m.MsgType, f: dict) -> str:
    """A designated initializer of the gn_msg_* struct for the fields (None for HELLO)."""
    def plain(keys):
        parts = []
        for k in keys:
            v = f[k]
            parts.append(f".{k} = {_c_float(v) if isinstance(v, float) else _c_uint(v)}")
        return parts

    if t == m.MsgType.INFO:
        models = ", ".join(
            "{" + f".name = {_c_chars(x['name'], m.NAME_LEN)}, .sha256 = {_c_bytes(bytes.fromhex(x['sha256']))}, "
            f".model_bytes = {_c_uint(x['model_bytes'])}, .arena_bytes = {_c_uint(x['arena_bytes'])}, "
            f".arena_used = {_c_uint(x['arena_used'])}" + "}" for x in f["models"])
        parts = [f".protocol = {f['protocol']}u", f".firmware = {_c_chars(f['firmware'], m.NAME_LEN)}",
                 f".board = {_c_chars(f['board'], m.NAME_LEN)}",
                 *plain(["sample_rate_hz", "acc_range_g", "gyr_range_dps", "mag_range_ut", "ring_capacity",
                         "max_batch", "mode", "placement", "side"]),
                 f".n_models = {len(f['models'])}u"]
        if f["models"]:
            parts.append(f".models = {{{models}}}")
    elif t == m.MsgType.SAMPLES:
        rows = ", ".join("{" + ", ".join(str(v) for v in row) + "}" for row in f["raw"])
        parts = [f".first_index = {_c_uint(f['first_index'])}", f".count = {len(f['raw'])}u"]
        if f["raw"]:
            parts.append(f".raw = {{{rows}}}")
    elif t == m.MsgType.TELEMETRY:
        keys = [k for k in f if k != "models"]
        models = ", ".join("{" + ", ".join(f".{k} = {_c_uint(v)}" for k, v in x.items()) + "}" for x in f["models"])
        parts = [*plain(keys), f".n_models = {len(f['models'])}u"]
        if f["models"]:
            parts.append(f".models = {{{models}}}")
    elif t == m.MsgType.LOG:
        text = f["text"].encode("utf-8")
        parts = [f".level = {f['level']}u", f".len = {len(text)}u"]
        if text:
            parts.append(f".text = {_c_bytes(text)}")
    elif t == m.MsgType.PHASE:
        parts = [f".first_index = {_c_uint(f['first_index'])}", f".count = {len(f['codes'])}u",
                 f".code = {_c_bytes(bytes(f['codes']))}", f".confidence = {_c_bytes(bytes(f['confidences']))}"]
    elif t == m.MsgType.ACTIVITY:
        parts = [f".sample_index = {_c_uint(f['sample_index'])}", f".code = {f['code']}u", f".n = {len(f['classes'])}u",
                 f".class_code = {_c_bytes(bytes(f['classes']))}", f".prob = {_c_bytes(bytes(f['probs']))}"]
    elif t == m.MsgType.CALIBRATION:
        rot = ", ".join("{" + ", ".join(_c_float(v) for v in row) + "}" for row in f["rot"])
        parts = [f".status = {f['status']}u", ".gravity = {" + ", ".join(_c_float(v) for v in f["gravity"]) + "}",
                 f".rot = {{{rot}}}"]
    else:
        parts = plain(list(f))
    return "{" + ", ".join(parts) + "}"


_C_STRUCT = {m.MsgType.INFO: "gn_msg_info", m.MsgType.CONFIG: "gn_msg_config", m.MsgType.MODE: "gn_msg_mode",
             m.MsgType.SAMPLES: "gn_msg_samples", m.MsgType.HEEL_STRIKE: "gn_msg_heel_strike",
             m.MsgType.ESTIMATE: "gn_msg_estimate", m.MsgType.TELEMETRY: "gn_msg_telemetry",
             m.MsgType.LOG: "gn_msg_log", m.MsgType.ACK: "gn_msg_ack", m.MsgType.NACK: "gn_msg_nack",
             m.MsgType.CALIBRATE: "gn_msg_calibrate", m.MsgType.CALIBRATION: "gn_msg_calibration",
             m.MsgType.PHASE: "gn_msg_phase", m.MsgType.ACTIVITY: "gn_msg_activity"}
_C_RESULT = {"ok": "GN_FRAME_OK", "cobs": "GN_FRAME_ERR_COBS", "short": "GN_FRAME_ERR_SHORT",
             "oversized": "GN_FRAME_ERR_OVERSIZED", "crc": "GN_FRAME_ERR_CRC"}

_C_PRELUDE = f"""\
/* protocol_vectors.h - the shared protocol test vectors (protocol_vectors.json) as C data.
 *
 * GENERATED, do not edit: regenerate both files with `{COMMAND}` (from the repository root,
 * with the project's Python environment). gaitnode/protocol/test_vectors.py fails when this file
 * or the JSON differs from what the generator produces. Used by firmware/test/test_crc16.c,
 * test_cobs.c, test_frame.c and test_msg.c.
 */
#ifndef GN_PROTOCOL_VECTORS_H
#define GN_PROTOCOL_VECTORS_H

#include <stddef.h>
#include <stdint.h>

#include "gn_frame.h"
#include "gn_msg.h"

#if GN_MAX_PAYLOAD != {MAX_PAYLOAD} || GN_MAX_MODELS < 4
#error "the protocol vectors assume GN_MAX_PAYLOAD == {MAX_PAYLOAD} and GN_MAX_MODELS >= 4 (the defaults)"
#endif

#if defined(__GNUC__)
#define GN_VEC_UNUSED __attribute__((unused))
#else
#define GN_VEC_UNUSED
#endif

#define GN_VEC_PROTOCOL_VERSION {PROTOCOL_VERSION}u
#define GN_VEC_MAX_BATCH {m.MAX_BATCH}u
#define GN_VEC_MAX_WIRE {MAX_WIRE}u

typedef struct {{
    const char *name;
    const uint8_t *data;
    uint32_t len;
    uint16_t crc;
}} gn_vec_crc;

typedef struct {{
    const char *name;
    const uint8_t *decoded;
    uint32_t decoded_len;
    const uint8_t *encoded;
    uint32_t encoded_len;
}} gn_vec_cobs;

typedef struct {{
    const char *name;
    const uint8_t *encoded;
    uint32_t encoded_len;
}} gn_vec_cobs_invalid;

/* fields: the gn_msg_<type> struct for `type` (NULL for HELLO). */
typedef struct {{
    const char *name;
    uint8_t type;
    uint16_t seq;
    uint64_t t_us;
    const uint8_t *payload;
    uint32_t payload_len;
    const uint8_t *wire;
    uint32_t wire_len;
    const void *fields;
}} gn_vec_message;

/* reason: gn_msg_check's return (a gn_nack_reason), detail: its *detail. */
typedef struct {{
    const char *name;
    uint8_t type;
    const uint8_t *payload;
    uint32_t payload_len;
    int reason;
    uint32_t detail;
}} gn_vec_invalid;

/* One decoder outcome; for errors without a readable header type is 0xFF and seq 0. */
typedef struct {{
    gn_frame_result result;
    uint8_t version;
    uint8_t type;
    uint16_t seq;
    uint64_t t_us;
    const uint8_t *payload;
    uint32_t payload_len;
}} gn_vec_event;

typedef struct {{
    const char *name;
    const uint8_t *wire;
    uint32_t wire_len;
    const gn_vec_event *events;
    uint32_t n_events;
    uint32_t ok, err_cobs, err_short, err_oversized, err_crc; /* decoder counters afterwards */
}} gn_vec_stream;
"""


def header_text(vectors: dict) -> str:
    """protocol_vectors.h for the vector set."""
    w = _CWriter()
    tables = []

    rows = [f'    {{{_c_str(v["name"])}, {w.bytes_ref(bytes.fromhex(v["data"]))}, {len(v["data"]) // 2}u, '
            f'0x{v["crc"]:04x}u}},' for v in vectors["crc16"]]
    tables.append(("gn_vec_crc", "gn_vec_crcs", rows))

    rows = []
    for v in vectors["cobs"]:
        d, e = bytes.fromhex(v["decoded"]), bytes.fromhex(v["encoded"])
        rows.append(f'    {{{_c_str(v["name"])}, {w.bytes_ref(d)}, {len(d)}u, {w.bytes_ref(e)}, {len(e)}u}},')
    tables.append(("gn_vec_cobs", "gn_vec_cobs_valid", rows))

    rows = [f'    {{{_c_str(v["name"])}, {w.bytes_ref(bytes.fromhex(v["encoded"]))}, {len(v["encoded"]) // 2}u}},'
            for v in vectors["cobs_invalid"]]
    tables.append(("gn_vec_cobs_invalid", "gn_vec_cobs_invalids", rows))

    rows = []
    for i, v in enumerate(vectors["messages"]):
        t = m.MsgType(v["type"])
        p, wire = bytes.fromhex(v["payload"]), bytes.fromhex(v["wire"])
        fields_ref = "NULL"
        if t in _C_STRUCT:
            fields_ref = f"&gn_vec_f{i}"
            w.decls.append(f"/* {v['name']} */\nstatic const {_C_STRUCT[t]} gn_vec_f{i} GN_VEC_UNUSED = "
                           f"{_c_init(t, v['fields'])};")
        rows.append(f'    {{{_c_str(v["name"])}, 0x{v["type"]:02x}u, {v["seq"]}u, {_c_uint(v["t_us"])}, '
                    f'{w.bytes_ref(p)}, {len(p)}u, {w.bytes_ref(wire)}, {len(wire)}u, {fields_ref}}},')
    tables.append(("gn_vec_message", "gn_vec_messages", rows))

    rows = []
    for v in vectors["invalid_payloads"]:
        p = bytes.fromhex(v["payload"])
        rows.append(f'    {{{_c_str(v["name"])}, 0x{v["type"]:02x}u, {w.bytes_ref(p)}, {len(p)}u, '
                    f'GN_NACK_{v["reason_name"]}, {v["detail"]}u}},')
    tables.append(("gn_vec_invalid", "gn_vec_invalids", rows))

    rows = []
    for i, s in enumerate(vectors["streams"]):
        ev_rows = []
        for e in s["events"]:
            if e["result"] == "ok":
                p = bytes.fromhex(e["payload"])
                ev_rows.append(f'    {{GN_FRAME_OK, {e["version"]}u, 0x{e["type"]:02x}u, {e["seq"]}u, '
                               f'{_c_uint(e["t_us"])}, {w.bytes_ref(p)}, {len(p)}u}},')
            else:
                ty = 0xFF if e["type"] is None else e["type"]
                sq = 0 if e["seq"] is None else e["seq"]
                ev_rows.append(f'    {{{_C_RESULT[e["result"]]}, 0u, 0x{ty:02x}u, {sq}u, 0u, NULL, 0u}},')
        w.decls.append(f"static const gn_vec_event gn_vec_events{i}[] GN_VEC_UNUSED = {{\n" + "\n".join(ev_rows)
                       + "\n};")
        wire = bytes.fromhex(s["wire"])
        c = s["counters"]
        rows.append(f'    {{{_c_str(s["name"])}, {w.bytes_ref(wire)}, {len(wire)}u, gn_vec_events{i}, '
                    f'{len(s["events"])}u, {c["ok"]}u, {c["cobs"]}u, {c["short"]}u, {c["oversized"]}u, {c["crc"]}u}},')
    tables.append(("gn_vec_stream", "gn_vec_streams", rows))

    out = [_C_PRELUDE, "\n/* ---- data ---- */\n", "\n\n".join(w.decls), "\n\n/* ---- tables ---- */\n"]
    for ctype, name, trows in tables:
        out.append(f"\nstatic const {ctype} {name}[] GN_VEC_UNUSED = {{\n" + "\n".join(trows) + "\n};\n")
        out.append(f"#define {name.upper().replace('GN_VEC_', 'GN_VEC_N_')} {len(trows)}u\n")
    out.append("\n#endif /* GN_PROTOCOL_VECTORS_H */\n")
    return "".join(out)


def write(out_dir: Path = OUT_DIR) -> tuple[Path, Path]:
    """Write protocol_vectors.json and protocol_vectors.h into out_dir."""
    vectors = build()
    out_dir.mkdir(parents=True, exist_ok=True)
    jp, hp = out_dir / JSON_NAME, out_dir / HEADER_NAME
    jp.write_text(json_text(vectors), encoding="utf-8")
    hp.write_text(header_text(vectors), encoding="utf-8")
    return jp, hp


def stale(out_dir: Path = OUT_DIR) -> list[Path]:
    """The committed vector files that differ from what build() produces now."""
    vectors = build()
    expected = {out_dir / JSON_NAME: json_text(vectors), out_dir / HEADER_NAME: header_text(vectors)}
    return [p for p, text in expected.items() if not p.is_file() or p.read_text(encoding="utf-8") != text]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog=COMMAND, description="Regenerate the shared protocol test vectors.")
    ap.add_argument("--out", type=Path, default=OUT_DIR, help=f"output folder (default {OUT_DIR})")
    ap.add_argument("--check", action="store_true", help="only compare; exit 1 when the files are stale")
    args = ap.parse_args(argv)
    if args.check:
        bad = stale(args.out)
        for p in bad:
            print(f"{p}: stale; regenerate with `{COMMAND}`", file=sys.stderr)
        return 1 if bad else 0
    for p in write(args.out):
        print(f"wrote {p}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

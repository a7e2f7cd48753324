"""Frames: layout, round trips, and the decoder on truncated, oversized, corrupted and split input."""

import random
import struct

import pytest
from cobs import cobs

from gaitnode.errors import GaitnodeError
from gaitnode.protocol.framing import (MAX_PAYLOAD, MAX_WIRE, PROTOCOL_VERSION, Frame, FrameDecoder, FrameError,
                                       ProtocolError, crc16, encode_frame)


def _frames():
    return [
        Frame(type=0x0A, seq=0x1234, t_us=0x0102030405060708, payload=b"\x01\x02"),
        Frame(type=0x01, seq=0, t_us=0, payload=b""),
        Frame(type=0x05, seq=0xFFFF, t_us=2**64 - 1, payload=bytes(MAX_PAYLOAD)),
        Frame(type=0x09, seq=7, t_us=5, payload=bytes(range(1, 256)) * 1 + b"\x00" * 3),
        Frame(type=0x02, seq=1, t_us=9, payload=b"\xff" * MAX_PAYLOAD, version=3),
    ]


def test_crc_check_value():
    assert crc16(b"123456789") == 0x29B1
    assert crc16(b"") == 0xFFFF


def test_layout_by_hand():
    wire = encode_frame(_frames()[0])
    body = bytes([1, 0x0A, 0x34, 0x12, 8, 7, 6, 5, 4, 3, 2, 1, 1, 2])
    assert wire[-1] == 0 and 0 not in wire[:-1]
    assert cobs.decode(wire[:-1]) == body + struct.pack("<H", crc16(body))
    assert PROTOCOL_VERSION == 1 and MAX_PAYLOAD == 480


@pytest.mark.parametrize("frame", _frames())
def test_round_trip(frame):
    wire = encode_frame(frame)
    assert len(wire) <= MAX_WIRE
    dec = FrameDecoder()
    assert dec.feed(wire) == [frame]
    assert dec.counters == {"ok": 1, "cobs": 0, "short": 0, "oversized": 0, "crc": 0}


@pytest.mark.parametrize("bad", [
    Frame(type=1, seq=0, t_us=0, payload=bytes(MAX_PAYLOAD + 1)),
    Frame(type=256, seq=0, t_us=0, payload=b""),
    Frame(type=-1, seq=0, t_us=0, payload=b""),
    Frame(type=1, seq=0x10000, t_us=0, payload=b""),
    Frame(type=1, seq=0, t_us=2**64, payload=b""),
    Frame(type=1, seq=0, t_us=0, payload=b"", version=256),
    Frame(type=1, seq=1.5, t_us=0, payload=b""),
])
def test_encode_rejects_out_of_range(bad):
    with pytest.raises(ProtocolError) as e:
        encode_frame(bad)
    assert isinstance(e.value, GaitnodeError) and str(e.value)


def _stream():
    return b"".join(encode_frame(f) for f in _frames())


def test_split_at_every_byte():
    data = b"\x00" + _stream() + b"\x13\x37\x00" + encode_frame(_frames()[1])
    whole = FrameDecoder().feed(data)
    assert [type(x) for x in whole] == [Frame] * 5 + [FrameError, Frame]
    for k in range(len(data) + 1):
        dec = FrameDecoder()
        assert dec.feed(data[:k]) + dec.feed(data[k:]) == whole
    dec = FrameDecoder()
    assert [x for i in range(len(data)) for x in dec.feed(data[i:i + 1])] == whole


def test_lone_delimiters_are_ignored():
    dec = FrameDecoder()
    assert dec.feed(b"\x00" * 100) == []
    assert sum(dec.counters.values()) == 0


def test_truncated_frame_then_resync():
    a, b = encode_frame(_frames()[0]), encode_frame(_frames()[3])
    for cut in range(1, len(a) - 1):
        dec = FrameDecoder()
        out = dec.feed(a[:cut] + b"\x00" + b)
        assert len(out) == 2 and isinstance(out[0], FrameError) and out[1] == _frames()[3]
    # Without a delimiter the cut frame swallows the next one: one error, then frames resume.
    dec = FrameDecoder()
    out = dec.feed(a[:5] + b + a)
    assert len(out) == 2 and isinstance(out[0], FrameError) and out[1] == _frames()[0]


def test_short_frames():
    dec = FrameDecoder()
    out = dec.feed(cobs.encode(bytes.fromhex("0105070009")) + b"\x00" + cobs.encode(b"\x01\x02") + b"\x00")
    assert out == [FrameError("short", 5, 7), FrameError("short")]
    assert dec.short == 2 and out[0].reason == 3 and "type 0x05, seq 7" in str(out[0])


def test_oversized_reported_once_when_it_overflows():
    dec = FrameDecoder()
    assert dec.feed(b"\x41" * (MAX_WIRE - 1)) == []
    assert dec.feed(b"\x41") == [FrameError("oversized")]
    assert dec.feed(b"\x41" * 5000 + b"\x00") == []
    assert dec.feed(encode_frame(_frames()[0])) == [_frames()[0]]
    assert dec.counters == {"ok": 1, "cobs": 0, "short": 0, "oversized": 1, "crc": 0}


def test_crc_error_keeps_header():
    body = bytearray(cobs.decode(encode_frame(_frames()[0])[:-1]))
    body[-3] ^= 0x10  # a payload byte
    dec = FrameDecoder()
    assert dec.feed(cobs.encode(bytes(body)) + b"\x00") == [FrameError("crc", 0x0A, 0x1234)]
    assert dec.crc == 1 and FrameError("crc").reason == 1


def test_every_single_byte_corruption():
    """Corrupting any one byte of a frame: one outcome per chunk, counters add up, and a frame that
    still decodes has a consistent CRC (re-encoding it reproduces the decoded content)."""
    frame = _frames()[3]
    wire = encode_frame(frame)
    for i in range(len(wire)):
        for x in (0x01, 0x80, 0xFF):
            bad = bytearray(wire)
            bad[i] ^= x
            bad = bytes(bad)
            dec = FrameDecoder()
            out = dec.feed(bad + b"\x00")
            chunks = [c for c in bad.split(b"\x00") if c]
            assert len(out) == len(chunks)
            assert sum(dec.counters.values()) == len(out)
            for r in out:
                if isinstance(r, Frame):
                    assert FrameDecoder().feed(encode_frame(r)) == [r]


def test_random_garbage_then_frame():
    rng = random.Random(4)
    frame = _frames()[0]
    for _ in range(300):
        garbage = bytes(rng.randrange(256) for _ in range(rng.randrange(1500)))
        dec = FrameDecoder()
        out = dec.feed(garbage + b"\x00" + encode_frame(frame))
        assert out[-1] == frame
        assert dec.ok >= 1 and sum(dec.counters.values()) == len(out)

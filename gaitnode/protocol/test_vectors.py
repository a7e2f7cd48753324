"""The shared vectors: committed files are current, and the Python codec reproduces every vector.

(The C codec is checked against the same vectors by firmware/test/test_{crc16,cobs,frame,msg}.c.)
"""

import json
import random

import pytest
from cobs import cobs

from gaitnode.protocol import messages as m
from gaitnode.protocol import vectors
from gaitnode.protocol.framing import Frame, FrameDecoder, FrameError, ProtocolError, crc16, encode_frame

VEC = json.loads((vectors.OUT_DIR / vectors.JSON_NAME).read_text())


def test_committed_files_are_current():
    assert vectors.stale() == [], f"regenerate with `{vectors.COMMAND}`"


def test_check_mode_reports_stale_files(tmp_path, capsys):
    assert vectors.main(["--out", str(tmp_path), "--check"]) == 1
    assert "stale" in capsys.readouterr().err
    assert vectors.main(["--out", str(tmp_path)]) == 0
    assert vectors.main(["--out", str(tmp_path), "--check"]) == 0
    assert (tmp_path / vectors.HEADER_NAME).read_text().startswith("/* protocol_vectors.h")


def test_coverage_of_the_set():
    assert {v["type"] for v in VEC["messages"]} == set(m.MsgType)
    assert any(v["name"] == "check" and v["crc"] == 0x29B1 for v in VEC["crc16"])
    sizes = {len(v["decoded"]) // 2 for v in VEC["cobs"]}
    assert {0, 253, 254, 255, 508} <= sizes
    assert max(len(v["payload"]) // 2 for v in VEC["messages"]) == VEC["max_payload"] == 480
    assert {r["result"] for s in VEC["streams"] for r in s["events"]} == {"ok", "cobs", "short", "oversized", "crc"}


@pytest.mark.parametrize("v", VEC["crc16"], ids=lambda v: v["name"])
def test_crc(v):
    assert crc16(bytes.fromhex(v["data"])) == v["crc"]


@pytest.mark.parametrize("v", VEC["cobs"], ids=lambda v: v["name"])
def test_cobs(v):
    assert cobs.encode(bytes.fromhex(v["decoded"])).hex() == v["encoded"]
    assert cobs.decode(bytes.fromhex(v["encoded"])).hex() == v["decoded"]


@pytest.mark.parametrize("v", VEC["cobs_invalid"], ids=lambda v: v["name"])
def test_cobs_invalid(v):
    enc = bytes.fromhex(v["encoded"])
    with pytest.raises(cobs.DecodeError):
        cobs.decode(enc)
    if 0 not in enc:  # reachable through the frame decoder
        assert FrameDecoder().feed(enc + b"\x00") == [FrameError("cobs")]


@pytest.mark.parametrize("v", VEC["messages"], ids=lambda v: v["name"])
def test_message(v):
    msg = vectors.message_from_fields(v["type"], v["fields"])
    payload = bytes.fromhex(v["payload"])
    assert m.pack(msg) == (v["type"], payload)
    back = m.unpack(v["type"], payload)
    assert back == msg and vectors.message_fields(back) == v["fields"]
    frame = Frame(type=v["type"], seq=v["seq"], t_us=v["t_us"], payload=payload)
    assert encode_frame(frame).hex() == v["wire"]
    assert FrameDecoder().feed(bytes.fromhex(v["wire"])) == [frame]


@pytest.mark.parametrize("v", VEC["invalid_payloads"], ids=lambda v: v["name"])
def test_invalid_payload(v):
    with pytest.raises(ProtocolError) as e:
        m.unpack(v["type"], bytes.fromhex(v["payload"]))
    assert (e.value.reason, e.value.detail) == (v["reason"], v["detail"])
    assert m.NackReason(v["reason"]).name == v["reason_name"]


def _expected(events):
    out = []
    for e in events:
        if e["result"] == "ok":
            out.append(Frame(type=e["type"], seq=e["seq"], t_us=e["t_us"], payload=bytes.fromhex(e["payload"]),
                             version=e["version"]))
        else:
            out.append(FrameError(e["result"], e["type"], e["seq"]))
    return out


@pytest.mark.parametrize("s", VEC["streams"], ids=lambda s: s["name"])
def test_stream(s):
    wire = bytes.fromhex(s["wire"])
    want = _expected(s["events"])
    dec = FrameDecoder()
    assert dec.feed(wire) == want
    assert dec.counters == s["counters"]
    # any split of the stream gives the same outcomes
    dec = FrameDecoder()
    assert [x for i in range(len(wire)) for x in dec.feed(wire[i:i + 1])] == want
    rng = random.Random(s["name"])
    for _ in range(20):
        cuts = sorted(rng.sample(range(1, len(wire)), min(5, len(wire) - 1)))
        dec = FrameDecoder()
        got = [x for a, b in zip([0, *cuts], [*cuts, len(wire)]) for x in dec.feed(wire[a:b])]
        assert got == want

"""The corruption injector: each damaged frame is exactly one bad chunk for the node's decoder, nothing
spills into the next frame, and its counts match what a decoder sees on the whole stream."""

from __future__ import annotations

import numpy as np
import pytest

from gaitnode.protocol import messages as m
from gaitnode.protocol.framing import Frame, FrameDecoder, encode_frame
from hil_tests.tamper import Corrupter, outcomes


def wire(msg, seq: int) -> bytes:
    t, p = m.pack(msg)
    return encode_frame(Frame(t, seq, 0, p))


def samples(seq: int, n: int = 26) -> bytes:
    raw = (np.arange(n * m.AXES).reshape(n, m.AXES) * 977 % 65536 - 32768).astype(np.int16)
    raw[0, :3] = 0  # zeros: COBS code bytes inside the frame, too
    return wire(m.Samples(seq * n, raw), seq)


@pytest.mark.parametrize("action", ["flip", "truncate", "garbage"])
def test_each_action_destroys_exactly_the_frame_it_touches(action):
    c = Corrupter(**{"flip": 0.0, "truncate": 0.0, "garbage": 0.0, action: 1.0}, garbage_chunk=0.0, seed=1)
    for seq in range(50):
        clean = samples(seq)
        out = c(clean)
        assert out != clean and out.endswith(b"\x00") and out.count(0) == 1  # one chunk, delimiter kept
        ok, errors = outcomes(out)
        assert ok == 0 and sum(errors.values()) == 1
    assert c.damaged == 50 and c.by_action == {action: 50} and c.bad_chunks == 50 and c.clean_frames == 0


def test_a_garbage_chunk_is_one_error_and_leaves_the_frame_after_it_intact():
    c = Corrupter(flip=0.0, truncate=0.0, garbage=0.0, garbage_chunk=1.0, seed=2)
    clean = samples(3)
    out = c(clean)
    assert out.endswith(clean) and out.count(0) == 2
    assert outcomes(out)[0] == 1 and c.garbage_chunks == 1 and c.bad_chunks == 1 and c.clean_frames == 1


def test_only_samples_frames_are_damaged():
    c = Corrupter(flip=1.0, truncate=0.0, garbage=0.0, garbage_chunk=1.0)
    for i, msg in enumerate((m.Hello(), m.ModeMsg(m.Mode.REPLAY), m.Calibrate(10))):
        assert c(wire(msg, i)) == wire(msg, i)
    assert c.clean_frames == 3 and c.bad_chunks == 0 and c.frames == 3


def test_the_counts_are_what_a_decoder_sees_on_the_whole_stream():
    c = Corrupter(flip=0.2, truncate=0.2, garbage=0.2, garbage_chunk=0.2, seed=3)
    stream = b"".join(c(samples(seq)) for seq in range(400)) + c(wire(m.ModeMsg(m.Mode.IDLE), 400))
    decoder = FrameDecoder()
    items = decoder.feed(stream)
    good = [x for x in items if isinstance(x, Frame)]
    assert len(good) == c.clean_frames == c.frames - c.damaged
    assert {k: v for k, v in decoder.counters.items() if k != "ok"} == dict(c.expected)
    assert c.bad_chunks == c.damaged + c.garbage_chunks and c.expected["oversized"] > 0
    # the intact frames are the untouched ones, in order
    assert [f.seq for f in good] == sorted(f.seq for f in good)

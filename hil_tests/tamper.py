"""Corruption injected into the host -> node byte stream (a `Link.tamper` function), with exact counts.

The node's frame decoder (gn_frame.c, mirrored by gaitnode.protocol.framing.FrameDecoder) turns every
chunk of bytes ending in 0x00 into exactly one outcome: a frame, or one error (COBS, short, oversized,
CRC). So as long as no damage adds or removes a 0x00, each damaged chunk costs the node exactly one
error and nothing leaks into the next frame:

* flip: one byte of the COBS body XORed with a mask that cannot make it 0x00;
* truncate: bytes cut before the delimiter, the delimiter kept;
* garbage before a frame: non-zero bytes that merge with the frame's bytes into one bad chunk (the
  frame is lost with it: that is what noise on an idle line does);
* a garbage chunk: non-zero bytes and their own 0x00, one bad chunk, the next frame intact.

Each damaged output is run through a fresh FrameDecoder (same outcomes as the C decoder, checked by
the shared protocol vectors): that gives the exact error kinds the node must count, and a damage that
still decodes (a CRC collision, about 1 in 65536) is drawn again, so the counts are exact.
Only SAMPLES frames are damaged: the replay resends those (go-back-N); a damaged MODE or CONFIG
would only fail the request.
"""

from __future__ import annotations

import random
from collections import Counter

from gaitnode.protocol import messages as m
from gaitnode.protocol.framing import ERROR_KINDS, Frame, FrameDecoder

MAX_DRAWS = 20  # damage attempts per frame before giving up (each fails with p ~ 1/65536)


def outcomes(data: bytes) -> tuple[int, Counter]:
    """(good frames, Counter of error kinds) a fresh decoder gives for data."""
    ok, errors = 0, Counter()
    for item in FrameDecoder().feed(data):
        if isinstance(item, Frame):
            ok += 1
        else:
            errors[item.kind] += 1
    return ok, errors


class Corrupter:
    """Link.tamper that damages a share of the SAMPLES frames sent through it.

    Parameters (probabilities per SAMPLES frame): flip, truncate, garbage (garbage merged into the frame;
    these three exclusive), garbage_chunk (an extra garbage chunk before the frame, independent).
    seed: the random stream. Counts after use: frames (all frames seen), clean_frames (frames that reach
    the node intact), damaged (SAMPLES frames destroyed), by_action, garbage_chunks, and expected: the
    node's decoder errors by kind (ERROR_KINDS), which bad_chunks sums.
    """

    def __init__(self, *, flip: float = 0.05, truncate: float = 0.03, garbage: float = 0.03,
                 garbage_chunk: float = 0.02, seed: int = 0):
        if flip + truncate + garbage > 1:
            raise ValueError("flip + truncate + garbage must be at most 1")
        self.p = {"flip": flip, "truncate": truncate, "garbage": garbage}
        self.garbage_chunk = garbage_chunk
        self.rng = random.Random(seed)
        self.frames = 0
        self.clean_frames = 0
        self.damaged = 0
        self.garbage_chunks = 0
        self.by_action: Counter = Counter()
        self.expected: Counter = Counter({k: 0 for k in ERROR_KINDS})
        self._actions = {"flip": self._flip, "truncate": self._truncate, "garbage": self._garbage_before}

    @property
    def bad_chunks(self) -> int:
        return sum(self.expected.values())

    def __call__(self, data: bytes) -> bytes:
        self.frames += 1
        items = FrameDecoder().feed(data)
        if len(items) != 1 or not isinstance(items[0], Frame) or items[0].type != m.MsgType.SAMPLES:
            ok, errors = outcomes(data)  # not ours to damage; counted as they are
            self.clean_frames += ok
            self._count(errors)
            return data
        out = b""
        if self.rng.random() < self.garbage_chunk:
            chunk = self._damaged(lambda: self._garbage() + b"\x00")
            self.garbage_chunks += 1
            out += chunk
        r, edge = self.rng.random(), 0.0
        for action, p in self.p.items():
            edge += p
            if r < edge:
                self.by_action[action] += 1
                self.damaged += 1
                return out + self._damaged(lambda a=action: self._actions[a](data))
        self.clean_frames += 1
        return out + data

    def _damaged(self, make) -> bytes:
        """make()'s bytes, drawn again until they are exactly one bad chunk; counts its error kind."""
        for _ in range(MAX_DRAWS):
            out = make()
            ok, errors = outcomes(out)
            if ok == 0 and sum(errors.values()) == 1:
                self._count(errors)
                return out
        raise RuntimeError(f"could not damage a frame in {MAX_DRAWS} draws")

    def _count(self, errors: Counter) -> None:
        self.expected.update(errors)

    def _garbage(self) -> bytes:
        return bytes(self.rng.randint(1, 255) for _ in range(self.rng.randint(1, 24)))

    def _flip(self, data: bytes) -> bytes:
        i = self.rng.randrange(len(data) - 1)  # never the delimiter
        mask = self.rng.randint(1, 255)
        while data[i] ^ mask == 0:  # a new 0x00 would split the frame into two chunks
            mask = self.rng.randint(1, 255)
        return data[:i] + bytes([data[i] ^ mask]) + data[i + 1:]

    def _truncate(self, data: bytes) -> bytes:
        body = len(data) - 1
        cut = self.rng.randint(1, min(40, body - 1))  # at least one byte stays: a lone 0x00 is no frame
        return data[:body - cut] + b"\x00"

    def _garbage_before(self, data: bytes) -> bytes:
        return self._garbage() + data

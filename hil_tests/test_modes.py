"""Mode switches in the middle of a stream: idle -> replay -> live -> idle -> replay.

A MODE frame ends the running stream before it is acknowledged (the node drains its ring and flushes
open events), so everything the old mode produced arrives before the ACK and nothing of it after;
the new mode counts samples from 0 again.

Everything here is read with Link.read, so each frame lands on its side of an ACK (Link.wait_for
drops what arrives after the frame it waits for in the same read).
"""

from __future__ import annotations

import time

import numpy as np

from gaitnode.protocol import messages as m

LIVE_S = 0.6  # long enough for a few live SAMPLES frames (rate / 10 samples each)
WAIT_S = 5.0


def ask(dut, msg, before: list, after: list):
    """Send msg and read until its ACK or NACK, which is returned: frames that came before it go to
    `before`, the rest of the same read to `after`."""
    seq, mtype = dut.link.send(msg), m.pack(msg)[0]
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        batch = dut.link.read(0.01)
        for k, r in enumerate(batch):
            if isinstance(r.msg, (m.Ack, m.Nack)) and r.msg.seq == seq and r.msg.type == mtype:
                before.extend(batch[:k])
                after.extend(batch[k + 1:])
                return r.msg
        before.extend(batch)
    raise AssertionError(f"no answer to {type(msg).__name__} within {WAIT_S:g} s")


def stream(dut, raw: np.ndarray, outputs: list) -> list[int]:
    """Send raw from index 0 within the node's credits, every frame received kept in outputs; returns
    the seqs of the batches not answered yet: the stream is still running when the caller goes on."""
    link, batch = dut.link, dut.info.max_batch
    credits, in_flight, sent_after = dut.info.ring_capacity, [], 0
    for first in range(0, len(raw), batch):
        b = raw[first:first + batch]
        deadline = time.monotonic() + WAIT_S
        while len(b) > credits - sent_after:  # wait for room
            assert time.monotonic() < deadline, "the node stopped answering SAMPLES"
            if not in_flight:  # the last ACK came before the node drained its ring: an empty batch asks again
                in_flight.append((link.send(m.Samples(first, b[:0])), 0))
            for r in link.read(0.01):
                outputs.append(r)
                assert not isinstance(r.msg, m.Nack), r.msg
                if isinstance(r.msg, m.Ack) and r.msg.type == m.MsgType.SAMPLES:
                    assert r.msg.seq == in_flight[0][0], "SAMPLES answered out of order"
                    sent_after -= in_flight.pop(0)[1]
                    credits = r.msg.credits
        in_flight.append((link.send(m.Samples(first, b)), len(b)))
        sent_after += len(b)
    return [seq for seq, _ in in_flight]


def acked(outputs: list) -> set[int]:
    return {r.msg.seq for r in outputs if isinstance(r.msg, m.Ack) and r.msg.type == m.MsgType.SAMPLES}


def events(outputs: list) -> list[tuple]:
    """(type, source or kind, sample index, value) of every heel strike and estimate, in arrival order."""
    out = []
    for r in outputs:
        x = r.msg
        if isinstance(x, m.HeelStrike):
            out.append(("hs", int(x.source), x.sample_index, round(float(x.frac), 6)))
        elif isinstance(x, m.Estimate):
            out.append(("estimate", int(x.kind), x.sample_index, round(float(x.value), 4)))
    return out


def test_mode_switches_mid_stream_end_the_old_stream_and_restart_the_index(dut, walk_session):
    from gaitnode.twin.twin import session_counts

    raw = session_counts(walk_session[0], dut.node.ranges)[:2000]  # standing, then 14 s of walking
    first, live, idle, second, rest = [], [], [], [], []

    # idle -> replay, streaming; -> live while batches are still in flight
    assert ask(dut, m.ModeMsg(m.Mode.REPLAY), idle, first).next_index == 0
    unanswered = stream(dut, raw, first)
    assert isinstance(ask(dut, m.ModeMsg(m.Mode.LIVE), first, live), m.Ack)
    assert set(unanswered) <= acked(first)  # the switch waited for the batches in flight
    replay_events = events(first)
    assert any(e[0] == "hs" for e in replay_events) and any(e[0] == "estimate" for e in replay_events)
    nack = ask(dut, m.Samples(len(raw), raw[:5]), live, live)  # replay is over: samples are refused
    assert (nack.reason, nack.detail) == (m.NackReason.WRONG_MODE, m.Mode.LIVE)

    # live: the node streams its own samples, counted from 0; -> idle ends it
    end = time.monotonic() + LIVE_S
    while time.monotonic() < end:
        live.extend(dut.link.read(0.05))
    assert isinstance(ask(dut, m.ModeMsg(m.Mode.IDLE), live, idle), m.Ack)
    batches = [r.msg for r in live if isinstance(r.msg, m.Samples)]
    assert batches and batches[0].first_index == 0
    for a, b in zip(batches, batches[1:]):
        assert b.first_index == a.first_index + len(a.raw), "live SAMPLES frames lost or reordered"
    live_end = batches[-1].first_index + len(batches[-1].raw)
    # a live output can only point at live samples: one from the replay (indices up to 2000) would not
    assert all(e[2] < live_end for e in events(live)), (events(live), live_end)
    assert not any(isinstance(r.msg, m.Samples) for r in idle), "SAMPLES after the switch to idle"

    # idle -> replay again: the index restarts at 0 and the same samples give the same events
    assert ask(dut, m.ModeMsg(m.Mode.REPLAY), idle, second).next_index == 0
    nack = ask(dut, m.Samples(1, raw[1:2]), second, second)  # a batch must start where the stream does
    assert (nack.reason, nack.detail) == (m.NackReason.SEQUENCE, 0)
    unanswered = stream(dut, raw, second)
    assert isinstance(ask(dut, m.ModeMsg(m.Mode.IDLE), second, rest), m.Ack)
    assert set(unanswered) <= acked(second)
    assert events(second) == replay_events
    assert not events(rest)

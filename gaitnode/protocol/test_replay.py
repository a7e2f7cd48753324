"""replay_counts against the twin (classical detector, no model): flow control, go-back-N recovery
from frames the node could not decode, and a reset noticed mid-replay."""

from __future__ import annotations

import random
import threading

import numpy as np
import pytest

from gaitnode.errors import GaitnodeError
from gaitnode.protocol import messages as m
from gaitnode.protocol.link import Link
from gaitnode.protocol.replay import NodeReset, replay_counts
from gaitnode.twin.testing import simulated_walk
from gaitnode.twin.twin import TwinNode, session_counts


@pytest.fixture(scope="module")
def raw():
    s = simulated_walk(7, 20.0)
    return session_counts(s, _twin_ranges())


def _twin_ranges():
    from gaitnode.boards.config import get_board
    from gaitnode.protocol.samples import Ranges

    r = get_board("twin").ranges
    return Ranges(r.acc_g, r.gyr_dps, r.mag_ut)


def _events(res):
    return [(h.sample_index, round(h.frac, 4)) for h in res.heel_strikes(m.Source.CLASSICAL)]


def test_damaged_frames_are_resent_and_the_outputs_do_not_change(raw):
    rng = random.Random(3)
    damaged = 0

    def tamper(b: bytes) -> bytes:
        nonlocal damaged
        if rng.random() < 0.08:  # any frame, MODE requests too: request() resends those
            damaged += 1
            x = bytearray(b)
            x[rng.randrange(len(x) - 1)] ^= 0xA5  # never the 0x00 delimiter
            return bytes(x)
        return b

    with TwinNode() as twin, Link(twin.port) as link:
        clean = replay_counts(link, raw, batch=13)
        link.tamper = tamper
        noisy = replay_counts(link, raw, batch=13)
    assert damaged > 0 and noisy.resyncs > 0
    assert noisy.rejected_frames > 0 and not noisy.nacks
    assert _events(noisy) == _events(clean) and len(_events(clean)) > 5


def test_a_lost_last_batch_is_resent_after_a_quiet_period(raw):
    n = 26 * 4
    sent = []

    def tamper(b: bytes) -> bytes:
        sent.append(b)
        if len(sent) == 5:  # frames: MODE, SAMPLES 1..4; damage the last batch, nothing follows it
            return b[:3] + bytes([b[3] ^ 0xFF]) + b[4:]
        return b

    with TwinNode() as twin, Link(twin.port) as link:
        link.tamper = tamper
        res = replay_counts(link, raw[:n])
        link.tamper = None
        assert link.request(m.ModeMsg(m.Mode.REPLAY))
    assert res.resyncs >= 1 and res.n_samples == n


def test_a_reset_mid_replay_is_reported(raw):
    with TwinNode() as twin, Link(twin.port) as link:
        timer = threading.Timer(0.2, twin.reset)
        timer.start()
        with pytest.raises(NodeReset, match="reset during the replay"):
            replay_counts(link, np.tile(raw, (20, 1)), speed=20.0)
        timer.join()
        assert link.hello().mode == m.Mode.IDLE  # the node is back, in power-on state


def test_bad_shapes_and_batches_are_refused():
    with pytest.raises(GaitnodeError, match="shaped"):
        replay_counts(None, np.zeros((5, 6), np.int16))
    with pytest.raises(GaitnodeError, match="batch"):
        replay_counts(None, np.zeros((5, 9), np.int16), batch=99)


def test_stale_credits_with_nothing_in_flight_do_not_stall_the_replay():
    """A node that reads several batches before its loop drains the ring ACKs them with falling
    credits (256 -> 22 after nine batches of 26). With nothing in flight no ACK is coming, so the host
    must send what fits (or an empty batch, which asks for the credits now) instead of waiting."""
    import os
    import tty

    from gaitnode.protocol.framing import Frame, FrameDecoder, encode_frame

    master, slave = os.openpty()
    tty.setraw(slave)
    sizes = []

    def node():
        dec, seq, ring, nxt = FrameDecoder(), 0, 0, 0
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:
                return
            for f in dec.feed(data):
                msg = m.unpack(f.type, f.payload)
                if isinstance(msg, m.ModeMsg):
                    ring, nxt = 0, 0
                elif isinstance(msg, m.Samples):
                    sizes.append(len(msg.raw))
                    if len(msg.raw) < 26:
                        ring = 0  # the loop drained the ring meanwhile
                    ring += len(msg.raw)
                    nxt += len(msg.raw)
                t, p = m.pack(m.Ack(f.seq, f.type, 256 - ring, nxt))
                os.write(master, encode_frame(Frame(type=t, seq=seq, t_us=0, payload=p)))
                seq += 1

    threading.Thread(target=node, daemon=True).start()
    out = {}
    link = Link(os.ttyname(slave))
    worker = threading.Thread(target=lambda: out.update(res=replay_counts(link, np.zeros((1000, 9), np.int16))),
                              daemon=True)
    worker.start()
    worker.join(60.0)  # a liveness guard, not a speed limit: the stall this tests never ends
    link.close()
    os.close(master)
    os.close(slave)
    assert "res" in out, "replay_counts stalled with stale credits and nothing in flight"
    assert out["res"].n_samples == 1000 and sum(sizes) == 1000 and min(sizes) < 26


def test_a_node_whose_ring_never_drains_fails_the_replay(monkeypatch):
    """Every SAMPLES ACK says: no room. The host asks again with empty batches, but no sample is ever
    accepted: the replay must fail with a clear message, not spin forever."""
    import os
    import tty

    from gaitnode.protocol import replay as replay_module
    from gaitnode.protocol.framing import Frame, FrameDecoder, encode_frame

    master, slave = os.openpty()
    tty.setraw(slave)

    def full_node():
        decoder, seq = FrameDecoder(), 0
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:
                return
            for f in decoder.feed(data):
                t, p = m.pack(m.Ack(f.seq, f.type, 0 if f.type == m.MsgType.SAMPLES else 256, 0))
                os.write(master, encode_frame(Frame(t, seq, 0, p)))
                seq += 1

    threading.Thread(target=full_node, daemon=True).start()
    monkeypatch.setattr(replay_module, "ACK_TIMEOUT_S", 0.5)
    link = Link(os.ttyname(slave))
    try:
        with pytest.raises(GaitnodeError, match="accepted no samples for 0.5 s .* ring does not drain"):
            replay_counts(link, np.zeros((1000, 9), np.int16))
    finally:
        link.close()
        os.close(master)
        os.close(slave)

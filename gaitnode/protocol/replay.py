"""Replay raw IMU samples into a node in replay mode, with credit-based flow control.

The node ACKs every SAMPLES frame with `credits`: its free ring slots right after inserting that
batch. Samples sent after that batch may not have been consumed yet, so the host may send a new
batch of b samples only while b <= credits - (samples sent after the acknowledged batch). That
keeps the ring from overflowing at any replay speed; `speed` (x real time) only paces the sending.

The node's outputs (heel strikes, estimates, telemetry, logs) are collected with their receive
times; switching back to idle at the end makes the node drain its ring and flush open events
before it ACKs, so everything the replay produced arrives before that ACK.

Damaged frames (a noisy cable, or the HIL suite's injected corruption) are recovered go-back-N
style: the node drops a frame it cannot decode (and NACKs it as CRC/COBS/...), then refuses every
later batch with a SEQUENCE NACK whose detail is the index it expects; the host goes back to that
index and resends. Batches sent before the rewind are "stale": their answers are consumed without
effect. When the lost batch was the last one in flight no SEQUENCE NACK comes, so after a bad-frame
NACK and RESYNC_QUIET_S without progress the host resends from its oldest unacknowledged batch.
Every sample therefore reaches the node exactly once and in order, or the replay fails loudly.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field

import numpy as np

from gaitnode.errors import GaitnodeError
from gaitnode.protocol import messages as m
from gaitnode.protocol.link import BAD_FRAME_REASONS, Link, Received

ACK_TIMEOUT_S = 5.0  # no sample accepted for this long while the host waits on the node: gone or stuck
RESYNC_QUIET_S = 0.3  # after a bad-frame NACK, this long without progress: resend the oldest batch
MAX_RESYNCS = 1000  # more rewinds than this in one replay: the link is unusable, give up


class NodeReset(GaitnodeError):
    """The node announced itself (INFO) during a replay: it rebooted, everything after is lost."""


@dataclass
class ReplayResult:
    """What a replay produced.

    outputs: every message the node sent during the replay (Received, in order).
    send_host_s: host time each sample was sent (seconds, time.monotonic), float64 [n].
    nacks: NACKs received (none in a clean replay). wall_s: duration of the replay.
    """

    n_samples: int
    outputs: list[Received] = field(default_factory=list)
    send_host_s: np.ndarray | None = None
    nacks: list = field(default_factory=list)
    wall_s: float = 0.0
    bad_frames: int = 0
    device_seq_gaps: int = 0
    resyncs: int = 0  # go-back-N rewinds after frames the node could not decode
    rejected_frames: int = 0  # bad-frame NACKs: frames of ours the node could not decode
    stopped_early: bool = False  # should_stop() ended the replay before the last sample

    def of_type(self, cls) -> list[Received]:
        return [r for r in self.outputs if isinstance(r.msg, cls)]

    def heel_strikes(self, source: int | None = None) -> list:
        return [r.msg for r in self.of_type(m.HeelStrike) if source is None or r.msg.source == source]


def replay_counts(link: Link, raw: np.ndarray, *, batch: int | None = None, speed: float | None = None,
                  rate_hz: float = 100.0, config=None, on_output=None, should_stop=None) -> ReplayResult:
    """Stream int16 counts raw [n, 9] through the node in replay mode.

    batch: samples per SAMPLES frame (default: the most a frame holds). speed: pace the sending at
    this multiple of real time (None: as fast as flow control allows). config: a Config message to
    send before switching to replay (None: keep the node's). on_output(received): called for every
    node output as it arrives (live readouts). should_stop(): polled; True ends the replay early
    (the node is still switched back to idle, so what it produced so far arrives).
    Raises NodeReset when the node reboots mid-replay, GaitnodeError on any other failure.
    """
    raw = np.ascontiguousarray(raw, dtype=np.int16)
    if raw.ndim != 2 or raw.shape[1] != 9:
        raise GaitnodeError(f"replay needs raw counts shaped (n, 9), got {raw.shape}")
    batch = int(batch or m.MAX_BATCH)
    if not 1 <= batch <= m.MAX_BATCH:
        raise GaitnodeError(f"batch must be 1..{m.MAX_BATCH} samples, got {batch}")
    n = len(raw)
    res = ReplayResult(n_samples=n, send_host_s=np.full(n, np.nan))
    if config is not None:
        link.request(config, keep=res.outputs)
    ack = link.request(m.ModeMsg(m.Mode.REPLAY), keep=res.outputs)
    credits, unacked_after = int(ack.credits), 0
    in_flight: deque[tuple[int, int, int]] = deque()  # (seq, first index, samples) not yet answered
    stale: set[int] = set()  # seqs sent before a rewind: their answers change nothing
    t0 = time.monotonic()
    i = 0
    last_progress = t0
    bad_since_progress = False

    def rewind(to: int) -> None:
        nonlocal i, unacked_after
        res.resyncs += 1
        if res.resyncs > MAX_RESYNCS:
            raise GaitnodeError(f"replay: more than {MAX_RESYNCS} resends; the link to the node is unusable")
        stale.update(seq for seq, _, _ in in_flight)
        in_flight.clear()
        i, unacked_after = to, 0  # nothing after the lost batch was accepted

    while i < n or in_flight:
        if should_stop is not None and i < n and should_stop():
            res.stopped_early = True
            n = i  # send nothing more; wait for what is in flight
        paced = False  # the send loop waits for the pace, not for the node
        while i < n:
            b = min(batch, n - i)
            if b > credits - unacked_after:
                if in_flight:
                    break  # its ACK brings fresh credits
                # Nothing in flight, so no ACK is coming, and the last credits are stale (the node
                # has drained its ring since): send what fits, or an empty batch, which only asks
                # for the credits now.
                b = max(credits - unacked_after, 0)
            if speed is not None:
                due = t0 + (i / rate_hz) / speed
                if due > time.monotonic():
                    paced = True
                    break
            seq = link.send(m.Samples(first_index=i, raw=raw[i:i + b]))
            if b:
                last_progress = time.monotonic()  # the node has ACK_TIMEOUT_S to take this batch
                if np.isnan(res.send_host_s[i]):  # resends keep the first send time
                    res.send_host_s[i:i + b] = time.monotonic()
            in_flight.append((seq, i, b))
            unacked_after += b
            i += b
            if b == 0:
                break
        for r in link.read(0.0005 if (i < n and speed is not None) else 0.002):
            msg = r.msg
            if isinstance(msg, m.Ack) and msg.type == m.MsgType.SAMPLES:
                if msg.seq in stale:
                    stale.discard(msg.seq)
                    continue
                if not in_flight or in_flight[0][0] != msg.seq:
                    raise GaitnodeError(f"replay: ACK for SAMPLES seq {msg.seq} out of order")
                accepted = in_flight.popleft()[2]
                unacked_after -= accepted
                credits = int(msg.credits)
                if accepted:  # an empty batch's ACK only brings credits: a node that never drains
                    last_progress = time.monotonic()  # its ring must still time out below
                    bad_since_progress = False
            elif isinstance(msg, m.Nack) and msg.reason in BAD_FRAME_REASONS:
                res.rejected_frames += 1  # one of our frames arrived damaged; SEQUENCE or quiet follows
                bad_since_progress = True
            elif isinstance(msg, m.Nack) and msg.type == m.MsgType.SAMPLES and msg.reason == m.NackReason.SEQUENCE:
                if msg.seq in stale:
                    stale.discard(msg.seq)
                    continue
                rewind(int(msg.detail))
                last_progress = time.monotonic()
            elif isinstance(msg, m.Nack):
                res.nacks.append(msg)
                raise GaitnodeError(f"replay: the node rejected a frame: {_reason(msg.reason)} "
                                    f"(detail {msg.detail})")
            elif isinstance(msg, m.Info):
                raise NodeReset(f"replay: the node reset during the replay (it announced itself again after "
                                f"{i} of {len(raw)} samples were sent); its outputs after the reset are lost")
            else:
                res.outputs.append(r)
                if on_output is not None:
                    on_output(r)
        quiet = time.monotonic() - last_progress
        if in_flight and bad_since_progress and quiet > RESYNC_QUIET_S:
            rewind(in_flight[0][1])
            bad_since_progress = False
            last_progress = time.monotonic()
        elif (in_flight or (i < n and not paced)) and quiet > ACK_TIMEOUT_S:
            raise GaitnodeError(f"replay: the node accepted no samples for {ACK_TIMEOUT_S:g} s ({i} of {len(raw)} "
                                f"sent, {len(in_flight)} batches unanswered): it is gone, stuck, or its ring "
                                "does not drain")
    keep: list[Received] = []
    link.request(m.ModeMsg(m.Mode.IDLE), timeout=ACK_TIMEOUT_S, keep=keep)
    for r in keep:
        if isinstance(r.msg, m.Info):
            raise NodeReset("replay: the node reset at the end of the replay (it announced itself again)")
        if isinstance(r.msg, (m.Ack, m.Nack)) and r.msg.type == m.MsgType.SAMPLES:
            continue  # answers to stale resends
        res.outputs.append(r)
        if on_output is not None:
            on_output(r)
    res.wall_s = time.monotonic() - t0
    res.bad_frames = link.bad_frames
    res.device_seq_gaps = link.device_seq_gaps
    return res


def _reason(code: int) -> str:
    return m.NackReason(code).name if code in set(m.NackReason) else str(code)

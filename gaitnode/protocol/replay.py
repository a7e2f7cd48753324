"""Replay raw IMU samples into a node in replay mode, with credit-based flow control.

The node ACKs every SAMPLES frame with `credits`: its free ring slots right after inserting that
batch. Samples sent after that batch may not have been consumed yet, so the host may send a new
batch of b samples only while b <= credits - (samples sent after the acknowledged batch). That
keeps the ring from overflowing at any replay speed; `speed` (x real time) only paces the sending.

The node's outputs (heel strikes, estimates, telemetry, logs) are collected with their receive
times; switching back to idle at the end makes the node drain its ring and flush open events
before it ACKs, so everything the replay produced arrives before that ACK.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field

import numpy as np

from gaitnode.errors import GaitnodeError
from gaitnode.protocol import messages as m
from gaitnode.protocol.link import Link, Received

ACK_TIMEOUT_S = 5.0  # no ACK for this long while batches are in flight: the node is gone or stuck


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

    def of_type(self, cls) -> list[Received]:
        return [r for r in self.outputs if isinstance(r.msg, cls)]

    def heel_strikes(self, source: int | None = None) -> list:
        return [r.msg for r in self.of_type(m.HeelStrike) if source is None or r.msg.source == source]


def replay_counts(link: Link, raw: np.ndarray, *, batch: int | None = None, speed: float | None = None,
                  rate_hz: float = 100.0, config=None) -> ReplayResult:
    """Stream int16 counts raw [n, 9] through the node in replay mode.

    batch: samples per SAMPLES frame (default: the most a frame holds). speed: pace the sending at
    this multiple of real time (None: as fast as flow control allows). config: a Config message to
    send before switching to replay (None: keep the node's).
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
    in_flight: deque[tuple[int, int]] = deque()  # (seq, samples) of batches not yet acknowledged
    t0 = time.monotonic()
    i = 0
    last_progress = t0
    while i < n or in_flight:
        while i < n:
            b = min(batch, n - i)
            if b > credits - unacked_after:
                break
            if speed is not None:
                due = t0 + (i / rate_hz) / speed
                if due > time.monotonic():
                    break
            seq = link.send(m.Samples(first_index=i, raw=raw[i:i + b]))
            res.send_host_s[i:i + b] = time.monotonic()
            in_flight.append((seq, b))
            unacked_after += b
            i += b
        for r in link.read(0.0005 if (i < n and speed is not None) else 0.002):
            msg = r.msg
            if isinstance(msg, m.Ack) and msg.type == m.MsgType.SAMPLES:
                if not in_flight or in_flight[0][0] != msg.seq:
                    raise GaitnodeError(f"replay: ACK for SAMPLES seq {msg.seq} out of order")
                unacked_after -= in_flight.popleft()[1]
                credits = int(msg.credits)
                last_progress = time.monotonic()
            elif isinstance(msg, m.Nack):
                res.nacks.append(msg)
                raise GaitnodeError(f"replay: the node rejected a frame: {m.NackReason(msg.reason).name} "
                                    f"(detail {msg.detail})")
            elif isinstance(msg, m.Info):
                raise GaitnodeError("replay: the node reset during the replay (it announced itself again)")
            else:
                res.outputs.append(r)
        if in_flight and time.monotonic() - last_progress > ACK_TIMEOUT_S:
            raise GaitnodeError(f"replay: no ACK from the node for {ACK_TIMEOUT_S:g} s ({len(in_flight)} batches "
                                "in flight)")
    link.request(m.ModeMsg(m.Mode.IDLE), timeout=ACK_TIMEOUT_S, keep=res.outputs)
    res.wall_s = time.monotonic() - t0
    res.bad_frames = link.bad_frames
    res.device_seq_gaps = link.device_seq_gaps
    return res

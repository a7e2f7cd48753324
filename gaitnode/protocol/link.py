"""A framed link to a node (a board or the twin) over a serial port, host side.

    with Link("/dev/ttyACM0") as link:
        info = link.hello()
        link.request(ModeMsg(Mode.REPLAY))    # ACK, or NodeRejected naming the NACK reason

Frames are COBS + CRC-16 (gaitnode.protocol.framing); payloads are gaitnode.protocol.messages.
Everything received is returned by read() as Received items (in arrival order, with the host's
receive time); frames that fail to decode are counted, never raised.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass

from gaitnode.errors import GaitnodeError
from gaitnode.protocol import messages as m
from gaitnode.protocol.framing import Frame, FrameDecoder, FrameError, encode_frame


class NodeRejected(GaitnodeError):
    """The node answered a request with NACK."""

    def __init__(self, nack, what: str):
        reason = m.NackReason(nack.reason).name if nack.reason in set(m.NackReason) else str(nack.reason)
        super().__init__(f"the node rejected {what}: {reason} (detail {nack.detail})")
        self.nack = nack


@dataclass
class Received:
    """One good frame from the node: its header, the decoded message, the host's receive time."""

    frame: Frame
    msg: object
    host_s: float


class Link:
    """Frames to and from a node on `port` (anything pyserial opens: a device path or a pty)."""

    def __init__(self, port: str, baud: int = 115200):
        import serial

        self.port = port
        try:
            self._ser = serial.Serial(port, baud, timeout=0)
        except (serial.SerialException, OSError, ValueError) as e:
            raise GaitnodeError(f"cannot open serial port {port}: {e}") from None
        self._decoder = FrameDecoder()
        self._seq = 0
        self._backlog: deque[Received] = deque()
        self.bad_frames = 0        # frames from the node that failed to decode (CRC, COBS, ...)
        self.undecodable = 0       # good frames whose payload did not unpack
        self.last_device_seq: int | None = None
        self.device_seq_gaps = 0   # frames lost between node and host (sequence jumps)

    # -- sending --
    def send(self, msg, t_us: int = 0) -> int:
        """Send one message; returns the frame's sequence number."""
        mtype, payload = m.pack(msg)
        seq = self._seq
        self._seq = (self._seq + 1) & 0xFFFF
        self.write_raw(encode_frame(Frame(type=mtype, seq=seq, t_us=t_us, payload=payload)))
        return seq

    def write_raw(self, data: bytes) -> None:
        """Bytes as they are (tests use it to inject corruption)."""
        import serial

        try:
            self._ser.write(data)
        except (serial.SerialException, OSError) as e:
            raise GaitnodeError(f"writing to {self.port} failed: {e}") from None

    # -- receiving --
    def read(self, timeout: float = 0.0) -> list[Received]:
        """Frames received so far (waiting up to `timeout` s for the first one)."""
        out = list(self._backlog)
        self._backlog.clear()
        deadline = time.monotonic() + timeout
        while True:
            out.extend(self._read_available())
            if out or time.monotonic() >= deadline:
                return out
            time.sleep(0.0005)

    def _read_available(self) -> list[Received]:
        import serial

        try:
            n = self._ser.in_waiting
            data = self._ser.read(n or 1)
        except (serial.SerialException, OSError) as e:
            raise GaitnodeError(f"reading from {self.port} failed: {e}") from None
        if not data:
            return []
        now = time.monotonic()
        got = []
        for item in self._decoder.feed(data):
            if isinstance(item, FrameError):
                self.bad_frames += 1
                continue
            self._track_seq(item.seq)
            try:
                msg = m.unpack(item.type, item.payload)
            except GaitnodeError:
                self.undecodable += 1
                continue
            got.append(Received(item, msg, now))
        return got

    def _track_seq(self, seq: int) -> None:
        if self.last_device_seq is not None and seq != (self.last_device_seq + 1) & 0xFFFF:
            self.device_seq_gaps += 1
        self.last_device_seq = seq

    def wait_for(self, predicate, timeout: float, keep: list | None = None):
        """The first received item whose message satisfies predicate; others go to `keep` (if given)
        or back to the backlog. GaitnodeError on timeout."""
        deadline = time.monotonic() + timeout
        others: list[Received] = []
        try:
            while True:
                for r in self.read(max(0.0, min(0.05, deadline - time.monotonic()))):
                    if predicate(r.msg):
                        return r
                    others.append(r)
                if time.monotonic() >= deadline:
                    raise GaitnodeError(f"no answer from the node on {self.port} within {timeout:g} s")
        finally:
            if keep is not None:
                keep.extend(others)
            else:
                self._backlog.extendleft(reversed(others))

    def request(self, msg, timeout: float = 2.0, keep: list | None = None):
        """Send msg and wait for its ACK (returned) or NACK (NodeRejected)."""
        seq = self.send(msg)
        mtype = m.pack(msg)[0]
        r = self.wait_for(lambda x: isinstance(x, (m.Ack, m.Nack)) and x.seq == seq and x.type == mtype,
                          timeout, keep)
        if isinstance(r.msg, m.Nack):
            raise NodeRejected(r.msg, type(msg).__name__)
        return r.msg

    def hello(self, timeout: float = 2.0, keep: list | None = None):
        """Ask the node who it is; returns its Info."""
        self.send(m.Hello())
        return self.wait_for(lambda x: isinstance(x, m.Info), timeout, keep).msg

    def close(self) -> None:
        try:
            self._ser.close()
        except Exception:  # noqa: BLE001 - closing a vanished port is not an error worth raising
            pass

    def __enter__(self) -> "Link":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

"""A framed link to a node (a board or the twin) over a serial port, host side.

    with Link("/dev/ttyACM0") as link:
        info = link.hello()
        link.request(ModeMsg(Mode.REPLAY))    # ACK, or NodeRejected naming the NACK reason

Frames are COBS + CRC-16 (gaitnode.protocol.framing); payloads are gaitnode.protocol.messages.
Everything received is returned by read() as Received items (in arrival order, with the host's
receive time); frames that fail to decode are counted, never raised.
"""

from __future__ import annotations

import select
import time
from collections import deque
from dataclasses import dataclass

from gaitnode.errors import GaitnodeError
from gaitnode.protocol import messages as m
from gaitnode.protocol.framing import PROTOCOL_VERSION, Frame, FrameDecoder, FrameError, encode_frame


class NodeRejected(GaitnodeError):
    """The node answered a request with NACK."""

    def __init__(self, nack, what: str):
        super().__init__(f"the node rejected {what}: {m.nack_text(nack)}")
        self.nack = nack


@dataclass
class Received:
    """One good frame from the node: its header, the decoded message, the host's receive time."""

    frame: Frame
    msg: object
    host_s: float


RESEND_QUIET_S = 0.3  # after a bad-frame NACK, this long without an answer: resend the request
BAD_FRAME_REASONS = frozenset({m.NackReason.CRC, m.NackReason.COBS, m.NackReason.TOO_SHORT,
                               m.NackReason.OVERSIZED})


class PortError(GaitnodeError):
    """The serial port cannot be used: missing, busy, no permission, or it went away."""


def open_serial(port: str, baud: int = 115200):
    """pyserial's Serial on `port`, opened exclusively (a second gaitnode on the same port is refused),
    with one clear message per failure: missing, busy, no permission."""
    import errno
    import os

    import serial

    if not os.path.exists(port):
        raise PortError(f"serial port {port} does not exist (is the node plugged in? `gaitnode ports` lists ports)")
    try:
        return serial.Serial(port, baud, timeout=0, exclusive=True)
    except (serial.SerialException, OSError, ValueError) as e:
        text = str(e)
        code = getattr(e, "errno", None)
        if code == errno.EACCES or "Permission denied" in text:
            raise PortError(f"no permission to open {port} (on Linux add yourself to the dialout group, "
                            "then log in again)") from None
        if code in (errno.EBUSY, errno.EAGAIN, errno.EWOULDBLOCK) or "lock" in text.lower() or "busy" in text.lower():
            raise PortError(f"serial port {port} is busy: another program has it open (close the other "
                            "monitor, recorder or IDE serial monitor)") from None
        raise PortError(f"cannot open serial port {port}: {text}") from None


class Link:
    """Frames to and from a node on `port` (anything pyserial opens: a device path or a pty).

    tamper: optional function applied to the wire bytes of every frame send() writes (the HIL
    suite uses it to inject corruption); write_raw() bypasses it.
    """

    def __init__(self, port: str, baud: int = 115200, *, tamper=None):
        self.port = port
        self._ser = open_serial(port, baud)
        self.tamper = tamper
        self._decoder = FrameDecoder()
        self._seq = 0
        self._backlog: deque[Received] = deque()
        self.bad_frames = 0        # frames from the node that failed to decode (CRC, COBS, ...)
        self.undecodable = 0       # good frames whose payload did not unpack
        self.wrong_version = 0     # good frames whose protocol version is not ours (not unpacked)
        self.last_wrong_version: int | None = None
        self.rx_bytes = 0
        self.last_device_seq: int | None = None
        self.device_seq_gaps = 0   # frames lost between node and host (sequence jumps)
        self.node_boots = 0        # boot announcements seen (INFO with sequence 0: the node restarted)

    # -- sending --
    def send(self, msg, t_us: int = 0) -> int:
        """Send one message; returns the frame's sequence number."""
        mtype, payload = m.pack(msg)
        seq = self._seq
        self._seq = (self._seq + 1) & 0xFFFF
        data = encode_frame(Frame(type=mtype, seq=seq, t_us=t_us, payload=payload))
        self.write_raw(self.tamper(data) if self.tamper is not None else data)
        return seq

    def write_raw(self, data: bytes) -> None:
        """Bytes as they are (tests use it to inject corruption)."""
        import serial

        try:
            self._ser.write(data)
        except (serial.SerialException, OSError) as e:
            raise PortError(f"writing to {self.port} failed ({e}): was the node unplugged?") from None

    # -- receiving --
    def read(self, timeout: float = 0.0) -> list[Received]:
        """Frames received so far (waiting up to `timeout` s for the first one)."""
        out = list(self._backlog)
        self._backlog.clear()
        deadline = time.monotonic() + timeout
        while True:
            out.extend(self._read_available())
            left = deadline - time.monotonic()
            if out or left <= 0:
                return out
            self.wait_readable(min(left, 0.05))

    def wait_readable(self, timeout: float) -> None:
        """Sleep until the port has bytes (select on its fd; a short sleep where there is none)."""
        try:
            fd = self._ser.fileno()
        except (AttributeError, OSError, ValueError):  # a port without a file descriptor
            time.sleep(min(timeout, 0.0005))
            return
        try:
            select.select([fd], [], [], timeout)
        except (OSError, ValueError):
            pass  # the port went away: the next read reports it

    def _read_available(self) -> list[Received]:
        import serial

        try:
            n = self._ser.in_waiting
            data = self._ser.read(n or 1)
        except (serial.SerialException, OSError, TypeError) as e:  # TypeError: pyserial on a vanished fd
            raise PortError(f"reading from {self.port} failed ({e}): was the node unplugged?") from None
        if not data:
            return []
        self.rx_bytes += len(data)
        now = time.monotonic()
        got = []
        for item in self._decoder.feed(data):
            if isinstance(item, FrameError):
                self.bad_frames += 1
                continue
            if item.version != PROTOCOL_VERSION:
                self.wrong_version += 1
                self.last_wrong_version = item.version
                continue
            if item.type == m.MsgType.INFO and item.seq == 0:
                # A boot announcement: the node's sequence starts again at 0, which is no loss.
                self.node_boots += 1
                self.last_device_seq = None
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
                batch = self.read(max(0.0, min(0.05, deadline - time.monotonic())))
                for k, r in enumerate(batch):
                    if predicate(r.msg):
                        others.extend(batch[k + 1:])  # frames after the match are kept too
                        return r
                    others.append(r)
                if time.monotonic() >= deadline:
                    raise GaitnodeError(f"no answer from the node on {self.port} within {timeout:g} s")
        finally:
            if keep is not None:
                keep.extend(others)
            else:
                self._backlog.extendleft(reversed(others))

    def request(self, msg, timeout: float = 2.0, keep: list | None = None, resends: int = 3):
        """Send msg and wait for its ACK (returned) or NACK (NodeRejected).

        A request damaged on the way is answered by a bad-frame NACK (CRC, COBS, ...) that cannot
        name it; when one arrives and no answer follows within RESEND_QUIET_S, the request is sent
        again (at most `resends` times). An answer to any of the copies counts.
        """
        mtype = m.pack(msg)[0]
        seqs = {self.send(msg)}
        deadline = time.monotonic() + timeout
        bad_at: float | None = None

        def answer(x) -> bool:
            return isinstance(x, (m.Ack, m.Nack)) and x.seq in seqs and x.type == mtype

        def answer_or_bad_frame(x) -> bool:
            return answer(x) or (isinstance(x, m.Nack) and x.reason in BAD_FRAME_REASONS)

        while True:
            now = time.monotonic()
            wait = deadline - now if bad_at is None else min(deadline, bad_at + RESEND_QUIET_S) - now
            try:
                r = self.wait_for(answer_or_bad_frame, max(wait, 0.0), keep)
            except PortError:
                raise
            except GaitnodeError:
                if time.monotonic() >= deadline or bad_at is None or resends <= 0:
                    raise
                seqs.add(self.send(msg))  # the node never decoded it: send it again
                resends -= 1
                bad_at = None
                continue
            if answer(r.msg):
                break
            if keep is not None:
                keep.append(r)
            bad_at = time.monotonic()
        if isinstance(r.msg, m.Nack):
            raise NodeRejected(r.msg, type(msg).__name__)
        return r.msg

    def hello(self, timeout: float = 2.0, keep: list | None = None):
        """Ask the node who it is; returns its Info. A node speaking another protocol version, or
        anything that is not a gaitnode node, gives a GaitnodeError that says which."""
        self.send(m.Hello())
        try:
            return self.wait_for(lambda x: isinstance(x, m.Info), timeout, keep).msg
        except PortError:
            raise
        except GaitnodeError:
            if self.wrong_version:
                raise GaitnodeError(f"the node on {self.port} speaks protocol version {self.last_wrong_version}, "
                                    f"this gaitnode speaks version {PROTOCOL_VERSION}: flash matching firmware "
                                    "(`gaitnode flash`) or install the matching gaitnode") from None
            what = (f"{self.rx_bytes} bytes that are not gaitnode frames ({self.bad_frames} undecodable)"
                    if self.rx_bytes else "nothing")
            raise GaitnodeError(f"no gaitnode node answered on {self.port} within {timeout:g} s (received "
                                f"{what}): is this the right port, and is the board flashed with gaitnode "
                                "firmware?") from None

    def close(self) -> None:
        try:
            self._ser.close()
        except Exception:  # noqa: BLE001 - closing a vanished port is not an error worth raising
            pass

    def __enter__(self) -> "Link":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

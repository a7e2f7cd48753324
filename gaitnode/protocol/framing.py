"""Frames on the wire: header + payload + CRC-16, COBS-encoded, 0x00-terminated (docs/protocol.md).

The host side of firmware/lib/gaitnode_core/src/gn_frame.{h,c}: the same layout, the same CRC
(CRC-16/CCITT-FALSE via crcmod) and COBS (the `cobs` package), and a decoder with the same
per-frame outcomes and counters as the C decoder, checked against shared test vectors.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import crcmod.predefined
from cobs import cobs

from gaitnode.errors import GaitnodeError

PROTOCOL_VERSION = 1
MAX_PAYLOAD = 480
HEADER = struct.Struct("<BBHQ")  # version, type, seq, t_us
HEADER_SIZE = HEADER.size  # 12
CRC_SIZE = 2
MAX_DECODED = HEADER_SIZE + MAX_PAYLOAD + CRC_SIZE


def cobs_max_encoded(n: int) -> int:
    """The C macro GN_COBS_MAX_ENCODED: a bound on the COBS size of n bytes (no delimiter)."""
    return n + (n + 253) // 254 + 1


# Encoded bytes of the largest frame with its delimiter (GN_FRAME_MAX_WIRE). More than
# MAX_WIRE - 1 bytes before a 0x00 is an oversized frame, as in the C decoder.
MAX_WIRE = cobs_max_encoded(MAX_DECODED) + 1

crc16 = crcmod.predefined.mkCrcFun("crc-ccitt-false")
"""CRC-16/CCITT-FALSE of a bytes-like object (check value of b"123456789": 0x29B1)."""


class ProtocolError(GaitnodeError):
    """A frame or message that cannot be encoded or decoded.

    `reason` is the NACK reason code a device would answer with (gaitnode.protocol.messages.
    NackReason value, None when there is none) and `detail` the NACK detail (docs/protocol.md).
    """

    def __init__(self, message: str, *, reason: int | None = None, detail: int = 0):
        super().__init__(message)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class Frame:
    """One decoded frame. `version` is whatever the sender wrote: the receiver checks it."""

    type: int
    seq: int
    t_us: int
    payload: bytes
    version: int = PROTOCOL_VERSION


# FrameError.kind values, in the C decoder's order (GN_FRAME_ERR_COBS .. GN_FRAME_ERR_CRC).
ERROR_KINDS = ("cobs", "short", "oversized", "crc")
_NACK_REASON = {"crc": 1, "cobs": 2, "short": 3, "oversized": 4}  # NackReason values


@dataclass(frozen=True)
class FrameError:
    """A bad frame the decoder dropped. type/seq come from its header when it was readable
    (valid COBS and at least 4 decoded bytes), else None."""

    kind: str  # one of ERROR_KINDS
    type: int | None = None
    seq: int | None = None

    @property
    def reason(self) -> int:
        """The NACK reason a device answers this error with (NackReason value)."""
        return _NACK_REASON[self.kind]

    def __str__(self) -> str:
        what = {"cobs": "invalid COBS", "short": "frame too short", "oversized": "frame too long",
                "crc": "CRC mismatch"}[self.kind]
        return what if self.type is None else f"{what} (type 0x{self.type:02X}, seq {self.seq})"


def _check_int(name: str, value, bits: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < (1 << bits):
        raise ProtocolError(f"frame {name} must be an integer in 0..{(1 << bits) - 1}, got {value!r}")
    return value


def encode_frame(frame: Frame) -> bytes:
    """The wire bytes of frame: COBS(header + payload + CRC) followed by 0x00."""
    for name, bits in (("version", 8), ("type", 8), ("seq", 16), ("t_us", 64)):
        _check_int(name, getattr(frame, name), bits)
    payload = bytes(frame.payload)
    if len(payload) > MAX_PAYLOAD:
        raise ProtocolError(f"frame payload of {len(payload)} bytes exceeds the {MAX_PAYLOAD}-byte limit",
                            reason=4, detail=len(payload))
    body = HEADER.pack(frame.version, frame.type, frame.seq, frame.t_us) + payload
    body += crc16(body).to_bytes(2, "little")
    return cobs.encode(body) + b"\x00"


class FrameDecoder:
    """Byte-stream to frames, like gn_frame_decoder: frames may span feed() calls; every chunk
    ending in 0x00 gives one Frame or one FrameError (a lone 0x00 gives nothing); an oversized
    chunk is reported as soon as it is too long and the rest of it, up to the 0x00, is dropped.

    Counters since creation: ok, cobs, short, oversized, crc.
    """

    def __init__(self) -> None:
        self._buf = bytearray()
        self._overflow = False
        self.ok = self.cobs = self.short = self.oversized = self.crc = 0

    @property
    def counters(self) -> dict[str, int]:
        return {k: getattr(self, k) for k in ("ok", *ERROR_KINDS)}

    def feed(self, data: bytes) -> list[Frame | FrameError]:
        out: list[Frame | FrameError] = []
        data = bytes(data)
        limit = MAX_WIRE - 1
        start = 0
        while True:
            end = data.find(0, start)
            chunk = data[start:] if end < 0 else data[start:end]
            if chunk and not self._overflow:
                if len(self._buf) + len(chunk) > limit:
                    self._buf.clear()
                    self._overflow = True
                    self.oversized += 1
                    out.append(FrameError("oversized"))
                else:
                    self._buf += chunk
            if end < 0:
                return out
            if self._overflow:
                self._overflow = False
            elif self._buf:
                out.append(self._finish(bytes(self._buf)))
            self._buf.clear()
            start = end + 1

    def _finish(self, encoded: bytes) -> Frame | FrameError:
        try:
            body = cobs.decode(encoded)
        except cobs.DecodeError:
            self.cobs += 1
            return FrameError("cobs")
        head = struct.unpack_from("<BH", body, 1) if len(body) >= 4 else (None, None)
        if len(body) < HEADER_SIZE + CRC_SIZE:
            self.short += 1
            return FrameError("short", *head)
        if len(body) > MAX_DECODED:
            self.oversized += 1
            return FrameError("oversized", *head)
        if crc16(body[:-CRC_SIZE]) != int.from_bytes(body[-CRC_SIZE:], "little"):
            self.crc += 1
            return FrameError("crc", *head)
        version, type_, seq, t_us = HEADER.unpack_from(body)
        self.ok += 1
        return Frame(type=type_, seq=seq, t_us=t_us, payload=body[HEADER_SIZE:-CRC_SIZE], version=version)

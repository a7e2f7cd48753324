"""The `.gns` container: a file header, then append-only chunks, each with its own CRC-32.

This module knows bytes, not sessions: it frames chunks, checks them, and encodes one
batch of named numpy columns ("a stream chunk"). `gaitnode.sessions.store` gives the
chunks their session meaning. The byte layout is documented in docs/session-format.md.

File header (16 bytes, little-endian):
    0  8  magic  b"\\x89GNS\\r\\n\\x1a\\n"  (high bit, CRLF, ^Z and LF catch text-mode mangling)
    8  2  u16 major version (= model.FORMAT_VERSION; readers refuse a newer one)
   10  2  u16 minor version (additions older readers may ignore)
   12  2  u16 flags (none defined; written 0)
   14  2  reserved, 0
Chunk (16-byte header + payload):
    0  4  sync marker b"\\xa7GNC"
    4  1  u8 chunk type (META, STREAM, END)
    5  1  reserved, 0
    6  2  reserved, 0
    8  4  u32 payload length (at most MAX_PAYLOAD)
   12  4  u32 CRC-32 (zlib.crc32) of bytes 4..11 followed by the payload
   16  n  payload
"""

from __future__ import annotations

import json
import math
import struct
import zlib
from dataclasses import dataclass

import numpy as np

from gaitnode.errors import SessionFormatError
from gaitnode.sessions.model import FORMAT_VERSION

MAGIC = b"\x89GNS\r\n\x1a\n"
MINOR_VERSION = 0
FILE_HEADER = struct.Struct("<8sHHHH")  # magic, major, minor, flags, reserved
HEADER_SIZE = FILE_HEADER.size  # 16

SYNC = b"\xa7GNC"
CHUNK_HEADER = struct.Struct("<4sBBHII")  # sync, type, reserved, reserved, length, crc
CHUNK_HEADER_SIZE = CHUNK_HEADER.size  # 16
_CRC_FIELDS = struct.Struct("<BBHI")  # the header bytes the CRC covers: type..length

# A larger length can only come from damage; refusing it avoids a huge allocation.
MAX_PAYLOAD = 64 * 1024 * 1024

META, STREAM, END = 1, 2, 3
CHUNK_NAMES = {META: "META", STREAM: "STREAM", END: "END"}

_STREAM_HEADER_LEN = struct.Struct("<I")  # length of the JSON header that opens a STREAM payload
_MAX_STREAM_HEADER = 1024 * 1024


class ChunkContentError(ValueError):
    """A chunk whose CRC is right but whose content makes no sense (the reason is the message)."""


def encode_file_header() -> bytes:
    """The 16-byte file header for the current format version."""
    return FILE_HEADER.pack(MAGIC, FORMAT_VERSION, MINOR_VERSION, 0, 0)


def check_file_header(buf: bytes | memoryview, path) -> tuple[int, int]:
    """Check the file header in `buf` (the file's first bytes); return (major, minor).

    Raises SessionFormatError for an empty file, a file that is not a session file, a
    text-mode-mangled one, a truncated header, or a newer major version.
    """
    name = str(path)
    if len(buf) == 0:
        raise SessionFormatError(f"{name}: file is empty (0 bytes), not a session file", path=path, offset=0)
    head = bytes(buf[:len(MAGIC)])
    if head != MAGIC[:len(head)]:
        if head.replace(b"\r\n", b"\n") == MAGIC.replace(b"\r\n", b"\n")[:len(head)] or b"GNS" in head[:4]:
            raise SessionFormatError(f"{name}: session file header is mangled at byte 0 (was it copied in text mode?)",
                                     path=path, offset=0)
        raise SessionFormatError(f"{name}: not a gaitnode session file (bad magic at byte 0: {head[:8]!r})",
                                 path=path, offset=0)
    if len(buf) < HEADER_SIZE:
        raise SessionFormatError(f"{name}: file header is truncated ({len(buf)} of {HEADER_SIZE} bytes)",
                                 path=path, offset=len(buf))
    _, major, minor, _flags, _ = FILE_HEADER.unpack_from(buf, 0)
    if major > FORMAT_VERSION:
        raise SessionFormatError(f"{name}: session format version {major}.{minor} is newer than this reader "
                                 f"(version {FORMAT_VERSION}); upgrade gaitnode to read it", path=path, offset=8)
    if major < 1:
        raise SessionFormatError(f"{name}: invalid session format version {major} at byte 8", path=path, offset=8)
    return major, minor


def encode_chunk(chunk_type: int, payload: bytes) -> bytes:
    """One complete chunk (header + payload) as bytes, ready to be written with a single write()."""
    if len(payload) > MAX_PAYLOAD:
        raise ValueError(f"chunk payload of {len(payload)} bytes exceeds the {MAX_PAYLOAD}-byte limit")
    covered = _CRC_FIELDS.pack(chunk_type, 0, 0, len(payload))
    crc = zlib.crc32(payload, zlib.crc32(covered))
    return CHUNK_HEADER.pack(SYNC, chunk_type, 0, 0, len(payload), crc) + payload


@dataclass
class Chunk:
    """One chunk as found in a file. `damage` is None for an intact chunk, else the reason it is
    unreadable (then `payload` is empty and this is the last chunk iter_chunks yields)."""

    index: int  # 0-based position in the file
    offset: int  # byte offset of the chunk header from the start of the file
    type: int
    length: int  # payload bytes as stated in the header
    payload: memoryview
    damage: str | None = None

    @property
    def type_name(self) -> str:
        return CHUNK_NAMES.get(self.type, f"type {self.type}")

    @property
    def end(self) -> int:
        """Byte offset just past this chunk."""
        return self.offset + CHUNK_HEADER_SIZE + self.length


def iter_chunks(buf: bytes | memoryview, start: int = HEADER_SIZE):
    """Yield the chunks of a file image `buf`, from byte `start` to the end.

    Stops after yielding the first damaged chunk (bad sync, implausible length, truncated,
    CRC mismatch); everything yielded before it is intact. A file that ends exactly on a
    chunk boundary yields no damage.
    """
    mv = memoryview(buf)
    size = len(mv)
    off, index = start, 0
    while off < size:
        if size - off < CHUNK_HEADER_SIZE:
            yield Chunk(index, off, 0, 0, mv[0:0],
                        f"truncated chunk header ({size - off} of {CHUNK_HEADER_SIZE} bytes)")
            return
        sync, ctype, _, _, length, crc = CHUNK_HEADER.unpack_from(mv, off)
        if sync != SYNC:
            yield Chunk(index, off, ctype, 0, mv[0:0], f"bad sync marker {sync!r}")
            return
        if length > MAX_PAYLOAD:
            yield Chunk(index, off, ctype, length, mv[0:0],
                        f"implausible payload length {length} bytes (limit {MAX_PAYLOAD})")
            return
        body = off + CHUNK_HEADER_SIZE
        if body + length > size:
            yield Chunk(index, off, ctype, length, mv[0:0],
                        f"truncated ({size - body} of {length} payload bytes present)")
            return
        payload = mv[body:body + length]
        if zlib.crc32(payload, zlib.crc32(mv[off + 4:off + 12])) != crc:
            yield Chunk(index, off, ctype, length, mv[0:0], "CRC mismatch")
            return
        yield Chunk(index, off, ctype, length, payload)
        off, index = body + length, index + 1


def _le(arr: np.ndarray) -> np.ndarray:
    """The array in C order with a little-endian dtype (the on-disk byte order)."""
    return np.ascontiguousarray(arr, dtype=arr.dtype.newbyteorder("<"))


def encode_stream(stream: str, columns: dict[str, np.ndarray]) -> bytes:
    """A STREAM payload: u32 header length, JSON header, then each column's raw little-endian bytes.

    All columns must have the same number of rows (first dimension). The header is
    `{"stream": name, "n": rows, "columns": [{"name", "dtype", "shape"}, ...]}` where `dtype`
    is the numpy type string (e.g. "<f4") and `shape` the per-row shape ([] for scalars).
    """
    arrays = {k: _le(np.asarray(v)) for k, v in columns.items()}
    lengths = {len(a) for a in arrays.values()}
    if len(lengths) > 1:
        raise ValueError(f"stream {stream!r}: columns differ in length: {sorted(lengths)}")
    n = lengths.pop() if lengths else 0
    header = {"stream": stream, "n": n,
              "columns": [{"name": k, "dtype": a.dtype.str, "shape": list(a.shape[1:])} for k, a in arrays.items()]}
    hb = json.dumps(header, separators=(",", ":")).encode()
    return b"".join([_STREAM_HEADER_LEN.pack(len(hb)), hb, *(a.tobytes() for a in arrays.values())])


def decode_stream(payload: memoryview) -> tuple[str, int, dict[str, np.ndarray]]:
    """Parse a STREAM payload into (stream name, rows, {column: array}).

    The arrays are zero-copy views of `payload` (read-only). Raises ChunkContentError when
    the header is malformed or the column sizes do not add up to the payload length.
    """
    if len(payload) < _STREAM_HEADER_LEN.size:
        raise ChunkContentError("stream payload too short for its header")
    (hlen,) = _STREAM_HEADER_LEN.unpack_from(payload, 0)
    if hlen > min(_MAX_STREAM_HEADER, len(payload) - _STREAM_HEADER_LEN.size):
        raise ChunkContentError(f"stream header length {hlen} does not fit the payload")
    pos = _STREAM_HEADER_LEN.size + hlen
    try:
        header = json.loads(bytes(payload[_STREAM_HEADER_LEN.size:pos]))
        stream, n, cols = header["stream"], header["n"], header["columns"]
        if not isinstance(stream, str) or not isinstance(n, int) or n < 0 or not isinstance(cols, list):
            raise TypeError
        specs = [(c["name"], np.dtype(c["dtype"]), tuple(c["shape"])) for c in cols]
    except (ValueError, KeyError, TypeError) as e:
        raise ChunkContentError(f"stream header is malformed ({type(e).__name__})") from None
    out: dict[str, np.ndarray] = {}
    for name, dtype, shape in specs:
        if dtype.kind not in "iuf" or dtype.byteorder not in "<|=" or any(
                not isinstance(d, int) or d < 0 for d in shape):
            raise ChunkContentError(f"stream {stream!r} column {name!r} has unsupported type {dtype.str} {list(shape)}")
        count = n * math.prod(shape)
        nbytes = count * dtype.itemsize
        if pos + nbytes > len(payload):
            raise ChunkContentError(f"stream {stream!r} column {name!r} needs {nbytes} bytes, "
                                    f"{len(payload) - pos} left in the payload")
        out[name] = np.frombuffer(payload, dtype=dtype.newbyteorder("<"), count=count, offset=pos).reshape(n, *shape)
        pos += nbytes
    if pos != len(payload):
        raise ChunkContentError(f"stream {stream!r} has {len(payload) - pos} bytes beyond its columns")
    return stream, n, out

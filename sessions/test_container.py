"""The .gns container: header checks, chunk framing with CRC, column batches."""

import struct
import zlib

import numpy as np
import pytest

from gaitnode.errors import SessionFormatError
from gaitnode.sessions import container as ct
from gaitnode.sessions.model import FORMAT_VERSION


def _file(*chunks: bytes) -> bytes:
    return ct.encode_file_header() + b"".join(chunks)


def test_header_layout_is_16_bytes_with_version():
    h = ct.encode_file_header()
    assert len(h) == ct.HEADER_SIZE == 16
    assert h[:8] == b"\x89GNS\r\n\x1a\n"
    assert struct.unpack_from("<HH", h, 8) == (FORMAT_VERSION, ct.MINOR_VERSION)
    assert ct.check_file_header(h, "x.gns") == (FORMAT_VERSION, ct.MINOR_VERSION)


@pytest.mark.parametrize("data, fragment", [
    (b"", "file is empty (0 bytes)"),
    (b"t_us,acc_x\n1,2\n", "not a gaitnode session file (bad magic at byte 0"),
    (b"\x89GNS\n\x1a\n" + bytes(10), "mangled at byte 0 (was it copied in text mode?)"),
    (b"\x89GNS\r\n\x1a\n\x01", "file header is truncated (9 of 16 bytes)"),
])
def test_bad_headers_are_named(data, fragment):
    with pytest.raises(SessionFormatError, match=r"^s\.gns: ") as e:
        ct.check_file_header(data, "s.gns")
    assert fragment in str(e.value)
    assert e.value.chunk is None


def test_newer_major_version_is_refused_but_newer_minor_is_read():
    newer = struct.pack("<8sHHHH", ct.MAGIC, FORMAT_VERSION + 1, 0, 0, 0)
    with pytest.raises(SessionFormatError, match=f"version {FORMAT_VERSION + 1}.0 is newer than this reader"):
        ct.check_file_header(newer, "s.gns")
    minor = struct.pack("<8sHHHH", ct.MAGIC, FORMAT_VERSION, 7, 0, 0)
    assert ct.check_file_header(minor, "s.gns") == (FORMAT_VERSION, 7)


def test_chunk_crc_covers_type_length_and_payload():
    raw = ct.encode_chunk(ct.META, b'{"a": 1}')
    sync, ctype, _, _, length, crc = ct.CHUNK_HEADER.unpack_from(raw)
    assert (sync, ctype, length) == (ct.SYNC, ct.META, 8)
    assert crc == zlib.crc32(raw[4:12] + raw[16:])
    chunks = list(ct.iter_chunks(_file(raw, ct.encode_chunk(ct.END, b"{}"))))
    assert [(c.index, c.offset, c.type_name, c.damage) for c in chunks] == [
        (0, 16, "META", None), (1, 16 + len(raw), "END", None)]
    assert bytes(chunks[0].payload) == b'{"a": 1}'


@pytest.mark.parametrize("flip_at, reason", [
    (0, "bad sync marker"),  # sync
    (4, "CRC mismatch"),  # type byte
    (8, "CRC mismatch"),  # length: now points past the end or elsewhere
    (12, "CRC mismatch"),  # stored CRC
    (20, "CRC mismatch"),  # payload
])
def test_a_flipped_bit_anywhere_in_a_chunk_is_damage(flip_at, reason):
    first = ct.encode_chunk(ct.META, b"{}")
    second = bytearray(ct.encode_chunk(ct.STREAM, bytes(range(40))))
    second[flip_at] ^= 0x01 if flip_at != 8 else 0x40
    chunks = list(ct.iter_chunks(_file(first, bytes(second))))
    assert chunks[0].damage is None
    assert chunks[1].index == 1 and chunks[1].offset == 16 + len(first)
    assert chunks[1].damage.startswith(reason) or (flip_at == 8 and "truncated" in chunks[1].damage)


def test_truncation_and_huge_length_are_damage_not_allocation():
    good = ct.encode_chunk(ct.META, b"{}")
    huge = ct.CHUNK_HEADER.pack(ct.SYNC, ct.STREAM, 0, 0, ct.MAX_PAYLOAD + 1, 0)
    assert "implausible payload length" in list(ct.iter_chunks(_file(good, huge)))[-1].damage
    full = _file(good, ct.encode_chunk(ct.STREAM, bytes(100)))
    assert list(ct.iter_chunks(full[:-1]))[-1].damage == "truncated (99 of 100 payload bytes present)"
    assert list(ct.iter_chunks(full[:len(full) - 110]))[-1].damage == "truncated chunk header (6 of 16 bytes)"
    # Ending exactly on a chunk boundary is no damage.
    assert [c.damage for c in ct.iter_chunks(_file(good))] == [None]
    with pytest.raises(ValueError, match="exceeds"):
        ct.encode_chunk(ct.STREAM, bytes(ct.MAX_PAYLOAD + 1))


def test_stream_round_trip_keeps_dtypes_shapes_and_values():
    cols = {"t": np.arange(5, dtype=np.int64), "v": np.arange(15, dtype=np.float32).reshape(5, 3),
            "k": np.array([-1, 0, 1, 2, 3], np.int8), "big": np.arange(5, dtype=">f8")}
    stream, n, out = ct.decode_stream(memoryview(ct.encode_stream("imu", cols)))
    assert (stream, n, list(out)) == ("imu", 5, ["t", "v", "k", "big"])
    for k in cols:
        np.testing.assert_array_equal(out[k], cols[k])
    assert out["big"].dtype == np.dtype("<f8")  # stored little-endian whatever the input order
    assert out["v"].shape == (5, 3)
    _, n, out = ct.decode_stream(memoryview(ct.encode_stream("events", {"t_s": np.zeros(0)})))
    assert n == 0 and out["t_s"].shape == (0,)


def test_stream_content_errors():
    good = ct.encode_stream("imu", {"t": np.arange(4, dtype=np.int64)})
    with pytest.raises(ct.ChunkContentError, match="beyond its columns"):
        ct.decode_stream(memoryview(good + b"\0"))
    with pytest.raises(ct.ChunkContentError, match="needs 32 bytes, 31 left"):
        ct.decode_stream(memoryview(good[:-1]))
    with pytest.raises(ct.ChunkContentError, match="does not fit"):
        ct.decode_stream(memoryview(struct.pack("<I", 999) + b"{}"))
    with pytest.raises(ct.ChunkContentError, match="malformed"):
        ct.decode_stream(memoryview(struct.pack("<I", 2) + b"[]"))
    header = b'{"stream":"imu","n":1,"columns":[{"name":"o","dtype":"|O","shape":[]}]}'
    with pytest.raises(ct.ChunkContentError, match="unsupported type"):
        ct.decode_stream(memoryview(struct.pack("<I", len(header)) + header + bytes(8)))
    with pytest.raises(ValueError, match="differ in length"):
        ct.encode_stream("imu", {"a": np.zeros(2), "b": np.zeros(3)})

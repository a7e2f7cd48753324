"""The .gns session file: round trips, incremental writing, damage, truncation, kills."""

import json
import os
import signal
import subprocess
import sys

import numpy as np
import pytest

from gaitnode.errors import GaitnodeError, SessionFormatError
from gaitnode.sessions import container as ct
from gaitnode.sessions import store
from gaitnode.sessions.model import Events, Imu, Series, Session, SessionMeta, Subject
from gaitnode.sessions.store import SessionWriter, read_session, scan, write_session


def full_session(n: int = 1000, seed: int = 0) -> Session:
    """A synthetic session using every field of the model (for round-trip tests)."""
    rng = np.random.default_rng(seed)
    t_us = 5_000_000 + np.arange(n, dtype=np.int64) * 10_000 + rng.integers(0, 50, n)
    acc = rng.normal(0, 2, (n, 3)).astype(np.float32)
    acc[:, 1] += 9.81
    mag = rng.normal(0, 40, (n, 3)).astype(np.float32)
    mag[n // 3: n // 2] = np.nan  # a stretch without magnetometer readings
    host_s = 1.7e9 + t_us / 1e6 + 0.012
    host_s[:10] = np.nan
    imu = Imu(t_us, acc, rng.normal(0, 90, (n, 3)), mag, host_s)
    dur = n / 100.0
    ev_t = np.sort(rng.uniform(5, 5 + dur, 40))
    events = Events(ev_t, rng.integers(0, 4, 40), rng.integers(0, 2, 40))
    series = {"vo2": Series(np.arange(5, 5 + dur, 3.0), rng.uniform(300, 2500, len(np.arange(5, 5 + dur, 3.0)))),
              "hr": Series([5.0, 6.0, 6.0, 9.5], [80, 91, 92, 110]),
              "lactate": Series([], [])}
    meta = SessionMeta(subject=Subject("s01", "female", 31.0, 1.68, 60.5), rate_hz=100.0, placement="shank",
                       side="left", mounting=[[1.0, 0, 0], [0, 1.0, 0], [0, 0, 1.0]], board="nrf52840",
                       firmware_hash="abc123", model_hashes={"hs": "f00d"}, protocol="bruce", synthetic=True,
                       source="simulate", has_mag=True, extra={"note": "synthetic – ü", "nested": {"a": [1, 2]}})
    return Session(meta, imu, events, rng.integers(-1, 4, n), rng.integers(-1, 7, n), series)


def assert_same_session(a: Session, b: Session) -> None:
    """Equal metadata (ignoring reader annotations), arrays equal in value and dtype (NaN == NaN)."""
    da, db = a.meta.to_dict(), b.meta.to_dict()
    for d in (da, db):
        d["extra"] = {k: v for k, v in d["extra"].items() if k not in store.READER_KEYS}
    assert da == db
    for name in ("t_us", "acc", "gyr", "mag", "host_s"):
        x, y = getattr(a.imu, name), getattr(b.imu, name)
        assert x.dtype == y.dtype, name
        np.testing.assert_array_equal(x, y, err_msg=name)
    for name in ("phase", "activity"):
        x, y = getattr(a, name), getattr(b, name)
        assert (x is None) == (y is None), name
        if x is not None:
            assert x.dtype == y.dtype
            np.testing.assert_array_equal(x, y)
    for name in ("t_s", "kind", "side"):
        np.testing.assert_array_equal(getattr(a.events, name), getattr(b.events, name))
    assert a.series.keys() == b.series.keys()
    for k in a.series:
        np.testing.assert_array_equal(a.series[k].t_s, b.series[k].t_s)
        np.testing.assert_array_equal(a.series[k].value, b.series[k].value)


def _write_in_pieces(path, s: Session, pieces: int = 37, **kw) -> None:
    with SessionWriter(path, s.meta, **kw) as w:
        bounds = np.linspace(0, len(s.imu), pieces + 1).astype(int)
        for i0, i1 in zip(bounds[:-1], bounds[1:]):
            w.append_imu(Imu(s.imu.t_us[i0:i1], s.imu.acc[i0:i1], s.imu.gyr[i0:i1], s.imu.mag[i0:i1],
                             s.imu.host_s[i0:i1]), s.phase[i0:i1], s.activity[i0:i1])
            t0, t1 = s.imu.t_us[i0] / 1e6, (s.imu.t_us[i1] / 1e6 if i1 < len(s.imu) else np.inf)
            m = (s.events.t_s >= t0) & (s.events.t_s < t1)
            w.append_events(Events(s.events.t_s[m], s.events.kind[m], s.events.side[m]))
            for name, ser in s.series.items():
                m = (ser.t_s >= t0) & (ser.t_s < t1) if i0 else ser.t_s < t1
                w.append_series(name, Series(ser.t_s[m], ser.value[m]))


def test_round_trip_keeps_every_field(tmp_path):
    s = full_session()
    path = write_session(s, tmp_path / "s.gns")
    back = read_session(path)
    assert_same_session(s, back)
    assert "complete" not in back.meta.extra and "damage" not in back.meta.extra
    assert back.meta.synthetic is True


def test_minimal_session_without_optional_fields(tmp_path):
    n = 50
    imu = Imu(np.arange(n) * 10_000, np.zeros((n, 3)), np.ones((n, 3)), None)  # no mag, no host
    s = Session(SessionMeta(has_mag=False), imu)
    back = read_session(write_session(s, tmp_path / "m.gns"))
    assert_same_session(s, back)
    assert back.phase is None and back.activity is None and np.isnan(back.imu.mag).all()
    # All-NaN mag and host_s are left out of the file: 8 + 24 bytes/sample (t_us, acc, gyr) plus framing.
    assert (tmp_path / "m.gns").stat().st_size < n * 32 + 600


def test_series_only_session(tmp_path):
    s = Session(SessionMeta(), Imu.empty(), series={"vo2": Series([0.0, 10.0], [300.0, 900.0])})
    back = read_session(write_session(s, tmp_path / "v.gns"))
    assert len(back.imu) == 0 and back.duration_s == 10.0
    assert_same_session(s, back)


def test_incremental_writer_equals_write_session(tmp_path):
    s = full_session(1200)
    _write_in_pieces(tmp_path / "inc.gns", s, flush_interval_s=0.0, fsync=False, rows_per_chunk=100)
    write_session(s, tmp_path / "whole.gns")
    inc, whole = read_session(tmp_path / "inc.gns"), read_session(tmp_path / "whole.gns")
    assert_same_session(inc, whole)
    assert_same_session(s, inc)
    assert sum(c.stream == "imu" for c in scan(tmp_path / "inc.gns")) >= 37  # a chunk per flush


def test_writer_buffers_until_the_flush_interval(tmp_path, monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(store.time, "monotonic", lambda: clock[0])
    s = full_session(400)
    path = tmp_path / "live.gns"
    w = SessionWriter(path, s.meta, flush_interval_s=1.0, fsync=False)
    size_after_meta = path.stat().st_size
    def packet(i):  # a 200 Hz recorder receiving 2 samples per USB packet, one packet every 10 ms
        w.append_imu(Imu(s.imu.t_us[i:i + 2], s.imu.acc[i:i + 2], s.imu.gyr[i:i + 2], s.imu.mag[i:i + 2]))
        clock[0] += 0.01

    for i in range(0, 100, 2):  # 0.5 s
        packet(i)
    assert path.stat().st_size == size_after_meta  # nothing written yet: no chunk per sample
    for i in range(100, 400, 2):  # 1.5 s more: one flush once 1 s has passed, the rest buffered
        packet(i)
    rows = [c.rows for c in scan(path) if c.stream == "imu"]
    assert len(rows) == 1 and 195 <= rows[0] <= 210
    w.close()
    assert len(read_session(path).imu) == 400


def test_update_meta_replaces_metadata(tmp_path):
    s = full_session(100)
    with SessionWriter(tmp_path / "u.gns", s.meta, fsync=False) as w:
        w.append_imu(s.imu)
        s.meta.firmware_hash = "deadbeef"
        w.update_meta(s.meta)
    back = read_session(tmp_path / "u.gns")
    assert back.meta.firmware_hash == "deadbeef" and len(back.imu) == 100
    assert [c.type for c in scan(tmp_path / "u.gns")] == ["META", "STREAM", "META", "END"]


def test_writer_rejects_bad_appends(tmp_path):
    s = full_session(100)
    with SessionWriter(tmp_path / "w.gns", s.meta, fsync=False) as w:
        w.append_imu(Imu(s.imu.t_us[:50], s.imu.acc[:50], s.imu.gyr[:50], s.imu.mag[:50]))
        with pytest.raises(GaitnodeError, match="strictly increasing"):
            w.append_imu(Imu(s.imu.t_us[:10], s.imu.acc[:10], s.imu.gyr[:10], s.imu.mag[:10]))
        with pytest.raises(GaitnodeError, match="3 phase labels for 50 IMU samples"):
            w.append_imu(Imu(s.imu.t_us[50:], s.imu.acc[50:], s.imu.gyr[50:], s.imu.mag[50:]), phase=[0, 1, 2])
        w.append_events(Events([2.0], [0], [1]))
        with pytest.raises(GaitnodeError, match="non-decreasing across appends"):
            w.append_events(Events([1.0], [0], [1]))
        with pytest.raises(GaitnodeError, match="kind/side codes out of range"):
            w.append_events(Events([3.0], [9], [1]))
        with pytest.raises(GaitnodeError, match="non-empty string"):
            w.append_series("", Series([1.0], [2.0]))
        s.meta.extra["bad"] = object()
        with pytest.raises(GaitnodeError, match="metadata cannot be stored"):
            w.update_meta(s.meta)
    with pytest.raises(GaitnodeError, match="writer is closed"):
        w.append_events(Events([5.0], [0], [0]))
    assert len(read_session(tmp_path / "w.gns").imu) == 50  # the rejected appends left no trace
    with pytest.raises(GaitnodeError, match="metadata cannot be stored"):
        SessionWriter(tmp_path / "new.gns", s.meta)
    assert not (tmp_path / "new.gns").exists()


def test_existing_files_are_not_overwritten(tmp_path):
    s = full_session(100)
    path = write_session(s, tmp_path / "s.gns")
    before = path.read_bytes()
    with pytest.raises(GaitnodeError, match=r"s\.gns: already exists; pass --force \(Python: overwrite=True\)"):
        write_session(s, path)
    with pytest.raises(GaitnodeError, match="already exists"):
        SessionWriter(path, s.meta)
    assert path.read_bytes() == before
    s.meta.protocol = "other"
    write_session(s, path, overwrite=True)
    assert read_session(path).meta.protocol == "other"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.gns"]  # no temporary left behind


def test_exception_inside_writer_leaves_a_loadable_incomplete_file(tmp_path):
    s = full_session(100)
    with pytest.raises(RuntimeError):
        with SessionWriter(tmp_path / "x.gns", s.meta, fsync=False) as w:
            w.append_imu(s.imu)
            raise RuntimeError("device unplugged")
    back = read_session(tmp_path / "x.gns")
    assert back.meta.extra["complete"] is False and len(back.imu) == 100


_KILLED_WRITER = """
import os, signal, sys
import numpy as np
from gaitnode.sessions.model import Imu, SessionMeta
from gaitnode.sessions.store import SessionWriter
w = SessionWriter(sys.argv[1], SessionMeta(synthetic=True), flush_interval_s=3600)
for k in range(3):
    t = np.arange(k * 200, (k + 1) * 200) * 5000
    w.append_imu(Imu(t, np.zeros((200, 3)), np.zeros((200, 3)), None))
    w.flush()
t = np.arange(600, 650) * 5000
w.append_imu(Imu(t, np.zeros((50, 3)), np.zeros((50, 3)), None))  # buffered, never flushed
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_sigkilled_writer_loses_only_unflushed_rows(tmp_path):
    path = tmp_path / "killed.gns"
    proc = subprocess.run([sys.executable, "-c", _KILLED_WRITER, str(path)], capture_output=True, timeout=60)
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()
    back = read_session(path)  # strict mode: a missing END is not damage
    assert back.meta.extra["complete"] is False
    np.testing.assert_array_equal(back.imu.t_us, np.arange(600) * 5000)


def test_bit_flip_in_a_middle_chunk(tmp_path):
    s = full_session(1000)
    path = tmp_path / "s.gns"
    _write_in_pieces(path, s, pieces=10, flush_interval_s=0.0, fsync=False)
    chunks = list(scan(path))
    target = next(c for c in chunks if c.stream == "imu" and c.index > len(chunks) // 2)
    data = bytearray(path.read_bytes())
    data[target.offset + 16 + target.length // 2] ^= 0x10
    path.write_bytes(bytes(data))
    with pytest.raises(SessionFormatError) as e:
        read_session(path)
    assert (e.value.chunk, e.value.offset) == (target.index, target.offset)
    assert str(e.value) == (f"{path}: chunk {target.index} at byte {target.offset} is damaged (CRC mismatch); "
                            f"{target.index} chunks before it are intact — rerun with --recover (recover=True) "
                            f"to load them")
    back = read_session(path, recover=True)
    assert back.meta.extra["damage"] == {"offset": target.offset, "chunk": target.index, "reason": "CRC mismatch"}
    assert back.meta.extra["complete"] is False
    rows_before = sum(c.rows for c in chunks[:target.index] if c.stream == "imu")
    np.testing.assert_array_equal(back.imu.t_us, s.imu.t_us[:rows_before])
    np.testing.assert_array_equal(back.phase, s.phase[:rows_before])
    n_ev = sum(c.rows for c in chunks[:target.index] if c.stream == "events")
    np.testing.assert_array_equal(back.events.t_s, s.events.t_s[:n_ev])
    assert scan_flags(path)[-1] == (target.index, False)


def scan_flags(path):
    return [(c.index, c.ok) for c in scan(path)]


def test_truncation_at_every_byte_of_the_last_chunk(tmp_path):
    s = full_session(45)
    src = tmp_path / "s.gns"
    with SessionWriter(src, s.meta, fsync=False) as w:  # the IMU chunk written last, as a recorder's would be
        w.append_events(s.events)
        w.append_series("vo2", s.series["vo2"])
        for sl in (slice(0, 20), slice(20, 40), slice(40, 45)):  # a small last chunk: every byte is tried
            w.append_imu(Imu(s.imu.t_us[sl], s.imu.acc[sl], s.imu.gyr[sl], None))
            w.flush()
    chunks = list(scan(src))
    last, end = chunks[-2:]
    assert (last.stream, last.rows, end.type) == ("imu", 5, "END")
    data = src.read_bytes()
    cut = tmp_path / "cut.gns"
    cut.write_bytes(data[:last.offset])  # ends on a chunk boundary: strict mode loads it
    back = read_session(cut)
    assert back.meta.extra["complete"] is False and len(back.imu) == 40 and len(back.events) == 40
    for size in range(last.offset + 1, end.offset):
        cut.write_bytes(data[:size])
        with pytest.raises(SessionFormatError, match=f"chunk {last.index} at byte {last.offset} is damaged "
                                                     r"\(truncated") as e:
            read_session(cut)
        assert e.value.offset == last.offset and e.value.chunk == last.index
        back = read_session(cut, recover=True)
        assert back.meta.extra["damage"]["chunk"] == last.index
        np.testing.assert_array_equal(back.imu.t_us, s.imu.t_us[:40])
        np.testing.assert_array_equal(back.series["vo2"].value, s.series["vo2"].value)
    # END cut in half: every data chunk is there, recover reports the damage.
    cut.write_bytes(data[:end.offset + 5])
    assert len(read_session(cut, recover=True).imu) == 45


@pytest.mark.parametrize("content, fragment", [
    (b"", "file is empty"),
    (b"hello world, not a session", "not a gaitnode session file"),
    (bytes(range(256)) * 4, "not a gaitnode session file"),
    (ct.encode_file_header(), "holds no chunks after its header"),
    (ct.encode_file_header() + ct.encode_chunk(ct.STREAM, ct.encode_stream("imu", {})),
     "first chunk is STREAM, expected META"),
    (ct.encode_file_header() + b"\xa7GNC" + bytes(5), "chunk 0 at byte 16 is damaged (truncated chunk header"),
    (ct.encode_file_header() + ct.encode_chunk(ct.META, b"not json"), "metadata is not a valid JSON object"),
    (ct.encode_file_header() + ct.encode_chunk(ct.META, b'{"subject": "x"}'), "metadata is not a valid JSON"),
])
def test_garbage_files_raise_clear_errors(tmp_path, content, fragment):
    path = tmp_path / "bad.gns"
    path.write_bytes(content)
    for recover in (False, True):
        with pytest.raises(SessionFormatError) as e:
            read_session(path, recover=recover)
        assert str(e.value).startswith(f"{path}: ") and fragment in str(e.value)


def test_missing_paths_and_directories(tmp_path):
    with pytest.raises(GaitnodeError, match="no such session file"):
        read_session(tmp_path / "nope.gns")
    with pytest.raises(GaitnodeError, match="is a directory"):
        read_session(tmp_path)


def _file_with(*chunks: bytes) -> bytes:
    meta = ct.encode_chunk(ct.META, json.dumps(SessionMeta().to_dict()).encode())
    return ct.encode_file_header() + meta + b"".join(chunks)


@pytest.mark.parametrize("stream, cols, fragment", [
    ("imu", {"t_us": np.arange(3, dtype=np.int64), "acc": np.zeros((3, 4), np.float32),
             "gyr": np.zeros((3, 3), np.float32)}, "column 'acc' is <f4 [4], expected <f4 [3]"),
    ("imu", {"t_us": np.arange(3, dtype=np.int64), "acc": np.zeros((3, 3), np.float32)}, "lacks column 'gyr'"),
    ("imu", {"t_us": np.array([0, 2, 1]), "acc": np.zeros((3, 3), np.float32),
             "gyr": np.zeros((3, 3), np.float32)}, "IMU times are not strictly increasing"),
    ("imu", {"t_us": np.arange(3, dtype=np.int64), "acc": np.zeros((3, 3), np.float32),
             "gyr": np.zeros((3, 3), np.float32), "phase": np.array([0, 9, 0], np.int8)}, "phase codes must be in"),
    ("events", {"t_s": np.zeros(2), "kind": np.array([0, 7], np.int8), "side": np.zeros(2, np.int8)},
     "event kind codes"),
    ("series/vo2", {"t_s": np.zeros(2, np.float32), "value": np.zeros(2)}, "column 't_s' is <f4 [], expected <f8"),
])
def test_inconsistent_chunk_content_names_the_chunk(tmp_path, stream, cols, fragment):
    path = tmp_path / "c.gns"
    path.write_bytes(_file_with(ct.encode_chunk(ct.STREAM, ct.encode_stream(stream, cols))))
    with pytest.raises(SessionFormatError, match="chunk 1 at byte") as e:
        read_session(path)
    assert fragment in str(e.value) and e.value.chunk == 1
    assert read_session(path, recover=True).meta.extra["damage"]["chunk"] == 1


def test_imu_time_going_back_across_chunks_is_damage(tmp_path):
    def imu(t):
        t = np.asarray(t, np.int64)
        return ct.encode_chunk(ct.STREAM, ct.encode_stream(
            "imu", {"t_us": t, "acc": np.zeros((len(t), 3), np.float32), "gyr": np.zeros((len(t), 3), np.float32)}))

    path = tmp_path / "b.gns"
    path.write_bytes(_file_with(imu([0, 10]), imu([10, 20])))
    with pytest.raises(SessionFormatError, match=r"chunk 2 .*IMU times go back from 10 to 10"):
        read_session(path)


def test_data_after_end_and_unknown_chunks(tmp_path):
    s = full_session(50)
    path = write_session(s, tmp_path / "s.gns")
    good = path.read_bytes()
    path.write_bytes(good + b"junk")
    with pytest.raises(SessionFormatError, match="truncated chunk header"):
        read_session(path)
    assert len(read_session(path, recover=True).imu) == 50
    # A chunk type from a newer minor version is passed over and reported, not silently dropped.
    imu = {"t_us": np.arange(2, dtype=np.int64), "acc": np.zeros((2, 3), np.float32),
           "gyr": np.zeros((2, 3), np.float32), "temp": np.zeros(2, np.float32)}
    chunks = [ct.encode_chunk(9, b"future"), ct.encode_chunk(ct.STREAM, ct.encode_stream("imu", imu)),
              ct.encode_chunk(ct.STREAM, ct.encode_stream("baro", {"t_s": np.zeros(1)})), ct.encode_chunk(9, b"again")]
    path.write_bytes(_file_with(*chunks))
    back = read_session(path)
    assert back.meta.extra["ignored"] == ["chunk type 9 (first in chunk 1) is unknown to format 1",
                                          "column 'temp' of stream 'imu' (first in chunk 2) is unknown to format 1",
                                          "stream 'baro' (first in chunk 3) is unknown to format 1"]
    assert len(back.imu) == 2


def test_invalid_metadata_values_are_format_errors(tmp_path):
    d = SessionMeta().to_dict()
    d["rate_hz"] = 5000
    path = tmp_path / "r.gns"
    path.write_bytes(ct.encode_file_header() + ct.encode_chunk(ct.META, json.dumps(d).encode()))
    with pytest.raises(SessionFormatError, match=r"sample rate 5000 Hz is outside .* \(metadata from chunk 0\)"):
        read_session(path)


def test_one_hour_at_100_hz_round_trips(tmp_path):
    n = 360_000
    imu = Imu(np.arange(n, dtype=np.int64) * 10_000, np.ones((n, 3)), np.ones((n, 3)), np.ones((n, 3)),
              1.7e9 + np.arange(n) / 100)
    s = Session(SessionMeta(), imu, phase=np.zeros(n), activity=np.zeros(n))
    path = write_session(s, tmp_path / "hour.gns")
    back = read_session(path)  # its speed is measured by `make bench`
    assert len(back.imu) == n
    np.testing.assert_array_equal(back.imu.t_us, imu.t_us)
    np.testing.assert_array_equal(back.imu.host_s, imu.host_s)
    os.remove(path)

"""Sessions on disk: the crash-safe `.gns` file (writer, reader, chunk scan).

The container (header, chunk framing, CRC, column encoding) is in
`gaitnode.sessions.container`; this module maps a Session onto its chunks:

* META chunk: JSON of `SessionMeta.to_dict()`. The first chunk; a later META replaces it.
* STREAM chunks: batches of rows of one stream, `imu` (t_us, acc, gyr and optionally mag,
  host_s, phase, activity), `events` (t_s, kind, side) or `series/<name>` (t_s, value).
* END chunk: written by a clean close. Its absence means the writer was killed; that is not
  an error, the reader loads every complete chunk and sets `meta.extra["complete"] = False`.

See docs/session-format.md for the byte layout, the schemas with units and the
crash-safety argument.
"""

from __future__ import annotations

import json
import math
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np

from gaitnode.errors import GaitnodeError, SessionFormatError, already_exists, refuse_existing
from gaitnode.sessions import container as ct
from gaitnode.sessions.model import (
    ACTIVITIES, EVENT_KINDS, PHASES, SIDES, Events, Imu, Series, Session, SessionMeta,
)

SUFFIX = ".gns"
IMU_STREAM, EVENTS_STREAM, SERIES_PREFIX = "imu", "events", "series/"

# Column name -> (dtype, per-row shape, fill value when a chunk omits an optional column).
IMU_COLUMNS = {
    "t_us": ("<i8", (), None),  # device time, microseconds
    "acc": ("<f4", (3,), None),  # m/s^2
    "gyr": ("<f4", (3,), None),  # deg/s
    "mag": ("<f4", (3,), np.nan),  # uT; omitted from a chunk when all NaN
    "host_s": ("<f8", (), np.nan),  # Unix seconds at host receive; omitted when all NaN
    "phase": ("|i1", (), -1),  # index into PHASES
    "activity": ("|i1", (), -1),  # index into ACTIVITIES
}
EVENT_COLUMNS = {"t_s": ("<f8", (), None), "kind": ("|i1", (), None), "side": ("|i1", (), None)}
SERIES_COLUMNS = {"t_s": ("<f8", (), None), "value": ("<f8", (), None)}

# Annotations the reader puts in meta.extra; they describe one file, so writers drop them.
READER_KEYS = ("complete", "damage", "ignored", "loaded_from")  # loaded_from: training.datasets

# 6000 rows = 1 min at 100 Hz (~0.3 MB): damage in one chunk costs at most that much of an
# offline-written file, and the per-chunk header (~0.3 kB) stays negligible.
ROWS_PER_CHUNK = 6000


def _fsync_dir(directory: Path) -> None:
    """Make a newly created directory entry durable (POSIX; a no-op where directories cannot be opened)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _json_default(o):
    if isinstance(o, (np.generic, np.ndarray)):
        return o.tolist()
    raise TypeError(f"{type(o).__name__} is not JSON-serialisable")


def _meta_payload(meta: SessionMeta) -> bytes:
    d = meta.to_dict()
    d["extra"] = {k: v for k, v in d.get("extra", {}).items() if k not in READER_KEYS}
    try:
        return json.dumps(d, default=_json_default).encode()
    except (TypeError, ValueError) as e:
        raise GaitnodeError(f"session metadata cannot be stored: {e}") from None


class SessionWriter:
    """Append a session to a `.gns` file as it is recorded; crash-safe.

    Parameters
    ----------
    path : file to create. An existing file is an error unless `overwrite=True`.
    meta : the session metadata, written at once as the first chunk.
    flush_interval_s : appended rows are buffered and written as complete chunks at least
        this often (seconds, wall clock), then flushed to the OS and fsync'ed. A process kill
        or power loss therefore loses at most the last `flush_interval_s` of data.
    fsync : fsync after each flush (off only for throw-away files; a kill still loses nothing
        written, but a power loss may).
    rows_per_chunk : the largest number of rows in one STREAM chunk.

    Use as a context manager: a clean exit writes the END chunk; an exception exits without
    END (the file then loads with `meta.extra["complete"] = False`).
    """

    def __init__(self, path, meta: SessionMeta, *, flush_interval_s: float = 1.0, fsync: bool = True,
                 overwrite: bool = False, rows_per_chunk: int = ROWS_PER_CHUNK):
        self.path = Path(path)
        self.flush_interval_s = float(flush_interval_s)
        self.rows_per_chunk = int(rows_per_chunk)
        self._fsync = fsync
        self._chunks = 0
        self._imu: list[dict[str, np.ndarray]] = []
        self._imu_rows = 0
        self._events: list[Events] = []
        self._series: dict[str, list[Series]] = {}
        self._series_names: set[str] = set()
        self._last_t: dict[str, float] = {}  # stream -> last time appended
        self._file = None
        try:
            self._file = open(self.path, "wb" if overwrite else "xb", buffering=0)
        except FileExistsError:
            raise already_exists(self.path) from None
        except OSError as e:
            raise GaitnodeError(f"{self.path}: cannot create session file ({e.strerror})") from None
        try:
            self._write(ct.encode_file_header())
            self.update_meta(meta)
        except BaseException:  # e.g. metadata that is not JSON-serialisable: leave no stray file
            self._file.close()
            self.path.unlink(missing_ok=True)
            raise
        _fsync_dir(self.path.parent.resolve())
        self._last_flush = time.monotonic()

    # -- context manager -------------------------------------------------------------------
    def __enter__(self) -> "SessionWriter":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.close(complete=exc_type is None)

    @property
    def closed(self) -> bool:
        return self._file is None or self._file.closed

    # -- appends ---------------------------------------------------------------------------
    def append_imu(self, imu: Imu, phase: np.ndarray | None = None,
                   activity: np.ndarray | None = None) -> None:
        """Append IMU samples (device time strictly after the last appended sample), with
        optional per-sample phase (index into PHASES, -1 none) and activity labels."""
        self._check_open()
        n = len(imu)
        cols = {"t_us": np.array(imu.t_us, np.int64), "acc": np.array(imu.acc, np.float32),
                "gyr": np.array(imu.gyr, np.float32), "mag": np.array(imu.mag, np.float32),
                "host_s": np.array(imu.host_s, np.float64)}
        for name, labels, count in (("phase", phase, len(PHASES)), ("activity", activity, len(ACTIVITIES))):
            if labels is None:
                continue
            arr = np.array(labels, np.int8).reshape(-1)
            if len(arr) != n:
                raise GaitnodeError(f"append_imu: {len(arr)} {name} labels for {n} IMU samples")
            if n and (arr.min() < -1 or arr.max() >= count):
                raise GaitnodeError(f"append_imu: {name} labels must be in [-1, {count - 1}]")
            cols[name] = arr
        if n == 0:
            return
        t = cols["t_us"]
        if np.any(np.diff(t) <= 0) or t[0] <= self._last_t.get(IMU_STREAM, -math.inf):
            raise GaitnodeError(f"append_imu: IMU timestamps must be strictly increasing "
                                f"(batch starts at {t[0]} us, previous sample {self._last_t.get(IMU_STREAM)})")
        self._last_t[IMU_STREAM] = int(t[-1])
        self._imu.append(cols)
        self._imu_rows += n
        self._after_append()

    def append_events(self, events: Events) -> None:
        """Append gait events, sorted by time and not before the last appended event."""
        self._check_open()
        self._check_times(EVENTS_STREAM, events.t_s)
        if len(events.kind) != len(events) or len(events.side) != len(events):
            raise GaitnodeError("append_events: t_s, kind and side differ in length")
        if len(events) and (events.kind.min() < 0 or events.kind.max() >= len(EVENT_KINDS)
                            or events.side.min() < 0 or events.side.max() >= len(SIDES)):
            raise GaitnodeError("append_events: event kind/side codes out of range")
        if len(events):
            self._events.append(Events(events.t_s.copy(), events.kind.copy(), events.side.copy()))
        self._after_append()

    def append_series(self, name: str, series: Series) -> None:
        """Append points of the reference series `name` (e.g. "vo2" in ml/min, see SERIES_UNITS)."""
        self._check_open()
        if not isinstance(name, str) or not name:
            raise GaitnodeError(f"append_series: series name must be a non-empty string, got {name!r}")
        if len(series.t_s) != len(series.value):
            raise GaitnodeError(f"append_series: series {name!r} has {len(series.t_s)} times "
                                f"for {len(series.value)} values")
        self._check_times(SERIES_PREFIX + name, series.t_s)
        if name not in self._series_names:  # a series' first append always gets a chunk, even if empty
            self._series_names.add(name)
            self._series.setdefault(name, [])
        if len(series):
            self._series.setdefault(name, []).append(Series(series.t_s.copy(), series.value.copy()))
        self._after_append()

    def update_meta(self, meta: SessionMeta) -> None:
        """Write a new META chunk (e.g. once the firmware hash is known); it replaces the earlier one."""
        self._check_open()
        payload = _meta_payload(meta)
        self._write_pending()
        self._write_chunk(ct.META, payload)
        self._sync()

    # -- flushing --------------------------------------------------------------------------
    def flush(self) -> None:
        """Write every buffered row as complete chunks and make them durable (fsync)."""
        self._check_open()
        self._write_pending()
        self._sync()
        self._last_flush = time.monotonic()

    def close(self, complete: bool = True) -> None:
        """Flush, write the END chunk (unless `complete=False`), fsync and close. Idempotent."""
        if self.closed:
            return
        try:
            self._write_pending()
            if complete:
                self._write_chunk(ct.END, json.dumps({"chunks": self._chunks}).encode())
            self._sync()
        finally:
            self._file.close()

    # -- internals -------------------------------------------------------------------------
    def _check_open(self) -> None:
        if self.closed:
            raise GaitnodeError(f"{self.path}: session writer is closed")

    def _check_times(self, stream: str, t_s: np.ndarray) -> None:
        if len(t_s) == 0:
            return
        if not np.all(np.isfinite(t_s)) or np.any(np.diff(t_s) < 0) or t_s[0] < self._last_t.get(stream, -math.inf):
            raise GaitnodeError(f"{stream}: times must be finite and non-decreasing across appends "
                                f"(batch starts at {t_s[0]} s, previous {self._last_t.get(stream)} s)")
        self._last_t[stream] = float(t_s[-1])

    def _after_append(self) -> None:
        if time.monotonic() - self._last_flush >= self.flush_interval_s:
            self.flush()
        elif self._imu_rows >= self.rows_per_chunk:
            self._write_pending()  # keep chunks bounded; durability still on the flush cadence

    def _write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:  # a raw file may accept fewer bytes than asked
            view = view[self._file.write(view):]

    def _write_chunk(self, chunk_type: int, payload: bytes) -> None:
        self._write(ct.encode_chunk(chunk_type, payload))  # one write per chunk
        self._chunks += 1

    def _write_rows(self, stream: str, cols: dict[str, np.ndarray]) -> None:
        n = len(next(iter(cols.values())))
        for i in range(0, max(n, 1), self.rows_per_chunk):
            self._write_chunk(ct.STREAM, ct.encode_stream(stream, {k: v[i:i + self.rows_per_chunk]
                                                                   for k, v in cols.items()}))

    def _write_pending(self) -> None:
        if self._imu:
            batches, self._imu, self._imu_rows = self._imu, [], 0
            cols = {}
            for name in IMU_COLUMNS:
                if not any(name in b for b in batches):
                    continue
                dtype, shape, fill = IMU_COLUMNS[name]
                parts = [b[name] if name in b else np.full((len(b["t_us"]), *shape), fill, dtype) for b in batches]
                arr = np.concatenate(parts)
                if name in ("mag", "host_s") and np.all(np.isnan(arr)):
                    continue  # the reader refills all-NaN columns; saves 20 bytes a sample
                cols[name] = arr
            self._write_rows(IMU_STREAM, cols)
        if self._events:
            ev, self._events = self._events, []
            self._write_rows(EVENTS_STREAM, {"t_s": np.concatenate([e.t_s for e in ev]),
                                             "kind": np.concatenate([e.kind for e in ev]),
                                             "side": np.concatenate([e.side for e in ev])})
        if self._series:
            series, self._series = self._series, {}
            for name, parts in series.items():
                self._write_rows(SERIES_PREFIX + name, {
                    "t_s": np.concatenate([p.t_s for p in parts]) if parts else np.zeros(0),
                    "value": np.concatenate([p.value for p in parts]) if parts else np.zeros(0)})

    def _sync(self) -> None:
        if self._fsync:
            os.fsync(self._file.fileno())


def write_session(session: Session, path, *, overwrite: bool = False) -> Path:
    """Write a whole session to `path` (.gns) and return the path.

    The file is written beside the target and renamed into place, so an existing file is
    never left half-replaced. Raises GaitnodeError when `path` exists and `overwrite` is False,
    or when the session does not validate.
    """
    session.validate()
    path = Path(path)
    refuse_existing([path], overwrite=overwrite)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with SessionWriter(tmp, session.meta, flush_interval_s=math.inf, overwrite=True) as w:
            w.append_imu(session.imu, session.phase, session.activity)
            w.append_events(session.events)
            for name, s in session.series.items():
                w.append_series(name, s)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent.resolve())
    return path


# ----------------------------------------------------------------------------------------
# Reading


def _read_bytes(path: Path) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        raise GaitnodeError(f"{path}: no such session file") from None
    except IsADirectoryError:
        raise GaitnodeError(f"{path}: is a directory, not a session file") from None
    except OSError as e:
        raise GaitnodeError(f"{path}: cannot read ({e.strerror})") from None


def _check_columns(stream: str, cols: dict[str, np.ndarray], spec: dict, ignored: dict[str, int],
                   index: int) -> dict[str, np.ndarray]:
    """Known columns with the right dtype and row shape; required ones present; others noted."""
    out = {}
    for name, arr in cols.items():
        if name not in spec:
            ignored.setdefault(f"column {name!r} of stream {stream!r}", index)
            continue
        dtype, shape, _ = spec[name]
        if arr.dtype != np.dtype(dtype) or arr.shape[1:] != shape:
            raise ct.ChunkContentError(f"stream {stream!r} column {name!r} is {arr.dtype.str} "
                                       f"{list(arr.shape[1:])}, expected {dtype} {list(shape)}")
        out[name] = arr
    for name, (_, _, fill) in spec.items():
        if fill is None and name not in out:
            raise ct.ChunkContentError(f"stream {stream!r} lacks column {name!r}")
    return out


def _check_order(what: str, t: np.ndarray, last, strict: bool) -> None:
    if len(t) == 0:
        return
    bad = np.diff(t) <= 0 if strict else np.diff(t) < 0
    if not np.all(np.isfinite(t)) or np.any(bad):
        raise ct.ChunkContentError(f"{what} times are not {'strictly increasing' if strict else 'sorted'} "
                                   f"inside the chunk")
    if last is not None and (t[0] <= last if strict else t[0] < last):
        raise ct.ChunkContentError(f"{what} times go back from {last} to {t[0]} at the chunk start")


def _check_codes(what: str, arr: np.ndarray, lo: int, hi: int) -> None:
    if len(arr) and (arr.min() < lo or arr.max() > hi):
        raise ct.ChunkContentError(f"{what} codes must be in [{lo}, {hi}], found {arr.min()}..{arr.max()}")


class _Assembler:
    """Collects intact chunks in file order and builds the Session at the end."""

    def __init__(self):
        self.meta: SessionMeta | None = None
        self.meta_chunk = None
        self.ended = False
        self.imu: list[dict[str, np.ndarray]] = []
        self.events: list[dict[str, np.ndarray]] = []
        self.series: dict[str, list[dict[str, np.ndarray]]] = {}
        self.ignored: dict[str, int] = {}  # what this reader does not know -> first chunk with it

    def add(self, chunk: ct.Chunk) -> None:
        """Take one intact chunk; raise ChunkContentError when its content is inconsistent."""
        if self.ended:
            raise ct.ChunkContentError(f"{chunk.type_name} chunk after the END chunk")
        if chunk.type == ct.META:
            try:
                d = json.loads(bytes(chunk.payload))
                if not isinstance(d, dict):
                    raise TypeError
                meta = SessionMeta.from_dict(d)
                if not isinstance(meta.extra, dict):
                    raise TypeError
            except (ValueError, TypeError, AttributeError):
                raise ct.ChunkContentError("metadata is not a valid JSON object of session metadata") from None
            self.meta = meta
            self.meta_chunk = chunk.index
        elif self.meta is None:
            raise ct.ChunkContentError(f"first chunk is {chunk.type_name}, expected META")
        elif chunk.type == ct.STREAM:
            self._add_stream(chunk)
        elif chunk.type == ct.END:
            try:
                count = json.loads(bytes(chunk.payload))["chunks"]
            except (ValueError, TypeError, KeyError):
                raise ct.ChunkContentError("END chunk payload is malformed") from None
            if count != chunk.index:
                raise ct.ChunkContentError(f"END chunk counts {count} chunks before it, the file has {chunk.index}")
            self.ended = True
        else:
            self.ignored.setdefault(f"chunk {chunk.type_name}", chunk.index)

    def _add_stream(self, chunk: ct.Chunk) -> None:
        stream, _, cols = ct.decode_stream(chunk.payload)
        i = chunk.index
        if stream == IMU_STREAM:
            cols = _check_columns(stream, cols, IMU_COLUMNS, self.ignored, i)
            _check_order("IMU", cols["t_us"], self.imu[-1]["t_us"][-1] if self.imu else None, strict=True)
            _check_codes("phase", cols.get("phase", ()), -1, len(PHASES) - 1)
            _check_codes("activity", cols.get("activity", ()), -1, len(ACTIVITIES) - 1)
            if len(cols["t_us"]):
                self.imu.append(cols)
        elif stream == EVENTS_STREAM:
            cols = _check_columns(stream, cols, EVENT_COLUMNS, self.ignored, i)
            _check_order("event", cols["t_s"], self.events[-1]["t_s"][-1] if self.events else None, strict=False)
            _check_codes("event kind", cols["kind"], 0, len(EVENT_KINDS) - 1)
            _check_codes("event side", cols["side"], 0, len(SIDES) - 1)
            if len(cols["t_s"]):
                self.events.append(cols)
        elif stream.startswith(SERIES_PREFIX) and len(stream) > len(SERIES_PREFIX):
            cols = _check_columns(stream, cols, SERIES_COLUMNS, self.ignored, i)
            parts = self.series.setdefault(stream[len(SERIES_PREFIX):], [])
            _check_order(f"series {stream[len(SERIES_PREFIX):]!r}", cols["t_s"],
                         parts[-1]["t_s"][-1] if parts else None, strict=False)
            if len(cols["t_s"]):
                parts.append(cols)
        else:
            self.ignored.setdefault(f"stream {stream!r}", i)

    def session(self) -> Session:
        imu, phase, activity = Imu.empty(), None, None
        if self.imu:
            n_rows = [len(c["t_us"]) for c in self.imu]

            def column(name):
                dtype, shape, fill = IMU_COLUMNS[name]
                return np.concatenate([c[name] if name in c else np.full((n, *shape), fill, dtype)
                                       for c, n in zip(self.imu, n_rows)])

            imu = Imu(column("t_us"), column("acc"), column("gyr"), column("mag"), column("host_s"))
            if any("phase" in c for c in self.imu):
                phase = column("phase")
            if any("activity" in c for c in self.imu):
                activity = column("activity")
        events = Events.empty()
        if self.events:
            events = Events(*(np.concatenate([c[k] for c in self.events]) for k in ("t_s", "kind", "side")))
        series = {}
        for name, parts in self.series.items():
            series[name] = (Series(np.concatenate([p["t_s"] for p in parts]),
                                   np.concatenate([p["value"] for p in parts])) if parts
                            else Series(np.zeros(0), np.zeros(0)))
        return Session(self.meta, imu, events, phase, activity, series)


def _intact(k: int) -> str:
    return f"{k} chunk before it is intact" if k == 1 else f"{k} chunks before it are intact"


def read_session(path, *, recover: bool = False) -> Session:
    """Load a `.gns` session file.

    Strict mode (default) raises SessionFormatError (with `.offset` and `.chunk`) at the first
    damaged chunk: CRC mismatch, truncation, bad framing or inconsistent content. With
    `recover=True` everything before the damage is returned and
    `meta.extra["damage"] = {"offset", "chunk", "reason"}` describes it. A file without an END
    chunk (writer killed between chunks) loads in both modes with `meta.extra["complete"] = False`.
    """
    path = Path(path)
    buf = _read_bytes(path)
    ct.check_file_header(buf, path)
    asm = _Assembler()
    damage: tuple[ct.Chunk, str] | None = None
    for chunk in ct.iter_chunks(buf):
        if chunk.damage is not None:
            damage = (chunk, chunk.damage)
            break
        try:
            asm.add(chunk)
        except ct.ChunkContentError as e:
            damage = (chunk, str(e))
            break
    if damage is not None:
        chunk, reason = damage
        if asm.meta is None:
            raise SessionFormatError(f"{path}: chunk {chunk.index} at byte {chunk.offset} is damaged ({reason}); "
                                     f"no intact metadata precedes it, so nothing can be loaded",
                                     path=path, offset=chunk.offset, chunk=chunk.index)
        if not recover:
            raise SessionFormatError(f"{path}: chunk {chunk.index} at byte {chunk.offset} is damaged ({reason}); "
                                     f"{_intact(chunk.index)} — rerun with --recover "
                                     f"(recover=True) to load them", path=path, offset=chunk.offset,
                                     chunk=chunk.index)
    if asm.meta is None:
        raise SessionFormatError(f"{path}: holds no chunks after its header, so no session metadata "
                                 f"(the writer stopped before writing any)", path=path, offset=len(buf))
    session = asm.session()
    extra = {k: v for k, v in session.meta.extra.items() if k not in READER_KEYS}
    if not asm.ended:
        extra["complete"] = False
    if damage is not None:
        extra["damage"] = {"offset": damage[0].offset, "chunk": damage[0].index, "reason": damage[1]}
    if asm.ignored:
        extra["ignored"] = [f"{what} (first in chunk {i}) is unknown to format {ct.FORMAT_VERSION}"
                            for what, i in asm.ignored.items()]
    session.meta.extra = extra
    try:
        session.validate()
    except (GaitnodeError, TypeError, ValueError) as e:
        raise SessionFormatError(f"{path}: invalid session content: {e} (metadata from chunk {asm.meta_chunk})",
                                 path=path,
                                 chunk=asm.meta_chunk) from None
    return session


@dataclass
class ChunkSummary:
    """One row of `scan`: where a chunk is and what it holds."""

    index: int
    offset: int  # byte offset of the chunk header
    type: str  # "META", "STREAM", "END" or "type N"
    length: int  # payload bytes
    stream: str | None  # STREAM chunks: "imu", "events", "series/<name>"
    rows: int | None  # STREAM chunks: rows in the batch
    ok: bool
    reason: str | None = None  # why the chunk is not ok


def scan(path) -> Iterator[ChunkSummary]:
    """Summarise every chunk of a `.gns` file without assembling the session.

    Framing damage (bad sync, truncation, CRC) ends the scan with a summary whose `ok` is False;
    a chunk with an intact frame but unreadable content is reported with `ok=False` and the
    scan goes on. Raises SessionFormatError when the file header is bad.
    """
    path = Path(path)
    buf = _read_bytes(path)
    ct.check_file_header(buf, path)
    for chunk in ct.iter_chunks(buf):
        stream = rows = None
        reason = chunk.damage
        if reason is None and chunk.type == ct.STREAM:
            try:
                stream, rows, _ = ct.decode_stream(chunk.payload)
            except ct.ChunkContentError as e:
                reason = str(e)
        yield ChunkSummary(chunk.index, chunk.offset, chunk.type_name, chunk.length, stream, rows,
                           reason is None, reason)

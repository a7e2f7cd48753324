"""Parquet export and import of a session (what training pipelines and pandas users read).

`export_parquet(session, out_dir)` writes three files, each carrying the session metadata
JSON in its schema metadata (key b"gaitnode.meta") and the format version (b"gaitnode.format"):

* samples.parquet  t_us (int64, device us), host_s (float64, Unix s), acc_x..acc_z (float32,
  m/s^2), gyr_x..gyr_z (float32, deg/s), mag_x..mag_z (float32, uT), and, when the session has
  them, phase and activity (int8 codes; names in the schema metadata, -1 = none/unknown).
* events.parquet   t_s (float64, s), kind (string, EVENT_KINDS), side (string, SIDES).
* series.parquet   long form: name (string), t_s (float64, s), value (float64, unit per name,
  see SERIES_UNITS); every series name is also listed in the metadata, so empty ones survive.

Every column carries its unit in the field metadata (b"unit").
`import_parquet(out_dir)` reads them back into an identical Session.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from gaitnode.errors import GaitnodeError, InputFileError, refuse_existing
from gaitnode.sessions.model import (
    ACTIVITIES, EVENT_KINDS, FORMAT_VERSION, PHASES, SERIES_UNITS, SIDES, Events, Imu, Series, Session, SessionMeta,
)

FILES = ("samples.parquet", "events.parquet", "series.parquet")
AXES = ("x", "y", "z")
_UNITS = {"t_us": "us", "host_s": "s (Unix)", "acc": "m/s^2", "gyr": "deg/s", "mag": "uT", "t_s": "s"}


def _field(name: str, type_: pa.DataType, unit: str | None = None) -> pa.Field:
    return pa.field(name, type_, nullable=False, metadata={b"unit": unit.encode()} if unit else None)


def _schema_metadata(session: Session, **more) -> dict[bytes, bytes]:
    # Reader annotations (extra["complete"], ["damage"]) stay: they record where the data came from.
    try:
        meta = json.dumps(session.meta.to_dict(), default=lambda o: o.tolist())
    except (TypeError, AttributeError, ValueError) as e:
        raise GaitnodeError(f"session metadata cannot be exported: {e}") from None
    out = {b"gaitnode.meta": meta.encode(),
           b"gaitnode.format": str(FORMAT_VERSION).encode()}
    out.update({k.encode(): json.dumps(v).encode() for k, v in more.items()})
    return out


def samples_table(session: Session) -> pa.Table:
    """The IMU samples (plus phase/activity labels when present) as an Arrow table."""
    imu = session.imu
    cols, fields = [pa.array(imu.t_us), pa.array(imu.host_s)], [
        _field("t_us", pa.int64(), _UNITS["t_us"]), _field("host_s", pa.float64(), _UNITS["host_s"])]
    for name in ("acc", "gyr", "mag"):
        arr = getattr(imu, name)
        for j, axis in enumerate(AXES):
            cols.append(pa.array(np.ascontiguousarray(arr[:, j])))
            fields.append(_field(f"{name}_{axis}", pa.float32(), _UNITS[name]))
    labels = {}
    for name, names in (("phase", PHASES), ("activity", ACTIVITIES)):
        arr = getattr(session, name)
        if arr is not None:
            cols.append(pa.array(arr))
            fields.append(_field(name, pa.int8()))
            labels[name] = list(names)
    return pa.Table.from_arrays(cols, schema=pa.schema(fields, metadata=_schema_metadata(session, labels=labels)))


def events_table(session: Session) -> pa.Table:
    """The gait events with kind and side as names."""
    ev = session.events
    schema = pa.schema([_field("t_s", pa.float64(), "s"), _field("kind", pa.string()), _field("side", pa.string())],
                       metadata=_schema_metadata(session))
    return pa.Table.from_arrays([pa.array(ev.t_s), pa.array(np.asarray(EVENT_KINDS, object)[ev.kind], pa.string()),
                                 pa.array(np.asarray(SIDES, object)[ev.side], pa.string())], schema=schema)


def series_table(session: Session) -> pa.Table:
    """All reference series in long form (name, t_s, value)."""
    names = list(session.series)
    counts = [len(session.series[n]) for n in names]
    schema = pa.schema([_field("name", pa.string()), _field("t_s", pa.float64(), "s"), _field("value", pa.float64())],
                       metadata=_schema_metadata(session, series=names,
                                                 units={n: SERIES_UNITS.get(n) for n in names}))
    return pa.Table.from_arrays([
        pa.array(np.repeat(np.asarray(names, object), counts) if names else [], pa.string()),
        pa.array(np.concatenate([session.series[n].t_s for n in names]) if names else [], pa.float64()),
        pa.array(np.concatenate([session.series[n].value for n in names]) if names else [], pa.float64()),
    ], schema=schema)


def export_parquet(session: Session, out_dir, *, overwrite: bool = False) -> list[Path]:
    """Write samples.parquet, events.parquet and series.parquet into `out_dir` (created if needed).

    Returns the paths written. Raises GaitnodeError when one of them exists and `overwrite`
    is False. Each file is written under a temporary name and renamed into place.
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise GaitnodeError(f"{out}: exists and is not a directory")
    targets = [out / f for f in FILES]
    refuse_existing(targets, overwrite=overwrite)
    tables = (samples_table(session), events_table(session), series_table(session))
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise GaitnodeError(f"{out}: cannot create the export directory ({e.strerror})") from None
    for path, table in zip(targets, tables):
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            pq.write_table(table, tmp, compression="zstd")
            os.replace(tmp, path)
        except OSError as e:
            tmp.unlink(missing_ok=True)
            raise GaitnodeError(f"{path}: cannot write ({e.strerror or e})") from None
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
    return targets


def _read(path: Path, columns: dict[str, pa.DataType]) -> tuple[pa.Table, dict[bytes, bytes]]:
    try:
        table = pq.read_table(path)
    except FileNotFoundError:
        raise InputFileError(f"{path}: missing (an export has {', '.join(FILES)})") from None
    except (pa.ArrowException, OSError) as e:
        raise InputFileError(f"{path}: not a readable Parquet file ({e})") from None
    _check_columns(path, table, columns)
    return table, table.schema.metadata or {}


def _check_columns(path: Path, table: pa.Table, columns: dict[str, pa.DataType]) -> None:
    for name, type_ in columns.items():
        if name not in table.column_names:
            raise InputFileError(f"{path}: column {name!r} is missing")
        if table.schema.field(name).type != type_:
            raise InputFileError(f"{path}: column {name!r} is {table.schema.field(name).type}, expected {type_}")
        if table.column(name).null_count:
            raise InputFileError(f"{path}: column {name!r} has {table.column(name).null_count} null values")


def _json_key(path: Path, md: dict[bytes, bytes], key: str):
    try:
        return json.loads(md[key.encode()])
    except KeyError:
        raise InputFileError(f"{path}: schema metadata lacks {key!r}; not written by gaitnode export") from None
    except ValueError:
        raise InputFileError(f"{path}: schema metadata {key!r} is not valid JSON") from None


def _codes(path: Path, column: str, values: pa.ChunkedArray, names: tuple[str, ...]) -> np.ndarray:
    arr = np.asarray(values.to_numpy(zero_copy_only=False), dtype=object)
    lookup = {n: i for i, n in enumerate(names)}
    codes = np.array([lookup.get(v, -1) for v in arr], np.int8)
    if np.any(codes < 0):
        row = int(np.argmax(codes < 0))
        raise InputFileError(f"{path}: row {row} column {column!r}: {arr[row]!r} is not one of {', '.join(names)}")
    return codes


def import_parquet(out_dir) -> Session:
    """Read a directory written by export_parquet back into a Session (validated)."""
    out = Path(out_dir)
    f32, f64 = pa.float32(), pa.float64()
    samples, md = _read(out / FILES[0], {"t_us": pa.int64(), "host_s": f64,
                                         **{f"{n}_{a}": f32 for n in ("acc", "gyr", "mag") for a in AXES}})
    try:
        meta = SessionMeta.from_dict(_json_key(out / FILES[0], md, "gaitnode.meta"))
    except (TypeError, AttributeError, ValueError) as e:
        raise InputFileError(f"{out / FILES[0]}: session metadata is malformed ({e})") from None
    labels = _json_key(out / FILES[0], md, "labels")

    def xyz(name):
        return np.stack([samples.column(f"{name}_{a}").to_numpy() for a in AXES], axis=1)

    imu = Imu(samples.column("t_us").to_numpy(), xyz("acc"), xyz("gyr"), xyz("mag"),
              samples.column("host_s").to_numpy())
    phase_act = {}
    for name in ("phase", "activity"):
        if name in labels:  # the labels were exported: the column must be there
            _check_columns(out / FILES[0], samples, {name: pa.int8()})
            phase_act[name] = samples.column(name).to_numpy()
    ev_table, _ = _read(out / FILES[1], {"t_s": f64, "kind": pa.string(), "side": pa.string()})
    events = Events(ev_table.column("t_s").to_numpy(),
                    _codes(out / FILES[1], "kind", ev_table.column("kind"), EVENT_KINDS),
                    _codes(out / FILES[1], "side", ev_table.column("side"), SIDES))
    se_table, se_md = _read(out / FILES[2], {"name": pa.string(), "t_s": f64, "value": f64})
    names = np.asarray(se_table.column("name").to_numpy(zero_copy_only=False), dtype=object)
    t_s, value = se_table.column("t_s").to_numpy(), se_table.column("value").to_numpy()
    series = {}
    for name in _json_key(out / FILES[2], se_md, "series"):
        m = names == name
        series[name] = Series(t_s[m], value[m])
    unknown = set(names) - set(series)
    if unknown:
        raise InputFileError(f"{out / FILES[2]}: series {sorted(unknown)[0]!r} is not listed in the schema metadata")
    session = Session(meta, imu, events, phase_act.get("phase"), phase_act.get("activity"), series)
    try:
        return session.validate()
    except GaitnodeError as e:
        raise InputFileError(f"{out}: exported session is inconsistent: {e}") from None

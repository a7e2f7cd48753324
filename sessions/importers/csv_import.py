"""Generic CSV importer: one row per IMU sample, header schema in docs/import.md.

Columns (names case-insensitive, an optional unit in brackets, e.g. `acc_x[g]`):

  t_s (s) or t_us (device microseconds)        time, one of the two, required
  acc_x, acc_y, acc_z (m/s^2)                  required
  gyr_x, gyr_y, gyr_z (deg/s)                  required
  mag_x, mag_y, mag_z (uT)                     optional, all three or none
  phase (HS/ST/HO/SW or 0-3, -1/empty = none)  optional per-sample label
  activity (model.ACTIVITIES names, UCI names or codes 1..7, -1/empty = unknown)
  hr (bpm), vo2 (ml/min), speed (m/s), grade (%), cadence (steps/min)
                                               optional reference series; empty cells
                                               mean "not measured at this row"
  any other numeric column                     kept as a reference series of that name

The IMU columns are resampled onto a uniform grid (gaitnode.sessions.resample); the
reference series keep their own row times.
"""

from __future__ import annotations

import csv
import dataclasses
import re
from pathlib import Path

import numpy as np
import pandas as pd

from gaitnode.errors import GaitnodeError, InputFileError
from gaitnode.sessions.importers.csv_table import parse_table, read_text
from gaitnode.sessions.importers.units import (
    CANONICAL, UNITS, normalise_unit, parse_axes_spec, parse_units_spec, unit_factor,
)
from gaitnode.sessions.model import ACTIVITIES, PHASES, Imu, Series, Session, SessionMeta
from gaitnode.sessions.resample import Resampler

IMU_COLUMNS = {f"{q}_{a}": q for q in ("acc", "gyr", "mag") for a in "xyz"}
REFERENCE_COLUMNS = ("hr", "vo2", "speed", "grade", "cadence")
LABEL_COLUMNS = ("phase", "activity")
TIME_UNITS = {"t_s": ("s",), "t_us": ("us",)}

# UCI HAR activity names, in label order (label k -> ACTIVITIES[k - 1]).
UCI_ACTIVITY_NAMES = ("walking", "walking_upstairs", "walking_downstairs", "sitting", "standing", "laying")

_HEADER_RE = re.compile(r"^\s*([^\[\]]+?)\s*(?:\[\s*([^\[\]]*?)\s*\])?\s*$")


def _label_table(kind: str) -> dict[str, int]:
    """Accepted spellings (lower case) -> label index, for phase or activity."""
    table = {"": -1, "-1": -1, "none": -1, "unknown": -1}
    if kind == "phase":
        table |= {p.lower(): i for i, p in enumerate(PHASES)} | {str(i): i for i in range(len(PHASES))}
    else:
        table |= {a: i for i, a in enumerate(ACTIVITIES)} | {a: i for i, a in enumerate(UCI_ACTIVITY_NAMES)}
        table |= {str(k): k - 1 for k in range(1, len(ACTIVITIES) + 1)} | {"lying": ACTIVITIES.index("laying")}
    return table


def _parse_header(path: Path, names: list[str], units_spec: dict[str, str]) -> dict[str, tuple[str, float]]:
    """Map each raw header name to (canonical column name, factor to canonical unit)."""
    out: dict[str, tuple[str, float]] = {}
    seen: dict[str, int] = {}
    for col_no, raw in enumerate(names, start=1):
        m = _HEADER_RE.match(str(raw))
        if not m:
            raise InputFileError(f"{path}: line 1, column {col_no}: header {raw!r} is not name or name[unit]")
        name, unit = m.group(1).strip().lower(), m.group(2)
        if name in seen:
            raise InputFileError(f"{path}: line 1: column {name!r} appears twice (columns {seen[name]} and {col_no})")
        seen[name] = col_no
        where = f"{path}: line 1, column {col_no} ({raw})"
        quantity = IMU_COLUMNS.get(name, name if name in REFERENCE_COLUMNS else None)
        if name in TIME_UNITS:
            if unit is not None and normalise_unit(unit) not in TIME_UNITS[name]:
                raise InputFileError(f"{where}: unit {unit!r} is wrong for {name} (it must be {TIME_UNITS[name][0]})")
            factor = 1.0
        elif quantity is not None:
            option = units_spec.get(quantity)
            if unit is not None and option is not None and normalise_unit(unit) != normalise_unit(option):
                raise InputFileError(f"{where}: the header says {unit!r} but --units says {quantity}={option}")
            try:
                factor = unit_factor(quantity, unit if unit is not None else option or CANONICAL[quantity], where)
            except GaitnodeError as e:
                raise InputFileError(str(e)) from None
        else:
            if unit is not None and name in LABEL_COLUMNS:
                raise InputFileError(f"{where}: label column {name} takes no unit")
            factor = 1.0
        out[raw] = (name, factor)
    return out


def _numeric(path: Path, df: pd.DataFrame, raw: str, name: str) -> np.ndarray:
    """Column as float64; a cell that is present but not a number is an error naming its line."""
    col = df[raw]
    if pd.api.types.is_numeric_dtype(col):
        return col.to_numpy(dtype=np.float64, na_value=np.nan)
    num = pd.to_numeric(col, errors="coerce")
    bad = num.isna() & col.notna() & (col.astype(str).str.strip() != "")
    if bad.any():
        i = int(np.argmax(bad.to_numpy()))
        raise InputFileError(f"{path}: line {i + 2}, column {name}: {col.iloc[i]!r} is not a number")
    return num.to_numpy(dtype=np.float64, na_value=np.nan)


def _labels(path: Path, df: pd.DataFrame, raw: str, name: str) -> np.ndarray:
    table = _label_table(name)
    text = df[raw].fillna("").astype(str).str.strip().str.lower()
    # "2.0" (a float-formatted code) means 2
    text = text.str.replace(r"^(-?\d+)\.0*$", r"\1", regex=True)
    codes = text.map(table)
    if codes.isna().any():
        i = int(np.argmax(codes.isna().to_numpy()))
        raise InputFileError(f"{path}: line {i + 2}, column {name}: {df[raw].iloc[i]!r} is not a {name} label "
                             f"(accepted: {', '.join(k for k in table if k)})")
    return codes.to_numpy(dtype=np.int64)


def _check_columns(path: Path, names: list[str], by_name: dict) -> None:
    """Required columns present, time given once, magnetometer all or nothing."""
    if "t_s" in by_name and "t_us" in by_name:
        raise InputFileError(f"{path}: line 1: both t_s and t_us are present; keep one time column")
    time_col = "t_us" if "t_us" in by_name else "t_s"
    required = [time_col, *(f"{q}_{a}" for q in ("acc", "gyr") for a in "xyz")]
    missing = [c for c in required if c not in by_name]
    if missing:
        raise InputFileError(f"{path}: line 1: required column(s) {', '.join(missing)} missing "
                             f"(header: {', '.join(names)}; schema in docs/import.md)")
    mag_cols = [f"mag_{a}" for a in "xyz"]
    has_mag = any(c in by_name for c in mag_cols)
    if has_mag and not all(c in by_name for c in mag_cols):
        raise InputFileError(f"{path}: line 1: magnetometer columns must come as mag_x, mag_y, mag_z together "
                             f"(missing {', '.join(c for c in mag_cols if c not in by_name)})")


def _read_table(path: Path, units_spec: dict[str, str]) -> tuple[dict[str, tuple[str, float]], pd.DataFrame]:
    """Header map (see _parse_header) and the data rows; row i of the frame is line i + 2."""
    text = read_text(path, what="a header line, see docs/import.md")
    names = next(csv.reader([text.partition("\n")[0]]))
    header = _parse_header(path, names, units_spec)
    _check_columns(path, names, {name: raw for raw, (name, _) in header.items()})
    df = parse_table(path, text, dtype={raw: str for raw, (name, _) in header.items() if name in LABEL_COLUMNS})
    if [str(c) for c in df.columns] != names:
        raise InputFileError(f"{path}: line 1: the header could not be read as {len(names)} column names")
    return header, df


def import_csv(path, *, rate_hz: float | None = None, units: str | dict | None = None, axes: str | None = None,
               meta: SessionMeta | None = None, max_gap_s: float = 0.5) -> Session:
    """Read a CSV recording into a validated Session.

    rate_hz: output IMU rate in Hz (None keeps the file's own nominal rate).
    units: `acc=g,gyr=rad/s,mag=gauss` (or a dict) for columns whose header states no unit.
    axes: `x=-y,y=x,z=z`, a signed permutation remapping the sensor axes (acc, gyr, mag).
    meta: subject, placement, side, ... (copied; rate_hz, source, has_mag are set here).
    max_gap_s: longest timestamp gap (s) bridged by interpolation; longer gaps raise.
    Raises InputFileError naming file, line and column for malformed input.
    """
    path = Path(path)
    units_spec = parse_units_spec(units) if isinstance(units, str) or units is None else dict(units)
    remap = parse_axes_spec(axes)
    header, df = _read_table(path, units_spec)
    by_name = {name: (raw, factor) for raw, (name, factor) in header.items()}

    time_col = "t_us" if "t_us" in by_name else "t_s"
    has_mag = "mag_x" in by_name
    if len(df) == 0:
        raise InputFileError(f"{path}: no data rows after the header")

    def col(name: str) -> np.ndarray:
        raw, factor = by_name[name]
        return _numeric(path, df, raw, name) * factor

    t = col(time_col) * (1e-6 if time_col == "t_us" else 1.0)
    signal_names = [c for c in IMU_COLUMNS if c in by_name]
    signals = {c: col(c) for c in signal_names}
    if remap is not None:
        for q in ("acc", "gyr", "mag"):
            if f"{q}_x" in signals:
                v = remap @ np.stack([signals[f"{q}_{a}"] for a in "xyz"])
                signals.update({f"{q}_{a}": v[i] for i, a in enumerate("xyz")})
    labels = {c: _labels(path, df, by_name[c][0], c) for c in LABEL_COLUMNS if c in by_name}
    lines = np.arange(len(df)) + 2  # header is line 1; read_text refuses blank lines inside the data

    rs = Resampler(rate_hz, max_gap_s=max_gap_s, source=str(path)).resample(t, signals, labels, rows=lines)

    series, series_units = {}, {}
    other = [name for name in by_name if name not in IMU_COLUMNS and name not in LABEL_COLUMNS
             and name not in TIME_UNITS]
    for name in other:
        v = col(name)
        ok = ~np.isnan(v)
        bad_t = ok & ~np.isfinite(t)
        if bad_t.any():
            raise InputFileError(f"{path}: line {int(np.argmax(bad_t)) + 2}: a {name} value has no valid timestamp")
        series[name] = Series(t[ok], v[ok])
        unit = _HEADER_RE.match(str(by_name[name][0])).group(2)
        if name not in REFERENCE_COLUMNS and unit:  # keep the stated unit of columns the tools do not know
            series_units[name] = unit

    def xyz(q: str):
        return np.stack([rs.signals_[f"{q}_{a}"] for a in "xyz"], axis=1)

    imu = Imu(np.round(rs.t_s_ * 1e6).astype(np.int64), xyz("acc"), xyz("gyr"), xyz("mag") if has_mag else None)
    meta = dataclasses.replace(meta) if meta is not None else SessionMeta()
    meta.rate_hz = rs.rate_hz_
    meta.source = "csv"
    meta.has_mag = has_mag
    meta.extra = {**meta.extra, "source_file": path.name, "source_rate_hz": rs.source_rate_hz_,
                  "resample_method": rs.method_,
                  "units": {q: u for q, u in units_spec.items()}, **({"axes": axes} if remap is not None else {}),
                  **({"series_units": series_units} if series_units else {})}
    session = Session(meta=meta, imu=imu, phase=rs.labels_.get("phase"), activity=rs.labels_.get("activity"),
                      series=series)
    try:
        return session.validate()
    except InputFileError:
        raise
    except GaitnodeError as e:
        raise InputFileError(f"{path}: {e}") from None


__all__ = ["import_csv", "IMU_COLUMNS", "REFERENCE_COLUMNS", "LABEL_COLUMNS", "UNITS"]

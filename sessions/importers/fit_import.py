"""Garmin FIT importer (fitdecode): heart rate, cadence, speed and grade as reference series.

A FIT activity has no raw IMU data, so the Session has zero IMU samples and carries
only series, all on a time axis in seconds from the first `record` message:

  hr       bpm        record.heart_rate
  cadence  steps/min  record.cadence + record.fractional_cadence. FIT stores running and
                      walking cadence per foot (strides/min, shown as "rpm"), so it is
                      doubled to steps/min. For cycling (pedal rpm) it is stored as
                      series "cadence_rpm" instead, unchanged.
  speed    m/s        record.enhanced_speed, else record.speed
  grade    %          record.grade; else derived from altitude and distance over a
                      centred window (see `grade_window_s`)

The subject (sex, age, height, mass) comes from a `user_profile` message when present;
what the caller sets in `meta.subject` wins.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import fitdecode
import numpy as np

from gaitnode.errors import GaitnodeError, InputFileError
from gaitnode.sessions.model import Imu, Series, Session, SessionMeta

# Sports whose FIT cadence counts pedal revolutions, not strides.
PEDAL_SPORTS = {"cycling", "e_biking", "hand_cycling"}


def _fields(frame: fitdecode.FitDataMessage) -> dict:
    """Field name -> value, preferring a field stored in the message over one expanded
    from another field's components (fitdecode expands `speed` into `enhanced_speed`)."""
    out, from_component = {}, set()
    for f in frame.fields:
        if f.value is None:
            continue
        component = f.parent_field is not None
        if f.name not in out or (f.name in from_component and not component):
            out[f.name] = f.value
            (from_component.add if component else from_component.discard)(f.name)
    return out


def _read_messages(path: Path) -> tuple[list[dict], dict, str | None]:
    """The record messages, the user profile and the sport of a FIT file."""
    records, profile, sport = [], {}, None
    try:
        with fitdecode.FitReader(path, check_crc=fitdecode.CrcCheck.RAISE,
                                 error_handling=fitdecode.ErrorHandling.RAISE) as fit:
            for frame in fit:
                if not isinstance(frame, fitdecode.FitDataMessage):
                    continue
                if frame.name == "record":
                    records.append(_fields(frame))
                elif frame.name == "user_profile" and not profile:
                    profile = _fields(frame)
                elif frame.name in ("sport", "session") and sport is None:
                    sport = _fields(frame).get("sport")
    except FileNotFoundError:
        raise InputFileError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputFileError(f"{path}: is a directory, expected a FIT file") from None
    except fitdecode.FitHeaderError as e:
        raise InputFileError(f"{path}: not a FIT file or damaged FIT header ({e})") from None
    except fitdecode.FitCRCError as e:
        raise InputFileError(f"{path}: FIT checksum mismatch, the file is damaged ({e})") from None
    except fitdecode.FitEOFError as e:
        raise InputFileError(f"{path}: byte offset {e.offset}: FIT file is truncated "
                             f"(needed {e.expected} bytes there, got {e.got})") from None
    except fitdecode.FitParseError as e:
        raise InputFileError(f"{path}: byte offset {e.offset}: FIT file is damaged ({e})") from None
    except fitdecode.FitError as e:
        raise InputFileError(f"{path}: FIT file is damaged ({e})") from None
    return records, profile, str(sport) if sport is not None else None


def _subject_from_profile(profile: dict, start: dt.datetime | None) -> dict:
    out = {}
    if str(profile.get("gender")) in ("male", "female"):
        out["sex"] = str(profile["gender"])
    age = profile.get("age")
    birth_year = profile.get("year_of_birth", profile.get("birth_year"))
    if isinstance(age, (int, float)) and age > 0:
        out["age"] = float(age)
    elif isinstance(birth_year, (int, float)) and start is not None and 1900 < birth_year < start.year:
        out["age"] = float(start.year - birth_year)
    for key, name in (("height", "height_m"), ("weight", "mass_kg")):
        v = profile.get(key)
        if isinstance(v, (int, float)) and v > 0:
            out[name] = float(v)
    return out


def _derive_grade(t: np.ndarray, alt: np.ndarray, dist: np.ndarray, window_s: float) -> np.ndarray:
    """Grade (%) = rise over run between the ends of a centred window; NaN under 5 m of run."""
    lo = np.searchsorted(t, t - window_s / 2, side="left")
    hi = np.searchsorted(t, t + window_s / 2, side="right") - 1
    run = dist[hi] - dist[lo]
    with np.errstate(invalid="ignore", divide="ignore"):
        grade = 100.0 * (alt[hi] - alt[lo]) / run
    grade[~(run >= 5.0)] = np.nan
    return grade


def import_fit(path, *, meta: SessionMeta | None = None, cadence: str = "auto",
               grade_window_s: float = 10.0) -> Session:
    """Read a FIT activity into a Session with no IMU samples and hr/cadence/speed/grade series.

    meta: placement, side, subject, ... (copied); subject fields left None are filled
    from the file's user_profile. cadence: "auto" (strides/min doubled to steps/min except
    for cycling), "strides" (always double), "steps" (already steps/min) or "rpm"
    (store as cadence_rpm). grade_window_s: window (s) for grade from altitude/distance.
    Raises InputFileError for damaged, truncated or empty files.
    """
    path = Path(path)
    if cadence not in ("auto", "strides", "steps", "rpm"):
        raise GaitnodeError(f"cadence mode {cadence!r} is not one of auto, strides, steps, rpm")
    records, profile, sport = _read_messages(path)
    if not records:
        raise InputFileError(f"{path}: no record messages (is this an activity file?)")
    untimed = [i for i, r in enumerate(records) if not isinstance(r.get("timestamp"), dt.datetime)]
    if untimed:
        raise InputFileError(f"{path}: record message {untimed[0]} has no absolute timestamp")
    start = records[0]["timestamp"]
    t = np.array([(r["timestamp"] - start).total_seconds() for r in records])
    if np.any(np.diff(t) < 0):
        i = int(np.argmax(np.diff(t) < 0)) + 1
        raise InputFileError(f"{path}: record message {i} goes back in time ({records[i]['timestamp']} after "
                             f"{records[i - 1]['timestamp']})")

    def column(*names: str) -> np.ndarray:
        """First present field among names, per record; NaN where none is."""
        vals = []
        for r in records:
            v = next((r[n] for n in names if isinstance(r.get(n), (int, float))), np.nan)
            vals.append(float(v))
        return np.array(vals)

    series: dict[str, Series] = {}

    def add(name: str, v: np.ndarray) -> None:
        ok = np.isfinite(v)
        if ok.any():
            series[name] = Series(t[ok], v[ok])

    add("hr", column("heart_rate"))
    cad = column("cadence") + np.nan_to_num(column("fractional_cadence"))
    mode = cadence if cadence != "auto" else ("rpm" if sport in PEDAL_SPORTS else "strides")
    if mode == "rpm":
        add("cadence_rpm", cad)
    else:
        add("cadence", cad * (2.0 if mode == "strides" else 1.0))
    add("speed", column("enhanced_speed", "speed"))
    grade = column("grade")
    if not np.isfinite(grade).any():
        alt, dist = column("enhanced_altitude", "altitude"), column("distance")
        ok = np.isfinite(alt) & np.isfinite(dist)
        grade = np.full(len(t), np.nan)
        if ok.sum() >= 2:
            grade[ok] = _derive_grade(t[ok], alt[ok], dist[ok], grade_window_s)
    add("grade", grade)
    if not series:
        raise InputFileError(f"{path}: the record messages carry no heart rate, cadence, speed or grade")

    meta = dataclasses.replace(meta) if meta is not None else SessionMeta()
    filled = {k: v for k, v in _subject_from_profile(profile, start).items() if getattr(meta.subject, k) is None}
    meta.subject = dataclasses.replace(meta.subject, **filled)
    meta.source = "fit"
    meta.has_mag = False
    meta.extra = {**meta.extra, "source_file": path.name, "start_utc": start.isoformat(),
                  "fit_sport": sport, "cadence_mode": mode}
    session = Session(meta=meta, imu=Imu.empty(), series=series)
    try:
        return session.validate()
    except GaitnodeError as e:
        raise InputFileError(f"{path}: {e}") from None

"""Heart-rate dynamics data: a session as a 1 Hz sequence of activity drive and heart rate.

The drive s_t is what a node or a wearable has each second:

  cadence  steps/min  from the session's heel-strike events when it has any (a single leg's events:
                      2 steps per stride), else its "cadence" series (FIT/TCX import, simulator)
  speed    m/s        series "speed" (treadmill/protocol speed, GPS or foot pod)
  grade    %          series "grade"

Each channel enters the model scaled (DRIVE_SCALE) with a presence flag per second (1 where the
value is known, 0 where it is missing: the value is then 0), so a node with cadence only and a
watch with pace only use the same model. Three per-session features follow: age (scaled, 0 when
unknown) with its flag, and the HR of the session's first second (known in every mode).

Heart rate (and every drive series) is put on the grid by linear interpolation between samples at most MAX_HR_STEP_S
apart; seconds farther from any sample are NaN (a strap dropout). Every HR sample must lie in
HR_BOUNDS_BPM: values outside physiology are an error, never silently dropped.

Real running sessions: `packaged_real_sessions()` reads the running activity shipped inside the
`sweat` package (Polar M400 + H7 chest strap TCX); `load_activity()` reads any FIT or TCX file.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gaitnode.errors import GaitnodeError, InputFileError
from gaitnode.sessions.model import Imu, Series, Session, SessionMeta, Subject
from gaitnode.training.datasets import session_name

HR_BOUNDS_BPM = (30.0, 220.0)  # physiological range: input check and model clipping
HR_CENTER, HR_SCALE = 100.0, 30.0  # g = (HR - center) / scale, the models' latent unit
DRIVE_CHANNELS = ("cadence", "speed", "grade")
DRIVE_SCALE = {"cadence": 100.0, "speed": 2.0, "grade": 10.0}  # steps/min, m/s, %
AGE_CENTER, AGE_SCALE = 45.0, 15.0
N_FEATURES = 2 * len(DRIVE_CHANNELS) + 3  # scaled drive + flags, then age, age flag, first HR
MAX_HR_STEP_S = 2.5  # HR samples farther apart than this leave a gap
MAX_STEP_INTERVAL_S = 2.0  # a longer interval between steps is standing still (cadence 0)
MIN_SECONDS = 60  # shortest usable session (one standard-mode window)

# Real running sessions shipped in PyPI packages: (package, file inside it, description).
PACKAGED_REAL = (
    ("sweat", "examples/data/3173437224.tcx",
     "running, Polar M400 watch + Polar H7 chest strap (HR, stride cadence, GPS distance, altitude), 65 min"),
)


@dataclass
class HrSequence:
    """One session on a 1 Hz grid.

    name: for messages and reports. t_s float64 [N]: seconds from the start. x float32 [N, N_FEATURES]:
    model input (see the module docstring). hr float64 [N]: bpm, NaN in dropouts. synthetic: simulator
    data. source: where it came from (file name, package).
    """

    name: str
    t_s: np.ndarray
    x: np.ndarray
    hr: np.ndarray
    synthetic: bool
    source: str

    def __len__(self) -> int:
        return len(self.t_s)


def check_hr_values(values: np.ndarray, t_s: np.ndarray, name: str) -> None:
    """GaitnodeError for a non-finite HR or one outside HR_BOUNDS_BPM, naming the time and value."""
    lo, hi = HR_BOUNDS_BPM
    bad = ~np.isfinite(values) | (values < lo) | (values > hi)
    if bad.any():
        i = int(np.argmax(bad))
        raise GaitnodeError(f"{name}: heart rate {values[i]:g} bpm at {t_s[i]:.1f} s is outside physiology "
                            f"({lo:g}-{hi:g} bpm; {int(bad.sum())} such samples); fix or cut the recording")


def on_grid(series: Series, grid: np.ndarray, max_step_s: float = MAX_HR_STEP_S) -> np.ndarray:
    """Series values at the grid times: linear between samples at most max_step_s apart, else NaN."""
    t, v = series.t_s, series.value
    out = np.full(len(grid), np.nan)
    if len(t) == 0:
        return out
    j = np.searchsorted(t, grid, side="left")  # first sample at or after each grid time
    exact = (j < len(t)) & (np.abs(t[np.minimum(j, len(t) - 1)] - grid) < 1e-6)
    jj = np.clip(j, 1, max(len(t) - 1, 1))
    bridged = (j > 0) & (j < len(t)) & ((t[jj] - t[jj - 1]) <= max_step_s)
    ok = exact | bridged
    out[ok] = np.interp(grid[ok], t, v)
    return out


def cadence_from_events(hs_t: np.ndarray, sides: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Cadence (steps/min) at grid times from heel-strike times: 60 / the step interval containing t.

    With heel strikes of one leg only, a stride is two steps. 0 outside walking (intervals over
    MAX_STEP_INTERVAL_S per step, before the first and after the last heel strike)."""
    order = np.argsort(hs_t, kind="stable")
    hs_t = hs_t[order]
    steps_per_interval = 1.0 if len(np.unique(sides)) > 1 else 2.0
    out = np.zeros(len(grid))
    if len(hs_t) < 2:
        return out
    i = np.searchsorted(hs_t, grid, side="right") - 1
    inside = (i >= 0) & (i < len(hs_t) - 1)
    interval = np.diff(hs_t)[np.clip(i, 0, len(hs_t) - 2)] / steps_per_interval
    walking = inside & (interval > 0) & (interval <= MAX_STEP_INTERVAL_S)
    out[walking] = 60.0 / interval[walking]
    return out


def drive_channels(session: Session, grid: np.ndarray) -> dict[str, np.ndarray]:
    """Raw drive channels (NaN where unknown) at the grid times; see the module docstring."""
    out = {}
    hs = session.events.kind == 0  # EVENT_KINDS.index("HS")
    if hs.any():
        out["cadence"] = cadence_from_events(session.events.t_s[hs], session.events.side[hs], grid)
    elif "cadence" in session.series and len(session.series["cadence"]):
        out["cadence"] = on_grid(session.series["cadence"], grid)
    for name in ("speed", "grade"):
        s = session.series.get(name)
        if s is not None and len(s):
            out[name] = on_grid(s, grid)
    return out


def features(channels: dict[str, np.ndarray], n: int, age: float | None, hr_first: float) -> np.ndarray:
    """The model input float32 [n, N_FEATURES] from raw channels (NaN = unknown)."""
    x = np.zeros((n, N_FEATURES), np.float32)
    for k, name in enumerate(DRIVE_CHANNELS):
        v = channels.get(name)
        if v is None:
            continue
        known = np.isfinite(v)
        x[known, k] = v[known] / DRIVE_SCALE[name]
        x[:, len(DRIVE_CHANNELS) + k] = known
    base = 2 * len(DRIVE_CHANNELS)
    if age is not None:
        x[:, base] = (age - AGE_CENTER) / AGE_SCALE
        x[:, base + 1] = 1.0
    x[:, base + 2] = (hr_first - HR_CENTER) / HR_SCALE
    return x


def sequence_from_session(session: Session, *, min_seconds: int = MIN_SECONDS,
                          end_s: float | None = None) -> HrSequence:
    """The session's drive and HR on a 1 Hz grid from its first HR sample to its last one (or to
    end_s, session time, when that is later: the seconds after the HR ends are then dropouts).

    Raises GaitnodeError when the session has no HR series, HR outside physiology, no drive channel
    at all, or fewer than min_seconds seconds on the grid."""
    name = session_name(session)
    hr = session.series.get("hr")
    if hr is None or len(hr) == 0:
        raise GaitnodeError(f"{name}: no heart-rate series ('hr'); HR dynamics needs HR to train or evaluate on")
    check_hr_values(hr.value, hr.t_s, name)
    t0 = float(hr.t_s[0])
    t1 = float(hr.t_s[-1]) if end_s is None else max(float(hr.t_s[-1]), float(end_s))
    grid = t0 + np.arange(int(np.floor(t1 - t0 + 1e-6)) + 1, dtype=np.float64)
    if len(grid) < min_seconds:
        raise GaitnodeError(f"{name}: {len(grid)} s of heart rate; HR dynamics needs at least {min_seconds} s")
    channels = drive_channels(session, grid)
    if not any(np.isfinite(v).any() for v in channels.values()):
        raise GaitnodeError(f"{name}: no activity drive (no heel-strike events and no cadence, speed or grade "
                            f"series); the HR model needs at least one of them")
    y = on_grid(hr, grid)
    x = features(channels, len(grid), session.meta.subject.age, float(y[0]))
    return HrSequence(name=name, t_s=grid - t0, x=x, hr=y, synthetic=bool(session.meta.synthetic),
                      source=str(session.meta.extra.get("source_file") or session.meta.source))


def sequences(sessions, *, min_seconds: int = MIN_SECONDS) -> list[HrSequence]:
    """sequence_from_session for each session; GaitnodeError when there are none."""
    out = [sequence_from_session(s, min_seconds=min_seconds) for s in sessions]
    if not out:
        raise GaitnodeError("no sessions with heart rate given")
    return out


# ---- real activity files ------------------------------------------------------------------------

_TCX_NS = {"t": "http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2"}


def _tcx_time(text: str) -> float:
    return dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00")).timestamp()


def derived_speed(t: np.ndarray, dist: np.ndarray, window_s: float = 10.0) -> np.ndarray:
    """Speed (m/s) from cumulative distance over a centred window (NaN where no distance)."""
    ok = np.isfinite(dist)
    out = np.full(len(t), np.nan)
    if ok.sum() < 2:
        return out
    tt, dd = t[ok], dist[ok]
    lo = np.searchsorted(tt, tt - window_s / 2, side="left")
    hi = np.searchsorted(tt, tt + window_s / 2, side="right") - 1
    span = tt[hi] - tt[lo]
    with np.errstate(invalid="ignore", divide="ignore"):
        out[ok] = np.where(span > 0, (dd[hi] - dd[lo]) / span, np.nan)
    return out


def derived_grade(t: np.ndarray, alt: np.ndarray, dist: np.ndarray, window_s: float = 30.0) -> np.ndarray:
    """Grade (%) as rise over run across a centred window; NaN under 10 m of run or without data."""
    ok = np.isfinite(alt) & np.isfinite(dist)
    out = np.full(len(t), np.nan)
    if ok.sum() < 2:
        return out
    tt, aa, dd = t[ok], alt[ok], dist[ok]
    lo = np.searchsorted(tt, tt - window_s / 2, side="left")
    hi = np.searchsorted(tt, tt + window_s / 2, side="right") - 1
    run = dd[hi] - dd[lo]
    with np.errstate(invalid="ignore", divide="ignore"):
        g = 100.0 * (aa[hi] - aa[lo]) / run
    g[~(run >= 10.0)] = np.nan
    out[ok] = g
    return out


def import_tcx(path, *, meta: SessionMeta | None = None) -> Session:
    """A TCX activity as a Session with no IMU samples and hr / cadence / speed / grade series.

    TCX running cadence counts strides per minute (one foot), so it is doubled to steps/min.
    Speed and grade are derived from DistanceMeters and AltitudeMeters. Raises InputFileError
    for unreadable XML or a file without trackpoints."""
    path = Path(path)
    try:
        root = ET.parse(path).getroot()
    except FileNotFoundError:
        raise InputFileError(f"{path}: no such file") from None
    except (ET.ParseError, OSError) as e:
        raise InputFileError(f"{path}: not a readable TCX (XML) file ({e})") from None
    activity = root.find(".//t:Activity", _TCX_NS)
    sport = activity.get("Sport") if activity is not None else None
    rows = []
    for tp in root.iterfind(".//t:Trackpoint", _TCX_NS):
        when = tp.findtext("t:Time", None, _TCX_NS)
        if when is None:
            continue

        def num(tag: str) -> float:
            v = tp.findtext(tag, None, _TCX_NS)
            try:
                return float(v) if v is not None else np.nan
            except ValueError:
                return np.nan

        rows.append((_tcx_time(when), num("t:HeartRateBpm/t:Value"), num("t:Cadence"),
                     num("t:DistanceMeters"), num("t:AltitudeMeters")))
    if not rows:
        raise InputFileError(f"{path}: no trackpoints with a time (is this a TCX activity?)")
    a = np.array(rows, dtype=np.float64)
    a = a[np.argsort(a[:, 0], kind="stable")]
    t = a[:, 0] - a[0, 0]
    series = {}
    for name, v in (("hr", a[:, 1]), ("cadence", 2.0 * a[:, 2]), ("speed", derived_speed(t, a[:, 3])),
                    ("grade", derived_grade(t, a[:, 4], a[:, 3]))):
        ok = np.isfinite(v)
        if ok.any():
            series[name] = Series(t[ok], v[ok])
    meta = meta or SessionMeta()
    meta.source = "tcx"
    meta.has_mag = False
    meta.extra = {**meta.extra, "source_file": path.name, "tcx_sport": sport}
    return Session(meta=meta, imu=Imu.empty(), series=series).validate()


def load_activity(path, *, subject_id: str | None = None) -> Session:
    """A real activity file: .tcx (import_tcx) or .fit (the project's FIT importer)."""
    path = Path(path)
    meta = SessionMeta(subject=Subject(id=subject_id or path.stem), synthetic=False)
    meta.extra["loaded_from"] = str(path)
    suffix = path.suffix.lower()
    if suffix == ".tcx":
        return import_tcx(path, meta=meta)
    if suffix == ".fit":
        from gaitnode.sessions.importers.fit_import import import_fit

        s = import_fit(path, meta=meta)
        s.meta.extra["loaded_from"] = str(path)
        return s
    raise GaitnodeError(f"{path}: not a .tcx or .fit activity file")


def packaged_real_files() -> list[tuple[Path, str, str]]:
    """(path, package, description) of each real running file in PACKAGED_REAL.

    Raises GaitnodeError naming the package when it is not installed."""
    out = []
    for package, rel, what in PACKAGED_REAL:
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            raise GaitnodeError(f"the real running sessions come with the {package!r} package, which is not "
                                f"installed (scripts/requirements-nodeps.txt; run `make setup`)")
        path = Path(list(spec.submodule_search_locations)[0]) / rel
        if not path.is_file():
            raise GaitnodeError(f"{path}: missing from the installed {package!r} package")
        out.append((path, package, what))
    return out


def packaged_real_sessions() -> list[Session]:
    """The real running sessions of PACKAGED_REAL, named '<package>:<file>'."""
    out = []
    for path, package, what in packaged_real_files():
        s = load_activity(path, subject_id=f"{package}-{path.stem}")
        s.meta.extra.update({"loaded_from": f"{package}:{path.name}", "description": what, "package": package})
        out.append(s)
    return out

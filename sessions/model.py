"""The session: one continuous recording of one node on one person.

This is the unit of data everywhere (simulator output, imports, host recordings,
training, HIL replay). It is held in numpy arrays; `gaitnode.sessions.store` puts it on
disk and `gaitnode.sessions.export` turns it into Parquet.

Time base: every time in a session is on the *device clock*. IMU samples carry it as
integer microseconds (`Imu.t_us`); events and reference series carry it as float
seconds (`t_s`, equal to t_us / 1e6). Host receive times (`Imu.host_s`, Unix seconds)
are kept beside it, NaN where there is no host (simulator, imports).

Units: acc m/s^2 (specific force, +9.81 on the up axis at rest), gyr deg/s, mag uT.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

import numpy as np

from gaitnode.errors import GaitnodeError

FORMAT_VERSION = 1

# Per-sample gait phase labels (paper 001): index into PHASES, -1 = no gait (static, unknown).
PHASES = ("HS", "ST", "HO", "SW")
# Per-sample activity labels: the first six in UCI HAR order (label k -> index k-1), then ours.
ACTIVITIES = ("walking", "upstairs", "downstairs", "sitting", "standing", "laying", "running")
# Gait events: heel strike (initial contact), foot flat, heel off, toe off.
EVENT_KINDS = ("HS", "FF", "HO", "TO")
SIDES = ("left", "right")
PLACEMENTS = ("shank", "foot", "lower_back", "wrist")
SEXES = ("male", "female")

# Reference series a session may carry, with their units. Other names are allowed
# (kept and round-tripped) but these are the ones the tools understand.
SERIES_UNITS = {
    "vo2": "ml/min",  # as a metabolic cart reports it (breath by breath or averaged)
    "vo2_true": "ml/min",  # simulator only: the noise-free VO2 behind "vo2"
    "hr": "bpm",
    "speed": "m/s",
    "grade": "%",
    "cadence": "steps/min",
}

RATE_MIN_HZ, RATE_MAX_HZ = 50.0, 400.0
STANDARD_GRAVITY = 9.80665  # m/s^2 per g (CGPM 1901); converts g to the model's m/s^2


@dataclass
class Subject:
    id: str = "unknown"
    sex: str | None = None  # "male" | "female" | None
    age: float | None = None  # years
    height_m: float | None = None
    mass_kg: float | None = None


@dataclass
class SessionMeta:
    subject: Subject = field(default_factory=Subject)
    rate_hz: float = 100.0  # nominal IMU sample rate
    placement: str = "shank"  # one of PLACEMENTS
    side: str | None = None  # "left" | "right" | None
    # Rotation matrix (3x3, row-major lists) taking sensor-frame vectors into the segment's
    # anatomical frame (x anterior, y superior, z right), when known.
    mounting: list[list[float]] | None = None
    board: str | None = None
    firmware_hash: str | None = None
    model_hashes: dict[str, str] = field(default_factory=dict)
    protocol: str | None = None  # e.g. "bruce", "free_walk", a YAML schedule name
    synthetic: bool = False  # True for everything the simulator makes
    source: str = "unknown"  # "simulate" | "csv" | "fit" | "uci-har" | "record" | ...
    has_mag: bool = True  # False when the node/recording has no magnetometer (mag is NaN)
    extra: dict = field(default_factory=dict)  # free-form, JSON-serialisable

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "SessionMeta":
        d = dict(d)
        subject = Subject(**{k: v for k, v in (d.pop("subject", None) or {}).items() if k in Subject.__dataclass_fields__})
        known = {k: v for k, v in d.items() if k in cls.__dataclass_fields__}
        unknown = {k: v for k, v in d.items() if k not in cls.__dataclass_fields__}
        meta = cls(subject=subject, **known)
        if unknown:  # newer writers may add fields: keep them rather than drop them
            meta.extra = {**meta.extra, **unknown}
        return meta


@dataclass
class Imu:
    """N IMU samples. Arrays are owned by the object; shapes are checked by validate()."""

    t_us: np.ndarray  # int64 [N], device time, strictly increasing
    acc: np.ndarray  # float32 [N, 3] m/s^2
    gyr: np.ndarray  # float32 [N, 3] deg/s
    mag: np.ndarray  # float32 [N, 3] uT, NaN when absent
    host_s: np.ndarray | None = None  # float64 [N] Unix seconds at host receive, NaN when unknown

    def __post_init__(self):
        self.t_us = np.asarray(self.t_us, dtype=np.int64)
        n = len(self.t_us)
        self.acc = np.asarray(self.acc, dtype=np.float32).reshape(n, 3)
        self.gyr = np.asarray(self.gyr, dtype=np.float32).reshape(n, 3)
        self.mag = (np.full((n, 3), np.nan, np.float32) if self.mag is None
                    else np.asarray(self.mag, dtype=np.float32).reshape(n, 3))
        self.host_s = (np.full(n, np.nan) if self.host_s is None
                       else np.asarray(self.host_s, dtype=np.float64).reshape(n))

    def __len__(self) -> int:
        return len(self.t_us)

    @property
    def t_s(self) -> np.ndarray:
        return self.t_us / 1e6

    @classmethod
    def empty(cls) -> "Imu":
        z = np.zeros((0, 3), np.float32)
        return cls(np.zeros(0, np.int64), z, z.copy(), z.copy())


@dataclass
class Series:
    """A reference time series with its own timestamps (device clock, seconds)."""

    t_s: np.ndarray  # float64 [M], non-decreasing
    value: np.ndarray  # float64 [M]

    def __post_init__(self):
        self.t_s = np.asarray(self.t_s, dtype=np.float64).reshape(-1)
        self.value = np.asarray(self.value, dtype=np.float64).reshape(-1)

    def __len__(self) -> int:
        return len(self.t_s)

    def at(self, t_s: np.ndarray) -> np.ndarray:
        """Linear interpolation at the given times (NaN outside the covered span)."""
        return np.interp(t_s, self.t_s, self.value, left=np.nan, right=np.nan)


@dataclass
class Events:
    """Gait events (reference). kind indexes EVENT_KINDS, side indexes SIDES."""

    t_s: np.ndarray  # float64 [K], sorted
    kind: np.ndarray  # int8 [K]
    side: np.ndarray  # int8 [K]

    def __post_init__(self):
        self.t_s = np.asarray(self.t_s, dtype=np.float64).reshape(-1)
        self.kind = np.asarray(self.kind, dtype=np.int8).reshape(-1)
        self.side = np.asarray(self.side, dtype=np.int8).reshape(-1)

    def __len__(self) -> int:
        return len(self.t_s)

    @classmethod
    def empty(cls) -> "Events":
        return cls(np.zeros(0), np.zeros(0, np.int8), np.zeros(0, np.int8))

    def select(self, kind: str = "HS", side: str | None = None) -> np.ndarray:
        """Times (s) of one event kind, optionally for one side only."""
        m = self.kind == EVENT_KINDS.index(kind)
        if side is not None:
            m &= self.side == SIDES.index(side)
        return self.t_s[m]


@dataclass
class Session:
    meta: SessionMeta
    imu: Imu
    events: Events = field(default_factory=Events.empty)
    phase: np.ndarray | None = None  # int8 [N] index into PHASES, -1 = none
    activity: np.ndarray | None = None  # int8 [N] index into ACTIVITIES, -1 = unknown
    series: dict[str, Series] = field(default_factory=dict)

    def __post_init__(self):
        if self.phase is not None:
            self.phase = np.asarray(self.phase, dtype=np.int8).reshape(-1)
        if self.activity is not None:
            self.activity = np.asarray(self.activity, dtype=np.int8).reshape(-1)

    @property
    def duration_s(self) -> float:
        if len(self.imu) >= 2:
            return float(self.imu.t_us[-1] - self.imu.t_us[0]) / 1e6
        spans = [s.t_s[-1] - s.t_s[0] for s in self.series.values() if len(s) >= 2]
        return float(max(spans, default=0.0))

    def heel_strikes(self, side: str | None = None) -> np.ndarray:
        """Reference heel-strike times (s); side=None gives the node's own side when known."""
        return self.events.select("HS", side if side is not None else self.meta.side)

    def validate(self) -> "Session":
        """Check shapes, units conventions and monotonic time; raise GaitnodeError naming the problem."""
        m = self.meta
        if not (RATE_MIN_HZ <= m.rate_hz <= RATE_MAX_HZ):
            raise GaitnodeError(f"sample rate {m.rate_hz} Hz is outside the supported {RATE_MIN_HZ:g}-{RATE_MAX_HZ:g} Hz")
        if m.placement not in PLACEMENTS:
            raise GaitnodeError(f"placement {m.placement!r} is not one of {', '.join(PLACEMENTS)}")
        if m.side not in (None, *SIDES):
            raise GaitnodeError(f"side {m.side!r} is not one of {', '.join(SIDES)}")
        if m.subject.sex not in (None, *SEXES):
            raise GaitnodeError(f"subject sex {m.subject.sex!r} is not one of {', '.join(SEXES)}")
        n = len(self.imu)
        if n and np.any(np.diff(self.imu.t_us) <= 0):
            i = int(np.argmax(np.diff(self.imu.t_us) <= 0))
            raise GaitnodeError(f"IMU timestamps are not strictly increasing at sample {i + 1} "
                                f"({self.imu.t_us[i]} us then {self.imu.t_us[i + 1]} us)")
        for name, arr in (("acc", self.imu.acc), ("gyr", self.imu.gyr)):
            if arr.shape != (n, 3):
                raise GaitnodeError(f"imu.{name} has shape {arr.shape}, expected ({n}, 3)")
            if n and not np.all(np.isfinite(arr)):
                i = int(np.argmax(~np.all(np.isfinite(arr), axis=1)))
                raise GaitnodeError(f"imu.{name} has a non-finite value at sample {i}")
        for name, arr, lo, hi in (("phase", self.phase, -1, len(PHASES) - 1),
                                  ("activity", self.activity, -1, len(ACTIVITIES) - 1)):
            if arr is None:
                continue
            if arr.shape != (n,):
                raise GaitnodeError(f"{name} labels have {arr.shape[0]} entries for {n} IMU samples")
            if n and (arr.min() < lo or arr.max() > hi):
                raise GaitnodeError(f"{name} labels must be in [{lo}, {hi}]")
        ev = self.events
        if not (len(ev.t_s) == len(ev.kind) == len(ev.side)):
            raise GaitnodeError("events: t_s, kind and side differ in length")
        if len(ev) and (np.any(np.diff(ev.t_s) < 0) or not np.all(np.isfinite(ev.t_s))):
            raise GaitnodeError("event times must be finite and sorted")
        if len(ev) and (ev.kind.min() < 0 or ev.kind.max() >= len(EVENT_KINDS)
                        or ev.side.min() < 0 or ev.side.max() >= len(SIDES)):
            raise GaitnodeError("event kind/side codes out of range")
        for name, s in self.series.items():
            if len(s.t_s) != len(s.value):
                raise GaitnodeError(f"series {name!r}: {len(s.t_s)} times for {len(s.value)} values")
            if len(s) and (np.any(np.diff(s.t_s) < 0) or not np.all(np.isfinite(s.t_s))):
                raise GaitnodeError(f"series {name!r}: timestamps must be finite and non-decreasing")
        for k in ("height_m", "mass_kg", "age"):
            v = getattr(m.subject, k)
            if v is not None and (not isinstance(v, (int, float)) or not math.isfinite(v) or v <= 0):
                raise GaitnodeError(f"subject {k} must be a positive number, got {v!r}")
        return self

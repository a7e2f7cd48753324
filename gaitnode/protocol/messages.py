"""Message payloads: one dataclass per message type, pack() and unpack() (docs/protocol.md).

The host side of firmware/lib/gaitnode_core/src/gn_msg.{h,c}: the same little-endian layouts and
the same validation (the first bad field in offset order gives the NACK reason and detail), kept
equal by the shared test vectors in firmware/test/vectors/.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass, fields
from enum import IntEnum

import numpy as np

from gaitnode.protocol.framing import MAX_PAYLOAD, PROTOCOL_VERSION, Frame, ProtocolError


class MsgType(IntEnum):
    HELLO = 0x01
    INFO = 0x02
    CONFIG = 0x03
    MODE = 0x04
    SAMPLES = 0x05
    HEEL_STRIKE = 0x06
    ESTIMATE = 0x07
    TELEMETRY = 0x08
    LOG = 0x09
    ACK = 0x0A
    NACK = 0x0B
    CALIBRATE = 0x0C
    CALIBRATION = 0x0D
    PHASE = 0x0E
    ACTIVITY = 0x0F


HOST_TO_DEVICE = frozenset({MsgType.HELLO, MsgType.CONFIG, MsgType.MODE, MsgType.SAMPLES, MsgType.CALIBRATE})
DEVICE_TO_HOST = frozenset(MsgType) - HOST_TO_DEVICE | {MsgType.SAMPLES}


class NackReason(IntEnum):
    NONE = 0
    CRC = 1
    COBS = 2
    TOO_SHORT = 3
    OVERSIZED = 4
    VERSION = 5
    UNKNOWN_TYPE = 6
    BAD_LENGTH = 7
    BAD_VALUE = 8
    WRONG_MODE = 9
    OVERFLOW = 10
    SEQUENCE = 11
    BUSY = 12
    NOT_SENDABLE = 13
    PHYSIOLOGY = 14


class Mode(IntEnum):
    IDLE = 0
    LIVE = 1
    REPLAY = 2


class Placement(IntEnum):
    SHANK = 0
    FOOT = 1


class Side(IntEnum):
    LEFT = 0
    RIGHT = 1


class Sex(IntEnum):
    UNKNOWN = 0
    FEMALE = 1
    MALE = 2


class Source(IntEnum):
    NN = 0
    CLASSICAL = 1


class EstimateKind(IntEnum):
    CADENCE = 0
    STRIDE_TIME = 1
    VO2_ML_KG_MIN = 2
    VO2_ML_MIN = 3
    HEART_RATE = 4


class Estimator(IntEnum):
    HS_INTERVALS = 0
    ACSM = 1
    CNN_LSTM = 2


class LogLevel(IntEnum):
    DEBUG = 0
    INFO = 1
    WARN = 2
    ERROR = 3


class CalibStatus(IntEnum):
    BUSY = 0
    DONE = 1
    MOVED = 2
    BAD_GRAVITY = 3


class PhaseCode(IntEnum):
    """PHASE codes: sessions.model.PHASES order."""
    HS = 0
    ST = 1
    HO = 2
    SW = 3


class ActivityCode(IntEnum):
    """ACTIVITY codes: sessions.model.ACTIVITIES order."""
    WALKING = 0
    UPSTAIRS = 1
    DOWNSTAIRS = 2
    SITTING = 3
    STANDING = 4
    LAYING = 5
    RUNNING = 6


AXES = 9
NAME_LEN = 16
SAMPLES_HEADER = 6
SAMPLE_BYTES = 2 * AXES
MAX_BATCH = (MAX_PAYLOAD - SAMPLES_HEADER) // SAMPLE_BYTES  # GN_MAX_BATCH: 26
LOG_MAX = MAX_PAYLOAD - 1
INFO_HEADER, INFO_MODEL = 48, 60
TELEMETRY_HEADER, TELEMETRY_MODEL = 60, 20
# Largest model counts that fit a payload (a board's own limit, GN_MAX_MODELS, may be lower).
INFO_MAX_MODELS = (MAX_PAYLOAD - INFO_HEADER) // INFO_MODEL
TELEMETRY_MAX_MODELS = (MAX_PAYLOAD - TELEMETRY_HEADER) // TELEMETRY_MODEL
# CONFIG ranges (0 = unknown). On the wire (BAD_VALUE outside, NaN included) ...
CONFIG_RANGES = {"age_years": (0.0, 130.0), "height_m": (0.0, 3.0), "mass_kg": (0.0, 500.0)}
# ... and what a person can be (PHYSIOLOGY outside, checked once every field is valid on the wire;
# 0 = unknown stays allowed). gn_msg.h GN_PHYS_*.
PHYSIOLOGY_RANGES = {"age_years": (5.0, 120.0), "height_m": (0.5, 2.5), "mass_kg": (20.0, 300.0)}
PHYSIOLOGY_UNITS = {"age_years": "years", "height_m": "m", "mass_kg": "kg"}
# PHASE: u32 first_index, u8 count, count x (u8 code, u8 confidence); ACTIVITY: u32 sample_index,
# u8 code, u8 n, n x (u8 class code, u8 probability). Probabilities as round(255 * p).
PHASE_HEADER, PHASE_MAX = 5, 64
ACTIVITY_HEADER, ACTIVITY_MAX = 6, 8


# ---- messages ----

@dataclass(frozen=True)
class Hello:
    pass


@dataclass(frozen=True)
class InfoModel:
    name: str
    sha256: bytes  # 32 bytes
    model_bytes: int
    arena_bytes: int
    arena_used: int = 0


@dataclass(frozen=True)
class Info:
    protocol: int
    firmware: str
    board: str
    sample_rate_hz: int
    acc_range_g: int
    gyr_range_dps: int
    mag_range_ut: int
    ring_capacity: int
    max_batch: int
    mode: int
    placement: int
    side: int
    models: tuple[InfoModel, ...] = ()


@dataclass(frozen=True)
class Config:
    sex: int
    placement: int
    side: int
    age_years: float = 0.0
    height_m: float = 0.0
    mass_kg: float = 0.0
    telemetry_period_ms: int = 0  # 0: keep
    estimate_period_ms: int = 0  # 0: keep


@dataclass(frozen=True)
class ModeMsg:
    mode: int


@dataclass(frozen=True, eq=False)
class Samples:
    """A batch of raw samples: raw is int16, shape (n, 9), n <= MAX_BATCH (stored read-only)."""

    first_index: int
    raw: np.ndarray

    def __post_init__(self):
        a = np.asarray(self.raw)
        if a.ndim != 2 or a.shape[1] != AXES:
            raise ProtocolError(f"SAMPLES raw must have shape (n, {AXES}), got {a.shape}")
        if a.dtype != np.int16:
            if a.size and (not np.issubdtype(a.dtype, np.integer) or a.min() < -32768 or a.max() > 32767):
                raise ProtocolError("SAMPLES raw values must be integers in -32768..32767")
        a = np.array(a, dtype=np.int16)  # own copy
        a.setflags(write=False)
        object.__setattr__(self, "raw", a)

    def __eq__(self, other):
        if not isinstance(other, Samples):
            return NotImplemented
        return self.first_index == other.first_index and np.array_equal(self.raw, other.raw)

    __hash__ = None


@dataclass(frozen=True)
class HeelStrike:
    t_us: int
    sample_index: int
    frac: float
    confidence: float
    source: int
    side: int


@dataclass(frozen=True)
class Estimate:
    kind: int
    estimator: int
    sample_index: int
    value: float


@dataclass(frozen=True)
class TelemetryModel:
    last_us: int = 0
    max_us: int = 0
    mean_us: int = 0
    count: int = 0
    arena_used: int = 0


@dataclass(frozen=True)
class Telemetry:
    loop_load_permille: int = 0
    ring_high_water: int = 0
    ring_capacity: int = 0
    mode: int = 0
    samples_processed: int = 0
    dropped_samples: int = 0
    rx_frames: int = 0
    rx_crc: int = 0
    rx_cobs: int = 0
    rx_short: int = 0
    rx_oversized: int = 0
    rx_unknown_type: int = 0
    rx_bad_length: int = 0
    rx_bad_version: int = 0
    rx_rejected: int = 0
    tx_dropped_frames: int = 0
    infer_errors: int = 0
    models: tuple[TelemetryModel, ...] = ()


def _tuples(msg, where: str, names: tuple[str, ...]) -> None:
    for name in names:
        value = getattr(msg, name)
        if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
            raise ProtocolError(f"{where} {name} must be a sequence of integers, got {value!r}")
        object.__setattr__(msg, name, tuple(value))


@dataclass(frozen=True)
class Phase:
    """One phase-model inference: the phase of each board sample first_index .. first_index + count - 1
    (codes: PhaseCode values; confidences: round(255 * p) of the argmax probability), count 1..PHASE_MAX."""

    first_index: int
    codes: tuple[int, ...]
    confidences: tuple[int, ...]

    def __post_init__(self):
        _tuples(self, "PHASE", ("codes", "confidences"))

    @property
    def count(self) -> int:
        return len(self.codes)


@dataclass(frozen=True)
class Activity:
    """One activity-model inference over the window ending at board sample sample_index: the argmax
    class (ActivityCode) and every class of the model in model order with round(255 * p)."""

    sample_index: int
    code: int
    classes: tuple[int, ...]
    probs: tuple[int, ...]

    def __post_init__(self):
        _tuples(self, "ACTIVITY", ("classes", "probs"))

    def probabilities(self) -> dict[str, float]:
        """Class name (sessions.model.ACTIVITIES spelling) -> probability 0..1."""
        return {ActivityCode(c).name.lower(): p / 255.0 for c, p in zip(self.classes, self.probs)}


@dataclass(frozen=True)
class Log:
    level: int
    text: str  # UTF-8 on the wire, at most LOG_MAX bytes; undecodable bytes read as U+FFFD


@dataclass(frozen=True)
class Ack:
    seq: int
    type: int
    credits: int = 0
    next_index: int = 0


@dataclass(frozen=True)
class Nack:
    seq: int
    type: int
    reason: int
    detail: int = 0


@dataclass(frozen=True)
class Calibrate:
    n_samples: int = 0  # 0: the device's default


@dataclass(frozen=True)
class Calibration:
    status: int
    gravity: tuple[float, float, float]
    rot: tuple[tuple[float, float, float], ...]  # 3x3, row-major


# ---- fixed layouts: (field, struct code, check) in wire order ----
# check: an IntEnum class (value must be a member), a tuple of allowed IntEnum members, a (lo, hi)
# float range, "text" (NUL-padded UTF-8), "bytes" (exact size), or None (any value of the type).

_Layout = tuple[tuple[str, str, object], ...]

_INFO_LAYOUT: _Layout = (
    ("protocol", "B", None), ("firmware", "16s", "text"), ("board", "16s", "text"),
    ("sample_rate_hz", "H", None), ("acc_range_g", "H", None), ("gyr_range_dps", "H", None),
    ("mag_range_ut", "H", None), ("ring_capacity", "H", None), ("max_batch", "B", None),
    ("mode", "B", Mode), ("placement", "B", Placement), ("side", "B", Side),
    ("n_models", "B", None))
_INFO_MODEL_LAYOUT: _Layout = (
    ("name", "16s", "text"), ("sha256", "32s", "bytes"), ("model_bytes", "I", None),
    ("arena_bytes", "I", None), ("arena_used", "I", None))
_CONFIG_LAYOUT: _Layout = (
    ("sex", "B", Sex), ("placement", "B", Placement), ("side", "B", Side),
    *((k, "f", CONFIG_RANGES[k]) for k in ("age_years", "height_m", "mass_kg")),
    ("telemetry_period_ms", "H", None), ("estimate_period_ms", "H", None))
_MODE_LAYOUT: _Layout = (("mode", "B", Mode),)
_SAMPLES_HEAD_LAYOUT: _Layout = (("first_index", "I", None), ("count", "B", None), ("reserved", "B", None))
_HEEL_STRIKE_LAYOUT: _Layout = (
    ("t_us", "Q", None), ("sample_index", "I", None), ("frac", "f", None), ("confidence", "f", None),
    ("source", "B", Source), ("side", "B", Side))
_ESTIMATE_LAYOUT: _Layout = (
    ("kind", "B", EstimateKind), ("estimator", "B", Estimator), ("sample_index", "I", None),
    ("value", "f", None))
_TELEMETRY_COUNTERS = (
    "samples_processed", "dropped_samples", "rx_frames", "rx_crc", "rx_cobs", "rx_short", "rx_oversized",
    "rx_unknown_type", "rx_bad_length", "rx_bad_version", "rx_rejected", "tx_dropped_frames", "infer_errors")
_TELEMETRY_LAYOUT: _Layout = (
    ("loop_load_permille", "H", None), ("ring_high_water", "H", None), ("ring_capacity", "H", None),
    ("mode", "B", Mode), ("n_models", "B", None), *((k, "I", None) for k in _TELEMETRY_COUNTERS))
_TELEMETRY_MODEL_LAYOUT: _Layout = tuple((f.name, "I", None) for f in fields(TelemetryModel))
_LOG_HEAD_LAYOUT: _Layout = (("level", "B", LogLevel),)
_ACK_LAYOUT: _Layout = (("seq", "H", None), ("type", "B", MsgType), ("credits", "H", None),
                        ("next_index", "I", None))
_NACK_REASONS = tuple(r for r in NackReason if r != NackReason.NONE)
_NACK_LAYOUT: _Layout = (("seq", "H", None), ("type", "B", None), ("reason", "B", _NACK_REASONS),
                         ("detail", "I", None))
_CALIBRATE_LAYOUT: _Layout = (("n_samples", "H", None),)
_CALIBRATION_LAYOUT: _Layout = (("status", "B", CalibStatus),
                                *((f"gravity{i}", "f", None) for i in range(3)),
                                *((f"rot{i}{j}", "f", None) for i in range(3) for j in range(3)))

_PHASE_HEAD_LAYOUT: _Layout = (("first_index", "I", None), ("count", "B", None))
_PHASE_ITEM_LAYOUT: _Layout = (("code", "B", PhaseCode), ("confidence", "B", None))
_ACTIVITY_HEAD_LAYOUT: _Layout = (("sample_index", "I", None), ("code", "B", ActivityCode), ("n", "B", None))
_ACTIVITY_ITEM_LAYOUT: _Layout = (("class", "B", ActivityCode), ("prob", "B", None))

_INT_BITS = {"B": 8, "H": 16, "I": 32, "Q": 64}


def _struct(layout: _Layout) -> struct.Struct:
    return struct.Struct("<" + "".join(code for _, code, _ in layout))


def _offsets(layout: _Layout) -> dict[str, int]:
    out, pos = {}, 0
    for name, code, _ in layout:
        out[name] = pos
        pos += struct.calcsize("<" + code)
    return out


def _bad_value(where: str, name: str, offset: int, problem: str) -> ProtocolError:
    return ProtocolError(f"{where}: field {name} (payload byte {offset}) {problem}",
                         reason=NackReason.BAD_VALUE, detail=offset)


def _physiology(where: str, name: str, offset: int, value: float) -> ProtocolError:
    lo, hi = PHYSIOLOGY_RANGES[name]
    unit = PHYSIOLOGY_UNITS[name]
    return ProtocolError(f"{where}: field {name} (payload byte {offset}) is {value:g} {unit}, outside physiology "
                         f"{lo:g}..{hi:g} {unit} (0 = unknown)", reason=NackReason.PHYSIOLOGY, detail=offset)


def _bad_length(where: str, length: int, expected: str) -> ProtocolError:
    return ProtocolError(f"{where}: payload of {length} bytes, expected {expected}",
                         reason=NackReason.BAD_LENGTH, detail=length)


F32_MAX = 3.4028234663852886e38


def _check_value(where: str, name: str, offset: int, code: str, check, value, *, wire: bool):
    """A field value checked: from the wire (wire=True) to its Python form, or from Python to
    what struct packs. ProtocolError (BAD_VALUE, detail = offset) when it is out of range."""
    if code in _INT_BITS:
        bits = _INT_BITS[code]
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not 0 <= value < (1 << bits):
            raise _bad_value(where, name, offset, f"must be an integer in 0..{(1 << bits) - 1}, got {value!r}")
        value = int(value)
        if isinstance(check, tuple):  # allowed members of an IntEnum
            if value not in check:
                raise _bad_value(where, name, offset, f"is {value}, expected one of {[int(c) for c in check]}")
            check = type(check[0])
        if isinstance(check, type) and issubclass(check, IntEnum):
            try:
                member = check(value)
            except ValueError:
                allowed = ", ".join(f"{m.value} {m.name}" for m in check)
                raise _bad_value(where, name, offset, f"is {value}, not a {check.__name__} ({allowed})") from None
            return member if wire else value
        return value
    if code == "f":
        if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
            raise _bad_value(where, name, offset, f"must be a number, got {value!r}")
        value = float(value)
        if math.isfinite(value) and abs(value) > F32_MAX:
            raise _bad_value(where, name, offset, f"is {value}, too large for a 32-bit float")
        if check is not None and not check[0] <= value <= check[1]:
            raise _bad_value(where, name, offset, f"is {value}, outside {check[0]}..{check[1]}")
        return value
    size = struct.calcsize(code)
    if check == "text":
        if wire:  # NUL-padded; the C side does not check the encoding, so neither do we
            return value.split(b"\x00", 1)[0].decode("utf-8", errors="replace")
        if not isinstance(value, str) or "\x00" in value or len(value.encode("utf-8")) > size:
            raise _bad_value(where, name, offset, f"must be text of at most {size} UTF-8 bytes, got {value!r}")
        return value.encode("utf-8")
    # check == "bytes": exactly `size` bytes
    if not isinstance(value, (bytes, bytearray)) or len(value) != size:
        raise _bad_value(where, name, offset, f"must be {size} bytes, got {value!r}")
    return bytes(value)


def _pack_layout(where: str, layout: _Layout, values: dict, base: int = 0) -> bytes:
    offs = _offsets(layout)
    return _struct(layout).pack(*(_check_value(where, n, base + offs[n], c, chk, values[n], wire=False)
                                  for n, c, chk in layout))


def _unpack_layout(where: str, layout: _Layout, payload: bytes, base: int = 0) -> dict:
    offs = _offsets(layout)
    raw = _struct(layout).unpack_from(payload, base)
    return {n: _check_value(where, n, base + offs[n], c, chk, v, wire=True) for (n, c, chk), v in zip(layout, raw)}


def _need(where: str, payload: bytes, size: int) -> None:
    if len(payload) != size:
        raise _bad_length(where, len(payload), f"{size}")


# ---- per type ----

def _pack_info(m: Info) -> bytes:
    if len(m.models) > INFO_MAX_MODELS:
        raise _bad_value("INFO", "n_models", 47, f"is {len(m.models)}, at most {INFO_MAX_MODELS} fit a payload")
    head = {f.name: getattr(m, f.name) for f in fields(Info) if f.name != "models"}
    out = _pack_layout("INFO", _INFO_LAYOUT, {**head, "n_models": len(m.models)})
    for i, x in enumerate(m.models):
        out += _pack_layout(f"INFO model {i}", _INFO_MODEL_LAYOUT, vars(x), INFO_HEADER + INFO_MODEL * i)
    return out


def _unpack_info(p: bytes) -> Info:
    if not INFO_HEADER <= len(p) <= MAX_PAYLOAD:
        raise _bad_length("INFO", len(p), f"{INFO_HEADER} + {INFO_MODEL} per model")
    head = _unpack_layout("INFO", _INFO_LAYOUT, p)
    n = head.pop("n_models")
    if n > INFO_MAX_MODELS:
        raise _bad_value("INFO", "n_models", 47, f"is {n}, at most {INFO_MAX_MODELS} fit a payload")
    _need("INFO", p, INFO_HEADER + INFO_MODEL * n)
    models = tuple(InfoModel(**_unpack_layout(f"INFO model {i}", _INFO_MODEL_LAYOUT, p, INFO_HEADER + INFO_MODEL * i))
                   for i in range(n))
    return Info(**head, models=models)


def _flat(where: str, cls, layout: _Layout):
    st = _struct(layout)

    def pack(m) -> bytes:
        return _pack_layout(where, layout, vars(m))

    def unpack(p: bytes):
        _need(where, p, st.size)
        return cls(**_unpack_layout(where, layout, p))

    return pack, unpack


_CONFIG_PACK, _CONFIG_UNPACK = _flat("CONFIG", Config, _CONFIG_LAYOUT)
_F32 = struct.Struct("<f")


def _check_physiology(values: dict) -> None:
    """PHYSIOLOGY for the first subject field (offset order) that is neither 0 nor a value a person can
    have; values are compared as the float32 they are on the wire, as the node compares them."""
    offs = _offsets(_CONFIG_LAYOUT)
    for name in PHYSIOLOGY_RANGES:
        v = _F32.unpack(_F32.pack(float(values[name])))[0]
        lo, hi = PHYSIOLOGY_RANGES[name]
        if v != 0.0 and not lo <= v <= hi:
            raise _physiology("CONFIG", name, offs[name], v)


def _pack_config(m: Config) -> bytes:
    out = _CONFIG_PACK(m)  # every field valid on the wire first (BAD_VALUE)
    _check_physiology(vars(m))
    return out


def _unpack_config(p: bytes) -> Config:
    c = _CONFIG_UNPACK(p)
    _check_physiology(vars(c))
    return c


def field_name(type: int, offset: int) -> str | None:
    """Name of the fixed-layout field at payload byte `offset` of message type `type` (the detail of a
    BAD_VALUE or PHYSIOLOGY NACK), None when there is none; PHASE and ACTIVITY items as e.g. "code[3]"."""
    items = {MsgType.PHASE: (PHASE_HEADER, PHASE_MAX, _PHASE_ITEM_LAYOUT),
             MsgType.ACTIVITY: (ACTIVITY_HEADER, ACTIVITY_MAX, _ACTIVITY_ITEM_LAYOUT)}.get(type)
    if items is not None and isinstance(offset, int) and offset >= items[0]:
        head, most, item = items
        i, rest = divmod(offset - head, 2)
        return f"{item[rest][0]}[{i}]" if i < most else None
    layouts = {MsgType.INFO: _INFO_LAYOUT, MsgType.CONFIG: _CONFIG_LAYOUT, MsgType.MODE: _MODE_LAYOUT,
               MsgType.SAMPLES: _SAMPLES_HEAD_LAYOUT, MsgType.HEEL_STRIKE: _HEEL_STRIKE_LAYOUT,
               MsgType.ESTIMATE: _ESTIMATE_LAYOUT, MsgType.TELEMETRY: _TELEMETRY_LAYOUT,
               MsgType.LOG: _LOG_HEAD_LAYOUT, MsgType.ACK: _ACK_LAYOUT, MsgType.NACK: _NACK_LAYOUT,
               MsgType.CALIBRATE: _CALIBRATE_LAYOUT, MsgType.CALIBRATION: _CALIBRATION_LAYOUT,
               MsgType.PHASE: _PHASE_HEAD_LAYOUT, MsgType.ACTIVITY: _ACTIVITY_HEAD_LAYOUT}
    layout = layouts.get(type)
    if layout is None:
        return None
    return {off: name for name, off in _offsets(layout).items()}.get(offset)


def nack_text(nack: "Nack") -> str:
    """The NACK in words: reason name and detail, with the field and the allowed range for a refused
    value (e.g. "PHYSIOLOGY: CONFIG field height_m (payload byte 7) outside 0.5..2.5 m, 0 = unknown")."""
    try:
        reason = NackReason(nack.reason)
    except ValueError:
        return f"reason {nack.reason} (detail {nack.detail})"
    if reason in (NackReason.BAD_VALUE, NackReason.PHYSIOLOGY):
        name = field_name(nack.type, nack.detail)
        if name is not None:
            try:
                where = MsgType(nack.type).name
            except ValueError:
                where = f"type 0x{nack.type:02X}"
            text = f"{reason.name}: {where} field {name} (payload byte {nack.detail})"
            if reason == NackReason.PHYSIOLOGY and name in PHYSIOLOGY_RANGES:
                lo, hi = PHYSIOLOGY_RANGES[name]
                unit = PHYSIOLOGY_UNITS[name]
                text += f" outside {lo:g}..{hi:g} {unit}, 0 = unknown"
            elif reason == NackReason.BAD_VALUE and name in CONFIG_RANGES:
                lo, hi = CONFIG_RANGES[name]
                text += f" outside {lo:g}..{hi:g} (or NaN)"
            return text
    return f"{reason.name} (detail {nack.detail})"


def _pack_samples(m: Samples) -> bytes:
    n = len(m.raw)
    if n > MAX_BATCH:
        raise _bad_value("SAMPLES", "count", 4, f"is {n}, at most {MAX_BATCH}")
    head = _pack_layout("SAMPLES", _SAMPLES_HEAD_LAYOUT, {"first_index": m.first_index, "count": n, "reserved": 0})
    return head + m.raw.astype("<i2").tobytes()


def _unpack_samples(p: bytes) -> Samples:
    if not SAMPLES_HEADER <= len(p) <= MAX_PAYLOAD:
        raise _bad_length("SAMPLES", len(p), f"{SAMPLES_HEADER} + {SAMPLE_BYTES} per sample")
    head = _unpack_layout("SAMPLES", _SAMPLES_HEAD_LAYOUT, p)
    n = head["count"]
    if n > MAX_BATCH:
        raise _bad_value("SAMPLES", "count", 4, f"is {n}, at most {MAX_BATCH}")
    _need("SAMPLES", p, SAMPLES_HEADER + SAMPLE_BYTES * n)
    if head["reserved"] != 0:
        raise _bad_value("SAMPLES", "reserved", 5, f"is {head['reserved']}, must be 0")
    raw = np.frombuffer(p, dtype="<i2", count=n * AXES, offset=SAMPLES_HEADER).reshape(n, AXES)
    return Samples(first_index=head["first_index"], raw=raw)


def _pack_telemetry(m: Telemetry) -> bytes:
    if len(m.models) > TELEMETRY_MAX_MODELS:
        raise _bad_value("TELEMETRY", "n_models", 7, f"is {len(m.models)}, at most {TELEMETRY_MAX_MODELS}")
    head = {f.name: getattr(m, f.name) for f in fields(Telemetry) if f.name != "models"}
    out = _pack_layout("TELEMETRY", _TELEMETRY_LAYOUT, {**head, "n_models": len(m.models)})
    for i, x in enumerate(m.models):
        out += _pack_layout(f"TELEMETRY model {i}", _TELEMETRY_MODEL_LAYOUT, vars(x),
                            TELEMETRY_HEADER + TELEMETRY_MODEL * i)
    return out


def _unpack_telemetry(p: bytes) -> Telemetry:
    if not TELEMETRY_HEADER <= len(p) <= MAX_PAYLOAD:
        raise _bad_length("TELEMETRY", len(p), f"{TELEMETRY_HEADER} + {TELEMETRY_MODEL} per model")
    head = _unpack_layout("TELEMETRY", _TELEMETRY_LAYOUT, p)
    n = head.pop("n_models")
    if n > TELEMETRY_MAX_MODELS:
        raise _bad_value("TELEMETRY", "n_models", 7, f"is {n}, at most {TELEMETRY_MAX_MODELS}")
    _need("TELEMETRY", p, TELEMETRY_HEADER + TELEMETRY_MODEL * n)
    models = tuple(TelemetryModel(**_unpack_layout(f"TELEMETRY model {i}", _TELEMETRY_MODEL_LAYOUT, p,
                                                   TELEMETRY_HEADER + TELEMETRY_MODEL * i)) for i in range(n))
    return Telemetry(**head, models=models)


def _pack_log(m: Log) -> bytes:
    if not isinstance(m.text, str):
        raise _bad_value("LOG", "text", 1, f"must be a str, got {type(m.text).__name__}")
    text = m.text.encode("utf-8")
    if len(text) > LOG_MAX:
        raise ProtocolError(f"LOG: text of {len(text)} UTF-8 bytes exceeds {LOG_MAX}",
                            reason=NackReason.BAD_LENGTH, detail=1 + len(text))
    return _pack_layout("LOG", _LOG_HEAD_LAYOUT, {"level": m.level}) + text


def _unpack_log(p: bytes) -> Log:
    if not 1 <= len(p) <= MAX_PAYLOAD:
        raise _bad_length("LOG", len(p), f"1..{MAX_PAYLOAD}")
    level = _unpack_layout("LOG", _LOG_HEAD_LAYOUT, p)["level"]
    return Log(level=level, text=p[1:].decode("utf-8", errors="replace"))


def _pack_calibration(m: Calibration) -> bytes:
    g = tuple(m.gravity)
    r = tuple(tuple(row) for row in m.rot)
    if len(g) != 3 or len(r) != 3 or any(len(row) != 3 for row in r):
        raise ProtocolError("CALIBRATION: gravity must have 3 values and rot 3x3")
    values = {"status": m.status, **{f"gravity{i}": g[i] for i in range(3)},
              **{f"rot{i}{j}": r[i][j] for i in range(3) for j in range(3)}}
    return _pack_layout("CALIBRATION", _CALIBRATION_LAYOUT, values)


def _unpack_calibration(p: bytes) -> Calibration:
    _need("CALIBRATION", p, _struct(_CALIBRATION_LAYOUT).size)
    v = _unpack_layout("CALIBRATION", _CALIBRATION_LAYOUT, p)
    return Calibration(status=v["status"], gravity=tuple(v[f"gravity{i}"] for i in range(3)),
                       rot=tuple(tuple(v[f"rot{i}{j}"] for j in range(3)) for i in range(3)))


def _pack_items(where: str, layout: _Layout, columns: tuple, head: int) -> bytes:
    """The (u8, u8) items after a PHASE/ACTIVITY header, fields named e.g. "code[3]" in errors."""
    out = b""
    for i, pair in enumerate(zip(*columns)):
        item = tuple((f"{n}[{i}]", c, chk) for n, c, chk in layout)
        out += _pack_layout(where, item, {n: v for (n, _, _), v in zip(item, pair)}, head + 2 * i)
    return out


def _unpack_items(where: str, layout: _Layout, p: bytes, n: int, head: int) -> tuple[tuple, tuple]:
    a, b = [], []
    for i in range(n):
        item = tuple((f"{name}[{i}]", c, chk) for name, c, chk in layout)
        v = _unpack_layout(where, item, p, head + 2 * i)
        a.append(int(v[item[0][0]]))
        b.append(v[item[1][0]])
    return tuple(a), tuple(b)


def _pack_phase(m: Phase) -> bytes:
    n = len(m.codes)
    if not 1 <= n <= PHASE_MAX:
        raise _bad_value("PHASE", "count", 4, f"is {n}, expected 1..{PHASE_MAX}")
    if len(m.confidences) != n:
        raise ProtocolError(f"PHASE: {n} codes but {len(m.confidences)} confidences")
    head = _pack_layout("PHASE", _PHASE_HEAD_LAYOUT, {"first_index": m.first_index, "count": n})
    return head + _pack_items("PHASE", _PHASE_ITEM_LAYOUT, (m.codes, m.confidences),
                              PHASE_HEADER)


def _unpack_phase(p: bytes) -> Phase:
    if not PHASE_HEADER + 2 <= len(p) <= PHASE_HEADER + 2 * PHASE_MAX:  # 1..PHASE_MAX items (as gn_msg.c)
        raise _bad_length("PHASE", len(p), f"{PHASE_HEADER} + 2 per sample, 1..{PHASE_MAX} samples")
    head = _unpack_layout("PHASE", _PHASE_HEAD_LAYOUT, p)
    n = head["count"]
    if not 1 <= n <= PHASE_MAX:
        raise _bad_value("PHASE", "count", 4, f"is {n}, expected 1..{PHASE_MAX}")
    _need("PHASE", p, PHASE_HEADER + 2 * n)
    codes, conf = _unpack_items("PHASE", _PHASE_ITEM_LAYOUT, p, n, PHASE_HEADER)
    return Phase(first_index=head["first_index"], codes=codes, confidences=conf)


def _pack_activity(m: Activity) -> bytes:
    n = len(m.classes)
    if len(m.probs) != n:
        raise ProtocolError(f"ACTIVITY: {n} classes but {len(m.probs)} probabilities")
    head = {"sample_index": m.sample_index, "code": m.code, "n": n}
    out = _pack_layout("ACTIVITY", _ACTIVITY_HEAD_LAYOUT, head)  # code checked before n (offset order)
    if not 1 <= n <= ACTIVITY_MAX:
        raise _bad_value("ACTIVITY", "n", 5, f"is {n}, expected 1..{ACTIVITY_MAX}")
    return out + _pack_items("ACTIVITY", _ACTIVITY_ITEM_LAYOUT, (m.classes, m.probs),
                             ACTIVITY_HEADER)


def _unpack_activity(p: bytes) -> Activity:
    if not ACTIVITY_HEADER + 2 <= len(p) <= ACTIVITY_HEADER + 2 * ACTIVITY_MAX:
        raise _bad_length("ACTIVITY", len(p), f"{ACTIVITY_HEADER} + 2 per class, 1..{ACTIVITY_MAX} classes")
    head = _unpack_layout("ACTIVITY", _ACTIVITY_HEAD_LAYOUT, p)
    n = head["n"]
    if not 1 <= n <= ACTIVITY_MAX:
        raise _bad_value("ACTIVITY", "n", 5, f"is {n}, expected 1..{ACTIVITY_MAX}")
    _need("ACTIVITY", p, ACTIVITY_HEADER + 2 * n)
    classes, probs = _unpack_items("ACTIVITY", _ACTIVITY_ITEM_LAYOUT, p, n, ACTIVITY_HEADER)
    return Activity(sample_index=head["sample_index"], code=head["code"], classes=classes, probs=probs)


def _pack_hello(m: Hello) -> bytes:
    return b""


def _unpack_hello(p: bytes) -> Hello:
    _need("HELLO", p, 0)
    return Hello()


_CODECS = {
    MsgType.HELLO: (Hello, _pack_hello, _unpack_hello),
    MsgType.INFO: (Info, _pack_info, _unpack_info),
    MsgType.CONFIG: (Config, _pack_config, _unpack_config),
    MsgType.MODE: (ModeMsg, *_flat("MODE", ModeMsg, _MODE_LAYOUT)),
    MsgType.SAMPLES: (Samples, _pack_samples, _unpack_samples),
    MsgType.HEEL_STRIKE: (HeelStrike, *_flat("HEEL_STRIKE", HeelStrike, _HEEL_STRIKE_LAYOUT)),
    MsgType.ESTIMATE: (Estimate, *_flat("ESTIMATE", Estimate, _ESTIMATE_LAYOUT)),
    MsgType.TELEMETRY: (Telemetry, _pack_telemetry, _unpack_telemetry),
    MsgType.LOG: (Log, _pack_log, _unpack_log),
    MsgType.ACK: (Ack, *_flat("ACK", Ack, _ACK_LAYOUT)),
    MsgType.NACK: (Nack, *_flat("NACK", Nack, _NACK_LAYOUT)),
    MsgType.CALIBRATE: (Calibrate, *_flat("CALIBRATE", Calibrate, _CALIBRATE_LAYOUT)),
    MsgType.CALIBRATION: (Calibration, _pack_calibration, _unpack_calibration),
    MsgType.PHASE: (Phase, _pack_phase, _unpack_phase),
    MsgType.ACTIVITY: (Activity, _pack_activity, _unpack_activity),
}
_TYPE_OF = {cls: t for t, (cls, _, _) in _CODECS.items()}

Message = (Hello | Info | Config | ModeMsg | Samples | HeelStrike | Estimate | Telemetry | Log | Ack | Nack
           | Calibrate | Calibration | Phase | Activity)


def msg_type(msg) -> MsgType:
    """The MsgType of a message object."""
    try:
        return _TYPE_OF[type(msg)]
    except KeyError:
        raise ProtocolError(f"not a protocol message: {type(msg).__name__}") from None


def pack(msg) -> tuple[int, bytes]:
    """(type, payload) of a message; ProtocolError naming the field when a value is out of range."""
    t = msg_type(msg)
    return t, _CODECS[t][1](msg)


def unpack(type: int, payload: bytes):
    """The message in a payload of the given type; ProtocolError (with the NACK reason and detail
    a device would answer) for an unknown type, a wrong length or a field out of range."""
    try:
        t = MsgType(type)
    except ValueError:
        raise ProtocolError(f"unknown message type 0x{type:02X}" if isinstance(type, int) else
                            f"unknown message type {type!r}", reason=NackReason.UNKNOWN_TYPE,
                            detail=type if isinstance(type, int) else 0) from None
    return _CODECS[t][2](bytes(payload))


def to_frame(msg, seq: int, t_us: int = 0) -> Frame:
    """A frame carrying msg (encode it with framing.encode_frame)."""
    t, payload = pack(msg)
    return Frame(type=int(t), seq=seq, t_us=t_us, payload=payload)


def from_frame(frame: Frame):
    """The message in a decoded frame; ProtocolError for another protocol version or a bad payload."""
    if frame.version != PROTOCOL_VERSION:
        raise ProtocolError(f"frame has protocol version {frame.version}, this host speaks {PROTOCOL_VERSION}",
                            reason=NackReason.VERSION, detail=frame.version)
    return unpack(frame.type, frame.payload)


__all__ = [
    "AXES", "MAX_BATCH", "LOG_MAX", "NAME_LEN", "HOST_TO_DEVICE", "DEVICE_TO_HOST",
    "MsgType", "NackReason", "Mode", "Placement", "Side", "Sex", "Source", "EstimateKind", "Estimator",
    "LogLevel", "CalibStatus", "PhaseCode", "ActivityCode", "PHASE_MAX", "ACTIVITY_MAX",
    "Hello", "Info", "InfoModel", "Config", "ModeMsg", "Samples", "HeelStrike", "Estimate", "Telemetry",
    "TelemetryModel", "Log", "Ack", "Nack", "Calibrate", "Calibration", "Phase", "Activity", "Message",
    "ProtocolError", "pack", "unpack", "msg_type", "to_frame", "from_frame", "field_name", "nack_text",
    "CONFIG_RANGES", "PHYSIOLOGY_RANGES",
]

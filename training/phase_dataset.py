"""Gait-phase data (paper 001): input matrices, [-1, 1] normalisation, windows, phase and terrain labels.

Windows. A window k holds rows [k*hop, k*hop + window) at the model's rate (40 rows at 100 Hz by
default) and is labelled on its LAST `hop` rows (10): row j of the output is the phase of input
row window - hop + j, the newest samples. So each inference labels the samples that arrived since
the previous one and the node needs no look-ahead (model.json output "last_hop").

Labels. `session.phase` (PHASES index of the leg the sensor is on, -1 = no gait), mapped into
the model's `classes` (-1 for a phase the model does not know). Terrain per labelled row from
`session.activity`: walking and running -> "level", upstairs -> "stairs_up", downstairs ->
"stairs_down", anything else -1.

Normalisation (paper 001, eq. 1): each channel is mapped to [-1, 1] by the range of the training
data, x_norm = (x - mean) / std with mean = (max + min) / 2 and std = (max - min) / 2, stored in
model.json as norm_mean / norm_std; the model input is then clipped to +-input_clip (1.5) so an
outlier beyond the training range cannot spread the int8 input scale. `RangeNormalizer` takes
the range between the `quantile` and 1 - `quantile` of the training samples (default 0.03;
quantile 0 is the paper's plain min/max). Why: the node's int8 input has one scale for all
channels over +-input_clip, so a range set by running's rare peaks (gyro +-790 deg/s) leaves slow
stair climbing a few int8 steps; on synthetic held-out subjects the 0.1-99.9 % range lost 7 points
of stairs-up accuracy to int8 (92.2 -> 85.5 %), the 3-97 % range none (93.9 -> 93.8 %).

Extra channels (multi-sensor setups). `channels` are IMU names (IMU9: acc_x .. mag_z) and, beyond
them, names of the session's `series` (e.g. "fsr_heel", "fsr_ball" from foot-pressure insoles),
interpolated onto the IMU sample times. A second IMU on another segment is the same mechanism:
`attach_imu(session, other, "thigh")` copies the synchronised session `other`'s IMU into series
thigh_acc_x .. thigh_mag_z, which are then ordinary channel names. Such models train and evaluate
like node models but only IMU9 channels can run on a node (no C export).

Rate. The model's rows are at meta["rate_hz"]; a session at an integer multiple k of it is
decimated by averaging k consecutive samples (the node does the same), labels from the last
sample of each group. Other rates are refused.
"""

from __future__ import annotations

import numpy as np

from gaitnode.errors import GaitnodeError
from gaitnode.sessions.model import ACTIVITIES, PHASES, Series, Session
from gaitnode.training.datasets import session_name
from gaitnode.training.windows import CHANNEL_SETS, IMU9, normalise, same_rate, session_matrix, window_starts

PHASE_RATE_HZ = 100.0
PHASE_WINDOW = 40
PHASE_HOP = 10
INPUT_CLIP = 1.5
RANGE_QUANTILE = 0.03
TERRAINS = ("level", "stairs_up", "stairs_down")
_TERRAIN_OF_ACTIVITY = {"walking": 0, "running": 0, "upstairs": 1, "downstairs": 2}


def resolve_phase_channels(channels) -> tuple[str, ...]:
    """Channel names from a set name ("acc+gyr" | "acc+gyr+mag"), or a list mixing IMU9 names and
    series names (extra sensors). GaitnodeError for an empty list, duplicates or a bad name."""
    if isinstance(channels, str):
        if channels in CHANNEL_SETS:
            return CHANNEL_SETS[channels]
        channels = [c.strip() for c in channels.split(",") if c.strip()]
    names = tuple(channels)
    if not names or len(set(names)) != len(names):
        raise GaitnodeError(f"channels {list(names)} must be a non-empty list of distinct names "
                            f"(IMU: {', '.join(IMU9)}; others: series of the sessions)")
    for c in names:
        if not (isinstance(c, str) and c[:1].isalpha() and c.replace("_", "a").isalnum() and c == c.lower()):
            raise GaitnodeError(f"channel name {c!r} must be lower-case letters, digits and _ (starting with a letter)")
    return names


def is_node_channels(channels) -> bool:
    """Whether every channel is an IMU9 channel (a model a node can run)."""
    return all(c in IMU9 for c in channels)


def attach_imu(session: Session, other: Session, prefix: str) -> Session:
    """`session` with `other`'s IMU (a second sensor on the same walk, same clock) added as series
    <prefix>_acc_x .. <prefix>_mag_z (in place; returned). GaitnodeError when the clocks do not overlap."""
    if not prefix or not prefix.replace("_", "a").isalnum() or prefix != prefix.lower():
        raise GaitnodeError(f"prefix {prefix!r} must be lower-case letters, digits and _")
    t, t_other = session.imu.t_s, other.imu.t_s
    if len(t_other) < 2 or t_other[-1] < t[0] or t_other[0] > t[-1]:
        raise GaitnodeError(f"{session_name(other)}: its IMU does not overlap {session_name(session)} in time; "
                            f"a second sensor must be recorded on the same clock")
    for sensor in ("acc", "gyr", "mag"):
        data = getattr(other.imu, sensor)
        if sensor == "mag" and (not other.meta.has_mag or np.isnan(data).all()):
            continue
        for i, axis in enumerate("xyz"):
            session.series[f"{prefix}_{sensor}_{axis}"] = Series(t_other, data[:, i].astype(np.float64))
    return session


def _series_column(session: Session, name: str) -> np.ndarray:
    s = session.series.get(name)
    if s is None or len(s) < 2:
        have = ", ".join(sorted(session.series)) or "none"
        raise GaitnodeError(f"{session_name(session)}: channel {name!r} is neither an IMU channel "
                            f"({', '.join(IMU9)}) nor a series of the session (series: {have})")
    t = session.imu.t_s
    ok = np.isfinite(s.t_s) & np.isfinite(s.value)
    if ok.sum() < 2 or s.t_s[ok][0] > t[0] + 0.05 or s.t_s[ok][-1] < t[-1] - 0.05:
        raise GaitnodeError(f"{session_name(session)}: series {name!r} does not cover the IMU recording "
                            f"({t[0]:.2f}-{t[-1]:.2f} s); extra channels need a value at every sample")
    return np.interp(t, s.t_s[ok], s.value[ok]).astype(np.float32)


def decimation(session: Session, rate_hz: float) -> int:
    """Samples per model row: session rate / model rate, an integer >= 1; GaitnodeError otherwise."""
    k = float(session.meta.rate_hz) / float(rate_hz)
    if k < 1 - 1e-9 or not same_rate(round(k), k):
        raise GaitnodeError(f"{session_name(session)}: recorded at {session.meta.rate_hz:g} Hz, but the phase model "
                            f"runs at {float(rate_hz):g} Hz; the session rate must be an integer multiple of it "
                            f"(resample on import with --rate)")
    return int(round(k))


def _decimate(x: np.ndarray, k: int) -> np.ndarray:
    """Mean of k consecutive rows (the node's decimation); a partial last group is dropped."""
    if k == 1:
        return x
    n = len(x) // k
    return x[:n * k].reshape(n, k, *x.shape[1:]).mean(axis=1, dtype=np.float64).astype(x.dtype)


def _last_of_groups(y: np.ndarray, k: int) -> np.ndarray:
    return y if k == 1 else y[k - 1:(len(y) // k) * k:k]


def phase_matrix(session: Session, channels, rate_hz: float = PHASE_RATE_HZ) -> np.ndarray:
    """float32 [N, C] of the session in the order of `channels` (IMU9 names from the IMU, other names
    from its series), decimated to rate_hz."""
    names = resolve_phase_channels(channels)
    imu_names = [c for c in names if c in IMU9]
    cols = {}
    if imu_names:
        m = session_matrix(session, imu_names)
        cols = {c: m[:, i] for i, c in enumerate(imu_names)}
    for c in names:
        if c not in cols:
            cols[c] = _series_column(session, c)
    x = np.stack([cols[c] for c in names], axis=1).astype(np.float32)
    return _decimate(x, decimation(session, rate_hz))


def phase_labels(session: Session, classes=PHASES, rate_hz: float = PHASE_RATE_HZ) -> np.ndarray:
    """int64 [N] class index into `classes` per row at rate_hz (-1: no gait or a phase not in classes)."""
    if session.phase is None:
        raise GaitnodeError(f"{session_name(session)}: has no per-sample gait phase labels (session.phase); label "
                            f"recordings with foot-pressure channels with training.phase_fsr.FsrPhaseLabeller, "
                            f"or use simulated sessions")
    if len(session.phase) != len(session.imu):
        raise GaitnodeError(f"{session_name(session)}: {len(session.phase)} phase labels for {len(session.imu)} "
                            f"IMU samples")
    lut = np.full(len(PHASES) + 1, -1, np.int64)  # index -1 (no gait) reads the last entry
    for i, c in enumerate(classes):
        if c not in PHASES:
            raise GaitnodeError(f"phase class {c!r} is not one of {', '.join(PHASES)}")
        lut[PHASES.index(c)] = i
    y = lut[np.asarray(session.phase, np.int64)]
    return _last_of_groups(y, decimation(session, rate_hz))


def terrain_labels(session: Session, rate_hz: float = PHASE_RATE_HZ) -> np.ndarray:
    """int64 [N] index into TERRAINS per row at rate_hz (-1: not walking, running or on stairs, or unknown)."""
    n = len(session.imu)
    if session.activity is None:
        y = np.full(n, -1, np.int64)
    else:
        lut = np.full(len(ACTIVITIES) + 1, -1, np.int64)
        for name, t in _TERRAIN_OF_ACTIVITY.items():
            lut[ACTIVITIES.index(name)] = t
        y = lut[np.asarray(session.activity, np.int64)]
    return _last_of_groups(y, decimation(session, rate_hz))


class RangeNormalizer:
    """Per-channel [-1, 1] scaling by the training range (paper 001 eq. 1; module docstring).

    Parameters: quantile (range between this quantile and 1 - quantile; 0 = min/max), half_range_floor
    (smallest (max - min) / 2 used, in the channel's unit). Results after `fit`: mean_ = (max + min) / 2,
    std_ = (max - min) / 2 (float32 [C]).
    """

    def __init__(self, quantile: float = RANGE_QUANTILE, half_range_floor: float = 1e-2):
        self.quantile = quantile
        self.half_range_floor = half_range_floor

    def fit(self, matrices) -> "RangeNormalizer":
        q = self.quantile
        if not (isinstance(q, (int, float)) and 0 <= q < 0.5):
            raise GaitnodeError(f"range quantile must be in [0, 0.5), got {q!r}")
        matrices = [np.asarray(m, np.float32) for m in matrices]
        if not matrices or sum(len(m) for m in matrices) == 0:
            raise GaitnodeError("normalisation needs at least one sample")
        if len({m.shape[1] for m in matrices}) != 1:
            raise GaitnodeError("normalisation: sessions differ in channel count")
        x = np.concatenate(matrices)
        lo, hi = (x.min(axis=0), x.max(axis=0)) if q == 0 else np.quantile(x, [q, 1 - q], axis=0)
        self.mean_ = ((hi + lo) / 2).astype(np.float32)
        self.std_ = np.maximum((hi - lo) / 2, self.half_range_floor).astype(np.float32)
        return self


def model_inputs(X, mean, std, clip: float | None = INPUT_CLIP) -> np.ndarray:
    """Raw windows [..., C] -> model input: (x - mean) / std, clipped to +-clip (None: no clip)."""
    x = normalise(X, mean, std)
    return x if clip is None else np.clip(x, -float(clip), float(clip), out=x)


def session_rows(session: Session, meta: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(raw x float32 [N, C], labels int64 [N], terrain int64 [N]) of one session at the model's rate."""
    rate = float(meta["rate_hz"])
    x = phase_matrix(session, meta["channels"], rate)
    y = phase_labels(session, meta["classes"], rate)
    terrain = terrain_labels(session, rate)
    n = min(len(x), len(y), len(terrain))
    return x[:n], y[:n], terrain[:n]


def window_arrays(x: np.ndarray, y: np.ndarray, window: int, hop: int, *, name: str = "session",
                  step: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(X [n, window, C], Y [n, hop], starts [n]) with windows every `step` rows (default hop); Y[k, j] =
    y[start_k + window - hop + j]."""
    starts = window_starts(len(x), window, hop if step is None else step, name=name)
    X = x[starts[:, None] + np.arange(window)[None, :]]
    Y = y[starts[:, None] + (window - hop) + np.arange(hop)[None, :]]
    return X, Y, starts


def phase_windows(session: Session, meta: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One session as (X float32 [n, window, C] model input, Y int64 [n, hop], terrain int64 [n, hop])."""
    window, hop = int(meta["window"]), int(meta["hop"])
    x, y, terrain = session_rows(session, meta)
    name = session_name(session)
    X, Y, starts = window_arrays(x, y, window, hop, name=name)
    T = terrain[starts[:, None] + (window - hop) + np.arange(hop)[None, :]]
    X = model_inputs(X, meta["norm_mean"], meta["norm_std"], meta.get("input_clip"))
    return X, Y, T


def phase_arrays(sessions, meta: dict) -> tuple[np.ndarray, np.ndarray]:
    """The task data adapter: (X float32 [n, window, C] model input (normalised and clipped), Y int64
    [n, hop] class index into meta["classes"], -1 = no label), windows at the model's hop over all
    `sessions` (a list of Session). GaitnodeError for no sessions or a session without phase labels."""
    sessions = list(sessions or [])
    if not sessions:
        raise GaitnodeError("no sessions for gait-phase windows")
    parts = [phase_windows(s, meta)[:2] for s in sessions]
    return (np.concatenate([p[0] for p in parts]).astype(np.float32),
            np.concatenate([p[1] for p in parts]).astype(np.int64))

"""Model inputs from sessions: channel matrices, normalisation and windowing.

Windowing follows the model-dir contract: window k starts at sample s = k * hop and holds
x[s:s+W]; its output j is the heel-strike probability of sample s + j - output_delay, so the
training target is Y[k, j] = y[s + j - output_delay] (0 where that is before the session start).
"""

from __future__ import annotations

import numpy as np

from gaitnode.errors import GaitnodeError
from gaitnode.sessions.model import Imu, Session
from gaitnode.training.datasets import session_name

ACC6 = ("acc_x", "acc_y", "acc_z", "gyr_x", "gyr_y", "gyr_z")
IMU9 = ACC6 + ("mag_x", "mag_y", "mag_z")
CHANNEL_SETS = {"acc+gyr": ACC6, "acc+gyr+mag": IMU9}
SENSORS = ("acc", "gyr", "mag")  # each a 3-axis vector in the sensor frame
_AXES = ("x", "y", "z")


def resolve_channels(channels) -> tuple[str, ...]:
    """Channel names from a set name ("acc+gyr" | "acc+gyr+mag") or a list of names like "gyr_z"."""
    if isinstance(channels, str):
        if channels not in CHANNEL_SETS:
            raise GaitnodeError(f"channels {channels!r} is not one of {', '.join(CHANNEL_SETS)} (or a list of names)")
        return CHANNEL_SETS[channels]
    names = tuple(channels)
    valid = {f"{s}_{a}" for s in SENSORS for a in _AXES}
    bad = [c for c in names if c not in valid]
    if not names or bad or len(set(names)) != len(names):
        raise GaitnodeError(f"channels {list(names)} must be distinct names from {', '.join(IMU9)}")
    return names


def sensor_triplets(channels) -> list[tuple[int, int, int]]:
    """Column indices (x, y, z) of every sensor whose three axes are all among `channels`."""
    channels = list(resolve_channels(channels))
    return [tuple(channels.index(f"{s}_{a}") for a in _AXES) for s in SENSORS
            if all(f"{s}_{a}" in channels for a in _AXES)]


def same_rate(a: float, b: float) -> bool:
    return abs(float(a) - float(b)) <= 1e-6 * max(abs(float(a)), abs(float(b)))


def at_rate(session: Session, rate_hz: float) -> Session:
    """The session itself when its rate is `rate_hz`, else a copy with the IMU resampled onto a
    uniform `rate_hz` grid (`gaitnode.sessions.resample.Resampler`, anti-aliased). Events and
    series are times, so they carry over unchanged; per-sample phase/activity labels are dropped.
    Raises GaitnodeError when the IMU cannot be resampled (gaps, too few samples)."""
    if same_rate(session.meta.rate_hz, rate_hz):
        return session
    from gaitnode.sessions.resample import Resampler

    imu = session.imu
    cols = {f"{s}_{a}": getattr(imu, s)[:, i] for s in SENSORS[:2] for i, a in enumerate(_AXES)}
    if session.meta.has_mag and not np.isnan(imu.mag).all():
        cols.update({f"mag_{a}": imu.mag[:, i] for i, a in enumerate(_AXES)})
    r = Resampler(rate_hz, source=session_name(session)).resample(imu.t_s, cols)
    stack = {s: np.stack([r.signals_[f"{s}_{a}"] for a in _AXES], axis=1) if f"{s}_x" in r.signals_ else None
             for s in SENSORS}
    t_us = np.round(r.t_s_ * 1e6).astype(np.int64)
    meta = type(session.meta).from_dict(session.meta.to_dict())
    meta.rate_hz = float(rate_hz)
    meta.extra = {**meta.extra, "resampled_from_hz": float(session.meta.rate_hz)}
    return Session(meta=meta, imu=Imu(t_us, stack["acc"], stack["gyr"], stack["mag"]), events=session.events,
                   series=session.series)


def session_matrix(session: Session, channels, rate_hz: float | None = None) -> np.ndarray:
    """float32 [N, C] of the session's IMU in the order of `channels` (acc m/s^2, gyr deg/s, mag uT).

    rate_hz: the model's rate; a session at another rate is resampled first (`at_rate`), so N is
    then the resampled length. Raises GaitnodeError when magnetometer channels are asked of a
    session without a magnetometer, or a channel holds non-finite values.
    """
    names = resolve_channels(channels)
    if rate_hz is not None:
        session = at_rate(session, rate_hz)
    if any(c.startswith("mag_") for c in names) and (not session.meta.has_mag or np.isnan(session.imu.mag).all()):
        raise GaitnodeError(f"{session_name(session)}: has no magnetometer data, but the channels "
                            f"({len(names)}: {', '.join(names)}) include mag; use the 6-channel acc+gyr set")
    cols = [getattr(session.imu, c[:3])[:, _AXES.index(c[4])] for c in names]
    x = np.stack(cols, axis=1).astype(np.float32) if cols else np.zeros((len(session.imu), 0), np.float32)
    bad = ~np.isfinite(x)
    if bad.any():
        i, c = np.argwhere(bad)[0]
        raise GaitnodeError(f"{session_name(session)}: channel {names[c]} is not finite at sample {i}")
    return x


class Normalizer:
    """Per-channel standardisation (x - mean) / std over all samples of all given sessions.

    Parameters: std_floor (smallest std used, in the channel's unit; keeps a constant channel
    from being blown up). Results after `fit`: mean_, std_ (float32 [C]).
    """

    def __init__(self, std_floor: float = 1e-2):
        self.std_floor = std_floor

    def fit(self, matrices) -> "Normalizer":
        """Fit on a list of [N_i, C] matrices (all with the same C)."""
        matrices = [np.asarray(m, np.float64) for m in matrices]
        if not matrices or sum(len(m) for m in matrices) == 0:
            raise GaitnodeError("normalisation needs at least one sample")
        counts = sorted({m.shape[1] for m in matrices})
        if len(counts) != 1:
            raise GaitnodeError(f"normalisation: sessions differ in channel count ({counts})")
        n = sum(len(m) for m in matrices)
        mean = sum(m.sum(axis=0) for m in matrices) / n
        var = sum(((m - mean) ** 2).sum(axis=0) for m in matrices) / n
        self.mean_ = mean.astype(np.float32)
        self.std_ = np.maximum(np.sqrt(var), self.std_floor).astype(np.float32)
        return self

    def transform(self, x: np.ndarray) -> np.ndarray:
        return normalise(x, self.mean_, self.std_)


def normalise(x: np.ndarray, mean, std) -> np.ndarray:
    """(x - mean) / std over the last axis, float32."""
    return ((np.asarray(x, np.float32) - np.asarray(mean, np.float32)) / np.asarray(std, np.float32)).astype(np.float32)


def check_window_params(window: int, hop: int, output_delay: int) -> None:
    """GaitnodeError unless 1 <= hop <= window and 0 <= output_delay <= window - hop (so that the
    stitched outputs of consecutive windows meet without gap or overlap)."""
    for name, v in (("window", window), ("hop", hop), ("output_delay", output_delay)):
        if not isinstance(v, (int, np.integer)):
            raise GaitnodeError(f"{name} must be an integer number of samples, got {v!r}")
    if window < 1 or not 1 <= hop <= window:
        raise GaitnodeError(f"window {window} and hop {hop} samples: need 1 <= hop <= window")
    if not 0 <= output_delay <= window - hop:
        raise GaitnodeError(f"output delay {output_delay} samples must be between 0 and window - hop "
                            f"({window} - {hop} = {window - hop})")


def window_starts(n: int, window: int, hop: int, *, name: str = "session") -> np.ndarray:
    """Start samples 0, hop, 2*hop, ... of every whole window in n samples (int64)."""
    if n < window:
        raise GaitnodeError(f"{name}: {n} samples is shorter than one window ({window} samples)")
    return np.arange(0, n - window + 1, hop, dtype=np.int64)


def make_windows(x: np.ndarray, window: int, hop: int, output_delay: int, *, name: str = "session") -> np.ndarray:
    """Cut x [N, C] into model inputs X float32 [n, window, C] with X[k] = x[k*hop : k*hop + window].

    n = (N - window) // hop + 1; samples after the last whole window are not used. The targets
    of the same windows (y[k*hop + j - output_delay]) are gathered by the trainer's WindowSet,
    which keeps dense training windows lazy. output_delay is checked against the window here
    so every user of a model's windows sees the same rule. name: how errors call the input.
    Raises GaitnodeError when N < window or the parameters break the contract.
    """
    check_window_params(window, hop, output_delay)
    x = np.asarray(x, np.float32)
    starts = window_starts(len(x), window, hop, name=name)
    return x[starts[:, None] + np.arange(window)[None, :]]

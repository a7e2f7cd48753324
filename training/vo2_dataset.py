"""VO2 training data: checked sessions, windows at the deployed hop, targets in ml/kg/min, sequences.

Targets. A window k (samples [k*hop, k*hop + W)) ends at t_k, the time of its last sample; its
target is the subject's VO2 at t_k in ml/kg/min (the session's ml/min series / meta.subject.mass_kg):

* source "vo2" (default): the breath-by-breath series a metabolic cart records (what real users
  have): the mean of the breaths that end within +-average_s/2 of t_k (a centred 10 s average by
  default, the time averaging cart software applies), linear interpolation where no breath falls
  in that span. Breath noise (CV ~10 %) averages out in the mean-squared loss;
* source "vo2_true": the simulator's noise-free series, interpolated at t_k (synthetic only).

Inputs: normalised per channel with the training statistics and clipped to +-INPUT_CLIP
standard deviations (`model_inputs`).

Sequences. The node smooths the per-window outputs with a first-order filter, so training
compares the *filtered* outputs with the targets over runs of consecutive windows
(`SequenceSet`; the filter is vo2_trainer.filter_runs); the filter state before a run starts at the target there.

Bad input (one GaitnodeError each): a session without the VO2 series, without the subject's
mass, at another rate than asked, or shorter than one window.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gaitnode.errors import GaitnodeError
from gaitnode.sessions.model import Session
from gaitnode.training.datasets import session_name
from gaitnode.training.windows import normalise, same_rate, session_matrix, window_starts

TARGET_SOURCES = ("vo2", "vo2_true")
DEFAULT_SOURCE = "vo2"
BREATH_AVERAGE_S = 10.0
# Normalised inputs are clipped to +-INPUT_CLIP standard deviations (model.json input_clip). The int8
# input scale is then calibrated on clipped windows, so the int8 range covers +-INPUT_CLIP and the
# node's saturation to int8 is the same clip: 0.047 std per step instead of ~0.11 for the rare
# impact peaks' full range (measured: the int8-vs-float error per window halves).
INPUT_CLIP = 6.0


def model_inputs(X, mean, std, clip: float | None = INPUT_CLIP) -> np.ndarray:
    """Raw windows [..., C] -> the model's input: (x - mean) / std per channel, clipped to +-clip (None: none)."""
    x = normalise(X, mean, std)
    return x if clip is None else np.clip(x, -float(clip), float(clip), out=x)


def check_vo2_session(session: Session, *, source: str | None = DEFAULT_SOURCE, rate_hz: float | None = None,
                      placement: str | None = None, need_mass: bool = True) -> None:
    """GaitnodeError (one message) when `session` cannot serve as VO2 data.

    source: the VO2 series it must carry ("vo2" | "vo2_true"; None: none needed, e.g. to predict).
    rate_hz / placement: what the model expects (None: anything). need_mass: ml/kg/min needs the mass.
    """
    name = session_name(session)
    if source is not None:
        if source not in TARGET_SOURCES:
            raise GaitnodeError(f"VO2 target source {source!r} is not one of {', '.join(TARGET_SOURCES)}")
        s = session.series.get(source)
        if s is None or len(s) == 0:
            have = ", ".join(sorted(session.series)) or "none"
            hint = ("record VO2 with a metabolic cart (series 'vo2', ml/min) or use simulated sessions"
                    if source == "vo2" else "'vo2_true' exists only in simulated sessions; use --target-source vo2")
            raise GaitnodeError(f"{name}: has no {source!r} series (VO2 in ml/min; series present: {have}); "
                                f"VO2 training and evaluation need it: {hint}")
        if not np.isfinite(s.value).any():
            raise GaitnodeError(f"{name}: the {source!r} series holds no finite value")
    mass = session.meta.subject.mass_kg
    if need_mass and (mass is None or not np.isfinite(mass) or mass <= 0):
        raise GaitnodeError(f"{name}: subject {session.meta.subject.id!r} has no body mass (meta.subject.mass_kg "
                            f"is {mass!r}); VO2 in ml/kg/min needs it: set it when importing or recording")
    if rate_hz is not None and not same_rate(session.meta.rate_hz, rate_hz):
        raise GaitnodeError(f"{name}: recorded at {session.meta.rate_hz:g} Hz, but the VO2 model runs at "
                            f"{float(rate_hz):g} Hz (the board rate); resample the session to {float(rate_hz):g} Hz "
                            f"on import (--rate)")
    if placement is not None and session.meta.placement != placement:
        raise GaitnodeError(f"{name}: a {session.meta.placement} session, but the VO2 model is for {placement}; "
                            f"use sessions of the model's placement")


def vo2_ml_kg_min(session: Session, t_s, *, source: str = DEFAULT_SOURCE,
                  average_s: float = BREATH_AVERAGE_S) -> np.ndarray:
    """The session's VO2 in ml/kg/min at times t_s (s, the IMU clock), from series `source`
    (see the module docstring); NaN outside the span the series covers."""
    check_vo2_session(session, source=source)
    series = session.series[source]
    mass = float(session.meta.subject.mass_kg)
    t = np.asarray(t_s, np.float64)
    ok = np.isfinite(series.value) & np.isfinite(series.t_s)
    st, sv = series.t_s[ok], series.value[ok]
    value = np.interp(t, st, sv, left=np.nan, right=np.nan)
    if source == "vo2" and average_s > 0:
        # Centred time average of the breaths: cumulative sums over the sorted breath times.
        order = np.argsort(st, kind="stable")
        st, sv = st[order], sv[order]
        csum = np.concatenate([[0.0], np.cumsum(sv)])
        lo = np.searchsorted(st, t - average_s / 2.0, side="left")
        hi = np.searchsorted(st, t + average_s / 2.0, side="right")
        n = hi - lo
        inside = (n > 0) & np.isfinite(value)
        value[inside] = (csum[hi] - csum[lo])[inside] / n[inside]
    return value / mass


def reference_source(session: Session) -> str:
    """The series to score estimates against: the noise-free "vo2_true" when the session has it
    (simulated), else the measured "vo2"."""
    return "vo2_true" if len(session.series.get("vo2_true", ())) else "vo2"


@dataclass
class Vo2Prepared:
    """One session as VO2 model input: raw x float32 [N, C] (physical units), window starts
    [n] (samples), window end times t_end [n] (s), targets y [n] (ml/kg/min) and t0, the time of
    the session's first sample (s; the node's estimate periods count from it)."""

    name: str
    subject: str
    x: np.ndarray
    starts: np.ndarray
    t_end: np.ndarray
    y: np.ndarray
    t0: float = 0.0

    def tail(self, start: int, name_suffix: str = "") -> "Vo2Prepared":
        """Windows start.. of this session (the raw samples they need are kept)."""
        return Vo2Prepared(self.name + name_suffix, self.subject, self.x, self.starts[start:], self.t_end[start:],
                           self.y[start:], self.t0)

    def head(self, stop: int) -> "Vo2Prepared":
        return Vo2Prepared(self.name, self.subject, self.x, self.starts[:stop], self.t_end[:stop], self.y[:stop],
                           self.t0)


def session_windows_at_hop(session: Session, channels, window: int, hop: int) -> tuple[np.ndarray, np.ndarray,
                                                                                         np.ndarray]:
    """(raw x [N, C], window starts [n], window end times [n] s) of a session at its own rate."""
    x = session_matrix(session, channels)
    starts = window_starts(len(x), window, hop, name=session_name(session))
    t = session.imu.t_s
    return x, starts, t[starts + window - 1]


def prepare_vo2(sessions, channels, *, rate_hz: float, window: int, hop: int, source: str = DEFAULT_SOURCE,
                average_s: float = BREATH_AVERAGE_S, placement: str | None = None,
                what: str = "training") -> list[Vo2Prepared]:
    """Windows and targets of `sessions` (all checked with check_vo2_session). Windows whose
    target is undefined (outside the VO2 series) are dropped. GaitnodeError for no sessions or
    a session with no window that has a target."""
    sessions = list(sessions or [])
    if not sessions:
        raise GaitnodeError(f"no {what} sessions")
    out = []
    for s in sessions:
        check_vo2_session(s, source=source, rate_hz=rate_hz, placement=placement)
        x, starts, t_end = session_windows_at_hop(s, channels, window, hop)
        y = vo2_ml_kg_min(s, t_end, source=source, average_s=average_s)
        keep = np.isfinite(y)
        if not keep.any():
            raise GaitnodeError(f"{session_name(s)}: its {source!r} series does not overlap its IMU windows")
        # Keep a contiguous run (sequences assume consecutive windows): from the first to the last target.
        first, last = np.flatnonzero(keep)[[0, -1]]
        y = y[first:last + 1]
        if not np.isfinite(y).all():
            y = np.interp(np.arange(len(y)), np.flatnonzero(np.isfinite(y)), y[np.isfinite(y)])
        out.append(Vo2Prepared(session_name(s), str(s.meta.subject.id), x, starts[first:last + 1],
                               t_end[first:last + 1], y.astype(np.float32), float(s.imu.t_s[0])))
    return out


def hold_out_tail_windows(prepared: list[Vo2Prepared], fraction: float = 0.2,
                          min_windows: int = 4) -> tuple[list[Vo2Prepared], list[Vo2Prepared]]:
    """Split every session's windows in time: the first 1 - fraction train, the rest validate.
    GaitnodeError when a part would hold fewer than min_windows windows."""
    train, val = [], []
    for p in prepared:
        cut = int(round(len(p.y) * (1.0 - fraction)))
        if cut < min_windows or len(p.y) - cut < min_windows:
            raise GaitnodeError(f"{p.name}: {len(p.y)} windows are too few to hold out the last {fraction:.0%} "
                                f"for validation ({min_windows} windows each part); give validation sessions "
                                f"or longer data")
        train.append(p.head(cut))
        val.append(p.tail(cut, " (held-out tail)"))
    return train, val


def filter_coefficient(dt_s: float, tau_s: float) -> float:
    """a = 1 - exp(-dt / tau), the exact discretisation of dx/dt = (u - x) / tau with u held over dt
    (1 for tau 0: no smoothing)."""
    if tau_s < 0 or dt_s <= 0:
        raise GaitnodeError(f"smoothing needs tau >= 0 and a positive step, got tau {tau_s!r} s, step {dt_s!r} s")
    return 1.0 if tau_s == 0 else float(-np.expm1(-float(dt_s) / float(tau_s)))


class SequenceSet:
    """Runs of `length` consecutive windows of prepared sessions, for the filtered-sequence loss.

    `epoch(rng)` cuts every session into runs at a random phase (each window in one run per
    epoch; a session's first and last runs may be shorter, padded and masked). `gather(runs)`
    returns raw windows X [B * L, W, C], targets Y [B, L], mask M [B, L] and the filter's start
    state x0 [B] (the target just before each run; the first target for a run at a session start).
    """

    def __init__(self, prepared: list[Vo2Prepared], window: int, length: int):
        if not isinstance(length, int) or length < 1:
            raise GaitnodeError(f"sequence length must be a positive number of windows, got {length!r}")
        self.prepared, self.window, self.length = list(prepared), int(window), int(length)

    def n_windows(self) -> int:
        return sum(len(p.y) for p in self.prepared)

    def epoch(self, rng: np.random.Generator) -> list[tuple[int, int, int]]:
        """(session index, first window, count) of every run, shuffled."""
        runs = []
        for i, p in enumerate(self.prepared):
            n = len(p.y)
            phase = int(rng.integers(0, self.length)) if n > self.length else 0
            edges = sorted({0, n, *range(phase, n, self.length)})
            runs += [(i, a, b - a) for a, b in zip(edges[:-1], edges[1:]) if b > a]
        order = rng.permutation(len(runs))
        return [runs[j] for j in order]

    def gather(self, runs) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        L, W = self.length, self.window
        C = self.prepared[0].x.shape[1]
        X = np.zeros((len(runs), L, W, C), np.float32)
        Y = np.zeros((len(runs), L), np.float32)
        M = np.zeros((len(runs), L), np.float32)
        x0 = np.zeros(len(runs), np.float32)
        j = np.arange(W)
        for b, (i, a, n) in enumerate(runs):
            p = self.prepared[i]
            X[b, :n] = p.x[p.starts[a:a + n, None] + j]
            Y[b, :n] = p.y[a:a + n]
            M[b, :n] = 1.0
            x0[b] = p.y[a - 1] if a > 0 else p.y[0]
        return X.reshape(len(runs) * L, W, C), Y, M, x0

"""Gait-phase labels from foot-pressure sensors: paper 001's FSR threshold rules (section II.C).

For users whose recordings carry a heel and a ball (forefoot) force under each foot: label the
phases of one leg per sample, then train on them (`Session.phase`). The rules, per sample of the
primary foot, with each force compared to its threshold ("loaded"):

    heel loaded, ball unloaded  -> HS  (heel strike: the heel force rises to its peak, forefoot not yet down)
    heel loaded, ball loaded    -> ST  (full stance: the foot is flat)
    heel unloaded, ball loaded  -> HO  (heel off: only the forefoot carries the body)
    both unloaded               -> SW  (swing: both forces stay near zero until the next heel strike)

Force threshold: `threshold` times each sensor's robust peak (its 99th percentile over the
recording), or an absolute force when `absolute=True` (the sensor's unit).

Flat-zone rule: a phase must hold for at least `min_flat_s` (a flat zone of the thresholded
signal) before it counts; shorter runs (threshold chatter, a noisy crossing) are merged into the
phase before them. A stance run longer than `max_stance_s` (1.5 s; the slowest walking stance
lasts ~1 s) is the person standing, not a step, and gets -1 (no gait), as the simulator labels
standing; with the other foot's forces, its part after the other heel lifts (gait initiation:
the other leg's first push-off) stays ST.

Both feet: with the other foot's forces, hs_end="double_support" applies the paper's literal HS
rule: heel strike lasts from the primary foot's contact until the secondary foot leaves the
ground (its forces drop below threshold), i.e. the first double-support; the default
"foot_flat" ends HS when the primary forefoot is loaded (simulator's definition; in walking the
two agree within a few per cent of the cycle).

Results (after `run`): phase_ int8 [N] (index into PHASES, -1 = no gait), thresholds_ {"heel",
"ball"} (force units), runs_ (pandas DataFrame: start, stop (sample indices, stop exclusive),
phase, duration_s: one row per phase run after the flat-zone rule), events_ (DataFrame: t_s,
sample, kind "HS"/"FF"/"HO"/"TO": the first sample of each HS/ST/HO/SW run).
"""

from __future__ import annotations

import numpy as np

from gaitnode.errors import GaitnodeError
from gaitnode.sessions.model import PHASES

HS, ST, HO, SW = range(4)
HS_END = ("foot_flat", "double_support")


def _force(name: str, f, n: int | None) -> np.ndarray:
    try:
        a = np.asarray(f, np.float64)
    except (TypeError, ValueError):
        raise GaitnodeError(f"{name}: forces must be numbers") from None
    if a.ndim != 1:
        raise GaitnodeError(f"{name}: forces must be a 1-D array, got shape {a.shape}")
    if n is not None and len(a) != n:
        raise GaitnodeError(f"{name}: {len(a)} samples, but the heel force has {n}")
    if len(a) < 3:
        raise GaitnodeError(f"{name}: {len(a)} samples are too few to label")
    if not np.isfinite(a).all():
        raise GaitnodeError(f"{name}: force is not finite at sample {int(np.argmax(~np.isfinite(a)))}")
    return a


def _runs(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(starts, stops, values) of the constant runs of `codes`."""
    edges = np.flatnonzero(np.diff(codes)) + 1
    starts = np.concatenate([[0], edges])
    stops = np.concatenate([edges, [len(codes)]])
    return starts, stops, codes[starts]


class FsrPhaseLabeller:
    """Paper 001's FSR rules as an algorithm object (see the module docstring).

    Parameters: threshold (fraction of each sensor's 99th-percentile force, or a force when
    absolute), absolute, min_flat_s (s), max_stance_s (s), hs_end ("foot_flat" | "double_support").
    `run(heel, ball, rate_hz, other_heel=None, other_ball=None)` labels the primary foot; returns self.
    """

    def __init__(self, threshold: float = 0.1, absolute: bool = False, min_flat_s: float = 0.03,
                 max_stance_s: float = 1.5, hs_end: str = "foot_flat"):
        self.threshold = threshold
        self.absolute = absolute
        self.min_flat_s = min_flat_s
        self.max_stance_s = max_stance_s
        self.hs_end = hs_end

    def _check(self, rate_hz) -> None:
        for name in ("threshold", "max_stance_s", "rate_hz"):
            v = rate_hz if name == "rate_hz" else getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not np.isfinite(v) or v <= 0:
                raise GaitnodeError(f"{name} must be a positive number, got {v!r}")
        m = self.min_flat_s
        if isinstance(m, bool) or not isinstance(m, (int, float)) or not np.isfinite(m) or m < 0:
            raise GaitnodeError(f"min_flat_s must be a number >= 0, got {m!r}")
        if not self.absolute and self.threshold >= 1:
            raise GaitnodeError(f"a relative threshold must be below 1 (a fraction of the peak force), got "
                                f"{self.threshold!r}")
        if self.hs_end not in HS_END:
            raise GaitnodeError(f"hs_end {self.hs_end!r} is not one of {', '.join(HS_END)}")

    def _limit(self, f: np.ndarray, name: str) -> float:
        if self.absolute:
            return float(self.threshold)
        peak = float(np.percentile(f, 99))
        if peak <= 0:
            raise GaitnodeError(f"{name}: the force never rises above zero; is the sensor connected?")
        return self.threshold * peak

    def run(self, heel, ball, rate_hz: float, other_heel=None, other_ball=None) -> "FsrPhaseLabeller":
        import pandas as pd

        self._check(rate_hz)
        heel = _force("heel", heel, None)
        ball = _force("ball", ball, len(heel))
        both_other = (other_heel is None) == (other_ball is None)
        if not both_other:
            raise GaitnodeError("give both forces of the other foot (heel and ball) or neither")
        if self.hs_end == "double_support" and other_heel is None:
            raise GaitnodeError("hs_end 'double_support' needs the other foot's heel and ball forces")
        th_h, th_b = self._limit(heel, "heel"), self._limit(ball, "ball")
        h_on, b_on = heel > th_h, ball > th_b
        codes = np.where(h_on, np.where(b_on, ST, HS), np.where(b_on, HO, SW)).astype(np.int8)
        phase = self._flat_zones(codes, max(1, int(round(self.min_flat_s * rate_hz))))
        other_lifts = other_on = None
        if other_heel is not None:
            oh = _force("other heel", other_heel, len(heel))
            ob = _force("other ball", other_ball, len(heel))
            oh_on, ob_on = oh > self._limit(oh, "other heel"), ob > self._limit(ob, "other ball")
            other_lifts, other_on = ~oh_on, oh_on | ob_on
        starts, stops, values = _runs(phase)
        long_stance = (values == ST) & ((stops - starts) / rate_hz > self.max_stance_s)
        for a, b in zip(starts[long_stance], stops[long_stance]):
            # Standing; the gait starts when either foot pushes off: with the other foot's forces, the
            # stance after its heel first lifts is this foot's first step, not standing.
            lift = np.flatnonzero(other_lifts[a:b]) if other_lifts is not None else []
            phase[a:a + (lift[0] if len(lift) else b - a)] = -1
        if self.hs_end == "double_support":
            phase = self._double_support(phase, other_on)
        starts, stops, values = _runs(phase)
        self.phase_ = phase
        self.thresholds_ = {"heel": th_h, "ball": th_b}
        self.runs_ = pd.DataFrame({"start": starts, "stop": stops, "phase": values,
                                   "duration_s": (stops - starts) / float(rate_hz)})
        kinds = {HS: "HS", ST: "FF", HO: "HO", SW: "TO"}
        first = [(a, v) for a, v in zip(starts, values) if v >= 0 and a > 0]
        self.events_ = pd.DataFrame({"t_s": [a / float(rate_hz) for a, _ in first], "sample": [a for a, _ in first],
                                     "kind": [kinds[int(v)] for _, v in first]})
        return self

    @staticmethod
    def _flat_zones(codes: np.ndarray, min_len: int) -> np.ndarray:
        """Runs shorter than min_len samples take the phase before them (the first run is kept)."""
        out = codes.copy()
        starts, stops, _ = _runs(out)
        for a, b in zip(starts[1:], stops[1:]):
            if b - a < min_len:
                out[a:b] = out[a - 1]
        return out

    @staticmethod
    def _double_support(codes: np.ndarray, other_on: np.ndarray) -> np.ndarray:
        """The paper's HS: from contact until the other foot is off the ground (ST samples right after an HS
        run stay HS while the other foot is loaded)."""
        out = codes.copy()
        starts, stops, values = _runs(codes)
        for k in range(1, len(values)):
            if values[k] == ST and values[k - 1] == HS:
                a, b = starts[k], stops[k]
                off = np.flatnonzero(~other_on[a:b])
                end = a + (off[0] if len(off) else b - a)
                out[a:end] = HS
        return out


def label_names(phase: np.ndarray) -> list[str]:
    """Phase indices -> names ("-" for -1)."""
    return [PHASES[int(p)] if p >= 0 else "-" for p in np.asarray(phase)]


def label_session(session, heel: str = "fsr_heel", ball: str = "fsr_ball", other_heel: str | None = None,
                  other_ball: str | None = None, labeller: FsrPhaseLabeller | None = None):
    """Set `session.phase` from its foot-pressure series (names of session.series, interpolated onto the IMU
    samples) with `labeller` (default FsrPhaseLabeller()); returns the labeller (results: phase_, events_ ...)."""
    from gaitnode.training.datasets import session_name

    t = session.imu.t_s
    if len(t) < 3:
        raise GaitnodeError(f"{session_name(session)}: too few IMU samples to label")

    def column(name):
        s = session.series.get(name)
        if s is None or len(s) < 2:
            have = ", ".join(sorted(session.series)) or "none"
            raise GaitnodeError(f"{session_name(session)}: has no force series {name!r} (series: {have})")
        return np.interp(t, s.t_s, s.value)

    if (other_heel is None) != (other_ball is None):
        raise GaitnodeError("give both series of the other foot (heel and ball) or neither")
    others = (column(other_heel), column(other_ball)) if other_heel is not None else (None, None)
    labeller = labeller if labeller is not None else FsrPhaseLabeller()
    labeller.run(column(heel), column(ball), float(session.meta.rate_hz), *others)
    session.phase = labeller.phase_.copy()
    return labeller

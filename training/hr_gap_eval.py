"""How well gaps are filled: hide HR in synthetic dropouts of fixed lengths and compare the fill.

For each session and gap length L, dropouts of L seconds are placed from GAP_MARGIN_S after the
start, one per L + spacing seconds (spacing drawn from SPACING_RANGE_S, seeded), never reaching the
session's last GAP_MARGIN_S. The HR samples inside them are removed from a copy of the session, each
filler fills the copy, and the seconds inside the dropouts that had a measured HR are scored
against it. Baseline: linear interpolation between the measured seconds at the dropout's edges.

Result table `report_`:
  {"gap_seconds": [L...], "methods": [names...], "by_gap": {"<L>": {"<kind>": {"gaps": int,
   "seconds": int, "<method>": {"mae", "rmse", "bias"}, "linear": {...}}}}}
  kind: "synthetic" | "real" (sessions of each data kind pooled).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from gaitnode.errors import GaitnodeError
from gaitnode.sessions.model import Series, Session
from gaitnode.training.hr_data import on_grid

GAP_MARGIN_S = 30
SPACING_RANGE_S = (60, 120)


def gap_starts(duration_s: float, gap_s: int, rng: np.random.Generator) -> list[float]:
    """Start times (s from the HR start) of non-overlapping dropouts of gap_s seconds."""
    out, t = [], float(GAP_MARGIN_S)
    while t + gap_s <= duration_s - GAP_MARGIN_S:
        out.append(t)
        t += gap_s + float(rng.integers(*SPACING_RANGE_S))
    return out


def without_hr(session: Session, spans: list[tuple[float, float]]) -> Session:
    """A copy of the session whose HR series has no samples inside the [start, end) spans (s)."""
    hr = session.series["hr"]
    keep = np.ones(len(hr), bool)
    for a, b in spans:
        keep &= ~((hr.t_s >= a) & (hr.t_s < b))
    series = dict(session.series)
    series["hr"] = Series(hr.t_s[keep], hr.value[keep])
    return dataclasses.replace(session, series=series)


def _errors(err: np.ndarray) -> dict:
    return {"mae": float(np.mean(np.abs(err))), "rmse": float(np.sqrt(np.mean(err ** 2))), "bias": float(np.mean(err))}


class HrGapEvaluation:
    """Fill error inside synthetic dropouts, per gap length and data kind (see `report_` above).

    Parameters: gap_seconds (dropout lengths, s), seed (placement of the dropouts).
    evaluate(fillers, sessions): fillers maps a method name to an HrGapFiller; sessions need HR
    (real ones are marked by meta.synthetic = False).
    """

    def __init__(self, gap_seconds=(10, 30, 60), seed: int = 0):
        self.gap_seconds = tuple(gap_seconds)
        self.seed = seed

    def evaluate(self, fillers: dict, sessions: list[Session]) -> "HrGapEvaluation":
        if not self.gap_seconds or any(not (isinstance(g, (int, np.integer)) and g >= 3) for g in self.gap_seconds):
            raise GaitnodeError(f"gap lengths must be whole seconds of at least 3, got {list(self.gap_seconds)}")
        if not fillers:
            raise GaitnodeError("no gap fillers to evaluate")
        if "linear" in fillers:
            raise GaitnodeError("'linear' names the baseline; give the fillers other names")
        if not sessions:
            raise GaitnodeError("no sessions to evaluate gap filling on")
        rng = np.random.default_rng(self.seed)
        by_gap = {}
        for gap in self.gap_seconds:
            errs: dict[str, dict[str, list]] = {}
            counts: dict[str, list[int]] = {}
            for s in sessions:
                if "hr" not in s.series or len(s.series["hr"]) == 0:
                    raise GaitnodeError("a session without heart rate cannot be used to evaluate gap filling")
                kind = "synthetic" if s.meta.synthetic else "real"
                hr = s.series["hr"]
                t0 = float(hr.t_s[0])
                starts = gap_starts(float(hr.t_s[-1]) - t0, gap, rng)
                if not starts:
                    continue
                spans = [(t0 + a, t0 + a + gap) for a in starts]
                masked = without_hr(s, spans)
                grid = t0 + np.arange(int(np.floor(hr.t_s[-1] - t0)) + 1)
                truth = on_grid(hr, grid)
                hidden = np.zeros(len(grid), bool)
                for a, b in spans:
                    hidden |= (grid >= a) & (grid < b)
                scored = hidden & np.isfinite(truth)
                seen = on_grid(masked.series["hr"], grid)
                ok = np.isfinite(seen)
                linear = np.interp(grid, grid[ok], seen[ok])
                e = errs.setdefault(kind, {})
                e.setdefault("linear", []).append(linear[scored] - truth[scored])
                for name, filler in fillers.items():
                    filled = filler.fill(masked).hr_
                    est = np.interp(grid, filled.t_s, filled.value)
                    e.setdefault(name, []).append(est[scored] - truth[scored])
                c = counts.setdefault(kind, [0, 0])
                c[0] += len(spans)
                c[1] += int(scored.sum())
            by_gap[str(gap)] = {kind: {"gaps": counts[kind][0], "seconds": counts[kind][1],
                                       **{m: _errors(np.concatenate(v)) for m, v in e.items()}}
                                for kind, e in errs.items()}
        self.report_ = {"gap_seconds": list(self.gap_seconds), "methods": list(fillers) + ["linear"],
                        "by_gap": by_gap}
        return self

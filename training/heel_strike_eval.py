"""Score heel-strike detections against reference events: events and per-sample labels.

Two views, both reported overall, per placement and per walking-speed band:

* **events** (what a user of the node sees): detections matched one-to-one to the
  node's own-side reference heel strikes within +-tolerance (`metrics.events.match_events`):
  precision, recall, F1, median / 95th-percentile |timing error| (ms) and the bias.
* **per sample** (how paper 000 reports its 93.53 % accuracy / 85.73 % F1): every IMU
  sample is labelled heel strike when it lies within +-label_half_width samples of a
  reference heel strike (`training.labels`), the detector's per-sample prediction is
  compared with that (`metrics.classification.binary_report`). Samples the detector gave
  no output for (the tail of a session shorter than one hop) are left out.

The speed band of a reference event is the session's "speed" series at its time; of a
false detection, at the detection time. Sessions without a speed series go to "unknown".
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from gaitnode.errors import GaitnodeError
from gaitnode.metrics.classification import binary_report
from gaitnode.metrics.events import event_scores, match_events
from gaitnode.sessions.model import Session
from gaitnode.training.labels import DEFAULT_HALF_WIDTH, heel_strike_labels

DEFAULT_SPEED_EDGES = (0.0, 1.0, 1.4, 1.8, 2.4, math.inf)  # m/s: slow / normal / brisk walk, fast walk-jog, run


@dataclass
class Detection:
    """What a detector produced for one session.

    events_s: detected heel-strike times (s, device clock).
    sample_pred: bool [N] per-sample heel-strike prediction, or None when the detector has
        no per-sample output; `covered` (bool [N]) marks samples that have an output.
    prob: float [N] per-sample probability (NaN where not covered), models only.
    """

    events_s: np.ndarray
    sample_pred: np.ndarray | None = None
    covered: np.ndarray | None = None
    prob: np.ndarray | None = None


def speed_band_names(edges) -> list[str]:
    """Readable names of the bands between consecutive edges (m/s), e.g. '1.0-1.4 m/s'."""
    names = []
    for lo, hi in zip(edges[:-1], edges[1:]):
        names.append(f">={lo:g} m/s" if math.isinf(hi) else f"{lo:g}-{hi:g} m/s")
    return names


class _Tally:
    """Running event and per-sample counts for one group (overall, a placement, a band)."""

    def __init__(self):
        self.tp = self.fp = self.fn = 0
        self.errors: list[np.ndarray] = []
        self.y_true: list[np.ndarray] = []
        self.y_pred: list[np.ndarray] = []

    def events(self, tol_s: float) -> dict:
        err = np.concatenate(self.errors) if self.errors else np.zeros(0)
        scores = event_scores(self.tp, self.fp, self.fn, err)
        del scores["std_error_ms"]
        return {"tolerance_ms": tol_s * 1e3, **scores}

    def samples(self) -> dict | None:
        if not self.y_true:
            return None
        return binary_report(np.concatenate(self.y_true), np.concatenate(self.y_pred)).to_dict()


class HeelStrikeEvaluation:
    """Event and per-sample scores of heel-strike detections on a set of sessions.

    Parameters
    ----------
    tolerance_s
        Largest |detection - reference| (s) for a match (default 0.05, the issue's +-50 ms).
    label_half_width
        Per-sample reference label half width in samples (use the model's own).
    speed_edges
        Band edges in m/s for the per-speed breakdown.

    Results (after `evaluate`)
    --------------------------
    report_ : dict
        {"overall": {"events": {...}, "samples": {...}|None}, "by_placement": {name: same},
         "by_speed": {band: {"events": {...}}}, "sessions": [per-session rows],
         "synthetic": bool (every session synthetic), "n_sessions": int}
        Event dicts: n_ref, n_est, tp, fp, fn, precision, recall, f1, median_abs_error_ms,
        p95_abs_error_ms, mean_error_ms (bias; positive = late), tolerance_ms. Sample dicts:
        tp, fp, fn, tn, accuracy, precision, recall, f1 (the binary_report fields).
    """

    def __init__(self, tolerance_s: float = 0.05, label_half_width: int = DEFAULT_HALF_WIDTH, speed_edges=DEFAULT_SPEED_EDGES):
        if not (tolerance_s > 0):
            raise GaitnodeError(f"tolerance must be > 0 s, got {tolerance_s}")
        if int(label_half_width) < 0:
            raise GaitnodeError(f"label half width must be >= 0 samples, got {label_half_width}")
        edges = tuple(float(e) for e in speed_edges)
        if len(edges) < 2 or any(b <= a for a, b in zip(edges[:-1], edges[1:])):
            raise GaitnodeError(f"speed band edges must increase, got {edges}")
        self.tolerance_s = float(tolerance_s)
        self.label_half_width = int(label_half_width)
        self.speed_edges = edges

    def _band(self, session: Session, t_s: np.ndarray) -> np.ndarray:
        names = np.array(speed_band_names(self.speed_edges) + ["unknown"], dtype=object)
        speed = session.series.get("speed")
        if speed is None or len(speed) == 0 or len(t_s) == 0:
            return np.full(len(t_s), names[-1], dtype=object)
        v = speed.at(np.asarray(t_s, dtype=np.float64))
        idx = np.searchsorted(self.speed_edges, v, side="right") - 1
        idx = np.where(np.isfinite(v) & (idx >= 0) & (idx < len(self.speed_edges) - 1), idx, len(names) - 1)
        return names[idx]

    def evaluate(self, sessions: list[Session], detections: list[Detection], names=None) -> "HeelStrikeEvaluation":
        """Score `detections[i]` against `sessions[i]`'s own-side reference heel strikes.

        `names` (e.g. file paths) label the per-session rows; default: the subject id.
        """
        if len(sessions) != len(detections):
            raise GaitnodeError(f"{len(sessions)} sessions but {len(detections)} detections")
        if not sessions:
            raise GaitnodeError("no sessions to evaluate")
        overall, by_place, by_band = _Tally(), {}, {}
        rows = []
        names = list(names) if names is not None else [s.meta.subject.id for s in sessions]
        for s, det, name in zip(sessions, detections, names):
            ref = np.asarray(s.heel_strikes(), dtype=np.float64)
            est = np.asarray(det.events_s, dtype=np.float64)
            m = match_events(ref, est, tolerance_s=self.tolerance_s)
            place = by_place.setdefault(s.meta.placement, _Tally())
            for t in (overall, place):
                t.tp += m.tp
                t.fp += m.fp
                t.fn += m.fn
                t.errors.append(m.errors_s)
            # per band: matched pairs and misses by reference time, false detections by their own time
            ref_band, est_band = self._band(s, ref), self._band(s, est)
            matched_est = np.zeros(len(est), dtype=bool)
            matched_est[m.est_idx] = True
            matched_ref = np.zeros(len(ref), dtype=bool)
            matched_ref[m.ref_idx] = True
            for b in set(ref_band) | set(est_band):
                t = by_band.setdefault(b, _Tally())
                in_pair = ref_band[m.ref_idx] == b
                t.tp += int(in_pair.sum())
                t.errors.append(m.errors_s[in_pair])
                t.fn += int(np.sum((ref_band == b) & ~matched_ref))
                t.fp += int(np.sum((est_band == b) & ~matched_est))
            row = {"session": str(name), "subject": s.meta.subject.id,
                   "placement": s.meta.placement, "protocol": s.meta.protocol, "synthetic": bool(s.meta.synthetic),
                   **{k: v for k, v in m.to_dict().items() if k != "tolerance_s"}}
            if det.sample_pred is not None:
                y_true = heel_strike_labels(s, self.label_half_width).astype(np.int8)
                covered = det.covered if det.covered is not None else np.ones(len(y_true), dtype=bool)
                if len(det.sample_pred) != len(y_true) or len(covered) != len(y_true):
                    raise GaitnodeError(f"detector gave {len(det.sample_pred)} per-sample outputs for a session "
                                        f"of {len(y_true)} samples")
                y_true = np.where(covered, y_true, -1).astype(np.int8)
                y_pred = np.asarray(det.sample_pred, dtype=np.int8)
                for t in (overall, place):
                    t.y_true.append(y_true)
                    t.y_pred.append(y_pred)
                r = binary_report(y_true, y_pred)
                row.update(sample_accuracy=r.accuracy, sample_f1=r.f1)
            rows.append(row)
        tol = self.tolerance_s
        order = speed_band_names(self.speed_edges) + ["unknown"]
        self.report_ = {
            "n_sessions": len(sessions),
            "synthetic": all(s.meta.synthetic for s in sessions),
            "overall": {"events": overall.events(tol), "samples": overall.samples()},
            "by_placement": {p: {"events": t.events(tol), "samples": t.samples()} for p, t in sorted(by_place.items())},
            "by_speed": {b: {"events": by_band[b].events(tol)} for b in order if b in by_band},
            "sessions": rows,
        }
        return self

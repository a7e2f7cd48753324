"""Score VO2 estimates against each session's reference, per session, subject, protocol and overall.

Estimates are the node's (vo2_estimate: outputs averaged per estimate period, smoothed); the
reference at each estimate time is the session's VO2 in ml/kg/min from "vo2_true" when the session
has it (simulated: the noise-free truth), else from the measured breath-by-breath "vo2" averaged
over 10 s. Estimates without a value (NaN, e.g. ACSM before its first stride) are left out and
counted.

Metrics (paper 000; metrics.regression.regression_report), in ml/kg/min: MSE, RMSE, MAE, bias,
R², MAPE (%) and the paper's percentage error 100 * |sum est - sum true| / sum true (on the
uniform estimate grid: the error of the total oxygen). Groups concatenate their sessions'
estimates.

Report (`report_`, JSON-ready): {"reference", "period_s", "from_seconds", "n_sessions",
"synthetic", "overall": metrics, "by_subject": {id: metrics}, "by_protocol": {name: metrics},
"sessions": [{"name", "subject", "protocol", "reference", "n_missing", **metrics}]}.
"""

from __future__ import annotations

import numpy as np

from gaitnode.errors import GaitnodeError
from gaitnode.metrics.regression import regression_report
from gaitnode.sessions.model import Session
from gaitnode.training.datasets import session_name
from gaitnode.training.vo2_dataset import check_vo2_session, reference_source, vo2_ml_kg_min
from gaitnode.training.vo2_estimate import DEFAULT_PERIOD_S, Estimates


def _metrics(ref: np.ndarray, est: np.ndarray) -> dict:
    if len(ref) == 0:
        return {"n": 0}
    r = regression_report(ref, est).to_dict()
    return {k: (None if v is None else (int(v) if k == "n" else float(v))) for k, v in r.items()}


class Vo2Evaluation:
    """Scores estimates of several sessions (see the module docstring).

    Parameters: from_seconds (score only estimates at or after this time since each session's
    first sample, e.g. after the fine-tuning data; None: all), period_s (the estimate period, for
    the record). `evaluate(sessions, estimates, names=None)` returns self with report_ and
    pairs_ ({session name: (t_s, reference, estimate)} of the scored points).
    """

    def __init__(self, from_seconds: float | None = None, period_s: float = DEFAULT_PERIOD_S):
        self.from_seconds = from_seconds
        self.period_s = period_s

    def evaluate(self, sessions: list[Session], estimates: list[Estimates], names=None) -> "Vo2Evaluation":
        sessions, estimates = list(sessions), list(estimates)
        if not sessions:
            raise GaitnodeError("no sessions to evaluate")
        if len(sessions) != len(estimates):
            raise GaitnodeError(f"{len(sessions)} sessions but {len(estimates)} estimate series")
        names = list(names) if names is not None else [session_name(s) for s in sessions]
        rows, pairs, groups = [], {}, {"subject": {}, "protocol": {}}
        all_ref, all_est, sources = [], [], set()
        for s, e, name in zip(sessions, estimates, names):
            source = reference_source(s)
            check_vo2_session(s, source=source)
            sources.add(source)
            t = np.asarray(e.t_s, np.float64)
            ref = vo2_ml_kg_min(s, t, source=source)
            est = np.asarray(e.smoothed, np.float64)
            keep = np.isfinite(ref) & (ref > 0)
            if self.from_seconds is not None:
                keep &= t - float(s.imu.t_s[0]) >= float(self.from_seconds)
            missing = int(np.sum(keep & ~np.isfinite(est)))
            keep &= np.isfinite(est)
            r, v = ref[keep], est[keep]
            pairs[name] = (t[keep], r, v)
            rows.append({"name": name, "subject": str(s.meta.subject.id), "protocol": s.meta.protocol or "unknown",
                         "reference": source, "n_missing": missing, **_metrics(r, v)})
            for key, value in (("subject", str(s.meta.subject.id)), ("protocol", s.meta.protocol or "unknown")):
                g = groups[key].setdefault(value, ([], []))
                g[0].append(r)
                g[1].append(v)
            all_ref.append(r)
            all_est.append(v)
        ref_all, est_all = np.concatenate(all_ref), np.concatenate(all_est)
        if len(ref_all) == 0:
            raise GaitnodeError("no estimate could be scored (no reference VO2 where the estimates are, or none "
                                "after --from-seconds)")
        group = {key: {k: _metrics(np.concatenate(a), np.concatenate(b)) for k, (a, b) in sorted(g.items())}
                 for key, g in groups.items()}
        self.pairs_ = pairs
        self.report_ = {
            "reference": " + ".join(sorted(sources)), "unit": "ml/kg/min", "period_s": float(self.period_s),
            "from_seconds": self.from_seconds, "n_sessions": len(sessions),
            "synthetic": all(bool(s.meta.synthetic) for s in sessions),
            "overall": _metrics(ref_all, est_all), "by_subject": group["subject"], "by_protocol": group["protocol"],
            "sessions": rows,
        }
        return self


def window_relative_error(float_out, int8_out) -> dict:
    """|int8 - float| / |float| per window output: {"mean", "max", "p95", "n"} (fractions)."""
    a = np.asarray(float_out, np.float64).ravel()
    b = np.asarray(int8_out, np.float64).ravel()
    if a.shape != b.shape or a.size == 0:
        raise GaitnodeError(f"cannot compare {a.size} float outputs with {b.size} int8 outputs")
    rel = np.abs(b - a) / np.maximum(np.abs(a), 1e-6)
    return {"mean": float(rel.mean()), "max": float(rel.max()), "p95": float(np.percentile(rel, 95)), "n": int(a.size)}

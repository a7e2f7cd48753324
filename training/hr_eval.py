"""Evaluate an HR dynamics model per session and in aggregate, in standard and generative mode.

Scored seconds: those with a measured HR that the mode did not give the model (anchors excluded,
dropouts excluded). Metrics per session and pooled over all scored seconds of a data kind
("synthetic" = simulator, "real" = recorded): MAE, RMSE, MAPE, bias (bpm; est - true), R² and
Pearson correlation r, as paper 002's table 1 reports them.

Result table `report_`:
  {"window_s": int, "modes": {mode: {"sessions": [row, ...], "aggregate": {"synthetic": agg, "real": agg}}}}
  row: name, data ("synthetic" | "real"), source, seconds, n (scored), mae, rmse, mape_pct, bias, r2, r
  agg: the same metrics pooled over the kind's scored seconds, plus sessions and mean_session_mae
  (kinds without sessions are left out).
"""

from __future__ import annotations

import numpy as np

from gaitnode.errors import GaitnodeError
from gaitnode.metrics.regression import regression_report
from gaitnode.training.hr_data import HrSequence
from gaitnode.training.hr_predict import DEFAULT_WINDOW_S, MODES, anchor_mask, run_many


def hr_metrics(y: np.ndarray, p: np.ndarray) -> dict:
    """MAE, RMSE, MAPE, bias, R², r (bpm) of estimates p against truth y."""
    rep = regression_report(y, p).to_dict()
    r = float(np.corrcoef(y, p)[0, 1]) if len(y) > 1 and np.std(y) > 0 and np.std(p) > 0 else None
    return {"n": rep["n"], "mae": rep["mae"], "rmse": rep["rmse"], "mape_pct": rep["mape_pct"], "bias": rep["bias"],
            "r2": rep["r2"], "r": r}


def data_kind(seq: HrSequence) -> str:
    return "synthetic" if seq.synthetic else "real"


class HrDynamicsEvaluation:
    """Per-session and aggregate HR errors of one model (see the module docstring for `report_`).

    Parameters: modes (subset of "standard", "generative"), window_s (standard-mode window, s).
    Results after `evaluate`: report_ (the table above), predictions_ {mode: [HR bpm arrays]}.
    """

    def __init__(self, modes=MODES, window_s: int = DEFAULT_WINDOW_S):
        self.modes = tuple(modes)
        self.window_s = window_s

    def evaluate(self, model, seqs: list[HrSequence]) -> "HrDynamicsEvaluation":
        bad = [m for m in self.modes if m not in MODES]
        if bad or not self.modes:
            raise GaitnodeError(f"modes must be among {', '.join(MODES)}, got {list(self.modes)}")
        if not seqs:
            raise GaitnodeError("no sessions to evaluate")
        report = {"window_s": int(self.window_s), "modes": {}}
        self.predictions_ = {}
        for mode in self.modes:
            anchors = [anchor_mask(s.hr, mode, self.window_s) for s in seqs]
            preds = run_many(model, [s.x for s in seqs], [s.hr for s in seqs], anchors)
            rows, pooled = [], {}
            for s, a, p in zip(seqs, anchors, preds):
                m = np.isfinite(s.hr) & (a == 0)
                if m.sum() < 2:
                    raise GaitnodeError(f"{s.name}: fewer than 2 seconds of HR to score in {mode} mode")
                rows.append({"name": s.name, "data": data_kind(s), "source": s.source, "seconds": len(s),
                             **hr_metrics(s.hr[m], p[m])})
                yk, pk = pooled.setdefault(data_kind(s), ([], []))
                yk.append(s.hr[m])
                pk.append(p[m])
            agg = {}
            for kind, (yk, pk) in pooled.items():
                maes = [r["mae"] for r in rows if r["data"] == kind]
                agg[kind] = {**hr_metrics(np.concatenate(yk), np.concatenate(pk)), "sessions": len(maes),
                             "mean_session_mae": float(np.mean(maes))}
            report["modes"][mode] = {"sessions": rows, "aggregate": agg}
            self.predictions_[mode] = preds
        self.report_ = report
        return self

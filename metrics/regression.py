"""Regression metrics for VO2 (and HR, speed, ...): errors, R² and paper 000's total error.

All metrics are in the unit of the inputs (ml/min for VO2) except the percentages.
Series recorded on different timestamps (breath-by-breath cart vs a model's 1 Hz output)
are first put on one grid with `align_series`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gaitnode.errors import GaitnodeError
from gaitnode.metrics.arrays import finite_1d
from gaitnode.sessions.model import Series


@dataclass
class RegressionReport:
    """Result of `regression_report`; errors in the inputs' unit.

    n: samples. mse, rmse, mae: mean squared / root mean squared / mean absolute error.
    bias: mean(est - true). mape_pct: 100 * mean(|est - true| / |true|).
    r2: 1 - SS_res / SS_tot (coefficient of determination, can be negative), None when
        the truth is constant (SS_tot = 0, R² undefined).
    total_error_pct: paper 000's percentage error, 100 * |sum(est) - sum(true)| / sum(true).
    mape_pct and total_error_pct are None when computed with percent=False.
    """

    n: int
    mse: float
    rmse: float
    mae: float
    bias: float
    mape_pct: float | None
    r2: float | None
    total_error_pct: float | None

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in ("n", "mse", "rmse", "mae", "bias", "mape_pct", "r2", "total_error_pct")}


@dataclass
class AlignedSeries:
    """Two series on one time grid: t_s float64 [G] (s), ref and est float64 [G]."""

    t_s: np.ndarray
    ref: np.ndarray
    est: np.ndarray


def _pair(y_true, y_pred) -> tuple[np.ndarray, np.ndarray]:
    t, p = finite_1d("y_true", y_true, allow_empty=False), finite_1d("y_pred", y_pred, allow_empty=False)
    if len(t) != len(p):
        raise GaitnodeError(f"y_true has {len(t)} values but y_pred has {len(p)}")
    return t, p


def total_percentage_error(y_true, y_pred) -> float:
    """Paper 000's VO2 error: 100 * |sum(est) - sum(true)| / sum(true), in %.

    On a uniform time grid the sums are proportional to total oxygen consumed, so this
    is the error in total VO2 (litres) over the session; use `align_series` first when the
    samples are not evenly spaced.

    Raises:
        GaitnodeError: empty, NaN, length mismatch, or sum(true) <= 0.
    """
    t, p = _pair(y_true, y_pred)
    total = t.sum()
    if total <= 0:
        raise GaitnodeError(f"total percentage error: the true values sum to {total:g}; "
                            "it needs a positive total (e.g. VO2 in ml/min)")
    return float(100.0 * abs(p.sum() - total) / total)


def regression_report(y_true, y_pred, *, percent: bool = True) -> RegressionReport:
    """MSE, RMSE, MAE, bias, MAPE (%), R² and total percentage error (%) of est vs true.

    Args:
        y_true, y_pred: paired values, same length, same unit (e.g. VO2 ml/min).
        percent: compute MAPE and the total percentage error. They need every true
            value non-zero (MAPE) and a positive sum (total error); with percent=False
            they are None and zeros in the truth are fine (e.g. speed at rest).

    Raises:
        GaitnodeError: empty input, length mismatch, NaN/inf, or (percent=True) a zero
            true value or a non-positive true sum.
    """
    t, p = _pair(y_true, y_pred)
    err = p - t
    mse = float(np.mean(err**2))
    ss_tot = float(np.sum((t - t.mean()) ** 2))
    mape = total = None
    if percent:
        zero = t == 0
        if zero.any():
            i = int(np.argmax(zero))
            raise GaitnodeError(f"MAPE: true value at index {i} is 0 ({int(zero.sum())} zero values); "
                                "percentage errors are undefined there (use percent=False)")
        mape = float(100.0 * np.mean(np.abs(err) / np.abs(t)))
        total = total_percentage_error(t, p)
    return RegressionReport(
        n=len(t), mse=mse, rmse=float(np.sqrt(mse)), mae=float(np.mean(np.abs(err))),
        bias=float(np.mean(err)), mape_pct=mape,
        r2=float(1.0 - np.sum(err**2) / ss_tot) if ss_tot > 0 else None,
        total_error_pct=total,
    )


def _clean_series(name: str, s: Series) -> tuple[np.ndarray, np.ndarray]:
    """Finite, strictly increasing (t, v); values at repeated timestamps are averaged."""
    if not isinstance(s, Series):
        raise GaitnodeError(f"{name}: expected a Series, got {type(s).__name__}")
    if len(s.t_s) != len(s.value):
        raise GaitnodeError(f"{name}: {len(s.t_s)} times for {len(s.value)} values")
    if len(s) == 0:
        raise GaitnodeError(f"{name}: the series is empty")
    for what, a in (("time", s.t_s), ("value", s.value)):
        bad = ~np.isfinite(a)
        if bad.any():
            i = int(np.argmax(bad))
            raise GaitnodeError(f"{name}: {what} at index {i} is {a[i]} (must be finite)")
    if np.any(np.diff(s.t_s) < 0):
        i = int(np.argmax(np.diff(s.t_s) < 0))
        raise GaitnodeError(f"{name}: timestamps decrease at index {i + 1} ({s.t_s[i]} s then {s.t_s[i + 1]} s)")
    t, inverse, count = np.unique(s.t_s, return_inverse=True, return_counts=True)
    return t, np.bincount(inverse, weights=s.value) / count


def align_series(ref: Series, est: Series, grid_s: float) -> AlignedSeries:
    """Interpolate two series linearly onto one grid over the span both cover.

    The grid starts at the later of the two first timestamps and steps by `grid_s` while
    it stays within both series (the last point is <= the earlier last timestamp). Values
    at repeated timestamps are averaged first.

    Args:
        ref, est: the series to compare (seconds on the same clock, any spacing).
        grid_s: grid step (s), e.g. 1.0 for a second-by-second comparison.

    Raises:
        GaitnodeError: an empty series, NaN/inf, decreasing timestamps, a non-positive
            step, or no overlap of at least one grid point.
    """
    try:
        step = float(grid_s)
    except (TypeError, ValueError):
        raise GaitnodeError(f"align_series: grid step must be a number of seconds, got {grid_s!r}") from None
    if not (np.isfinite(step) and step > 0):
        raise GaitnodeError(f"align_series: grid step must be a positive number of seconds, got {grid_s!r}")
    rt, rv = _clean_series("reference series", ref)
    et, ev = _clean_series("estimated series", est)
    start, end = max(rt[0], et[0]), min(rt[-1], et[-1])
    if end < start:
        raise GaitnodeError(f"align_series: the series do not overlap (reference {rt[0]:g}-{rt[-1]:g} s, "
                            f"estimate {et[0]:g}-{et[-1]:g} s)")
    # 1e-9 lets the grid reach `end` despite float rounding of start + k * step.
    t = start + step * np.arange(int(np.floor((end - start) / step + 1e-9)) + 1)
    t = np.minimum(t, end)
    return AlignedSeries(t_s=t, ref=np.interp(t, rt, rv), est=np.interp(t, et, ev))

"""Put irregular or foreign-rate samples onto one uniform time grid.

Used by the importers (CSV, UCI HAR) so that every Session has a uniform nominal rate.

Rules (docs/import.md, "Resampling"):

* The source rate comes from the median sample interval (refined over the whole span).
  Timestamps are *uniform* when every interval is within `jitter_tol` (relative) of that median.
* Non-uniform timestamps (jitter, short dropouts up to `max_gap_s`) are first linearly
  interpolated onto a uniform grid at the source rate.
* A uniform signal whose rate differs from the target is resampled with
  `scipy.signal.resample_poly` (polyphase FIR, anti-aliased) by a rational factor.
* Label columns (phase, activity) take the value of the last source sample at or before
  each output time (sample and hold); they are never interpolated.
* Gaps longer than `max_gap_s` are an error: data is never invented across them.
* Non-monotonic or duplicate timestamps and NaNs in signal columns are errors naming the row.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Mapping

import numpy as np
from scipy.signal import resample_poly

from gaitnode.errors import InputFileError

# Largest denominator of the rational resampling factor; keeps the FIR filters short
# while matching any realistic rate pair (e.g. 104.17 Hz -> 100 Hz) to better than 1e-6.
_MAX_DENOMINATOR = 1000


def nominal_rate(rate_hz: float) -> float:
    """Round a measured rate (Hz) to the nearest whole Hz when it is within 0.1 % of it."""
    r = round(rate_hz)
    return float(r) if r > 0 and abs(rate_hz - r) <= 1e-3 * rate_hz else round(float(rate_hz), 3)


class Resampler:
    """Resample signal and label columns that share one time column onto a uniform grid.

    Parameters
    ----------
    target_rate_hz
        Output rate in Hz; None keeps the source's own nominal rate.
    max_gap_s
        Longest interval (s) that may be bridged by interpolation; longer gaps raise.
    jitter_tol
        Relative tolerance on sample intervals for the input to count as uniform.
    source
        Name of the input (a file path) used as the prefix of error messages.

    Results (after `resample`)
    --------------------------
    t_s_ : float64 [M]
        Output times in seconds, on the same clock as the input times.
    signals_ : dict[str, float64 [M]]
        Resampled signal columns.
    labels_ : dict[str, int64 [M]]
        Label columns, sample-and-hold from the source.
    source_rate_hz_ : float
        Nominal rate of the input (Hz): the number of sample periods (intervals counted
        in units of the median interval, so dropouts count as several) over the span.
    rate_hz_ : float
        Nominal rate of the output (Hz).
    uniform_ : bool
        Whether the input timestamps were uniform within `jitter_tol`.
    method_ : str
        "none" (input kept as is), "interp", "resample_poly" or "interp+resample_poly".
    """

    def __init__(self, target_rate_hz: float | None = None, *, max_gap_s: float = 0.5,
                 jitter_tol: float = 0.02, source: str = "input"):
        self.target_rate_hz = target_rate_hz
        self.max_gap_s = max_gap_s
        self.jitter_tol = jitter_tol
        self.source = source

    def resample(self, t_s, signals: Mapping[str, np.ndarray], labels: Mapping[str, np.ndarray] | None = None,
                 *, rows=None) -> "Resampler":
        """Resample the columns sampled at times `t_s` (seconds, one per row).

        `signals` are float columns ([N] each), `labels` integer columns ([N] each).
        `rows` optionally names each row for error messages (e.g. file line numbers);
        without it rows are called "sample <index>".
        """
        labels = dict(labels or {})
        t = np.asarray(t_s, dtype=np.float64).reshape(-1)
        n = len(t)
        cols = {k: np.asarray(v, dtype=np.float64).reshape(-1) for k, v in signals.items()}
        for k, v in [*cols.items(), *labels.items()]:
            if len(v) != n:
                raise ValueError(f"column {k!r} has {len(v)} rows for {n} timestamps")
        self._rows = None if rows is None else np.asarray(rows)
        self._check(t, cols)

        dt = np.diff(t)
        median_dt = float(np.median(dt))
        self.uniform_ = bool(np.all(np.abs(dt - median_dt) <= self.jitter_tol * median_dt))
        # The median interval is robust to dropouts but biased by jitter: count the periods
        # in each interval (a dropout spans several) and spread the whole span over them.
        # (only intervals over 1.75 medians count as dropouts, so jitter is not mistaken for one).
        n_periods = int(np.sum(np.where(dt > 1.75 * median_dt, np.round(dt / median_dt), 1)))
        self.source_rate_hz_ = nominal_rate(n_periods / float(t[-1] - t[0]))
        target = self.source_rate_hz_ if self.target_rate_hz is None else float(self.target_rate_hz)
        if not (target > 0 and np.isfinite(target)):
            raise InputFileError(f"{self.source}: target rate {self.target_rate_hz!r} Hz must be a positive number")
        same_rate = abs(target - self.source_rate_hz_) <= 1e-9 * target

        steps = []
        if self.uniform_:
            grid_t, grid = t, cols
        else:
            # Interpolate onto a uniform grid at the source rate first, so that a later
            # rate change still goes through the anti-aliasing filter.
            n_grid = int(np.floor((t[-1] - t[0]) * self.source_rate_hz_ + 1e-9)) + 1
            grid_t = t[0] + np.arange(n_grid) / self.source_rate_hz_
            grid = {k: np.interp(grid_t, t, v) for k, v in cols.items()}
            steps.append("interp")
        if same_rate:
            out_t, out = grid_t, grid
        else:
            frac = Fraction(target / self.source_rate_hz_).limit_denominator(_MAX_DENOMINATOR)
            up, down = frac.numerator, frac.denominator
            n_out = int(np.floor((grid_t[-1] - grid_t[0]) * target + 1e-9)) + 1
            out_t = grid_t[0] + np.arange(n_out) / target
            # padtype="line" extends the signal linearly at the ends instead of with zeros,
            # so a constant offset (gravity) does not droop at the first and last samples.
            out = {k: resample_poly(v, up, down, padtype="line")[:n_out] for k, v in grid.items()}
            steps.append("resample_poly")
        self.rate_hz_ = nominal_rate(target)
        self.method_ = "+".join(steps) or "none"
        self.t_s_ = np.asarray(out_t, dtype=np.float64)
        self.signals_ = out
        # Sample and hold: the last source row at or before each output time (1 ns slack
        # absorbs rounding of the grid times).
        idx = np.clip(np.searchsorted(t, self.t_s_ + 1e-9, side="right") - 1, 0, n - 1)
        self.labels_ = {k: np.asarray(v)[idx] for k, v in labels.items()}
        return self

    def _row(self, i: int) -> str:
        return f"line {self._rows[i]}" if self._rows is not None else f"sample {i}"

    def _check(self, t: np.ndarray, cols: dict[str, np.ndarray]) -> None:
        if len(t) < 2:
            raise InputFileError(f"{self.source}: {len(t)} sample(s); at least 2 are needed to tell the sample rate")
        bad = ~np.isfinite(t)
        if bad.any():
            i = int(np.argmax(bad))
            raise InputFileError(f"{self.source}: {self._row(i)}: timestamp is missing or not finite")
        dt = np.diff(t)
        if np.any(dt <= 0):
            i = int(np.argmax(dt <= 0)) + 1
            what = "duplicates" if dt[i - 1] == 0 else "goes back before"
            raise InputFileError(f"{self.source}: {self._row(i)}: timestamp {t[i]:.6f} s {what} the previous row's "
                                 f"({self._row(i - 1)}, {t[i - 1]:.6f} s); timestamps must be strictly increasing")
        if np.any(dt > self.max_gap_s):
            i = int(np.argmax(dt > self.max_gap_s)) + 1
            raise InputFileError(f"{self.source}: gap of {dt[i - 1]:.3f} s between {self._row(i - 1)} and "
                                 f"{self._row(i)} (longer than {self.max_gap_s:g} s); no data is invented across gaps: "
                                 f"split the recording there or raise the gap limit")
        for k, v in cols.items():
            bad = ~np.isfinite(v)
            if bad.any():
                i = int(np.argmax(bad))
                raise InputFileError(f"{self.source}: {self._row(i)}, column {k}: value is missing or NaN "
                                     f"(the file may be truncated); signal columns must be complete")

"""Event-level matching of detected heel strikes against reference heel strikes.

A detection counts as a true positive when it can be paired one-to-one with a reference
event no more than `tolerance_s` away (default 50 ms, inclusive). Among all one-to-one
pairings the one with the most pairs is taken and, among those, the one with the
smallest total |est - ref|. This is solved exactly as a sparse minimum-weight bipartite
matching (scipy's LAPJVsp) on the graph of candidate pairs within tolerance, so 10^5
events take well under a second; see `match_events` for the construction.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import min_weight_full_bipartite_matching

from gaitnode.errors import GaitnodeError
from gaitnode.metrics.arrays import finite_1d

DEFAULT_TOLERANCE_S = 0.05
# Event times on a sample grid (k / 100 Hz) do not subtract exactly in float64
# (1.05 - 1.0 = 0.0500000000000000444), so the tolerance gets 1 ns of slack.
_SLACK_S = 1e-9
# Refuse inputs whose candidate-pair graph would not fit in memory (tolerance far
# larger than the event spacing); each pair costs about 100 bytes in the solver.
_MAX_PAIRS = 20_000_000


@dataclass
class EventMatch:
    """Result of `match_events`. Times in seconds, error statistics in milliseconds.

    Attributes:
        tolerance_s: the matching tolerance used (s).
        n_ref, n_est: number of reference / detected events.
        tp: matched pairs; fp = n_est - tp (unmatched detections); fn = n_ref - tp (missed references).
        precision = tp / n_est, recall = tp / n_ref, f1 = 2 tp / (2 tp + fp + fn).
            A 0/0 ratio is 0.0 (as scikit-learn's zero_division=0), except that with no
            references and no detections at all precision = recall = f1 = 1.0 (nothing to
            find, nothing found). So one empty side gives 0.0 for all three.
        ref_idx, est_idx: int64 [tp], indices into the *input* arrays (as given, before any
            sorting) of each matched pair, ordered by reference time.
        errors_s: float64 [tp], est - ref for each matched pair (s); positive = detected late.
        median_abs_error_ms, p95_abs_error_ms: median and 95th percentile (linear
            interpolation) of |errors_s| in ms; None when tp == 0.
        mean_error_ms, std_error_ms: mean (bias) and population standard deviation of the
            signed errors in ms; None when tp == 0.
    """

    tolerance_s: float
    n_ref: int
    n_est: int
    tp: int
    fp: int
    fn: int
    precision: float
    recall: float
    f1: float
    ref_idx: np.ndarray
    est_idx: np.ndarray
    errors_s: np.ndarray
    median_abs_error_ms: float | None
    p95_abs_error_ms: float | None
    mean_error_ms: float | None
    std_error_ms: float | None

    def to_dict(self, *, include_pairs: bool = False) -> dict:
        """JSON-serialisable summary; `include_pairs` adds the index pairs and errors (s)."""
        d = {k: getattr(self, k) for k in (
            "tolerance_s", "n_ref", "n_est", "tp", "fp", "fn", "precision", "recall", "f1",
            "median_abs_error_ms", "p95_abs_error_ms", "mean_error_ms", "std_error_ms")}
        if include_pairs:
            d["ref_idx"] = self.ref_idx.tolist()
            d["est_idx"] = self.est_idx.tolist()
            d["errors_s"] = self.errors_s.tolist()
        return d


def _candidate_pairs(ref: np.ndarray, est: np.ndarray, tol: float):
    """All (i, j, |est_j - ref_i|) with |est_j - ref_i| <= tol; ref and est sorted."""
    lo = np.searchsorted(est, ref - tol, side="left")
    hi = np.searchsorted(est, ref + tol, side="right")
    count = hi - lo
    total = int(count.sum())
    if total > _MAX_PAIRS:
        raise GaitnodeError(
            f"event matching: {total} candidate pairs within {tol * 1e3:g} ms "
            f"({len(ref)} references, {len(est)} detections); the tolerance is far larger than the "
            f"event spacing (limit {_MAX_PAIRS} pairs)")
    i = np.repeat(np.arange(len(ref)), count)
    # j runs lo[i] .. hi[i]-1 for each i: position inside its run plus the run start.
    j = np.arange(total) - np.repeat(np.cumsum(count) - count, count) + np.repeat(lo, count)
    return i, j, np.abs(est[j] - ref[i])


def _optimal_pairs(ref: np.ndarray, est: np.ndarray, tol: float) -> tuple[np.ndarray, np.ndarray]:
    """Maximum-cardinality, then minimum total |dt|, one-to-one matching (sorted inputs).

    The solver needs a *full* matching, so the graph is padded (n refs, m detections):
    rows = refs + one dummy per detection, columns = detections + one dummy per ref.
      ref i - detection j      weight 1 + |dt|   (candidate pairs only)
      ref i - its own dummy    weight 1 + P      (i left unmatched)
      detection j's dummy - j  weight 1 + P      (j left unmatched)
      dummy(j) - dummy(i)      weight 1          (for every candidate pair, so that when i-j
                                                  is used the two dummies pair up)
    Every full matching costs (n + m) + sum|dt| + P * (number of unmatched events), and
    every one-to-one set of candidate pairs extends to a full matching. With
    P = tol * (min(n, m) + 1), one more pair always saves 2P > any increase in sum|dt|, so
    the minimum is a maximum-cardinality matching with the least total |dt|. The +1 keeps
    every weight strictly positive (the solver treats stored entries as edges).
    """
    n, m = len(ref), len(est)
    i, j, dt = _candidate_pairs(ref, est, tol + _SLACK_S)
    if len(i) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    penalty = tol * (min(n, m) + 1)
    rows = np.concatenate([i, np.arange(n), n + np.arange(m), n + j])
    cols = np.concatenate([j, m + np.arange(n), np.arange(m), m + i])
    w = np.concatenate([1.0 + dt, np.full(n + m, 1.0 + penalty), np.ones(len(i))])
    graph = coo_matrix((w, (rows, cols)), shape=(n + m, n + m)).tocsr()
    row_ind, col_ind = min_weight_full_bipartite_matching(graph)
    real = (row_ind < n) & (col_ind < m)
    return row_ind[real].astype(np.int64), col_ind[real].astype(np.int64)


def match_events(ref_t, est_t, tolerance_s: float = DEFAULT_TOLERANCE_S) -> EventMatch:
    """Match detected events to reference events one-to-one within a tolerance.

    Args:
        ref_t: reference event times (s), e.g. `session.heel_strikes()`.
        est_t: detected event times (s) on the same clock.
        tolerance_s: largest |est - ref| (s) for a pair to count, inclusive (1 ns slack
            for float rounding of sample-grid times). Default 0.05 s (±50 ms).

    Inputs need not be sorted: they are sorted internally and the returned indices refer
    to the arrays as given. Each reference and each detection is used at most once; among
    all such pairings the one with the most pairs, then the least total |est - ref|, is
    returned (so of two detections near one reference only the closer one matches,
    unless the other one is needed by a neighbouring reference).

    Raises:
        GaitnodeError: a time is NaN or infinite, an input is not 1-D, or the tolerance is
            not a positive finite number.
    """
    try:
        tol = float(tolerance_s)
    except (TypeError, ValueError):
        raise GaitnodeError(f"event matching tolerance must be a number of seconds, got {tolerance_s!r}") from None
    if not (np.isfinite(tol) and tol > 0):
        raise GaitnodeError(f"event matching tolerance must be a positive number of seconds, got {tolerance_s!r}")
    ref = finite_1d("reference events", ref_t, "event times")
    est = finite_1d("detected events", est_t, "event times")
    ref_order = np.argsort(ref, kind="stable")
    est_order = np.argsort(est, kind="stable")
    si, sj = _optimal_pairs(ref[ref_order], est[est_order], tol)
    by_ref = np.argsort(si, kind="stable")
    ref_idx, est_idx = ref_order[si[by_ref]], est_order[sj[by_ref]]
    errors = est[est_idx] - ref[ref_idx]

    tp = len(ref_idx)
    return EventMatch(tolerance_s=tol, ref_idx=ref_idx, est_idx=est_idx, errors_s=errors,
                      **event_scores(tp, len(est) - tp, len(ref) - tp, errors))


def event_scores(tp: int, fp: int, fn: int, errors_s) -> dict:
    """The EventMatch statistics from counts and the signed errors (s) of the tp matched pairs.

    Used by `match_events` and by callers that pool matches over many sessions (match each
    session on its own clock, add the counts, concatenate the errors). Returns n_ref, n_est,
    tp, fp, fn, precision, recall, f1, median_abs_error_ms, p95_abs_error_ms, mean_error_ms,
    std_error_ms with the conventions documented on EventMatch.
    """
    errors = np.asarray(errors_s, dtype=np.float64).reshape(-1)
    if len(errors) != tp:
        raise GaitnodeError(f"event scores: {len(errors)} errors for {tp} matched pairs")
    n_ref, n_est = tp + fn, tp + fp
    nothing = n_ref == 0 and n_est == 0
    abs_ms = np.abs(errors) * 1e3
    return {
        "n_ref": n_ref, "n_est": n_est, "tp": tp, "fp": fp, "fn": fn,
        "precision": float(tp / n_est if n_est else float(nothing)),
        "recall": float(tp / n_ref if n_ref else float(nothing)),
        "f1": float(2 * tp / (2 * tp + fp + fn) if (tp + fp + fn) else 1.0),
        "median_abs_error_ms": float(np.median(abs_ms)) if tp else None,
        "p95_abs_error_ms": float(np.percentile(abs_ms, 95)) if tp else None,
        "mean_error_ms": float(errors.mean() * 1e3) if tp else None,
        "std_error_ms": float(errors.std() * 1e3) if tp else None,
    }

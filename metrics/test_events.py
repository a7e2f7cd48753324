import itertools
import json

import numpy as np
import pytest

from gaitnode.errors import GaitnodeError
from gaitnode.metrics.events import event_scores, match_events


def _best_by_enumeration(ref, est, tol):
    """(pairs, total |dt|) of the best one-to-one matching, by trying every injection."""
    best = (0, 0.0)
    n, m = len(ref), len(est)
    for k in range(1, min(n, m) + 1):
        for refs in itertools.combinations(range(n), k):
            for ests in itertools.permutations(range(m), k):
                d = [abs(est[j] - ref[i]) for i, j in zip(refs, ests)]
                if max(d) <= tol and (k > best[0] or (k == best[0] and sum(d) < best[1])):
                    best = (k, sum(d))
    return best


def test_exact_detections_match_all():
    ref = np.arange(10) * 1.1
    r = match_events(ref, ref.copy())
    assert (r.tp, r.fp, r.fn) == (10, 0, 0)
    assert r.precision == r.recall == r.f1 == 1.0
    assert r.median_abs_error_ms == 0.0 and r.p95_abs_error_ms == 0.0
    np.testing.assert_array_equal(r.ref_idx, np.arange(10))
    np.testing.assert_array_equal(r.est_idx, np.arange(10))


def test_constant_shift_is_reported_as_signed_error():
    ref = np.arange(20) * 1.0
    r = match_events(ref, ref + 0.02)
    assert r.tp == 20
    np.testing.assert_allclose(r.errors_s, 0.02)
    assert r.mean_error_ms == pytest.approx(20.0)
    assert r.std_error_ms == pytest.approx(0.0, abs=1e-9)
    assert r.median_abs_error_ms == pytest.approx(20.0)
    late = match_events(ref, ref - 0.03)
    assert late.mean_error_ms == pytest.approx(-30.0)


def test_shift_beyond_tolerance_matches_nothing():
    ref = np.arange(5) * 1.0
    r = match_events(ref, ref + 0.06)
    assert (r.tp, r.fp, r.fn) == (0, 5, 5)
    assert r.precision == r.recall == r.f1 == 0.0
    assert r.median_abs_error_ms is None and r.mean_error_ms is None


def test_missing_and_extra_detections():
    ref = np.array([1.0, 2.0, 3.0, 4.0])
    est = np.array([1.01, 2.5, 3.99])  # 2.0 missed, 2.5 spurious, 3.0 missed
    r = match_events(ref, est)
    assert (r.tp, r.fp, r.fn) == (2, 1, 2)
    assert r.precision == pytest.approx(2 / 3)
    assert r.recall == pytest.approx(0.5)
    assert r.f1 == pytest.approx(2 * 2 / (2 * 2 + 1 + 2))
    assert r.ref_idx.tolist() == [0, 3] and r.est_idx.tolist() == [0, 2]


def test_double_detection_near_one_reference_matches_once_and_closest():
    r = match_events([1.0], [0.97, 1.01])
    assert (r.tp, r.fp, r.fn) == (1, 1, 0)
    assert r.est_idx.tolist() == [1]
    assert r.errors_s[0] == pytest.approx(0.01)


def test_maximum_pairs_beat_greedy_closest_first():
    # Closest-pair-first would take 1.06-1.035 (25 ms), leaving 1.00 and 1.10 unpaired
    # (1 TP); the optimum pairs 1.00-1.035 and 1.06-1.10 (2 TP).
    r = match_events([1.0, 1.06], [1.035, 1.10])
    assert r.tp == 2
    assert sorted(zip(r.ref_idx.tolist(), r.est_idx.tolist())) == [(0, 0), (1, 1)]


def test_tolerance_boundary_is_inclusive_on_a_100hz_grid():
    fs = 100.0
    ref = np.array([100]) / fs
    assert match_events(ref, np.array([105]) / fs).tp == 1  # exactly 50 ms
    assert match_events(ref, np.array([95]) / fs).tp == 1
    assert match_events(ref, np.array([106]) / fs).tp == 0  # 60 ms
    assert match_events([0.0], [0.0201], tolerance_s=0.02).tp == 0
    assert match_events([0.0], [0.02], tolerance_s=0.02).tp == 1


def test_unsorted_input_is_sorted_and_indices_refer_to_input():
    ref = np.array([3.0, 1.0, 2.0])
    est = np.array([2.01, 3.02, 0.99])
    r = match_events(ref, est)
    assert r.tp == 3
    for i, j in zip(r.ref_idx, r.est_idx):
        assert abs(est[j] - ref[i]) < 0.05
    assert ref[r.ref_idx].tolist() == [1.0, 2.0, 3.0]  # ordered by reference time


def test_empty_conventions():
    both = match_events([], [])
    assert (both.precision, both.recall, both.f1) == (1.0, 1.0, 1.0)
    no_det = match_events([1.0, 2.0], [])
    assert (no_det.precision, no_det.recall, no_det.f1, no_det.fn) == (0.0, 0.0, 0.0, 2)
    no_ref = match_events([], [1.0])
    assert (no_ref.precision, no_ref.recall, no_ref.f1, no_ref.fp) == (0.0, 0.0, 0.0, 1)


@pytest.mark.parametrize("ref, est, where", [
    ([1.0, np.nan], [1.0], "reference events: entry at index 1 is nan"),
    ([1.0], [np.inf], "detected events: entry at index 0 is inf"),
    ([[1.0, 2.0]], [1.0], "reference events: event times must be a 1-D array"),
    (["a"], [1.0], "reference events: event times must be numbers"),
])
def test_bad_times_raise_clear_error(ref, est, where):
    with pytest.raises(GaitnodeError, match=where.replace("(", r"\(")):
        match_events(ref, est)


@pytest.mark.parametrize("tol", [0, -0.05, np.nan, "x"])
def test_bad_tolerance_raises(tol):
    with pytest.raises(GaitnodeError, match="tolerance"):
        match_events([1.0], [1.0], tolerance_s=tol)


def test_absurd_tolerance_is_refused_before_running_out_of_memory():
    t = np.arange(10_000) * 1e-3
    with pytest.raises(GaitnodeError, match="candidate pairs"):
        match_events(t, t, tolerance_s=100.0)


def test_matches_exhaustive_search_on_random_small_cases():
    rng = np.random.default_rng(7)
    for _ in range(150):
        ref = rng.uniform(0, 0.25, rng.integers(0, 5))
        est = rng.uniform(0, 0.25, rng.integers(0, 5))
        r = match_events(ref, est)
        k, cost = _best_by_enumeration(ref, est, 0.05)
        assert r.tp == k
        assert np.abs(r.errors_s).sum() == pytest.approx(cost, abs=1e-12)
        assert len(set(r.ref_idx.tolist())) == len(set(r.est_idx.tolist())) == r.tp
        assert np.all(np.abs(r.errors_s) <= 0.05 + 1e-9)


def test_to_dict_is_json_serialisable():
    r = match_events([1.0, 2.0], [1.01, 2.2])
    d = json.loads(json.dumps(r.to_dict(include_pairs=True)))
    assert d["tp"] == 1 and d["fp"] == 1 and d["fn"] == 1
    assert d["ref_idx"] == [0] and d["est_idx"] == [0]
    assert d["errors_s"][0] == pytest.approx(0.01)
    assert "ref_idx" not in r.to_dict()
    empty = json.loads(json.dumps(match_events([], []).to_dict()))
    assert empty["median_abs_error_ms"] is None


def test_hundred_thousand_events_with_misses_and_spurious_detections():
    rng = np.random.default_rng(1)
    ref = np.cumsum(rng.uniform(0.9, 1.2, 100_000))
    keep = rng.random(len(ref)) > 0.05  # 5 % missed
    jitter = np.clip(rng.normal(0, 0.015, keep.sum()), -0.045, 0.045)
    est = np.concatenate([ref[keep] + jitter,
                          rng.uniform(0, ref[-1], 5_000)])  # plus spurious detections
    rng.shuffle(est)
    r = match_events(ref, est)  # its speed is measured by `make bench`
    # Every kept detection is within tolerance, so the maximum matching has at least those
    # pairs; a spurious detection may stand in for a missed reference now and then.
    assert keep.sum() <= r.tp <= keep.sum() + 50
    assert r.fp == len(est) - r.tp
    assert r.median_abs_error_ms == pytest.approx(0.6745 * 15, rel=0.1)


def test_event_scores_pool_sessions_like_one_match_on_a_joint_clock():
    rng = np.random.default_rng(2)
    refs = [np.sort(rng.uniform(0, 60, 50)) for _ in range(3)]
    ests = [np.sort(np.concatenate([r[5:] + rng.normal(0, 0.02, len(r) - 5), rng.uniform(0, 60, 3)])) for r in refs]
    ms = [match_events(r, e) for r, e in zip(refs, ests)]
    pooled = event_scores(sum(m.tp for m in ms), sum(m.fp for m in ms), sum(m.fn for m in ms),
                          np.concatenate([m.errors_s for m in ms]))
    joint = match_events(np.concatenate([r + 1000 * k for k, r in enumerate(refs)]),
                         np.concatenate([e + 1000 * k for k, e in enumerate(ests)]))
    for key, value in pooled.items():
        assert value == pytest.approx(getattr(joint, key), abs=1e-9), key
    with pytest.raises(GaitnodeError, match="2 errors for 3 matched pairs"):
        event_scores(3, 0, 0, [0.0, 0.0])

import copy

import numpy as np
import pytest

from gaitnode.errors import GaitnodeError
from gaitnode.sessions.model import Series
from gaitnode.training.vo2_dataset import (
    SequenceSet, check_vo2_session, filter_coefficient, hold_out_tail_windows, prepare_vo2,
    reference_source, vo2_ml_kg_min,
)
from gaitnode.training.windows import ACC6


def with_series(session, **series):
    s = copy.deepcopy(session)
    s.series = {**s.series, **series}
    return s


def test_targets_are_ml_per_kg_and_breaths_are_averaged(walks):
    w = walks[0]
    mass = w.meta.subject.mass_kg
    t = np.array([20.0, 30.5])
    np.testing.assert_allclose(vo2_ml_kg_min(w, t, source="vo2_true"), w.series["vo2_true"].at(t) / mass)
    breaths = Series([10.0, 12.0, 14.0, 16.0, 40.0], [1000.0, 1200.0, 1400.0, 1600.0, 2000.0])
    s = with_series(w, vo2=breaths)
    got = vo2_ml_kg_min(s, [13.0, 25.0, 50.0], source="vo2", average_s=10.0)
    # 13 s: breaths at 10..16 s are within +-5 s; 25 s: none, linear between 16 and 40 s; 50 s: after the last
    np.testing.assert_allclose(got[:2], [1300.0 / mass, (1600.0 + 400.0 * 9.0 / 24.0) / mass])
    assert np.isnan(got[2])
    assert reference_source(w) == "vo2_true"
    assert reference_source(with_series(w, vo2_true=Series([], []))) == "vo2"


@pytest.mark.parametrize("change,message", [
    (lambda s: s.series.pop("vo2"), r"has no 'vo2' series \(VO2 in ml/min; series present: .*metabolic cart"),
    (lambda s: setattr(s.meta.subject, "mass_kg", None), r"subject 'S000' has no body mass .*ml/kg/min needs it"),
])
def test_sessions_without_vo2_or_mass_are_refused(walks, change, message):
    s = copy.deepcopy(walks[0])
    change(s)
    with pytest.raises(GaitnodeError, match=message):
        prepare_vo2([s], ACC6, rate_hz=100.0, window=128, hop=100)


def test_wrong_rate_and_placement_are_refused(walks):
    s = copy.deepcopy(walks[0])
    s.meta.rate_hz = 50.0
    with pytest.raises(GaitnodeError, match=r"recorded at 50 Hz, but the VO2 model runs at 100 Hz .*resample"):
        check_vo2_session(s, rate_hz=100.0)
    with pytest.raises(GaitnodeError, match=r"a shank session, but the VO2 model is for foot"):
        check_vo2_session(walks[0], placement="foot")
    with pytest.raises(GaitnodeError, match="exists only in simulated sessions"):
        check_vo2_session(with_series(walks[0], vo2_true=Series([], [])), source="vo2_true")


def test_windows_end_where_their_targets_are(walks):
    (p,) = prepare_vo2([walks[1]], ACC6, rate_hz=100.0, window=128, hop=100, source="vo2_true")
    t = walks[1].imu.t_s
    np.testing.assert_array_equal(p.t_end, t[p.starts + 127])
    np.testing.assert_array_equal(np.diff(p.starts), 100)
    np.testing.assert_allclose(p.y, walks[1].series["vo2_true"].at(p.t_end) / walks[1].meta.subject.mass_kg,
                               rtol=1e-6)
    assert p.x.shape == (len(t), 6) and p.t0 == t[0]
    train, val = hold_out_tail_windows([p], 0.25)
    assert len(train[0].y) + len(val[0].y) == len(p.y) and val[0].t_end[0] > train[0].t_end[-1]
    with pytest.raises(GaitnodeError, match="too few to hold out"):
        hold_out_tail_windows([p.head(6)], 0.25)


def test_filter_coefficient():
    assert filter_coefficient(1.0, 30.0) == pytest.approx(1 - np.exp(-1 / 30))
    assert filter_coefficient(1.0, 0.0) == 1.0
    with pytest.raises(GaitnodeError, match="smoothing needs tau >= 0"):
        filter_coefficient(1.0, -2.0)


def test_sequence_set_covers_every_window_once_per_epoch(walks):
    prepared = prepare_vo2(walks[:2], ACC6, rate_hz=100.0, window=128, hop=100)
    seqs = SequenceSet(prepared, 128, 16)
    runs = seqs.epoch(np.random.default_rng(3))
    covered = sorted((i, a + k) for i, a, n in runs for k in range(n))
    assert covered == sorted((i, k) for i, p in enumerate(prepared) for k in range(len(p.y)))
    assert all(1 <= n <= 16 for _, _, n in runs)
    X, Y, M, x0 = seqs.gather(runs[:3])
    assert X.shape == (48, 128, 6) and Y.shape == M.shape == (3, 16) and x0.shape == (3,)
    for b, (i, a, n) in enumerate(runs[:3]):
        p = prepared[i]
        assert M[b].sum() == n and np.array_equal(Y[b, :n], p.y[a:a + n])
        assert x0[b] == (p.y[a - 1] if a else p.y[0])
        np.testing.assert_array_equal(X[b * 16], p.x[p.starts[a]:p.starts[a] + 128])

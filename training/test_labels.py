import numpy as np
import pytest

from gaitnode.errors import GaitnodeError
from gaitnode.sessions.model import EVENT_KINDS, SIDES, Events, Imu, Session, SessionMeta, Subject
from gaitnode.training.labels import heel_strike_labels, mark_around


def session(hs_left, hs_right=(), n=1000, rate=100.0, t0_s=12.5, side="left"):
    t_us = np.round((t0_s + np.arange(n) / rate) * 1e6).astype(np.int64)
    z = np.zeros((n, 3), np.float32)
    times = [(t, "left") for t in hs_left] + [(t, "right") for t in hs_right]
    times.sort()
    ev = Events([t for t, _ in times], [EVENT_KINDS.index("HS")] * len(times), [SIDES.index(s) for _, s in times])
    meta = SessionMeta(subject=Subject(id="S9"), rate_hz=rate, side=side, protocol="unit")
    return Session(meta=meta, imu=Imu(t_us, z, z, None), events=ev)


def ones(y):
    return np.flatnonzero(y).tolist()


def test_labels_cover_half_width_around_the_nearest_sample_on_the_device_clock():
    # Session starts at 12.5 s: HS at 13.5 s is sample 100; 14.504 s is nearest sample 200.
    s = session([13.5, 14.504], hs_right=[17.5])
    y = heel_strike_labels(s, 3)
    assert y.dtype == np.float32 and y.shape == (1000,)
    assert ones(y) == list(range(97, 104)) + list(range(197, 204))  # the right-side HS is not labelled


def test_labels_are_clipped_at_the_ends_and_far_outside_references_dropped():
    # last sample is 12.5 + 9.99 s; 22.495 s is half a period after it (kept), 30 s is far outside (dropped)
    s = session([12.5, 22.495, 30.0, 5.0])
    y = heel_strike_labels(s, 2)
    assert ones(y) == [0, 1, 2, 997, 998, 999]


def test_half_width_zero_marks_single_samples():
    y = heel_strike_labels(session([13.0, 13.02]), 0)
    assert ones(y) == [50, 52]


def test_label_count_on_a_synthetic_walk_is_2h_plus_1_per_heel_strike():
    from gaitnode.simulate.cohort import cohort_subject
    from gaitnode.simulate.protocols import by_name
    from gaitnode.simulate.simulator import Simulator

    s = Simulator(seed=3).simulate(cohort_subject(0, 3), by_name("free_walk", np.random.default_rng(3), 40.0))
    hs = s.heel_strikes()
    assert np.min(np.diff(hs)) > 0.2  # separated by more than 15 samples: no overlapping labels
    y = heel_strike_labels(s, 7)
    inside = np.sum((hs >= s.imu.t_s[0] + 0.07) & (hs <= s.imu.t_s[-1] - 0.07))
    assert y.sum() == 15 * inside
    walking = y[s.imu.t_s - s.imu.t_s[0] > 12.0]  # after the standing start: ~1 stride/s -> 10-20 %
    assert 0.10 <= walking.mean() <= 0.20


def test_no_references_is_an_error_naming_the_session():
    with pytest.raises(GaitnodeError, match=r"S9/unit/shank/left: no heel-strike references; training needs them"):
        heel_strike_labels(session([]), 7)
    with pytest.raises(GaitnodeError, match="no heel-strike references"):
        heel_strike_labels(session([], hs_right=[13.0]), 7)  # only the other side


def test_negative_half_width_is_an_error():
    with pytest.raises(GaitnodeError, match="half width"):
        heel_strike_labels(session([13.0]), -1)


def test_mark_around_marks_half_width_around_each_index_and_clips_at_the_ends():
    m = mark_around(np.array([0, 10, 18]), 20, 2)
    assert np.flatnonzero(m).tolist() == [0, 1, 2, 8, 9, 10, 11, 12, 16, 17, 18, 19]
    assert not mark_around(np.zeros(0, np.int64), 5, 3).any()

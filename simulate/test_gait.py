import numpy as np
import pytest

from gaitnode.errors import GaitnodeError
from gaitnode.sessions.model import SIDES
from gaitnode.simulate import gait
from gaitnode.simulate.protocols import Protocol, Segment
from gaitnode.simulate.subjects import SubjectParams


def subject(**kw):
    base = dict(id="t", sex="male", age=30.0, height_m=1.76, mass_kg=72.0, leg_length_m=0.93,
                shank_length_m=0.43, foot_length_m=0.27, vo2max_ml_kg_min=45.0, hr_rest=60.0, hr_max=190.0,
                economy=1.0, walk_ratio=0.0065, walk_run_speed_ms=2.0, stride_cv=0.02, tau_on_s=30.0,
                tau_off_s=35.0, threshold_frac=0.6, tau_hr_s=40.0)
    base.update(kw)
    return SubjectParams(**base)


def walk_protocol(speed=1.3, dur=60.0, activity="walking"):
    return Protocol("t", (Segment(10.0, "standing"), Segment(dur, activity, speed), Segment(10.0, "standing")))


def test_walking_cadence_rises_with_speed_in_the_normal_band():
    v = np.linspace(0.6, 1.9, 14)
    cad = gait.walking_cadence_spm(v, 0.0065)
    assert np.all(np.diff(cad) > 0)
    assert 80 <= cad.min() and cad.max() <= 130
    # Step length from the walk-ratio law is about 0.41 of stature at a typical speed.
    sl = 60 * 1.3 / gait.walking_cadence_spm(1.3, 0.0065)
    assert 0.38 < sl / 1.76 < 0.44


def test_running_cadence_band():
    cad = gait.running_cadence_spm(np.linspace(2.5, 5.0, 6), 1.76)
    assert np.all(np.diff(cad) > 0) and 150 <= cad.min() and cad.max() <= 190


def test_strides_alternate_and_have_realistic_phase_fractions():
    df = gait.plan_strides(subject(), walk_protocol(1.3), np.random.default_rng(0))
    T = df.t_next_hs - df.t_hs
    st, ff, ho = (df.t_to - df.t_hs) / T, (df.t_ff - df.t_hs) / T, (df.t_ho - df.t_hs) / T
    assert 0.57 < st.mean() < 0.63 and 0.08 < ff.mean() < 0.14 and 0.30 < ho.mean() < 0.40
    assert np.all((df.t_hs < df.t_ff) & (df.t_ff < df.t_ho) & (df.t_ho < df.t_to) & (df.t_to < df.t_next_hs))
    ev = gait.stride_events(df)
    hs_side = ev.side[ev.kind == 0]
    assert np.all(np.diff(hs_side) != 0)  # left, right, left, ...
    # Gait only inside the walking segment (10-70 s), and none in static segments.
    assert ev.t_s.min() > 10.0 and ev.t_s.max() < 70.0
    # Stride-time variability close to the subject's CV (steady part, leading leg).
    lead = df[df.side == df.side.iloc[0]]
    t_mid = (lead.t_next_hs - lead.t_hs)[(lead.t_hs > 20) & (lead.t_hs < 60)]
    assert 0.008 < t_mid.std() / t_mid.mean() < 0.04


def test_stance_shortens_when_running_and_with_speed():
    slow = gait.phase_fractions(gait.WALK, 0.8)[2]
    fast = gait.phase_fractions(gait.WALK, 1.8)[2]
    run = gait.phase_fractions(gait.RUN, 4.0)[2]
    assert slow > fast > 0.5 > 0.4 >= gait.phase_fractions(gait.RUN, 2.0)[2] > run


def test_running_segment_runs_at_running_cadence():
    df = gait.plan_strides(subject(), walk_protocol(3.5, activity="running"), np.random.default_rng(1))
    steady = df[(df.t_hs > 30) & (df.t_hs < 60)]
    assert set(steady.activity) == {gait.RUN}
    cad = 120.0 / (steady.t_next_hs - steady.t_hs)
    assert 150 < cad.mean() < 190


def test_phase_labels_follow_events_and_are_static_outside_gait():
    df = gait.plan_strides(subject(), walk_protocol(1.2), np.random.default_rng(2))
    t = np.arange(0.0, 80.0, 0.01)
    ph = gait.phase_labels(df, "left", t)
    assert np.all(ph[t < 9.9] == -1) and np.all(ph[t > 72] == -1)
    left = df[df.side == SIDES.index("left")].iloc[5]
    for tt, want in ((left.t_hs + 0.01, 0), ((left.t_ff + left.t_ho) / 2, 1), ((left.t_ho + left.t_to) / 2, 2),
                     ((left.t_to + left.t_next_hs) / 2, 3)):
        assert ph[np.searchsorted(t, tt)] == want
    cad = gait.cadence_at(df, np.array([5.0, 40.0]))
    assert cad[0] == 0 and 95 < cad[1] < 120


def test_same_seed_same_strides_and_bad_t_end():
    a = gait.plan_strides(subject(), walk_protocol(), np.random.default_rng(5))
    b = gait.plan_strides(subject(), walk_protocol(), np.random.default_rng(5))
    assert a.equals(b)
    with pytest.raises(GaitnodeError, match="t_end"):
        gait.plan_strides(subject(), walk_protocol(), np.random.default_rng(5), t_end=-1.0)

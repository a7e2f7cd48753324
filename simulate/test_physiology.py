import dataclasses

import numpy as np
import pytest
from scipy.optimize import curve_fit

from gaitnode.errors import GaitnodeError
from gaitnode.simulate.physiology import (
    BREATH_MAX_HZ, acsm_vo2_ml_kg_min, breath_by_breath, reference_series, simulate_hr, simulate_vo2,
)
from gaitnode.simulate.protocols import Protocol, Segment, bruce
from gaitnode.simulate.subjects import sample_subject

W, UP, DOWN, SIT, STAND, LAY, RUN = range(7)


def _subject(**changes):
    s = sample_subject(np.random.default_rng(11), "S")
    return dataclasses.replace(s, **{"vo2max_ml_kg_min": 45.0, "threshold_frac": 0.7, "economy": 1.07, **changes})


def _step(speed, grade=0.0, activity=W, pre_s=60, on_s=600, dt=1.0):
    """Standing for pre_s, then a constant stage for on_s (instant change)."""
    t = np.arange(0, pre_s + on_s, dt)
    on = t >= pre_s
    return (t, np.where(on, speed, 0.0), np.where(on, grade, 0.0),
            np.where(on, activity, STAND).astype(np.int8))


def test_acsm_values_hand_checked():
    # 4.345 km/h = 72.417 m/min at 10 %: 3.5 + 7.2417 + 1.8 * 72.417 * 0.10 = 23.777 ml/kg/min
    v = 4.345 / 3.6
    assert acsm_vo2_ml_kg_min(np.array([v]), np.array([10.0]), np.array([W]), 2.0)[0] == pytest.approx(23.7767, abs=1e-3)
    # running 3 m/s = 180 m/min at 5 %: 3.5 + 36 + 0.9 * 180 * 0.05 = 47.6
    assert acsm_vo2_ml_kg_min(np.array([3.0]), np.array([5.0]), np.array([RUN]), 2.0)[0] == pytest.approx(47.6)
    # a "walking" label above the transition speed uses the running equation
    assert acsm_vo2_ml_kg_min(np.array([2.5]), np.array([0.0]), np.array([W]), 2.0)[0] == pytest.approx(3.5 + 30)
    # static postures: Compendium METs x 3.5
    got = acsm_vo2_ml_kg_min(np.zeros(3), np.zeros(3), np.array([LAY, SIT, STAND]), 2.0)
    assert got == pytest.approx([3.5, 4.55, 5.25])
    # stairs at 0.42 m/s = 25.2 m/min: climb 0.255 m/s = 15.3 m/min; up 3.5 + 2.52 + 1.8 * 15.3, down a third
    up, down = acsm_vo2_ml_kg_min(np.full(2, 0.42), np.zeros(2), np.array([UP, DOWN]), 2.0)
    assert up == pytest.approx(3.5 + 2.52 + 27.54) and down == pytest.approx(3.5 + 2.52 + 27.54 / 3)
    # downhill adds no vertical term; walking never costs less than standing
    assert acsm_vo2_ml_kg_min(np.array([1.0, 0.0]), np.array([-10.0, 0.0]), np.array([W, W]), 2.0) == pytest.approx(
        [9.5, 5.25])


def test_unknown_activity_is_rejected():
    with pytest.raises(GaitnodeError, match="activity index out of range"):
        acsm_vo2_ml_kg_min(np.zeros(2), np.zeros(2), np.array([0, -1]), 2.0)


def test_vo2_reaches_acsm_steady_state_scaled_by_economy():
    s = _subject()
    t, v, g, a = _step(4.345 / 3.6, 10.0)
    vo2 = simulate_vo2(s, t, v, g, a, np.random.default_rng(0), fluctuation_cv=0.0) / s.mass_kg
    expected = 3.5 + s.economy * (acsm_vo2_ml_kg_min(v, g, a, s.walk_run_speed_ms)[-1] - 3.5)
    assert expected < s.threshold_frac * s.vo2max_ml_kg_min  # below threshold: no slow component
    after_3tau = vo2[60 + int(np.ceil(3 * s.tau_on_s)) + 1:]
    assert np.all(np.abs(after_3tau / expected - 1) < 0.05)
    assert vo2[-1] == pytest.approx(expected, rel=1e-4)
    # with the default spontaneous fluctuation it still averages to the steady state
    noisy = simulate_vo2(s, t, v, g, a, np.random.default_rng(1)) / s.mass_kg
    assert noisy[400:].mean() == pytest.approx(expected, rel=0.02)


def test_on_kinetics_time_constant_is_recovered_from_a_step():
    s = _subject(tau_on_s=31.0, tau_off_s=40.0)
    t, v, g, a = _step(1.3, dt=0.5)
    vo2 = simulate_vo2(s, t, v, g, a, np.random.default_rng(0), fluctuation_cv=0.0)
    on = t >= 60

    def model(tt, base, amp, tau):
        return base + amp * (1 - np.exp(-(tt - 60) / tau))
    (base, amp, tau), _ = curve_fit(model, t[on], vo2[on], p0=(vo2[0], vo2[-1] - vo2[0], 20.0))
    assert tau == pytest.approx(31.0, rel=0.03)
    t63 = t[on][np.argmax(vo2[on] >= vo2[0] + 0.632 * (vo2[-1] - vo2[0]))] - 60
    assert t63 == pytest.approx(31.0, abs=1.5)


def test_off_kinetics_are_slower_and_return_to_rest():
    s = _subject(tau_on_s=25.0, tau_off_s=35.0)
    t = np.arange(0, 900.0)
    v = np.where((t >= 60) & (t < 460), 1.4, 0.0)
    a = np.where(v > 0, W, STAND).astype(np.int8)
    vo2 = simulate_vo2(s, t, v, np.zeros_like(t), a, np.random.default_rng(0), fluctuation_cv=0.0)
    rest, peak = vo2[0], vo2[459]
    rise = np.argmax(vo2[60:] >= rest + 0.632 * (peak - rest))
    fall = np.argmax(vo2[460:] <= peak - 0.632 * (peak - rest))
    assert rise == pytest.approx(25, abs=1.5) and fall == pytest.approx(35, abs=1.5)
    assert vo2[-1] == pytest.approx(rest, rel=1e-3)


def test_slow_component_above_threshold_and_cap_at_vo2max():
    s = _subject(vo2max_ml_kg_min=40.0, threshold_frac=0.55, slow_frac=0.15, tau_slow_s=200.0)
    t, v, g, a = _step(1.5, 8.0, on_s=1200)  # demand 3.5 + 1.07 * (90 * 1.144) ... about 29 ml/kg/min
    vo2 = simulate_vo2(s, t, v, g, a, np.random.default_rng(0), fluctuation_cv=0.0) / s.mass_kg
    demand = 3.5 + s.economy * (acsm_vo2_ml_kg_min(v, g, a, s.walk_run_speed_ms)[-1] - 3.5)
    excess = demand - s.threshold_frac * s.vo2max_ml_kg_min
    assert excess > 0
    assert vo2[-1] == pytest.approx(demand + s.slow_frac * excess, rel=1e-3)
    assert vo2[60 + 180] < vo2[60 + 600] < vo2[-1]  # keeps rising after the fast phase is done
    # a supramaximal stage climbs to VO2max and stays there, never above
    t, v, g, a = _step(4.5, 0.0, RUN, on_s=600)
    for cv in (0.0, 0.01):
        vo2 = simulate_vo2(s, t, v, g, a, np.random.default_rng(2), fluctuation_cv=cv) / s.mass_kg
        assert vo2.max() <= s.vo2max_ml_kg_min + 1e-9
        assert vo2[-1] == pytest.approx(s.vo2max_ml_kg_min, rel=0.03)


def test_bruce_never_exceeds_vo2max_for_many_subjects():
    t = np.arange(0, 780.0)
    v, g, a = bruce().sample(t)
    for k in range(30):
        s = sample_subject(np.random.default_rng(100 + k), "S")
        vo2 = simulate_vo2(s, t, v, g, a, np.random.default_rng(k)) / s.mass_kg
        assert vo2.max() <= s.vo2max_ml_kg_min + 1e-9
        assert np.all(vo2 > 3.0)


def test_non_uniform_grid_is_rejected():
    s = _subject()
    t = np.array([0.0, 1.0, 2.5, 3.0])
    with pytest.raises(GaitnodeError, match="uniform"):
        simulate_vo2(s, t, np.zeros(4), np.zeros(4), np.zeros(4, np.int8), np.random.default_rng(0))
    with pytest.raises(GaitnodeError, match="shape"):
        simulate_hr(s, np.arange(4.0), np.zeros(3), np.random.default_rng(0))


def test_breath_by_breath_rate_and_noise():
    s = _subject(breath_rest_hz=0.33, breath_cv=0.10)
    t = np.arange(0, 1800.0)
    rest = np.full(t.shape, 3.5 * 1.2 * s.mass_kg)
    b = breath_by_breath(s, t, rest, np.random.default_rng(0))
    assert np.all(np.diff(b.t_s) > 0) and b.t_s[0] >= 0 and b.t_s[-1] <= t[-1]
    rate = len(b) / 1800.0
    assert 0.3 <= rate <= 0.5
    ratio = b.value / rest[0]
    assert ratio.mean() == pytest.approx(1.0, abs=0.015) and ratio.std() == pytest.approx(0.10, abs=0.015)
    assert np.std(np.diff(b.t_s)) > 0.1  # irregular timestamps
    hard = np.full(t.shape, 0.95 * s.vo2max_ml_kg_min * s.mass_kg)
    fast = breath_by_breath(s, t, hard, np.random.default_rng(0))
    assert 0.6 <= len(fast) / 1800.0 <= BREATH_MAX_HZ + 0.05


def test_hr_rises_with_intensity_and_relaxes():
    s = _subject(tau_hr_s=40.0)
    t = np.arange(0, 1500.0)
    v = np.where((t >= 60) & (t < 960), 1.6, 0.0)
    a = np.where(v > 0, W, STAND).astype(np.int8)
    g = np.where(v > 0, 10.0, 0.0)
    vo2 = simulate_vo2(s, t, v, g, a, np.random.default_rng(0))
    hr = simulate_hr(s, t, vo2, np.random.default_rng(1))
    before, early, late, after = hr[:60].mean(), hr[300:360].mean(), hr[900:960].mean(), hr[-60:].mean()
    assert early > before + 30
    assert late > early + 0.5  # cardiovascular drift at a constant load above moderate intensity
    assert after == pytest.approx(before, abs=4)
    assert hr.min() >= s.hr_rest - 5 and hr.max() <= s.hr_max
    # %HRR follows %VO2R at steady state
    vo2r = (vo2[300:360].mean() / s.mass_kg - 3.5) / (s.vo2max_ml_kg_min - 3.5)
    hrr = (early - s.hr_rest) / (s.hr_max - s.hr_rest)
    assert hrr == pytest.approx(vo2r, abs=0.05)


def test_reference_series_reproducible_and_subject_specific():
    p = Protocol("t", (Segment(60, "standing"), Segment(240, "walking", 1.4), Segment(60, "sitting")))
    s1 = sample_subject(np.random.default_rng(1), "A")
    s2 = sample_subject(np.random.default_rng(2), "B")
    a = reference_series(s1, p, np.random.default_rng(5))
    b = reference_series(s1, p, np.random.default_rng(5))
    c = reference_series(s2, p, np.random.default_rng(5))
    assert set(a) == {"vo2", "vo2_true", "hr", "speed", "grade"}
    for k in a:
        assert np.array_equal(a[k].t_s, b[k].t_s) and np.array_equal(a[k].value, b[k].value)
    assert not np.allclose(a["vo2_true"].value, c["vo2_true"].value)
    assert a["vo2_true"].t_s[-1] == 360.0

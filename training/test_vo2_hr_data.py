"""VO2-from-HR inputs: HR masking and bridging, the VO2 filter, cadence, session sequences, features."""

import dataclasses

import numpy as np
import pytest

from gaitnode.errors import GaitnodeError
from gaitnode.sessions.model import Series
from gaitnode.training.vo2_hr_data import (
    BASE_FEATURES, Vo2Sequence, cadence_from_heel_strikes, check_anthropometrics, distinct_sequences, features,
    fill_hr_gaps, mask_hr, session_sequence, smooth_vo2, target_values,
)
from gaitnode.training.vo2_hr_testing import short_walk


@pytest.fixture(scope="module")
def walk():
    return short_walk(1, 90.0)


def seq(**kw):
    base = dict(name="s", group="g", t_s=np.arange(5.0), hr_bpm=np.array([80.0, 90, 100, 110, 120]),
                vo2_ml_min=np.array([500.0, 600, 700, 800, 900]), age=30.0, height_m=1.8, mass_kg=80.0, sex="male",
                synthetic=False)
    base.update(kw)
    return Vo2Sequence(**base)


def test_mask_hr_counts_everything_outside_25_to_250_bpm():
    hr, n = mask_hr([24.9, 25.0, 120.0, 250.0, 250.1, np.nan, np.inf])
    assert n == 4
    assert np.array_equal(np.isnan(hr), [True, False, False, False, True, True, True])


def test_fill_hr_gaps_bridges_linearly_and_holds_the_ends():
    assert np.allclose(fill_hr_gaps([np.nan, 100.0, np.nan, 120.0, np.nan]), [100, 100, 110, 120, 120])
    with pytest.raises(GaitnodeError, match="no heart rate within 25-250 bpm"):
        fill_hr_gaps([np.nan, np.nan], name="rec")


def test_smooth_vo2_removes_breath_noise_and_keeps_uncovered_ends_nan():
    rng = np.random.default_rng(0)
    clean = np.linspace(1000, 3000, 200)
    noisy = clean + rng.normal(0, 150, 200)
    noisy[:3] = np.nan
    out = smooth_vo2(noisy)
    assert np.isnan(out[:3]).all()
    assert np.abs(out[3:] - clean[3:]).mean() < 0.5 * np.abs(noisy[3:] - clean[3:]).mean()


def test_cadence_is_causal_one_leg_steps_per_minute_and_zero_when_standing():
    hs = np.arange(10.0, 20.01, 1.0)  # one leg, 1 s strides = 120 steps/min, then standing
    c = cadence_from_heel_strikes(hs, np.array([5.0, 10.5, 11.0, 15.2, 20.0, 22.0, 23.0]))
    assert np.allclose(c, [0, 0, 120, 120, 120, 120, 0])


def test_features_follow_the_documented_columns():
    x = features(seq(), 0.5, use_cadence=False, start=1)
    assert x.shape == (4, len(BASE_FEATURES))
    col = dict(zip(BASE_FEATURES, x.T))
    assert np.allclose(col["hr_rise"], [0, 10, 20, 30]) and np.allclose(col["minutes"], np.arange(1, 5) / 60)
    assert np.allclose(col["hr_frac_max"], np.array([90, 100, 110, 120]) / (208 - 0.7 * 30))
    assert np.allclose(col["sex"], 1.0) and np.allclose(col["vo2_cal"], 0.5)
    with pytest.raises(GaitnodeError, match="uses cadence, but the recording has none"):
        features(seq(), 0.5, use_cadence=True)


def test_anthropometrics_are_checked_with_one_message_per_field():
    with pytest.raises(GaitnodeError, match="subject mass is missing .needed for ml/kg/min"):
        check_anthropometrics(seq(mass_kg=float("nan")))
    with pytest.raises(GaitnodeError, match="height 3.1 m is outside physiology"):
        check_anthropometrics(seq(height_m=3.1))
    assert np.allclose(target_values(seq(), "vo2_ml_kg_min"), np.array([500, 600, 700, 800, 900]) / 80.0)


def test_a_session_becomes_a_1hz_sequence_with_cadence_and_references(walk):
    s = session_sequence(walk)
    assert s.synthetic and s.group == walk.meta.subject.id and s.mass_kg == walk.meta.subject.mass_kg
    assert np.array_equal(s.t_s, np.arange(len(s), dtype=float)) and len(s) >= 85
    assert np.isfinite(s.vo2_ml_min[1:]).all() and len(s.extra["vo2_true"]) == len(s)
    assert s.cadence_spm.max() > 60 and s.cadence_spm[0] == 0  # standing at the start, then walking


def test_session_heart_rate_dropouts_are_masked(walk):
    w = dataclasses.replace(walk, series=dict(walk.series))
    hr = w.series["hr"]
    v = hr.value.copy()
    v[20:30] = 0.0  # a strap that reports 0 while it has no contact
    w.series["hr"] = Series(hr.t_s, v)
    assert session_sequence(w).hr_masked >= 9


def test_sessions_without_hr_or_vo2_are_refused(walk):
    no_hr = dataclasses.replace(walk, series={k: v for k, v in walk.series.items() if k != "hr"})
    with pytest.raises(GaitnodeError, match="no 'hr' series"):
        session_sequence(no_hr)
    no_vo2 = dataclasses.replace(walk, series={k: v for k, v in walk.series.items() if k != "vo2"})
    with pytest.raises(GaitnodeError, match="no 'vo2' series .VO2, ml/min."):
        session_sequence(no_vo2)
    assert session_sequence(no_vo2, need_vo2=False).vo2_ml_min is None


def test_distinct_sequences_drop_repeats_of_one_recording():
    a, b = seq(), seq(name="other node, same walk")
    c = seq(hr_bpm=np.array([81.0, 90, 100, 110, 120]))
    assert [s.name for s in distinct_sequences([a, b, c])] == ["s", "s"]

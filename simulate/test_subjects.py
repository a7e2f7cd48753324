import dataclasses

import numpy as np
import pytest

from gaitnode.errors import GaitnodeError
from gaitnode.simulate.subjects import (
    SubjectParams, hr_max_tanaka, sample_subject, vo2max_norm_ml_kg_min,
)


def _cohort(n=400, seed=1, sex=None):
    return [sample_subject(np.random.default_rng([seed, k]), f"S{k}", sex) for k in range(n)]


def test_same_stream_gives_bit_identical_subject():
    a = sample_subject(np.random.default_rng(42), "A")
    b = sample_subject(np.random.default_rng(42), "A")
    assert a == b


def test_different_streams_give_different_subjects():
    a, b = _cohort(2)
    assert a.height_m != b.height_m and a.vo2max_ml_kg_min != b.vo2max_ml_kg_min


def test_given_sex_keeps_the_rest_of_the_stream_aligned():
    f = sample_subject(np.random.default_rng(7), "A", "female")
    m = sample_subject(np.random.default_rng(7), "A", "male")
    assert (f.sex, m.sex) == ("female", "male")
    assert f.age == m.age and f.economy == m.economy


def test_bad_sex_is_rejected():
    with pytest.raises(GaitnodeError, match="sex 'x'"):
        sample_subject(np.random.default_rng(0), "A", "x")


def test_population_ranges_are_realistic():
    subs = _cohort()
    men = [s for s in subs if s.sex == "male"]
    women = [s for s in subs if s.sex == "female"]
    assert 80 < len(men) < 320
    assert abs(np.mean([s.height_m for s in men]) - 1.76) < 0.02
    assert abs(np.mean([s.height_m for s in women]) - 1.63) < 0.02
    for s in subs:
        assert 18 <= s.age <= 75
        assert 18.5 <= s.bmi <= 35.0 + 1e-9
        assert s.leg_length_m == pytest.approx(0.530 * s.height_m)
        assert s.shank_length_m == pytest.approx(0.246 * s.height_m)
        assert s.foot_length_m == pytest.approx(0.152 * s.height_m)
        assert 15 <= s.vo2max_ml_kg_min <= 80
        assert 50 <= s.hr_rest <= 80 < 150 <= s.hr_max
        assert 20 <= s.tau_on_s <= 45 and s.tau_on_s < s.tau_off_s
        assert 0.5 <= s.threshold_frac <= 0.75
        assert 1.9 <= s.walk_run_speed_ms <= 2.2
        assert 0.015 <= s.stride_cv <= 0.035
        assert 30 <= s.tau_hr_s <= 60
        assert 0.0037 * 0.75 - 1e-12 <= s.walk_ratio / s.height_m <= 0.0037 * 1.25 + 1e-12
    economy = np.log([s.economy for s in subs])
    assert 0.06 < economy.std() < 0.10 and abs(economy.mean()) < 0.02


def test_fitness_follows_age_and_sex_norms():
    subs = _cohort(600)
    young_men = [s.vo2max_ml_kg_min for s in subs if s.sex == "male" and s.age < 35]
    old_women = [s.vo2max_ml_kg_min for s in subs if s.sex == "female" and s.age > 60]
    assert np.mean(young_men) > np.mean(old_women) + 15
    # fitter people have faster VO2 kinetics
    fit = np.array([s.vo2max_ml_kg_min / vo2max_norm_ml_kg_min(s.age, s.sex) for s in subs])
    tau = np.array([s.tau_on_s for s in subs])
    assert np.corrcoef(fit, tau)[0, 1] < -0.3


def test_hr_max_scatters_around_tanaka():
    subs = _cohort()
    resid = np.array([s.hr_max - hr_max_tanaka(s.age) for s in subs])
    assert abs(resid.mean()) < 1.5 and 4 < resid.std() < 9
    assert hr_max_tanaka(40) == pytest.approx(180.0)


def test_to_subject_and_dict_round_trip_the_identity():
    s = sample_subject(np.random.default_rng(3), "S003")
    meta = s.to_subject()
    assert (meta.id, meta.sex) == ("S003", s.sex) and meta.height_m == pytest.approx(s.height_m, abs=1e-3)
    d = s.to_dict()
    assert set(d) == {f.name for f in dataclasses.fields(SubjectParams)}
    assert d["mass_kg"] == pytest.approx(s.mass_kg)

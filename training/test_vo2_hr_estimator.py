"""The host-side estimator: a saved model over sessions and CPET tests, with its errors and calibrations."""

import dataclasses

import numpy as np
import pytest

from gaitnode.errors import GaitnodeError
from gaitnode.training.vo2_hr_data import session_sequence
from gaitnode.training.vo2_hr_estimator import Vo2HrEstimator
from gaitnode.training.vo2_hr_testing import TINY, short_walk
from gaitnode.training.vo2_hr_trainer import Vo2HrTrainer, save_model_dir


@pytest.fixture(scope="module")
def walks():
    return [short_walk(3, 90.0), short_walk(4, 90.0)]


@pytest.fixture(scope="module")
def model_dir(walks, tmp_path_factory):
    tr = Vo2HrTrainer(**{**TINY, "use_cadence": True, "seq_len": 60}).fit([session_sequence(walks[0])])
    return save_model_dir(tmp_path_factory.mktemp("vo2hr") / "m", tr)


def test_a_session_gets_vo2_per_second_and_its_errors(model_dir, walks):
    est = Vo2HrEstimator(model_dir).estimate(walks[1])
    n = len(est.t_s_)
    assert n >= 85 and est.vo2_ml_min_.shape == (n,) and np.isfinite(est.vo2_ml_min_).all()
    assert np.allclose(est.vo2_ml_kg_min_ * walks[1].meta.subject.mass_kg, est.vo2_ml_min_)
    assert est.synthetic_ and set(est.errors_) == {"vo2_filtered", "vo2_raw", "vo2_true"}
    assert est.errors_["vo2_true"]["n"] == n and est.errors_["vo2_true"]["mape_pct"] > 0
    assert est.vo2_ml_min_[0] == pytest.approx(est.calibration_ml_min_, rel=0.1)


def test_without_a_vo2_reference_it_runs_from_the_resting_calibration(model_dir, walks):
    no_vo2 = dataclasses.replace(walks[1], series={k: v for k, v in walks[1].series.items()
                                                   if k not in ("vo2", "vo2_true")})
    est = Vo2HrEstimator(model_dir, calibration="resting").estimate(no_vo2)
    assert est.calibration_ml_min_ == pytest.approx(3.5 * walks[1].meta.subject.mass_kg)
    assert est.errors_ == {} and np.isfinite(est.vo2_ml_min_).all()
    with pytest.raises(GaitnodeError, match="no 'vo2' series"):
        Vo2HrEstimator(model_dir).estimate(no_vo2)


def test_the_estimator_streams_with_the_same_model(model_dir, walks):
    seq = session_sequence(walks[1])
    est = Vo2HrEstimator(model_dir, calibration=420.0)
    batch = est.estimate(seq).vo2_ml_min_
    st = est.stream(age=seq.age, height_m=seq.height_m, mass_kg=seq.mass_kg, sex=seq.sex, vo2_cal_ml_min=420.0)
    live = [st.push(h, c) for h, c in zip(seq.hr_bpm, seq.cadence_spm)]
    assert np.allclose(live, batch, rtol=1e-4, atol=0.05)


def test_missing_mass_and_bad_calibration_are_refused(model_dir, walks):
    s = walks[1]
    no_mass = dataclasses.replace(s, meta=dataclasses.replace(s.meta, subject=dataclasses.replace(
        s.meta.subject, mass_kg=None)))
    with pytest.raises(GaitnodeError, match="subject mass is missing .needed for ml/kg/min"):
        Vo2HrEstimator(model_dir).estimate(no_mass)
    with pytest.raises(GaitnodeError, match="calibration 'cart'"):
        Vo2HrEstimator(model_dir, calibration="cart").estimate(s)
    with pytest.raises(GaitnodeError, match="not a VO2-from-HR model directory"):
        Vo2HrEstimator(model_dir.parent)


def test_hr_dropouts_are_filled_by_the_hr_dynamics_model_before_vo2(model_dir, walks):
    from gaitnode.sessions.model import Series
    from gaitnode.training.hr_gaps import HrGapFiller
    from gaitnode.training.hr_testing import tiny_trained

    s = dataclasses.replace(walks[1], series=dict(walks[1].series))
    hr = s.series["hr"]
    keep = (hr.t_s < 30.0) | (hr.t_s > 60.0)  # a 30 s strap dropout
    s.series["hr"] = Series(hr.t_s[keep], hr.value[keep])
    filler = HrGapFiller(model=tiny_trained("neural_ode").model_)
    est = Vo2HrEstimator(model_dir, hr_gap_filler=filler).estimate(s)
    assert 25 <= est.hr_filled_ <= 35 and np.isfinite(est.vo2_ml_min_).all()
    assert Vo2HrEstimator(model_dir).estimate(s).hr_filled_ == 0

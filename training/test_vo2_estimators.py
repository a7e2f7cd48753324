import copy

import numpy as np
import pytest

from gaitnode.errors import GaitnodeError
from gaitnode.training.vo2_dataset import vo2_ml_kg_min
from gaitnode.training.vo2_estimators import AcsmSessionEstimator, ModelVo2Estimator, make_vo2_estimator


@pytest.fixture(scope="module")
def vo2_model_dir():
    from gaitnode.twin.testing import small_vo2_model

    return small_vo2_model()


def test_acsm_from_the_nodes_heel_strikes_follows_walking_vo2(walks):
    s = walks[1]
    est = AcsmSessionEstimator().estimate(s)
    np.testing.assert_allclose(np.diff(est.t_s), 5.0)
    ref = vo2_ml_kg_min(s, est.t_s, source="vo2_true")
    walking = (est.t_s > 40.0) & np.isfinite(ref)  # standing first, then walking: the estimate has risen by then
    assert walking.sum() >= 3
    assert np.all(np.isfinite(est.smoothed)) and np.all(est.smoothed >= 3.5)
    assert np.all(np.abs(est.smoothed[walking] - ref[walking]) / ref[walking] < 0.2)
    assert len(AcsmSessionEstimator().heel_strikes(s)) > 20


def test_acsm_needs_the_height(walks):
    s = copy.deepcopy(walks[1])
    s.meta.subject.height_m = None
    with pytest.raises(GaitnodeError, match="has no height .*the ACSM estimate needs it"):
        AcsmSessionEstimator().estimate(s)


def test_int8_in_tflm_stays_near_the_float_model(vo2_model_dir, walks):
    tflm = ModelVo2Estimator(vo2_model_dir, "tflm")
    estimates = [tflm.estimate(walks[2])]
    cmp = tflm.compare_with_float([walks[2]], estimates)
    assert cmp["windows"]["n"] == len(tflm.outputs(walks[2])[0])
    assert cmp["windows"]["mean"] < 0.02 and cmp["estimates"]["mean"] <= cmp["windows"]["max"]
    assert np.all(np.isfinite(estimates[0].smoothed))


def test_estimator_choices_and_errors(vo2_model_dir, base_model_dir, tmp_path):
    assert isinstance(make_vo2_estimator("acsm"), AcsmSessionEstimator)
    with pytest.raises(GaitnodeError, match="--model float needs --model-dir"):
        make_vo2_estimator("float")
    with pytest.raises(GaitnodeError, match="not a VO2 model"):
        make_vo2_estimator("float", base_model_dir)
    bare = tmp_path / "bare"
    bare.mkdir()
    for name in ("model.keras", "model.json"):
        (bare / name).write_bytes((vo2_model_dir / name).read_bytes())
    with pytest.raises(GaitnodeError, match="no int8 model; run `gaitnode quantize vo2"):
        make_vo2_estimator("tflm", bare)
    with pytest.raises(GaitnodeError, match="--model 'svm' is not one of float, int8, tflm, acsm"):
        make_vo2_estimator("svm", vo2_model_dir)

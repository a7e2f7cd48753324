import numpy as np
import pytest

from gaitnode.errors import GaitnodeError
from gaitnode.training.hr_gap_eval import gap_starts, without_hr
from gaitnode.training.hr_gaps import HrGapFiller, find_gaps
from gaitnode.training.hr_testing import synthetic_hr_session, tiny_trained


@pytest.fixture(scope="module")
def session():
    return synthetic_hr_session(5, "running", 300.0)


def test_find_gaps():
    assert find_gaps(np.array([0, 1, 1, 0, 0, 1], bool)) == [(1, 3), (5, 6)]
    assert find_gaps(np.zeros(4, bool)) == []


@pytest.mark.parametrize("architecture", ["neural_ode", "neural_kalman"])
def test_dropouts_are_filled_and_measured_seconds_kept(session, architecture):
    model = tiny_trained(architecture).model_
    hr = session.series["hr"]
    masked = without_hr(session, [(100.0, 130.0), (280.0, 400.0)])  # a closed gap and one to the end
    f = HrGapFiller(model=model).fill(masked)
    assert len(f.t_s_) == 301 and np.isfinite(f.hr_.value).all()
    np.testing.assert_array_equal(np.flatnonzero(f.filled_), np.r_[100:130, 280:301])
    np.testing.assert_allclose(f.hr_.value[~f.filled_], hr.value[~f.filled_])
    assert [(g["start_s"], g["end_s"], g["seconds"], g["closed"]) for g in f.gaps_] == [
        (100.0, 130.0, 30, True), (280.0, 301.0, 21, False)]
    # bridged: the fill meets the measured HR at both edges of the closed gap
    step_in = abs(f.hr_.value[100] - hr.value[99])
    step_out = abs(f.hr_.value[129] - hr.value[130])
    assert step_in < 5.0 and step_out < 5.0
    assert f.session_.series["hr_filled"].value.sum() == 51 and f.session_.series["hr"] is f.hr_
    fwd = HrGapFiller(model=model, bridge=False).fill(masked)
    np.testing.assert_allclose(fwd.hr_.value[~fwd.filled_], hr.value[~fwd.filled_])
    np.testing.assert_allclose(fwd.hr_.value[100:130] - f.hr_.value[100:130],
                               -(np.arange(1, 31) / 31) * (hr.value[130] - f.model_hr_[130]
                                                            - (hr.value[99] - f.model_hr_[99])), atol=1e-6)


def test_filler_errors(session, tmp_path):
    with pytest.raises(GaitnodeError, match="exactly one"):
        HrGapFiller().fill(session)
    no_hr = without_hr(session, [(0.0, 1e9)])
    with pytest.raises(GaitnodeError, match="no heart-rate series"):
        HrGapFiller(model=tiny_trained("neural_ode").model_).fill(no_hr)
    with pytest.raises(GaitnodeError, match="not an HR dynamics model folder"):
        HrGapFiller(tmp_path / "none").fill(session)


def test_gap_starts_stay_inside_the_session():
    starts = gap_starts(600.0, 60, np.random.default_rng(0))
    assert starts[0] == 30 and starts[-1] + 60 <= 570
    assert all(b - a >= 120 for a, b in zip(starts, starts[1:]))
    assert gap_starts(100.0, 60, np.random.default_rng(0)) == []

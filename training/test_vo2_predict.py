import copy

import numpy as np
import pytest

from gaitnode.errors import GaitnodeError
from gaitnode.training.vo2_estimate import device_estimates
from gaitnode.training.vo2_predict import predict_vo2_session, session_estimates, session_vo2_windows
from gaitnode.training.windows import ACC6

META = {"rate_hz": 100.0, "channels": list(ACC6), "window": 64, "hop": 50, "norm_mean": [0.0, 9.0, 0, 0, 0, 0],
        "norm_std": [2.0] * 6, "input_clip": 3.0, "placement": "shank", "smooth_tau_s": 20.0}


class FirstSampleRunner:
    """Answers each window with 10 + its first input value (so outputs identify their windows)."""

    def predict(self, X):
        return 10.0 + X[:, 0, :1].astype(np.float32)


def test_windows_are_normalised_clipped_and_timed_at_their_last_sample(walks):
    s = walks[0]
    X = session_vo2_windows(s, META)
    raw = np.concatenate([s.imu.acc, s.imu.gyr], axis=1)
    assert X.shape == ((len(raw) - 64) // 50 + 1, 64, 6)
    np.testing.assert_allclose(X[3, 5], np.clip((raw[155] - META["norm_mean"]) / 2.0, -3.0, 3.0), rtol=1e-6)
    assert np.abs(X).max() == pytest.approx(3.0)  # gyro peaks of a walk exceed 3 std: clipped
    t_end, out = predict_vo2_session(s, META, FirstSampleRunner())
    np.testing.assert_array_equal(t_end, s.imu.t_s[np.arange(len(X)) * 50 + 63])
    np.testing.assert_allclose(out, 10.0 + X[:, 0, 0], rtol=1e-6)
    est = session_estimates(s, META, FirstSampleRunner(), period_s=5.0)
    ref = device_estimates(t_end, out, tau_s=20.0, period_s=5.0, t0=s.imu.t_s[0], t_last=s.imu.t_s[-1])
    np.testing.assert_array_equal(est.smoothed, ref.smoothed)
    assert session_estimates(s, META, FirstSampleRunner(), tau_s=0.0).smoothed[-1] == pytest.approx(
        est.raw[-1])


def test_wrong_rate_placement_and_runner_shape_are_refused(walks):
    other = copy.deepcopy(walks[0])
    other.meta.rate_hz = 200.0
    with pytest.raises(GaitnodeError, match="recorded at 200 Hz, but the VO2 model runs at 100 Hz"):
        predict_vo2_session(other, META, FirstSampleRunner())
    with pytest.raises(GaitnodeError, match="a shank session, but the VO2 model is for foot"):
        predict_vo2_session(walks[0], {**META, "placement": "foot"}, FirstSampleRunner())

    class Wide:
        def predict(self, X):
            return np.zeros((len(X), 64), np.float32)

    with pytest.raises(GaitnodeError, match=r"returned shape \(\d+, 64\) .* expected \(\d+, 1\)"):
        predict_vo2_session(walks[0], META, Wide())

import numpy as np
import pytest

from gaitnode.errors import GaitnodeError
from gaitnode.sessions.model import Imu, Session, SessionMeta, Subject
from gaitnode.training.heel_strike_models import build_model
from gaitnode.training.predict import KerasModelRunner, predict_session, stitch
from gaitnode.training.windows import ACC6


def contract_coverage(n_windows, window, hop, delay, n_samples):
    """For each sample: the (window, output) pairs the contract assigns to it."""
    owners = [[] for _ in range(n_samples)]
    for k in range(n_windows):
        s = k * hop
        js = range(window - hop, window) if k else range(delay, window)
        for j in js:
            if s + j - delay < n_samples:
                owners[s + j - delay].append((k, j))
    return owners


@pytest.mark.parametrize("n,window,hop,delay", [(200, 32, 8, 4), (203, 32, 8, 0), (100, 16, 16, 0), (97, 20, 5, 15)])
def test_stitching_covers_each_sample_once_as_the_contract_says(n, window, hop, delay):
    n_windows = (n - window) // hop + 1
    outputs = (np.arange(n_windows)[:, None] * 1000 + np.arange(window)[None, :]).astype(np.float32)
    p = stitch(outputs, n, hop, delay)
    owners = contract_coverage(n_windows, window, hop, delay, n)
    assert all(len(o) <= 1 for o in owners)
    covered = np.array([len(o) == 1 for o in owners])
    assert covered[:n - window + 1].all()  # every sample up to the last window's start is covered
    np.testing.assert_array_equal(np.isnan(p), ~covered)  # the uncovered tail is NaN
    expected = [outputs[o[0]] if o else np.nan for o in owners]
    np.testing.assert_array_equal(p[covered], np.array(expected, dtype=np.float32)[covered])
    assert covered.sum() == (n_windows - 1) * hop + window - delay


def session(n=400, rate=100.0):
    t = np.arange(n) / rate
    rng = np.random.default_rng(0)
    acc = rng.normal(size=(n, 3))
    acc[:, 0] = np.sin(2 * np.pi * t)
    meta = SessionMeta(subject=Subject(id="S4"), rate_hz=rate, side="left", protocol="unit")
    return Session(meta=meta, imu=Imu(np.round(t * 1e6).astype(np.int64), acc, rng.normal(size=(n, 3)), None))


def meta(window=32, hop=8, delay=4):
    return {"channels": list(ACC6), "rate_hz": 100.0, "window": window, "hop": hop, "output_delay": delay,
            "norm_mean": [0.5] * 6, "norm_std": [2.0] * 6}


class FirstChannel:
    """A runner whose output j is the normalised acc_x input at j: so p[i] = (acc_x[i + delay] - 0.5) / 2."""

    def predict(self, X):
        return X[:, :, 0]


def test_predict_session_normalises_windows_and_stitches_with_the_delay():
    s = session()
    p = predict_session(s, meta(), FirstChannel())
    assert p.dtype == np.float32 and p.shape == (400,)
    n_cov = ((400 - 32) // 8) * 8 + 32 - 4
    direct = (s.imu.acc[4:4 + n_cov, 0] - 0.5) / 2.0
    np.testing.assert_allclose(p[:n_cov], direct, rtol=1e-6)
    assert np.isnan(p[n_cov:]).all()


def test_session_at_another_rate_is_predicted_on_its_own_samples():
    s = session(n=800, rate=200.0)
    p = predict_session(s, meta(), FirstChannel())
    assert p.shape == (800,)
    t = s.imu.t_s
    ok = ~np.isnan(p)
    # resampled to 400 samples at 100 Hz: 47 windows cover samples 0..395, i.e. t <= 3.95 s
    np.testing.assert_array_equal(ok, t <= 3.95 + 1e-9)
    # acc_x is a 1 Hz sine: the prediction is it, 4 samples at 100 Hz (0.04 s) ahead, normalised
    inner = ok & (t > 0.1)
    np.testing.assert_allclose(p[inner], (np.sin(2 * np.pi * (t[inner] + 0.04)) - 0.5) / 2, atol=0.02)


def test_keras_runner_matches_the_model():
    model = build_model("cnn_lstm", 32, 6, seed=5)
    X = np.random.default_rng(1).normal(size=(5, 32, 6)).astype(np.float32)
    out = KerasModelRunner(model, batch_size=2).predict(X)
    assert out.shape == (5, 32) and out.dtype == np.float32
    np.testing.assert_allclose(out, model(X, training=False).numpy(), rtol=1e-5, atol=1e-6)
    p = predict_session(session(), meta(), KerasModelRunner(model))
    assert np.all((p[:396] > 0) & (p[:396] < 1)) and np.isnan(p[396:]).all()  # 47 windows: 46 * 8 + 32 - 4


def test_bad_runner_output_and_short_session_are_errors():
    class Wrong:
        def predict(self, X):
            return X[:, :-1, 0]

    with pytest.raises(GaitnodeError, match=r"runner returned shape \(47, 31\) for 47 windows"):
        predict_session(session(), meta(), Wrong())
    with pytest.raises(GaitnodeError, match=r"S4/unit/shank/left: 20 samples is shorter than one window \(32"):
        predict_session(session(n=20), meta(), FirstChannel())

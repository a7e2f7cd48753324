import numpy as np
import pytest

from gaitnode.errors import GaitnodeError
from gaitnode.sessions.model import Imu, Session, SessionMeta, Subject
from gaitnode.training.windows import (
    ACC6, IMU9, Normalizer, at_rate, make_windows, resolve_channels, sensor_triplets, session_matrix,
)


def session(n=500, rate=100.0, has_mag=True):
    t = np.arange(n) / rate
    acc = np.stack([np.sin(2 * np.pi * 1.0 * t), np.cos(2 * np.pi * 1.0 * t), 9.81 + 0 * t], axis=1)
    gyr = np.stack([10 + t, 20 + t, 30 + t], axis=1)
    mag = np.stack([40 + t, 50 + t, 60 + t], axis=1) if has_mag else None
    meta = SessionMeta(subject=Subject(id="S1"), rate_hz=rate, side="left", has_mag=has_mag, protocol="unit")
    return Session(meta=meta, imu=Imu(np.round(t * 1e6).astype(np.int64), acc, gyr, mag))


def test_channel_sets_and_names():
    assert resolve_channels("acc+gyr") == ACC6
    assert resolve_channels("acc+gyr+mag") == IMU9 and len(IMU9) == 9
    assert resolve_channels(["gyr_z", "acc_x"]) == ("gyr_z", "acc_x")
    for bad in ("acc", ["acc_w"], ["acc_x", "acc_x"], []):
        with pytest.raises(GaitnodeError, match="channels"):
            resolve_channels(bad)
    assert sensor_triplets("acc+gyr+mag") == [(0, 1, 2), (3, 4, 5), (6, 7, 8)]
    assert sensor_triplets(["gyr_z", "acc_x", "acc_y", "acc_z", "gyr_x"]) == [(1, 2, 3)]


def test_session_matrix_orders_columns_by_channel_name():
    s = session()
    x = session_matrix(s, ["gyr_y", "acc_z", "mag_x"])
    assert x.dtype == np.float32 and x.shape == (500, 3)
    np.testing.assert_array_equal(x[:, 0], s.imu.gyr[:, 1])
    np.testing.assert_array_equal(x[:, 1], s.imu.acc[:, 2])
    np.testing.assert_array_equal(x[:, 2], s.imu.mag[:, 0])
    assert session_matrix(s, "acc+gyr+mag").shape == (500, 9)


def test_nine_channels_of_a_session_without_magnetometer_is_an_error():
    s = session(has_mag=False)
    assert session_matrix(s, "acc+gyr").shape == (500, 6)
    with pytest.raises(GaitnodeError, match=r"S1/unit/shank/left: has no magnetometer data.*9: acc_x"):
        session_matrix(s, "acc+gyr+mag")


def test_other_rate_is_resampled_to_the_model_rate():
    s = session(n=1000, rate=200.0)
    assert at_rate(s, 200.0) is s
    r = at_rate(s, 100.0)
    assert r.meta.rate_hz == 100.0 and r.meta.extra["resampled_from_hz"] == 200.0
    assert len(r.imu) == 500 and s.meta.rate_hz == 200.0  # the original is untouched
    x = session_matrix(s, "acc+gyr", rate_hz=100.0)
    assert x.shape == (500, 6)
    t = np.arange(500) / 100.0
    np.testing.assert_allclose(x[10:-10, 0], np.sin(2 * np.pi * t[10:-10]), atol=0.01)
    np.testing.assert_allclose(x[:, 3], 10 + t, atol=0.01)


def test_non_finite_values_are_an_error():
    s = session()
    s.imu.gyr[7, 2] = np.nan
    with pytest.raises(GaitnodeError, match="gyr_z is not finite at sample 7"):
        session_matrix(s, "acc+gyr")


def test_normalizer_standardises_over_all_sessions_with_a_std_floor():
    rng = np.random.default_rng(0)
    a = rng.normal([1, -2, 5], [2, 3, 0], size=(300, 3))
    b = rng.normal([1, -2, 5], [2, 3, 0], size=(200, 3))
    n = Normalizer(std_floor=0.05).fit([a, b])
    both = np.concatenate([a, b])
    np.testing.assert_allclose(n.mean_, both.mean(axis=0), rtol=1e-6)
    np.testing.assert_allclose(n.std_[:2], both.std(axis=0)[:2], rtol=1e-6)
    assert n.std_[2] == pytest.approx(0.05)  # constant channel: the floor
    z = n.transform(both)
    assert z.dtype == np.float32
    np.testing.assert_allclose(z[:, :2].mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(z[:, :2].std(axis=0), 1, atol=1e-5)
    with pytest.raises(GaitnodeError, match="channel count"):
        Normalizer().fit([a, b[:, :2]])
    with pytest.raises(GaitnodeError, match="at least one sample"):
        Normalizer().fit([])


@pytest.mark.parametrize("window,hop,delay", [(16, 4, 3), (16, 16, 0), (8, 3, 5)])
def test_windows_follow_the_contract(window, hop, delay):
    n = 103
    x = np.arange(n)[:, None] + 1000.0 * np.arange(3)[None, :]  # x[i, c] = i + 1000 c
    X = make_windows(x, window, hop, delay)
    count = (n - window) // hop + 1
    assert X.shape == (count, window, 3) and X.dtype == np.float32
    for k in range(count):
        s = k * hop
        for j in range(window):
            np.testing.assert_array_equal(X[k, j], [s + j, 1000 + s + j, 2000 + s + j])


def test_too_short_input_names_the_session_and_lengths():
    with pytest.raises(GaitnodeError, match=r"walk\.gns: 50 samples is shorter than one window \(64 samples\)"):
        make_windows(np.zeros((50, 6)), 64, 16, 8, name="walk.gns")


@pytest.mark.parametrize("window,hop,delay,match", [
    (64, 0, 8, "hop"), (64, 65, 0, "hop"), (64, 16, 49, "between 0 and window - hop"), (64, 16, -1, "between"),
    (64.0, 16, 8, "integer"),
])
def test_bad_window_parameters_are_errors(window, hop, delay, match):
    with pytest.raises(GaitnodeError, match=match):
        make_windows(np.zeros((200, 6)), window, hop, delay)

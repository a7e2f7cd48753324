import numpy as np
import pytest

from gaitnode.errors import GaitnodeError
from gaitnode.simulate.sensor import G, SensorModel, draw_mounting, lsb, nominal_mounting

IDEAL = dict(acc_noise_ug_rthz=0.0, gyr_noise_dps_rthz=0.0, mag_noise_ut=0.0, acc_bias_g=0.0, gyr_bias_dps=0.0,
             acc_bias_rw=0.0, gyr_bias_rw=0.0, gyr_warmup_dps=0.0, scale_error=0.0, misalignment_deg=0.0,
             hard_iron_ut=0.0, soft_iron=0.0, drop_prob=0.0)


def signals(n=5000, fs=500.0, acc=(0.0, 9.81, 0.0), gyr=(0.0, 0.0, 0.0), mag=(20.0, -30.0, 10.0)):
    t = np.arange(n) / fs
    return t, np.tile(acc, (n, 1)), np.tile(gyr, (n, 1)), np.tile(mag, (n, 1))


def test_saturation_and_int16_quantization():
    t, acc, gyr, mag = signals(acc=(25 * G, 3.0, -1.0), gyr=(2500.0, 100.0, -3000.0))
    s = SensorModel().measure(t, acc, gyr, mag, np.eye(3), 100.0, np.random.default_rng(0))
    a, g = s.imu_.acc.astype(np.float64), s.imu_.gyr.astype(np.float64)
    assert a[:, 0].max() <= 16 * G and np.isclose(a[:, 0].max(), 32767 * lsb(16 * G), rtol=1e-6)
    assert np.isclose(g[:, 2].min(), -2000.0, rtol=1e-6)
    assert s.saturated_["acc"] > 0 and s.saturated_["gyr"] > 0
    for x, q in ((a, lsb(16 * G)), (g, lsb(2000.0)), (s.imu_.mag.astype(np.float64), 0.15)):
        counts = x / q
        assert np.allclose(counts, np.round(counts), atol=1e-3)


def test_timestamps_jitter_drift_and_dropped_samples_leave_gaps():
    t, acc, gyr, mag = signals(n=100_000)
    s = SensorModel(drop_prob=0.01).measure(t, acc, gyr, mag, np.eye(3), 100.0, np.random.default_rng(1))
    d = np.diff(s.imu_.t_us)
    assert len(s.dropped_) > 50 and len(s.imu_) == 20_000 - len(s.dropped_)
    assert np.all(d > 0) and d.max() >= 19_000  # gaps of at least one missing sample
    regular = d[d < 15_000]
    assert 0 < regular.std() < 200 and abs(regular.mean() - 10_000) < 5  # jitter, small crystal error


def test_mounting_rotation_preserves_norms():
    rng = np.random.default_rng(2)
    for mode in ("nominal", "random", "random_any"):
        m = draw_mounting("shank", "left", mode, rng)
        assert np.allclose(m @ m.T, np.eye(3)) and np.isclose(np.linalg.det(m), 1.0)
        t, acc, gyr, mag = signals(acc=(3.0, 9.0, -2.0), gyr=(50.0, -20.0, 100.0))
        s = SensorModel(**IDEAL).measure(t, acc, gyr, mag, m, 100.0, np.random.default_rng(3))
        assert np.allclose(np.linalg.norm(s.imu_.acc, axis=1), np.linalg.norm(acc[0]), atol=0.01)
        assert np.allclose(np.linalg.norm(s.imu_.gyr, axis=1), np.linalg.norm(gyr[0]), atol=0.2)
        assert np.allclose(np.linalg.norm(s.imu_.mag, axis=1), np.linalg.norm(mag[0]), atol=0.3)


def test_nominal_shank_mounting_has_x_up_the_shank_and_z_lateral():
    for side, lateral in (("left", -1.0), ("right", 1.0)):
        m = nominal_mounting("shank", side)
        assert np.allclose(m[:, 0], [0, 1, 0]) and np.allclose(m[:, 2], [0, 0, lateral])


def test_errors_are_drawn_per_session_and_reproducible():
    t, acc, gyr, mag = signals()
    a = SensorModel().measure(t, acc, gyr, mag, np.eye(3), 100.0, np.random.default_rng(4))
    b = SensorModel().measure(t, acc, gyr, mag, np.eye(3), 100.0, np.random.default_rng(4))
    c = SensorModel().measure(t, acc, gyr, mag, np.eye(3), 100.0, np.random.default_rng(5))
    assert np.array_equal(a.imu_.acc, b.imu_.acc) and np.array_equal(a.imu_.t_us, b.imu_.t_us)
    assert not np.array_equal(a.imu_.acc, c.imu_.acc)
    # Static gyro reads its bias: about 1 deg/s, never the true zero.
    assert 0.01 < np.abs(a.imu_.gyr.mean(axis=0)).max() < 5.0


def test_bad_parameters_raise():
    with pytest.raises(GaitnodeError, match="acc_range_g"):
        SensorModel(acc_range_g=0)
    with pytest.raises(GaitnodeError, match="mounting"):
        draw_mounting("shank", "left", np.ones((3, 3)), np.random.default_rng(0))
    t, acc, gyr, mag = signals(fs=150.0)
    with pytest.raises(GaitnodeError, match="twice the rate"):
        SensorModel().measure(t, acc, gyr, mag, np.eye(3), 100.0, np.random.default_rng(0))

import numpy as np
import pytest

from gaitnode.errors import GaitnodeError
from gaitnode.sessions.model import ACTIVITIES, PHASES, Series
from gaitnode.training.phase_dataset import (
    PHASE_HOP, PHASE_WINDOW, RangeNormalizer, attach_imu, is_node_channels, phase_arrays, phase_labels,
    phase_matrix, phase_windows, resolve_phase_channels, terrain_labels,
)


def _sim(protocol: str, k: int = 1, duration_s: float = 40.0, rate_hz: float = 100.0, placement: str = "shank"):
    from gaitnode.simulate.cohort import cohort_subject
    from gaitnode.simulate.protocols import by_name
    from gaitnode.simulate.simulator import Simulator

    return Simulator(seed=k, rate_hz=rate_hz, placement=placement).simulate(
        cohort_subject(0, k), by_name(protocol, np.random.default_rng(k), duration_s))


@pytest.fixture(scope="module")
def walk():
    return _sim("free_walk")


@pytest.fixture(scope="module")
def stairs():
    return _sim("stairs", k=2, duration_s=60.0)


def _meta(channels=("acc_x", "acc_y", "acc_z", "gyr_x", "gyr_y", "gyr_z"), classes=PHASES, clip=1.5):
    c = len(channels)
    return {"channels": list(channels), "classes": list(classes), "rate_hz": 100.0, "window": PHASE_WINDOW,
            "hop": PHASE_HOP, "norm_mean": [0.0] * c, "norm_std": [1.0] * c, "input_clip": clip}


def test_windows_label_the_last_hop_rows(walk):
    meta = _meta(clip=None)
    meta.pop("input_clip")
    X, Y = phase_arrays([walk], meta)
    n = (len(walk.imu) - PHASE_WINDOW) // PHASE_HOP + 1
    assert X.shape == (n, PHASE_WINDOW, 6) and X.dtype == np.float32
    assert Y.shape == (n, PHASE_HOP) and Y.dtype == np.int64
    k = n // 2
    start = k * PHASE_HOP
    np.testing.assert_array_equal(Y[k], walk.phase[start + 30:start + 40])
    np.testing.assert_allclose(X[k, :, 0], walk.imu.acc[start:start + 40, 0])
    assert set(np.unique(Y)) <= {-1, 0, 1, 2, 3} and (Y >= 0).mean() > 0.5


def test_classes_subset_maps_other_phases_to_minus_one(walk):
    y = phase_labels(walk, classes=("SW", "ST"))
    np.testing.assert_array_equal(y[walk.phase == 3], 0)
    np.testing.assert_array_equal(y[walk.phase == 1], 1)
    assert (y[(walk.phase == 0) | (walk.phase == 2) | (walk.phase < 0)] == -1).all()


def test_inputs_are_normalised_and_clipped(walk):
    norm = RangeNormalizer(quantile=0.0).fit([phase_matrix(walk, "acc+gyr")])
    x = phase_matrix(walk, "acc+gyr")
    np.testing.assert_allclose((x.max(0) - norm.mean_) / norm.std_, 1.0, atol=1e-5)
    np.testing.assert_allclose((x.min(0) - norm.mean_) / norm.std_, -1.0, atol=1e-5)
    meta = _meta(clip=0.5)
    meta["norm_mean"], meta["norm_std"] = norm.mean_.tolist(), norm.std_.tolist()
    X, _ = phase_arrays([walk], meta)
    assert np.abs(X).max() == pytest.approx(0.5)
    robust = RangeNormalizer().fit([x])  # 0.1 / 99.9 percentiles: a narrower range than min/max
    assert (robust.std_ <= norm.std_ + 1e-6).all()


def test_terrain_from_activity_labels(stairs):
    t = terrain_labels(stairs)
    a = stairs.activity
    assert (t[a == ACTIVITIES.index("upstairs")] == 1).all()
    assert (t[a == ACTIVITIES.index("downstairs")] == 2).all()
    assert (t[a == ACTIVITIES.index("walking")] == 0).all()
    assert (t[a == ACTIVITIES.index("standing")] == -1).all()
    _, Y, T = phase_windows(stairs, _meta())
    assert T.shape == Y.shape and {1, 2} <= set(np.unique(T))


def test_extra_channels_from_series_and_a_second_imu(walk):
    s = _sim("free_walk")
    s.series["fsr_heel"] = Series(s.imu.t_s, np.arange(len(s.imu), dtype=float))
    other = _sim("free_walk", placement="foot")
    attach_imu(s, other, "foot")
    names = resolve_phase_channels("gyr_z,fsr_heel,foot_gyr_z")
    assert not is_node_channels(names) and is_node_channels(resolve_phase_channels("acc+gyr"))
    x = phase_matrix(s, names)
    np.testing.assert_allclose(x[:, 1], np.arange(len(s.imu)), atol=1e-3)
    np.testing.assert_allclose(x[:, 2], other.imu.gyr[:, 2], atol=1e-3)
    X, Y = phase_arrays([s], _meta(channels=names))
    assert X.shape[2] == 3


def test_a_200_hz_session_is_decimated_by_averaging():
    s = _sim("free_walk", rate_hz=200.0, duration_s=20.0)
    x = phase_matrix(s, ["gyr_z"], 100.0)
    assert len(x) == len(s.imu) // 2
    np.testing.assert_allclose(x[5, 0], s.imu.gyr[10:12, 2].mean(), rtol=1e-5)
    np.testing.assert_array_equal(phase_labels(s, rate_hz=100.0)[5], s.phase[11])


def test_bad_input_is_one_clear_error(walk):
    with pytest.raises(GaitnodeError, match="is neither an IMU channel"):
        phase_matrix(walk, ["acc_x", "fsr_toe"])
    with pytest.raises(GaitnodeError, match="distinct"):
        resolve_phase_channels(["acc_x", "acc_x"])
    with pytest.raises(GaitnodeError, match="integer multiple"):
        phase_matrix(walk, ["acc_x"], 30.0)
    s = _sim("free_walk", duration_s=20.0)
    s.phase = None
    with pytest.raises(GaitnodeError, match="no per-sample gait phase labels"):
        phase_arrays([s], _meta())
    with pytest.raises(GaitnodeError, match="no sessions"):
        phase_arrays([], _meta())
    with pytest.raises(GaitnodeError, match="not one of"):
        phase_labels(walk, classes=("HS", "XX"))

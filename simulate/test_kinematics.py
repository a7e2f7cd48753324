import numpy as np
import pytest

from gaitnode.errors import GaitnodeError
from gaitnode.simulate import gait
from gaitnode.simulate.kinematics import G, SegmentKinematics
from gaitnode.simulate.test_gait import subject, walk_protocol


def run(placement="shank", speed=1.4, seed=0, activity="walking"):
    subj, prot = subject(), walk_protocol(speed, 40.0, activity)
    strides = gait.plan_strides(subj, prot, np.random.default_rng(seed))
    kin = SegmentKinematics(placement, "left", 500.0).compute(subj, prot, strides, np.random.default_rng(seed + 1))
    return kin, strides[strides.side == 0]


@pytest.mark.parametrize("placement", ["shank", "foot"])
def test_static_standing_measures_gravity_only(placement):
    kin, _ = run(placement)
    still = (kin.t_ > 2.0) & (kin.t_ < 8.0)
    assert np.allclose(np.linalg.norm(kin.acc_seg_[still], axis=1), G, atol=0.05)
    assert np.abs(kin.gyr_seg_[still]).mean() < 1.5


@pytest.mark.parametrize("placement,seed", [("shank", 0), ("shank", 7), ("foot", 3)])
def test_largest_acceleration_is_the_heel_strike_transient(placement, seed):
    kin, leg = run(placement, seed=seed)
    f = np.linalg.norm(kin.acc_seg_, axis=1)
    steady = leg[(leg.t_hs > 15) & (leg.t_hs < 45)]
    assert len(steady) > 10
    for t_hs in steady.t_hs:
        win = (kin.t_ > t_hs - 0.25) & (kin.t_ < t_hs + 0.25)
        assert abs(kin.t_[win][np.argmax(f[win])] - t_hs) <= 0.02


def test_mid_swing_shank_gyro_peak():
    kin, leg = run("shank", 1.4)
    for r in leg[(leg.t_hs > 15) & (leg.t_hs < 45)].itertuples():
        swing = (kin.t_ > r.t_to) & (kin.t_ < r.t_next_hs)
        peak = kin.gyr_seg_[swing, 2].max()
        assert 250 <= peak <= 500
        # The peak is the stride's largest sagittal rate and lies inside the swing.
        stride = (kin.t_ >= r.t_hs) & (kin.t_ < r.t_next_hs)
        assert peak == kin.gyr_seg_[stride, 2].max()


def test_running_swings_faster_than_walking():
    walk, _ = run("shank", 1.4)
    running, _ = run("shank", 3.5, activity="running")
    assert running.gyr_seg_[:, 2].max() > 1.3 * walk.gyr_seg_[:, 2].max()
    assert running.acc_seg_.max() > walk.acc_seg_.max()


def test_magnetometer_is_the_rotated_earth_field():
    kin, _ = run("foot")
    assert np.allclose(np.linalg.norm(kin.mag_seg_, axis=1), np.linalg.norm(kin.field_world_, axis=1))
    total = np.linalg.norm(kin.field_world_[0])
    assert 20 < total < 85


def test_bad_placement_raises():
    with pytest.raises(GaitnodeError, match="placement"):
        SegmentKinematics("wrist")


def test_gait_style_varies_between_sessions_but_foot_flat_stays_flat():
    # Same subject, same strides, two kinematics seeds: the sagittal curves differ (people do not
    # share one curve shape), yet the foot is exactly flat between foot flat and heel off.
    subj, prot = subject(), walk_protocol(1.4, 40.0, "walking")
    strides = gait.plan_strides(subj, prot, np.random.default_rng(0))
    a, b = (SegmentKinematics("foot", "left", 500.0).compute(subj, prot, strides, np.random.default_rng(s))
            for s in (1, 2))
    leg = strides[(strides.side == 0) & (strides.t_hs > 15) & (strides.t_hs < 35)]
    # Mean over strides of the angle at heel strike and toe off: per-stride noise averages out,
    # a session's style does not.
    at = np.searchsorted(a.t_, np.concatenate([leg.t_hs.to_numpy(), leg.t_to.to_numpy()]))
    n = len(leg)
    style_a = np.array([a.pitch_deg_[at[:n]].mean(), a.pitch_deg_[at[n:]].mean()])
    style_b = np.array([b.pitch_deg_[at[:n]].mean(), b.pitch_deg_[at[n:]].mean()])
    assert np.abs(style_a - style_b).max() > 1.5
    for r in leg.itertuples():
        flat = (a.t_ > r.t_ff + 0.01) & (a.t_ < r.t_ho - 0.01)
        assert np.abs(a.pitch_deg_[flat] - a.pitch_deg_[flat][0]).max() < 1e-6


def test_shank_sensor_sits_on_the_calf_where_its_z_axis_points():
    subj = subject()
    lateral_left = SegmentKinematics("shank", "left").sensor_offset(subj)
    assert lateral_left == pytest.approx([0.0, 0.6 * subj.shank_length_m, -0.05])
    # A sensor turned so its z axis points anterior (segment x) sits on the front of the shin.
    front = np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])  # columns: sensor axes in segment frame
    offset = SegmentKinematics("shank", "left", mounting=front).sensor_offset(subj)
    assert offset == pytest.approx([0.05, 0.6 * subj.shank_length_m, 0.0])

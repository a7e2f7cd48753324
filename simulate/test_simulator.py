import numpy as np
import pytest

from gaitnode.errors import GaitnodeError
from gaitnode.sessions.model import ACTIVITIES
from gaitnode.simulate.sensor import SensorModel
from gaitnode.simulate.simulator import Simulator
from gaitnode.simulate.test_gait import subject, walk_protocol
from gaitnode.simulate.test_sensor import IDEAL


def short(seed=0, **kw):
    sim = Simulator(seed=seed, **kw)
    return sim, sim.simulate(subject(), walk_protocol(1.3, 30.0))


def test_session_is_complete_valid_and_synthetic():
    sim, ses = short()
    ses.validate()
    m = ses.meta
    assert m.synthetic and m.source == "simulate" and m.side == "left" and m.placement == "shank"
    assert np.allclose(np.asarray(m.mounting) @ np.asarray(m.mounting).T, np.eye(3))
    assert m.extra["simulator"]["seed"] == 0
    assert {"vo2", "vo2_true", "hr", "speed", "grade", "cadence"} <= set(ses.series)
    assert len(ses.phase) == len(ses.activity) == len(ses.imu)
    walking = ses.activity == ACTIVITIES.index("walking")
    assert walking.any() and (ses.activity == ACTIVITIES.index("standing")).any()
    assert set(np.unique(ses.phase[walking])) >= {0, 1, 2, 3}
    assert len(ses.heel_strikes("left")) > 10 and len(ses.heel_strikes("right")) > 10
    # Events are continuous times, not sample instants.
    hs = ses.heel_strikes()
    assert np.abs(hs[:, None] * 1e6 - ses.imu.t_us[None, :]).min(axis=1).max() > 100


def test_same_seed_bit_identical_and_streams_independent():
    _, a = short(seed=3)
    _, b = short(seed=3)
    _, c = short(seed=4)
    for x, y in ((a.imu.acc, b.imu.acc), (a.imu.gyr, b.imu.gyr), (a.imu.mag, b.imu.mag), (a.imu.t_us, b.imu.t_us),
                 (a.events.t_s, b.events.t_s), (a.series["vo2"].value, b.series["vo2"].value)):
        assert np.array_equal(x, y)
    assert not np.array_equal(a.imu.acc[:1000], c.imu.acc[:1000])
    # Another sensor (noise) leaves the gait untouched.
    sim_d, d = short(seed=3, sensor=SensorModel(acc_noise_ug_rthz=500.0))
    assert np.array_equal(a.events.t_s, d.events.t_s) and not np.array_equal(a.imu.acc, d.imu.acc)


def test_heel_strike_transient_is_on_the_recorded_imu():
    sim, ses = short(seed=1, mounting="random")
    f = np.linalg.norm(ses.imu.acc, axis=1)
    t = ses.imu.t_s
    period = 1.0 / ses.meta.rate_hz
    hits = 0
    hs_all = ses.heel_strikes()
    steady = hs_all[(hs_all > 15) & (hs_all < 35)]
    for hs in steady:
        win = (t > hs - 0.25) & (t < hs + 0.25)
        if abs(t[win][np.argmax(f[win])] - hs) <= 2 * period + 0.01:  # + anti-alias filter delay
            hits += 1
    assert hits >= 0.9 * len(steady)


def test_static_magnetometer_norm_and_gravity():
    sim, ses = short(seed=2, sensor=SensorModel(**IDEAL))
    still = ses.imu.t_s < 8.0
    field = np.linalg.norm(sim.kinematics_.field_world_[0])
    assert np.allclose(np.linalg.norm(ses.imu.mag[still], axis=1), field, atol=1.5)
    assert np.allclose(np.linalg.norm(ses.imu.acc[still], axis=1), 9.81, atol=0.1)
    assert np.abs(ses.imu.gyr[still]).mean() < 1.5


def test_foot_placement_and_random_side():
    sim, ses = short(seed=5, placement="foot", side="random", mounting="random_any")
    assert ses.meta.placement == "foot" and ses.meta.side in ("left", "right")
    assert len(sim.strides_) > 20


@pytest.mark.parametrize("kw,match", [({"rate_hz": 10.0}, "rate"), ({"placement": "wrist"}, "placement"),
                                      ({"side": "middle"}, "side"), ({"mounting": "sideways"}, "mounting")])
def test_bad_arguments_raise(kw, match):
    with pytest.raises(GaitnodeError, match=match):
        Simulator(**kw)

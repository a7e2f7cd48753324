"""Small SYNTHETIC sessions and tiny models for the HR dynamics tests (fast: no IMU is simulated).

A session carries the simulator's physiology series (hr, speed, grade, ...) and the heel-strike
events of its stride plan, with zero IMU samples.
"""

from __future__ import annotations

import numpy as np

from gaitnode.sessions.model import Imu, Session, SessionMeta


def synthetic_hr_session(k: int = 0, protocol: str = "running", duration_s: float = 300.0, seed: int = 0) -> Session:
    """Subject k of cohort `seed` on a generated protocol, physiology + heel strikes only."""
    from gaitnode.simulate.cohort import cohort_subject
    from gaitnode.simulate.gait import plan_strides, stride_events
    from gaitnode.simulate.physiology import reference_series
    from gaitnode.simulate.protocols import by_name

    rng = np.random.default_rng([seed, k])
    subject = cohort_subject(seed, k)
    proto = by_name(protocol, rng, duration_s)
    strides = plan_strides(subject, proto, rng, proto.duration_s)
    series = reference_series(subject, proto, rng)
    meta = SessionMeta(subject=subject.to_subject(), placement="shank", side="left", protocol=proto.name,
                       synthetic=True, source="simulate")
    return Session(meta=meta, imu=Imu.empty(), events=stride_events(strides), series=series).validate()


def tiny_model(architecture: str = "neural_ode", seed: int = 0):
    """An untrained, built HR model with 8 hidden units."""
    from gaitnode.training.hr_model_dir import make_model

    return make_model(architecture, {"hidden": 8, "seed": seed})


_TRAINED: dict = {}


def tiny_trained(architecture: str = "neural_ode"):
    """A tiny model fitted for two steps on two short synthetic runs (cached per process): the trainer."""
    if architecture not in _TRAINED:
        from gaitnode.training.hr_data import sequences
        from gaitnode.training.hr_trainer import HrDynamicsTrainer

        train = sequences([synthetic_hr_session(k, "running", 240.0) for k in (0, 1)])
        val = sequences([synthetic_hr_session(2, "free_walk", 180.0)])
        _TRAINED[architecture] = HrDynamicsTrainer(architecture=architecture, **TINY_TRAINING).fit(train, val)
    return _TRAINED[architecture]


TINY_TRAINING = dict(hidden=8, crop_s=120, batch_size=2, steps_per_epoch=2, epochs=1, seed=0)

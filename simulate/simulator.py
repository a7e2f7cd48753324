"""The Simulator: subject + protocol -> a complete synthetic Session.

Pipeline (docs/simulator.md): strides (gait.py) -> segment kinematics (kinematics.py) -> sensor
(sensor.py) -> Session with events, phase and activity labels and the physiology reference series
(physiology.py). Every random stream is a SeedSequence child of `seed`, one per component, so
changing e.g. the sensor noise leaves the gait untouched; the same seed gives bit-identical output.
"""

from __future__ import annotations

import numpy as np

from gaitnode.errors import GaitnodeError
from gaitnode.sessions.model import RATE_MAX_HZ, RATE_MIN_HZ, SIDES, Series, Session, SessionMeta
from gaitnode.simulate.gait import cadence_at, phase_labels, plan_strides, stride_events
from gaitnode.simulate.kinematics import SIM_PLACEMENTS, SegmentKinematics
from gaitnode.simulate.physiology import reference_series
from gaitnode.simulate.protocols import Protocol, locomotion_activity
from gaitnode.simulate.sensor import SensorModel, draw_mounting
from gaitnode.simulate.subjects import SubjectParams

# Order of the per-component random streams (append only: reordering changes every session).
_STREAMS = ("gait", "kinematics", "mounting", "sensor", "physiology")


class Simulator:
    """Synthetic recordings of one IMU node.

    Parameters: rate_hz (nominal output rate, Hz), placement ("shank" | "foot"), side ("left" |
    "right" | "random"), mounting ("nominal" | "random" | "random_any" | 3x3 sensor-to-segment
    rotation), sensor (a SensorModel; None = defaults), treadmill (True/False; None = True when the
    protocol has a grade or is named "bruce"), seed (int), oversample (fine-grid rate / rate_hz).

    `simulate(subject, protocol)` returns the Session and also stores it in `session_`, with
    `strides_` (stride table of both legs, see gait.plan_strides) and `kinematics_` (the
    noise-free SegmentKinematics of the node's segment).
    """

    def __init__(self, rate_hz: float = 100.0, placement: str = "shank", side: str = "left",
                 mounting="random", sensor: SensorModel | None = None, treadmill: bool | None = None,
                 seed: int = 0, oversample: int = 5):
        if not RATE_MIN_HZ <= float(rate_hz) <= RATE_MAX_HZ:
            raise GaitnodeError(f"simulator rate {rate_hz} Hz is outside {RATE_MIN_HZ:g}-{RATE_MAX_HZ:g} Hz")
        if placement not in SIM_PLACEMENTS:
            raise GaitnodeError(f"simulator placement {placement!r} is not supported (shank or foot)")
        if side not in (*SIDES, "random"):
            raise GaitnodeError(f"side {side!r} is not one of left, right, random")
        if not (isinstance(oversample, int) and 4 <= oversample <= 20):
            raise GaitnodeError(f"oversample must be an integer 4-20, got {oversample!r}")
        if isinstance(mounting, str) and mounting not in ("nominal", "random", "random_any"):
            raise GaitnodeError(f"mounting {mounting!r} is not one of nominal, random, random_any or a 3x3 matrix")
        self.rate_hz = float(rate_hz)
        self.placement = placement
        self.side = side
        self.mounting = mounting
        self.sensor = sensor if sensor is not None else SensorModel()
        self.treadmill = treadmill
        self.seed = int(seed)
        self.oversample = oversample

    def simulate(self, subject: SubjectParams, protocol: Protocol) -> Session:
        """Simulate the whole protocol for the subject; returns the validated Session."""
        if protocol.duration_s <= 0 or not protocol.segments:
            raise GaitnodeError(f"protocol {protocol.name!r} is empty")
        streams = dict(zip(_STREAMS, (np.random.default_rng(s) for s in np.random.SeedSequence(self.seed).spawn(len(_STREAMS)))))
        side = self.side if self.side != "random" else SIDES[int(streams["mounting"].integers(2))]
        treadmill = self.treadmill if self.treadmill is not None else (
            protocol.name.lower().startswith("bruce") or any(s.grade_pct != 0 for s in protocol.segments))
        t_end = protocol.duration_s

        strides = plan_strides(subject, protocol, streams["gait"], t_end)
        mount = draw_mounting(self.placement, side, self.mounting, streams["mounting"])
        kin = SegmentKinematics(self.placement, side, self.rate_hz * self.oversample, treadmill, mounting=mount)
        kin.compute(subject, protocol, strides, streams["kinematics"], t_end)
        sens = self.sensor.measure(kin.t_, kin.acc_seg_, kin.gyr_seg_, kin.mag_seg_, mount, self.rate_hz,
                                   streams["sensor"])
        imu = sens.imu_
        t_s = imu.t_s

        speed, grade, act = protocol.sample(t_s)
        activity = locomotion_activity(act, speed, subject.walk_run_speed_ms)
        series = reference_series(subject, protocol, streams["physiology"])
        t1 = series["speed"].t_s
        series["cadence"] = Series(t1, cadence_at(strides, t1))

        meta = SessionMeta(
            subject=subject.to_subject(), rate_hz=self.rate_hz, placement=self.placement, side=side,
            mounting=mount.tolist(), protocol=protocol.name, synthetic=True, source="simulate", has_mag=True,
            extra={"simulator": {"seed": self.seed, "rate_hz": self.rate_hz, "placement": self.placement,
                                 "side": self.side, "mounting": self.mounting if isinstance(self.mounting, str) else "matrix",
                                 "treadmill": bool(treadmill), "oversample": self.oversample,
                                 "sensor": self.sensor.get_params(), "sensor_lsb": self.sensor.lsbs(),
                                 "sensor_draws": sens.params_, "dropped_samples": int(len(sens.dropped_)),
                                 "subject_params": {k: (float(v) if isinstance(v, (int, float)) else v)
                                                    for k, v in vars(subject).items()}}},
        )
        session = Session(meta=meta, imu=imu, events=stride_events(strides),
                          phase=phase_labels(strides, side, t_s), activity=activity, series=series).validate()
        self.strides_ = strides
        self.kinematics_ = kin
        self.sensor_ = sens
        self.session_ = session
        return session

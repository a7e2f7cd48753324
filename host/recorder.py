"""Record a node's live stream into a session file as it arrives.

    rec = Recorder("walk.gns", node.info, subject=Subject("s01"), side="left")
    for r in link.read(0.1):
        rec.feed(r)          # SAMPLES, HEEL_STRIKE, ESTIMATE, TELEMETRY, LOG ...
    rec.tick()               # flush on time even when the node has gone quiet
    rec.close()

Crash safety is SessionWriter's: append-only chunks with CRCs, flushed and fsync'ed at least every
`flush_interval_s` (0.5 s by default, so a kill loses under a second of data with margin); a file
that was never closed loads with `meta.extra["complete"] = False`.

What lands in the session:
* IMU rows: one per sample the node sent, raw counts converted to m/s^2, deg/s, uT with the ranges
  the node reported in INFO. Device time comes from the sample index (`round(index * 1e6 / rate)`),
  so samples lost on the way show up as index gaps; no row is ever invented. `host_s` is the Unix
  time the frame arrived at the host. A sample whose three mag counts are all 0 has NaN mag (no
  reading); `meta.has_mag` is False when no sample had one.
* The node's own outputs as series (they are what the device computed, not reference events):
  `device_hs_nn`, `device_hs_classical` (t = event time, value = confidence), `device_cadence`
  (steps/min), `device_stride_time` (s), `device_hr` (bpm), and VO2 per estimator (a node may run
  several): `device_vo2_<estimator>` (ml/min) and `device_vo2_kg_<estimator>` (ml/kg/min), e.g.
  `device_vo2_acsm`, `device_vo2_cnn_lstm`. Gait phase (PHASE frames) per labelled sample:
  `device_phase` (t = the sample's time, value = index into PHASES: 0 HS, 1 ST, 2 HO, 3 SW) and
  `device_phase_confidence` (0..1); samples no PHASE frame labelled have no point (see
  device_phase_per_sample). Activity (ACTIVITY frames) per frame at its window's last sample:
  `device_activity` (index into ACTIVITIES) and `device_activity_p_<class>` (0..1) for every class
  the model reports, e.g. `device_activity_p_walking`.
* meta.extra: the node's INFO, its last TELEMETRY (dropped samples, rx errors), its LOG lines
  (the last LOG_KEEP), and the recorder's own counts (gaps, missing samples).
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections import deque
from pathlib import Path

import numpy as np

from gaitnode.errors import GaitnodeError
from gaitnode.protocol import messages as m
from gaitnode.protocol.replay import NodeReset
from gaitnode.protocol.samples import Ranges, from_counts
from gaitnode.sessions.model import RATE_MAX_HZ, RATE_MIN_HZ, Imu, Series, SessionMeta, Subject
from gaitnode.sessions.store import SessionWriter

FLUSH_INTERVAL_S = 0.5  # half the 1 s loss bound: a slow write or a late read still stays inside it
LOG_KEEP = 200  # device LOG lines kept in meta.extra (the latest)

HS_SERIES = {m.Source.NN: "device_hs_nn", m.Source.CLASSICAL: "device_hs_classical"}
ESTIMATE_SERIES = {
    m.EstimateKind.CADENCE: "device_cadence",  # steps/min
    m.EstimateKind.STRIDE_TIME: "device_stride_time",  # s
    m.EstimateKind.VO2_ML_MIN: "device_vo2",  # ml/min, + "_<estimator>"
    m.EstimateKind.VO2_ML_KG_MIN: "device_vo2_kg",  # ml/kg/min, + "_<estimator>"
    m.EstimateKind.HEART_RATE: "device_hr",  # bpm
}
PER_ESTIMATOR_KINDS = (m.EstimateKind.VO2_ML_MIN, m.EstimateKind.VO2_ML_KG_MIN)
DEVICE_SERIES_UNITS = {
    "device_hs_nn": "confidence", "device_hs_classical": "confidence", "device_cadence": "steps/min",
    "device_stride_time": "s", "device_hr": "bpm",
    **{f"device_vo2_{e.name.lower()}": "ml/min" for e in m.Estimator if e != m.Estimator.HS_INTERVALS},
    **{f"device_vo2_kg_{e.name.lower()}": "ml/kg/min" for e in m.Estimator if e != m.Estimator.HS_INTERVALS},
    "device_phase": "index into PHASES (0 HS, 1 ST, 2 HO, 3 SW)", "device_phase_confidence": "probability",
    "device_activity": "index into ACTIVITIES",
    **{f"device_activity_p_{c.name.lower()}": "probability" for c in m.ActivityCode},
}
PHASE_SERIES, PHASE_CONFIDENCE_SERIES = "device_phase", "device_phase_confidence"
ACTIVITY_SERIES, ACTIVITY_PROB_PREFIX = "device_activity", "device_activity_p_"


def estimate_series_name(kind: int, estimator: int) -> str | None:
    """The session series a device ESTIMATE lands in (None for a kind the recorder does not know)."""
    base = ESTIMATE_SERIES.get(kind)
    if base is None or kind not in PER_ESTIMATOR_KINDS:
        return base
    est = m.Estimator(estimator).name.lower() if estimator in set(m.Estimator) else str(int(estimator))
    return f"{base}_{est}"


def device_phase_per_sample(session) -> np.ndarray:
    """The recorded device phase as one label per IMU row of `session` (int8, index into PHASES,
    -1 where no PHASE frame labelled the sample), matched by sample time."""
    out = np.full(len(session.imu), -1, np.int8)
    ser = session.series.get(PHASE_SERIES)
    if ser is None or not len(ser) or not len(session.imu):
        return out
    rate = session.meta.rate_hz
    row = np.rint(np.asarray(session.imu.t_us, np.float64) * rate / 1e6).astype(np.int64)  # sample index
    idx = np.rint(ser.t_s * rate).astype(np.int64)
    pos = np.searchsorted(row, idx)
    ok = (pos < len(row)) & (row[np.minimum(pos, len(row) - 1)] == idx)
    out[pos[ok]] = ser.value[ok].astype(np.int8)
    return out


PLACEMENT_NAMES = {m.Placement.SHANK: "shank", m.Placement.FOOT: "foot"}
SIDE_NAMES = {m.Side.LEFT: "left", m.Side.RIGHT: "right"}


def info_dict(info: m.Info) -> dict:
    """INFO as JSON-ready data (model hashes as hex)."""
    d = dataclasses.asdict(info)
    d["models"] = [{**dataclasses.asdict(x), "sha256": x.sha256.hex()} for x in info.models]
    return d


class Recorder:
    """Writes one node's live stream to a `.gns` session as it arrives.

    Parameters
    ----------
    path : the session file to create (refused when it exists, unless `overwrite`).
    info : the node's INFO (HELLO answer): rate, ranges, board, firmware, model hashes.
    subject : who wears the node (id, sex, age, height, mass).
    placement, side : where the node is worn; default: what the node's INFO says.
    imu_source : for a twin, where its live IMU comes from (e.g. "simulated walk (simulator)");
        the session is then marked synthetic. None for a board's real sensor.
    flush_interval_s : the longest time appended data stays in memory before it is written and
        fsync'ed; a kill loses at most this much (plus the frames in flight).
    overwrite : replace an existing file.

    Action: `feed(received)` with every `Received` from `Link.read()`; `tick()` between reads;
    `close(complete)` at the end (complete=False leaves no END chunk, as after an unplug).

    Results (updated by every feed)
    -------------------------------
    samples_ : IMU rows written.
    gaps_ : places where sample indices jumped (samples lost between node and file).
    missing_samples_ : samples inside those gaps.
    seconds_ : sample time covered, first to last sample index (s).
    heel_strikes_ : device heel strikes per series name (device_hs_nn, device_hs_classical).
    estimates_ : device estimates per series name (device_cadence, ...).
    telemetry_ : the node's last Telemetry, or None.
    logs_ : the node's LOG lines ("LEVEL text"), the latest LOG_KEEP.
    phase_samples_ : samples labelled by the node's PHASE frames (device_phase points).
    activity_frames_ : ACTIVITY frames recorded.
    out_of_order_ : device events whose time went back (kept out of the file, counted here; a PHASE
        frame overlapping samples already labelled keeps its new samples and counts once).
    """

    def __init__(self, path, info: m.Info, *, subject: Subject | None = None, placement: str | None = None,
                 side: str | None = None, imu_source: str | None = None,
                 flush_interval_s: float = FLUSH_INTERVAL_S, overwrite: bool = False):
        if not RATE_MIN_HZ <= info.sample_rate_hz <= RATE_MAX_HZ:
            raise GaitnodeError(f"the node reports a sample rate of {info.sample_rate_hz} Hz; sessions hold "
                                f"{RATE_MIN_HZ:g}-{RATE_MAX_HZ:g} Hz")
        self.path = Path(path)
        self.info = info
        self.rate_hz = float(info.sample_rate_hz)
        self.ranges = Ranges(info.acc_range_g, info.gyr_range_dps, info.mag_range_ut)
        self.flush_interval_s = float(flush_interval_s)
        # Unix time of a monotonic instant, fixed once: host_s stays monotonic even if the wall clock jumps.
        self._unix_offset = time.time() - time.monotonic()
        extra = {"node": info_dict(info), "recorded_at_unix_s": time.time(),
                 "device_series_units": DEVICE_SERIES_UNITS}
        if imu_source is not None:
            extra["imu_source"] = f"the twin's live source: {imu_source}"
        self.meta = SessionMeta(
            subject=subject or Subject(),
            rate_hz=self.rate_hz,
            placement=placement or PLACEMENT_NAMES.get(info.placement, "shank"),
            side=side or SIDE_NAMES.get(info.side),
            board=info.board,
            firmware_hash=info.firmware,
            model_hashes={x.name: x.sha256.hex() for x in info.models},
            synthetic=imu_source is not None,
            source="record",
            has_mag=True,
            extra=extra,
        )
        self._writer = SessionWriter(self.path, self.meta, flush_interval_s=math.inf, overwrite=overwrite)
        self._last_flush = time.monotonic()
        self._next_index: int | None = None
        self._first_index: int | None = None
        self._last_t: dict[str, float] = {}
        self._estimators: dict[str, str] = {}
        self._mag_seen = False
        self.samples_ = 0
        self.gaps_ = 0
        self.missing_samples_ = 0
        self.seconds_ = 0.0
        self.heel_strikes_ = {name: 0 for name in HS_SERIES.values()}
        self.estimates_: dict[str, int] = {}
        self.telemetry_: m.Telemetry | None = None
        self.logs_: deque[str] = deque(maxlen=LOG_KEEP)
        self.out_of_order_ = 0
        self.other_messages_ = 0
        self.phase_samples_ = 0
        self.activity_frames_ = 0

    # -- the action --------------------------------------------------------------------------
    def feed(self, received) -> None:
        """Take one Received (frame, msg, host_s) from the link and store what it carries.

        Raises NodeReset when the node rebooted (it sent INFO) or restarted its sample stream
        (indices went back): what was recorded so far stays intact, the caller closes the file.
        """
        msg = received.msg
        if isinstance(msg, m.Samples):
            self._samples(msg, received.host_s)
        elif isinstance(msg, m.HeelStrike):
            name = HS_SERIES.get(msg.source)
            if name is not None and self._point(name, (msg.sample_index + msg.frac) / self.rate_hz,
                                                msg.confidence):
                self.heel_strikes_[name] += 1
        elif isinstance(msg, m.Estimate):
            name = estimate_series_name(msg.kind, msg.estimator)
            if name is not None and self._point(name, msg.sample_index / self.rate_hz, msg.value):
                self.estimates_[name] = self.estimates_.get(name, 0) + 1
                self._estimators[name] = m.Estimator(msg.estimator).name.lower()
        elif isinstance(msg, m.Phase):
            self._phase(msg)
        elif isinstance(msg, m.Activity):
            self._activity(msg)
        elif isinstance(msg, m.Telemetry):
            self.telemetry_ = msg
        elif isinstance(msg, m.Log):
            self.logs_.append(f"{m.LogLevel(msg.level).name} {msg.text}")
        elif isinstance(msg, m.Info):
            raise NodeReset(f"the node restarted during the recording (it announced itself again after "
                            f"{self.samples_} samples)")
        else:
            self.other_messages_ += 1
        self.tick()

    def tick(self) -> None:
        """Write and fsync buffered data when the last flush is flush_interval_s old (call it between
        reads: a node that stops sending must not keep data in memory)."""
        if time.monotonic() - self._last_flush >= self.flush_interval_s:
            self.flush()

    def flush(self) -> None:
        """Write and fsync everything buffered now."""
        self._writer.flush()
        self._last_flush = time.monotonic()

    def close(self, complete: bool = True, extra: dict | None = None) -> None:
        """Write the final metadata (node telemetry, logs, counts, `extra`), flush and close; with
        complete=False no END chunk is written (the file reads as cut short, which it was)."""
        if self._writer.closed:
            return
        try:
            self.meta.extra.update(self.summary())
            self.meta.has_mag = self._mag_seen or self.samples_ == 0
            if self.telemetry_ is not None:
                self.meta.extra["node_telemetry"] = dataclasses.asdict(self.telemetry_)
            if self.logs_:
                self.meta.extra["device_log"] = list(self.logs_)
            if self._estimators:
                self.meta.extra["device_estimators"] = dict(self._estimators)
            self.meta.extra.update(extra or {})
            self._writer.update_meta(self.meta)
        finally:
            self._writer.close(complete=complete)

    def summary(self) -> dict:
        """The recorder's counts as JSON-ready data (also stored in meta.extra["recording"])."""
        return {"recording": {"samples": self.samples_, "gaps": self.gaps_,
                              "missing_samples": self.missing_samples_, "seconds": self.seconds_,
                              "heel_strikes": dict(self.heel_strikes_), "estimates": dict(self.estimates_),
                              "phase_samples": self.phase_samples_, "activity_frames": self.activity_frames_,
                              "out_of_order_events": self.out_of_order_}}

    @property
    def closed(self) -> bool:
        return self._writer.closed

    def __enter__(self) -> "Recorder":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.close(complete=exc_type is None)

    # -- internals ---------------------------------------------------------------------------
    def _samples(self, msg: m.Samples, host_s: float) -> None:
        n = len(msg.raw)
        if n == 0:
            return
        first = int(msg.first_index)
        if self._next_index is not None and first < self._next_index:
            raise NodeReset(f"the node restarted its sample stream (sample index {first} after "
                            f"{self._next_index - 1}); {self.samples_} samples were recorded before")
        if self._next_index is not None and first > self._next_index:
            self.gaps_ += 1
            self.missing_samples_ += first - self._next_index
        if self._first_index is None:
            self._first_index = first
        index = first + np.arange(n, dtype=np.int64)
        t_us = np.rint(index * (1e6 / self.rate_hz)).astype(np.int64)
        acc, gyr, mag = from_counts(msg.raw, self.ranges)
        # Every board has a magnetometer, but a source without one (a twin playing a session with
        # no mag, a part not yet ready) sends 0, 0, 0: no real field reads exactly zero on all axes.
        no_mag = np.all(msg.raw[:, 6:9] == 0, axis=1)
        mag[no_mag] = np.nan
        self._mag_seen |= not no_mag.all()
        self._writer.append_imu(Imu(t_us, acc, gyr, mag, np.full(n, host_s + self._unix_offset)))
        self._next_index = first + n
        self.samples_ += n
        self.seconds_ = (self._next_index - self._first_index) / self.rate_hz

    def _phase(self, msg: m.Phase) -> None:
        idx = int(msg.first_index) + np.arange(len(msg.codes), dtype=np.int64)
        t = idx / self.rate_hz
        keep = t > self._last_t.get(PHASE_SERIES, -math.inf)  # one label per sample: the first that came
        if not keep.all():
            self.out_of_order_ += 1
        if not keep.any():
            return
        t = t[keep]
        self._last_t[PHASE_SERIES] = float(t[-1])
        self._writer.append_series(PHASE_SERIES, Series(t, np.asarray(msg.codes, np.float64)[keep]))
        self._writer.append_series(PHASE_CONFIDENCE_SERIES,
                                   Series(t, np.asarray(msg.confidences, np.float64)[keep] / 255.0))
        self.phase_samples_ += int(keep.sum())

    def _activity(self, msg: m.Activity) -> None:
        t = msg.sample_index / self.rate_hz
        if not self._point(ACTIVITY_SERIES, t, int(msg.code)):
            return
        for code, prob in zip(msg.classes, msg.probs):
            name = ACTIVITY_PROB_PREFIX + m.ActivityCode(code).name.lower()
            if t >= self._last_t.get(name, -math.inf):  # a class listed twice in one frame: the first
                self._last_t[name] = t
                self._writer.append_series(name, Series([t], [prob / 255.0]))
        self.activity_frames_ += 1

    def _point(self, name: str, t_s: float, value: float) -> bool:
        """Append one device output to series `name`; False (counted) when its time went back."""
        if t_s < self._last_t.get(name, -math.inf):
            self.out_of_order_ += 1
            return False
        self._last_t[name] = t_s
        self._writer.append_series(name, Series([t_s], [value]))
        return True

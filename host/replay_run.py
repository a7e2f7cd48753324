"""Replay a session through a node and score what the node found against the session's reference.

    with open_node(twin=True, model_dir="models/hs_shank") as node:
        outcome = SessionReplay(speed=10).run(node, read_session(path), path)
        print("\\n".join(outcome.summary.lines()))

`SessionReplay` sends the session's IMU as raw counts at the node's ranges (the node does all the
detecting; nothing here stands in for firmware logic), then scores the node's HEEL_STRIKE events per
source against the reference heel strikes with `gaitnode.metrics.events.match_events`, and its VO2
estimates (when it sends any) against the session's VO2 series, and its PHASE and ACTIVITY frames
(when it runs those models) against the session's per-sample phase and activity labels
(host/replay_classes.py).

Time base: the node's replay clock is the sample index, so a device event at sample position
p = sample_index + frac lies at the session time of that position, interpolated between the
session's own sample times (a recorded session's clock has jitter and dropped samples; on an evenly
sampled session this is (sample_index + frac) / rate + session start).
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from gaitnode.errors import GaitnodeError
from gaitnode.host.replay_classes import PHASE_NAMES, ActivityScore, PhaseScore, score_activity, score_phase
from gaitnode.protocol import messages as m

if TYPE_CHECKING:
    from gaitnode.protocol.replay import ReplayResult

SOURCES = {"nn": m.Source.NN, "classical": m.Source.CLASSICAL}
# The simulator's noise-free VO2 first; else the measured (breath-by-breath) series, averaged over
# VO2_MEASURED_MEAN_S around each estimate (one breath's VO2 scatters by ~10 %, Lamarra et al. 1987).
VO2_REFERENCES = ("vo2_true", "vo2")
VO2_MEASURED_MEAN_S = 30.0
_SEX = {"male": m.Sex.MALE, "female": m.Sex.FEMALE}
_RATE_TOLERANCE_HZ = 1e-6


@dataclass
class DetectorScore:
    """One detector (source) of the node vs the session's reference heel strikes.

    source: "nn" | "classical". n_ref: reference heel strikes in the replayed span (0 when the
    session has no reference). n_found: events the node sent. tp/fp/fn, precision/recall/f1: as
    gaitnode.metrics.events.EventMatch; precision, recall and f1 are None without a reference.
    median_error_ms: signed median of (device event time - reference), None without matches.
    latency_ms: {"median", "p95", "max"} of host receive time of the HEEL_STRIKE frame minus host
    send time of the sample at the true contact, at the replay's speed (None without matches or
    when the send times are unknown).
    """

    source: str
    n_ref: int
    n_found: int
    tp: int
    fp: int
    fn: int
    precision: float | None
    recall: float | None
    f1: float | None
    median_error_ms: float | None
    latency_ms: dict | None
    has_reference: bool = True


@dataclass
class Vo2Score:
    """One of the node's VO2 estimators vs the session's VO2 series.

    estimator: the node's estimator name ("acsm", "cnn_lstm"). n: estimates compared (inside the
    reference's time span). mae_ml_min, mape_pct: mean absolute error (ml/min) and mean absolute
    percentage error (None when nothing could be compared). reference: the series used ("vo2_true",
    or "vo2" averaged over VO2_MEASURED_MEAN_S), None when the session has none. n_sent: VO2
    estimates this estimator sent. Estimates in ml/min are scored; a node without the subject's mass
    sends ml/kg/min only, scored after multiplying by the session's subject mass.
    """

    n: int
    mae_ml_min: float | None
    mape_pct: float | None
    estimator: str
    reference: str | None = None
    n_sent: int = 0


@dataclass
class ReplaySummary:
    """What one replay gave, as printed and stored in the result file.

    duration_s: data replayed (s). wall_s: time it took. speed_x: the requested pace (0 = as fast as
    flow control allows). lost_frames: device->host sequence gaps seen by the host. bad_frames:
    device->host frames that failed to decode. rejected_frames: host->device frames the node could
    not decode; resyncs: go-back-N rewinds. dropped_samples / telemetry: from the node's last
    TELEMETRY (None when none arrived). complete: False for a replay that stopped early (Ctrl-C) or
    failed (node reset); `note` then says why and how far it got. phase, activity: the node's PHASE /
    ACTIVITY frames scored (PhaseScore, ActivityScore), None when it sent none.
    """

    session: str
    synthetic: bool
    samples: int
    duration_s: float
    wall_s: float
    speed_x: float
    detectors: dict[str, DetectorScore]
    vo2: dict[str, Vo2Score]
    lost_frames: int
    bad_frames: int
    rejected_frames: int
    resyncs: int
    dropped_samples: int | None
    telemetry: dict | None
    tolerance_s: float = 0.05
    samples_total: int = 0
    complete: bool = True
    note: str = ""
    phase: PhaseScore | None = None
    activity: ActivityScore | None = None

    def _data(self) -> str:
        return "synthetic data" if self.synthetic else "recorded data"

    def lines(self) -> list[str]:
        """The printed summary, one line per topic; accuracy lines name the data as synthetic when it is."""
        speed = f"speed {self.speed_x:g}x" if self.speed_x else "max speed"
        pace = f"{self.duration_s / self.wall_s:.0f}x real time" if self.wall_s > 0 else "no time"
        out = []
        if not self.complete:
            out.append(f"INCOMPLETE replay: {self.note}")
        total = f" of {self.samples_total}" if self.samples_total and self.samples_total != self.samples else ""
        out.append(f"replay of {self.session} ({self._data()}{', from the simulator' if self.synthetic else ''}): "
                   f"{self.samples}{total} samples = {self.duration_s:.1f} s in {_secs(self.wall_s)} s "
                   f"({pace}, {speed})")
        tol = f"±{self.tolerance_s * 1e3:g} ms"
        for d in self.detectors.values():
            head = f"heel strikes, {d.source}: {d.n_found} found"
            if not d.has_reference:
                out.append(f"{head}; no reference heel strikes in the session, nothing to score")
                continue
            line = (f"{head} vs {d.n_ref} reference ({tol}): TP {d.tp} FP {d.fp} FN {d.fn}, "
                    f"P {d.precision:.3f} R {d.recall:.3f} F1 {d.f1:.3f}")
            if d.median_error_ms is not None:
                line += f", median error {d.median_error_ms:+.0f} ms"
            if d.latency_ms:
                lat = d.latency_ms
                line += (f", latency median {lat['median']:.0f} ms p95 {lat['p95']:.0f} ms max {lat['max']:.0f} ms"
                         f" ({speed})")
            out.append(f"{line} [{self._data()}]")
        if not self.vo2:
            out.append("VO2: the node sent no VO2 estimates")
        for v in self.vo2.values():
            if v.reference is None or v.n == 0:
                why = "the session has no VO2 reference" if v.reference is None else "none inside the reference's span"
                out.append(f"VO2 ({v.estimator}): {v.n_sent} estimates from the node, {why}")
                continue
            mape = "n/a" if v.mape_pct is None else f"{v.mape_pct:.1f} %"
            out.append(f"VO2 ({v.estimator} vs {v.reference}): {v.n} estimates, MAE {v.mae_ml_min:.0f} ml/min, "
                       f"MAPE {mape} [{self._data()}]")
        for score in (self.phase, self.activity):
            if score is not None:
                out.append(score.line(self._data()))
        dropped = "no telemetry arrived" if self.dropped_samples is None else str(self.dropped_samples)
        out.append(f"link: {self.lost_frames} lost frames (sequence gaps), {self.bad_frames} bad frames, "
                   f"{self.rejected_frames} frames rejected by the node, {self.resyncs} resends; "
                   f"samples dropped on the node: {dropped}")
        return out

    def short_line(self) -> str:
        """One line per pass of `gaitnode replay --loop`."""
        f1 = ", ".join(f"{d.source} F1 {d.f1:.3f}" if d.f1 is not None else f"{d.source} {d.n_found} found"
                       for d in self.detectors.values())
        state = "" if self.complete else f" (incomplete: {self.note})"
        for label, score in (("phase", self.phase), ("activity", self.activity)):
            if score is not None and score.accuracy is not None:
                f1 += f", {label} accuracy {score.accuracy:.3f}"
        return (f"{f1}; {self.lost_frames} lost frames; {self.duration_s:.1f} s in {_secs(self.wall_s)} s "
                f"[{self._data()}]{state}")

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "ReplaySummary":
        d = dict(d)
        d["detectors"] = {k: DetectorScore(**v) for k, v in d["detectors"].items()}
        vo2 = d.get("vo2") or {}
        if "estimator" in vo2:  # version 1 files stored a single score
            vo2 = {vo2["estimator"]: vo2}
        d["vo2"] = {k: Vo2Score(**v) for k, v in vo2.items()}
        d["phase"] = PhaseScore(**d["phase"]) if d.get("phase") else None  # absent before version 3
        d["activity"] = ActivityScore(**d["activity"]) if d.get("activity") else None
        return cls(**d)


@dataclass
class DeviceHeelStrike:
    """One HEEL_STRIKE the node sent, placed on the session's clock.

    t_s: session time (s, device clock of the session). host_latency_ms: for an event matched to a
    reference heel strike, host receive time minus host send time of the sample at that contact
    (None for an unmatched event). matched_ref_t_s: the reference it was matched to, or None.
    """

    t_s: float
    sample_index: int
    frac: float
    confidence: float
    source: str
    host_latency_ms: float | None
    matched_ref_t_s: float | None


@dataclass
class ReplayOutcome:
    """A replay's summary, the raw ReplayResult, the node's INFO and the scored device events.

    session_path: the session file (None when the session came from memory). span_s: the session
    times (s, the session's clock) of the first and the last sample sent.
    phase_runs: the node's gait phase as runs {"start_s", "end_s", "first_index", "last_index",
    "phase"} (session clock; end_s = the last sample's time + one sample period); activities: one row
    per ACTIVITY frame {"t_s", "sample_index", "activity", "probs", "reference"} (replay_classes).
    """

    summary: ReplaySummary
    result: "ReplayResult"
    info: m.Info
    heel_strikes: list[DeviceHeelStrike] = field(default_factory=list)
    estimates: list[dict] = field(default_factory=list)
    session_path: Path | None = None
    span_s: tuple[float, float] | None = None
    phase_runs: list[dict] = field(default_factory=list)
    activities: list[dict] = field(default_factory=list)


class _SendCounter:
    """The Link, passed to replay_counts, noting how far the replay got (samples sent), which a
    replay that fails part way does not otherwise report."""

    def __init__(self, link):
        self._link = link
        self.sent = 0

    def send(self, msg):
        seq = self._link.send(msg)
        if isinstance(msg, m.Samples):
            self.sent = max(self.sent, int(msg.first_index) + len(msg.raw))
        return seq

    def __getattr__(self, name):
        return getattr(self._link, name)


def session_config(session, info: m.Info) -> m.Config:
    """CONFIG for the node from the session's meta (placement, side, subject); GaitnodeError for a
    placement the node cannot take or subject values outside the protocol's ranges."""
    meta = session.meta
    try:
        placement = m.Placement[str(meta.placement).upper()]
    except KeyError:
        raise GaitnodeError(f"the session's placement is {meta.placement!r}; a node detects heel strikes on the "
                            f"{' or the '.join(p.name.lower() for p in m.Placement)} only") from None
    side = m.Side[meta.side.upper()] if meta.side else m.Side(info.side)
    subj = meta.subject
    cfg = m.Config(sex=_SEX.get(subj.sex, m.Sex.UNKNOWN), placement=placement, side=side,
                   age_years=float(subj.age or 0.0), height_m=float(subj.height_m or 0.0),
                   mass_kg=float(subj.mass_kg or 0.0))
    try:
        m.pack(cfg)
    except GaitnodeError as e:
        raise GaitnodeError(f"the session's subject cannot be sent to the node: {e}") from None
    return cfg


def positions_to_times(session, positions) -> np.ndarray:
    """Session times (s) of sample positions (index + fraction) on the replay's sample clock."""
    t = session.imu.t_s
    p = np.asarray(positions, dtype=np.float64)
    n = len(t)
    if n == 0:
        return np.full(p.shape, np.nan)
    dt = 1.0 / session.meta.rate_hz
    out = np.interp(p, np.arange(n), t)
    out = np.where(p < 0, t[0] + p * dt, out)
    return np.where(p > n - 1, t[-1] + (p - (n - 1)) * dt, out)


def has_reference(session) -> bool:
    """Whether the session carries reference heel strikes at all (an unannotated recording does not)."""
    from gaitnode.sessions.model import EVENT_KINDS

    return bool(np.any(session.events.kind == EVENT_KINDS.index("HS")))


def score_detectors(session, result, *, n_sent: int, tolerance_s: float = 0.05, reference: bool | None = None
                    ) -> tuple[dict[str, DetectorScore], list[DeviceHeelStrike]]:
    """Per source: the node's heel strikes vs the reference heel strikes within the replayed part.

    n_sent: samples the node was given (references after the last one are not counted).
    reference: whether the session has a reference (None: it has when it holds heel strikes; a part
    cut from an annotated session has one even when nobody walked in it).
    Returns the scores and every device heel strike on the session clock.
    """
    from gaitnode.metrics.events import match_events

    t = session.imu.t_s
    has_ref = has_reference(session) if reference is None else reference
    ref = np.asarray(session.heel_strikes(), dtype=np.float64)
    if n_sent > 0:
        ref = ref[ref <= t[min(n_sent, len(t)) - 1]]
    else:
        ref = ref[:0]
    send_s = getattr(result, "send_host_s", None)
    scores, events = {}, []
    for name, src in SOURCES.items():
        got = [r for r in result.of_type(m.HeelStrike) if r.msg.source == src]
        est = positions_to_times(session, [r.msg.sample_index + r.msg.frac for r in got])
        latency = [None] * len(got)
        matched = [None] * len(got)
        if not has_ref:
            scores[name] = DetectorScore(name, 0, len(got), 0, 0, 0, None, None, None, None, None,
                                         has_reference=False)
        else:
            sc = match_events(ref, est, tolerance_s=tolerance_s)
            lat = []
            if send_s is not None and sc.tp:
                contact = np.searchsorted(t, ref[sc.ref_idx]).clip(0, len(t) - 1)  # sample at the true contact
                for k, j, i in zip(contact, sc.est_idx, sc.ref_idx):
                    matched[j] = float(ref[i])
                    if np.isfinite(send_s[k]):
                        latency[j] = (got[j].host_s - float(send_s[k])) * 1e3
                        lat.append(latency[j])
            else:
                for j, i in zip(sc.est_idx, sc.ref_idx):
                    matched[j] = float(ref[i])
            lat_ms = ({"median": float(np.median(lat)), "p95": float(np.percentile(lat, 95)),
                       "max": float(np.max(lat))} if lat else None)
            scores[name] = DetectorScore(
                name, sc.n_ref, sc.n_est, sc.tp, sc.fp, sc.fn, sc.precision, sc.recall, sc.f1,
                float(np.median(sc.errors_s) * 1e3) if sc.tp else None, lat_ms)
        for r, te, lt, mt in zip(got, est, latency, matched):
            h = r.msg
            events.append(DeviceHeelStrike(float(te), int(h.sample_index), float(h.frac), float(h.confidence),
                                           name, lt, mt))
    events.sort(key=lambda e: e.t_s)
    return scores, events


def _estimator_name(code: int) -> str:
    return m.Estimator(code).name.lower() if code in set(m.Estimator) else str(code)


def _vo2_reference(session, t: np.ndarray) -> tuple[str | None, np.ndarray]:
    """(series name, reference VO2 in ml/min at times t); NaN outside the series' span."""
    name = next((k for k in VO2_REFERENCES if k in session.series and len(session.series[k])), None)
    if name is None:
        return None, np.full(t.shape, np.nan)
    ser = session.series[name]
    if name == "vo2_true":
        return name, ser.at(t)
    ts, v = np.asarray(ser.t_s, dtype=np.float64), np.asarray(ser.value, dtype=np.float64)
    half = VO2_MEASURED_MEAN_S / 2
    ref = np.array([np.nanmean(v[(ts >= x - half) & (ts <= x + half)]) if ((ts >= x - half) & (ts <= x + half)).any()
                    else np.nan for x in t])
    ref[(t < ts[0]) | (t > ts[-1])] = np.nan
    return name, ref


def score_vo2(session, result) -> dict[str, Vo2Score]:
    """Each of the node's VO2 estimators vs the session's VO2 reference (see Vo2Score); {} when the
    node sent no VO2 estimates."""
    mass = session.meta.subject.mass_kg
    by_est: dict[int, list[tuple[int, float]]] = {}
    per_kg: dict[int, list[tuple[int, float]]] = {}
    for r in result.of_type(m.Estimate):
        e = r.msg
        if e.kind == m.EstimateKind.VO2_ML_MIN:
            by_est.setdefault(int(e.estimator), []).append((int(e.sample_index), float(e.value)))
        elif e.kind == m.EstimateKind.VO2_ML_KG_MIN:
            per_kg.setdefault(int(e.estimator), []).append((int(e.sample_index), float(e.value)))
    for code, rows in per_kg.items():  # ml/kg/min only: the node did not know the mass
        if code not in by_est:
            by_est[code] = [(i, v * mass) if mass else (i, np.nan) for i, v in rows]
    scores = {}
    for code in sorted(by_est):
        rows = by_est[code]
        name = _estimator_name(code)
        t = positions_to_times(session, [i for i, _ in rows])
        value = np.array([v for _, v in rows], dtype=np.float64)
        ref_name, ref = _vo2_reference(session, t)
        ok = np.isfinite(ref) & np.isfinite(value)
        if ref_name is None or not ok.any():
            scores[name] = Vo2Score(0, None, None, name, ref_name, len(rows))
            continue
        err = np.abs(value[ok] - ref[ok])
        pos = ref[ok] > 0
        mape = float(np.mean(err[pos] / ref[ok][pos]) * 100) if pos.any() else None
        scores[name] = Vo2Score(int(ok.sum()), float(err.mean()), mape, name, ref_name, len(rows))
    return scores


def _estimate_rows(session, result) -> list[dict]:
    rows = []
    for r in result.of_type(m.Estimate):
        e = r.msg
        kind = m.EstimateKind(e.kind).name.lower() if e.kind in set(m.EstimateKind) else str(e.kind)
        est = m.Estimator(e.estimator).name.lower() if e.estimator in set(m.Estimator) else str(e.estimator)
        rows.append({"t_s": float(positions_to_times(session, [e.sample_index])[0]), "kind": kind,
                     "estimator": est, "sample_index": int(e.sample_index), "value": float(e.value)})
    return rows


def session_name(session, session_path=None) -> str:
    """How summaries name a session: its file name, else subject and protocol."""
    if session_path is not None:
        return Path(session_path).stem
    meta = session.meta
    return f"{meta.subject.id} {meta.protocol or 'session'}"


class SessionReplay:
    """Replay one session through a node and score it.

    Parameters (construction): speed: pace as a multiple of real time (None: as fast as flow control
    allows). start_s, end_s: replay only this part, s since the session start (end exclusive, None: to
    the end); scored against the reference inside it. batch: samples per SAMPLES frame (None: the
    most a frame holds). tolerance_s: heel-strike matching tolerance (s). send_config: send CONFIG
    from the session's meta first. on_output(received): called for every node output as it arrives
    (live readouts). should_stop(): polled; True stops the replay early (the summary is then marked
    incomplete).

    Action: run(node, session, session_path=None) -> ReplayOutcome. A failure part way (NodeReset when
    the node reboots, a vanished port, a stuck node) is raised as is, with the partial outcome (marked
    incomplete) attached as `error.partial_outcome`.
    """

    def __init__(self, *, speed: float | None = None, batch: int | None = None, tolerance_s: float = 0.05,
                 send_config: bool = True, on_output=None, should_stop=None, start_s: float | None = None,
                 end_s: float | None = None):
        if speed is not None and not (np.isfinite(speed) and speed > 0):
            raise GaitnodeError(f"replay speed must be a positive multiple of real time, got {speed!r}")
        self.speed = speed
        self.batch = batch
        self.tolerance_s = tolerance_s
        self.send_config = send_config
        self.on_output = on_output
        self.should_stop = should_stop
        self.start_s, self.end_s = start_s, end_s

    def run(self, node, session, session_path=None) -> ReplayOutcome:
        from gaitnode.protocol.replay import ReplayResult, replay_counts
        from gaitnode.twin.twin import session_counts

        if len(session.imu) == 0:
            raise GaitnodeError("the session has no IMU samples to replay")
        reference = has_reference(session)
        if self.start_s is not None or self.end_s is not None:
            from gaitnode.sessions.slicing import time_slice

            session = time_slice(session, self.start_s or 0.0, self.end_s)
        if abs(float(session.meta.rate_hz) - node.rate_hz) > _RATE_TOLERANCE_HZ:
            raise GaitnodeError(f"the session is sampled at {session.meta.rate_hz:g} Hz but the node "
                                f"({node.info.board}) runs at {node.rate_hz:g} Hz; resample the session first")
        config = session_config(session, node.info) if self.send_config else None
        raw = session_counts(session, node.ranges)
        counter = _SendCounter(node.link)
        collected = []  # outputs as they arrive: what is left when the replay fails part way

        def on_output(r):
            collected.append(r)
            if self.on_output is not None:
                self.on_output(r)

        started = time.monotonic()
        try:
            result = replay_counts(counter, raw, batch=self.batch, speed=self.speed, rate_hz=node.rate_hz,
                                   config=config, on_output=on_output, should_stop=self.should_stop)
        except GaitnodeError as e:
            partial = ReplayResult(n_samples=len(raw), outputs=collected, bad_frames=node.link.bad_frames,
                                   device_seq_gaps=node.link.device_seq_gaps, stopped_early=True,
                                   wall_s=time.monotonic() - started)
            e.partial_outcome = build_outcome(
                session, partial, node.info, n_sent=counter.sent, session_path=session_path, speed=self.speed,
                tolerance_s=self.tolerance_s, reference=reference,
                note=f"failed after {counter.sent} of {len(raw)} samples were sent: {e}")
            raise
        stopped = result.stopped_early
        note = f"stopped early after {counter.sent} of {len(raw)} samples" if stopped else ""
        return build_outcome(session, result, node.info, n_sent=counter.sent if stopped else len(raw),
                             session_path=session_path, speed=self.speed, tolerance_s=self.tolerance_s,
                             reference=reference, note=note)


def build_outcome(session, result, info: m.Info, *, n_sent: int, session_path=None, speed: float | None = None,
                  tolerance_s: float = 0.05, note: str = "", reference: bool | None = None) -> ReplayOutcome:
    """Score a replay's ReplayResult against its session: summary, device events on the session clock.

    n_sent: samples the node was given (the whole session for a complete replay). note: why the
    replay is incomplete ("" for a complete one; a replay that stopped early is incomplete too).
    reference: as score_detectors.
    """
    rate = float(info.sample_rate_hz)
    scores, events = score_detectors(session, result, n_sent=n_sent, tolerance_s=tolerance_s, reference=reference)
    tele = result.of_type(m.Telemetry)
    last = tele[-1].msg if tele else None
    n = len(session.imu)
    phase, runs = score_phase(session, result, n_sent=n_sent)
    activity, activities = score_activity(session, result, n_sent=n_sent)
    summary = ReplaySummary(
        session=session_name(session, session_path), synthetic=bool(session.meta.synthetic), samples=n_sent,
        duration_s=n_sent / rate, wall_s=float(result.wall_s), speed_x=float(speed or 0.0),
        detectors=scores, vo2=score_vo2(session, result), lost_frames=int(result.device_seq_gaps),
        bad_frames=int(result.bad_frames), rejected_frames=int(result.rejected_frames),
        resyncs=int(result.resyncs), dropped_samples=None if last is None else int(last.dropped_samples),
        telemetry=None if last is None else _plain(dataclasses.asdict(last)), tolerance_s=tolerance_s,
        samples_total=n, complete=not (result.stopped_early or note), note=note, phase=phase, activity=activity)
    t = session.imu.t_s
    span = (float(t[0]), float(t[min(n_sent, n) - 1])) if n_sent else (float(t[0]), float(t[0]))
    dt = 1.0 / rate
    run_rows = []
    if runs:
        starts = positions_to_times(session, [a for a, _, _ in runs])
        ends = positions_to_times(session, [b for _, b, _ in runs]) + dt
        run_rows = [{"start_s": float(t0), "end_s": float(t1), "first_index": a, "last_index": b,
                     "phase": PHASE_NAMES[c]} for (a, b, c), t0, t1 in zip(runs, starts, ends)]
    if activities:
        times = positions_to_times(session, [row["sample_index"] for row in activities])
        activities = [{"t_s": float(tt), **row} for tt, row in zip(times, activities)]
    return ReplayOutcome(summary=summary, result=result, info=info, heel_strikes=events,
                         estimates=_estimate_rows(session, result),
                         session_path=Path(session_path) if session_path is not None else None, span_s=span,
                         phase_runs=run_rows, activities=activities)


def _secs(x: float) -> str:
    """Wall time with two significant decimals below a second (a fast replay takes 0.05 s)."""
    return f"{x:.1f}" if x >= 1 else f"{x:.2f}"


def _plain(d):
    """Enum members and tuples as plain JSON values."""
    if isinstance(d, dict):
        return {k: _plain(v) for k, v in d.items()}
    if isinstance(d, (list, tuple)):
        return [_plain(v) for v in d]
    if isinstance(d, bool):
        return d
    if isinstance(d, int):
        return int(d)
    return d

"""What a live readout of a node shows, kept up to date frame by frame.

    state = LiveState(rate_hz=100, info=node.info, port=node.port)
    for r in link.read(0.02):
        state.update(r)                   # any Received: SAMPLES, HEEL_STRIKE, ESTIMATE, TELEMETRY, ...
    state.update_link_counters(link)      # host-side bad / lost frames
    view = state.snapshot()               # immutable LiveSnapshot for the monitor view

`gaitnode monitor` feeds it a live stream, `gaitnode replay` the outputs of a replay. Every update
is cheap (no numpy, bounded deques), so a 200 Hz stream costs little; the work of building a
snapshot is paid only at the view's refresh rate.

Times. The node's sample clock counts from 0 when a mode (live or replay) starts: sample i is at
i / rate_hz seconds ("stream time"). Heel-strike ticks, the time axis and the VO2 trend use it, in
live and in replay mode alike. The frame header's t_us (the device clock: since boot in live mode,
the sample clock in replay mode) is kept as `device_clock_s`. A HEEL_STRIKE frame carries both its
sample index and its device time, which gives the device time the stream started at; after that,
every frame of the stream tells how far the node is, even in a replay, where the node echoes no
samples and need not be told which mode it is in.

Gait phase (PHASE frames: one per phase inference, a label per sample) and activity (ACTIVITY
frames: one per activity window) are shown as they arrive: the current phase with its share of the
samples over the last PHASE_SHARE_S of stream time, and the current activity with the model's class
probabilities.

A new stream (the node switched mode again, or rebooted: sample indices restart) clears the
stream's history (ticks, estimates, sample index tracking) so two streams never mix; the totals
(samples, heel strikes, reconnects) carry on.
"""

from __future__ import annotations

import statistics
import time
from collections import deque
from dataclasses import dataclass, field

from gaitnode.protocol import messages as m

CONNECTION_STATES = ("connecting", "connected", "lost", "reconnecting")
SOURCE_NAMES = {int(m.Source.NN): "nn", int(m.Source.CLASSICAL): "classical"}
MODE_NAMES = {int(m.Mode.IDLE): "idle", int(m.Mode.LIVE): "live", int(m.Mode.REPLAY): "replay"}
ESTIMATOR_NAMES = {int(m.Estimator.HS_INTERVALS): "heel-strike intervals", int(m.Estimator.ACSM): "ACSM equations",
                   int(m.Estimator.CNN_LSTM): "CNN-LSTM"}
RATE_WINDOW_S = 2.0      # samples/s is averaged over this much host time
# The order VO2 readouts are shown in: the learned estimator first, the equations beside it.
VO2_ESTIMATOR_ORDER = (int(m.Estimator.CNN_LSTM), int(m.Estimator.ACSM))
VO2_TREND_S = 30.0       # the VO2 trend is the slope over this much stream time
VO2_TREND_MIN_SPAN_S = 5.0  # fewer seconds of VO2 than this: no trend yet
VO2_KINDS = (int(m.EstimateKind.VO2_ML_MIN), int(m.EstimateKind.VO2_ML_KG_MIN))
# Host-side fallback for cadence: the same rules as the device's estimator (gn_cadence.h).
MIN_STRIDE_S, MAX_STRIDE_S, FALLBACK_STRIDES = 0.4, 2.5, 5
# A heel strike or estimate this far before the stream's latest sample belongs to a new stream
# (the node restarted its sample clock); the network's own latency is well under a second.
STREAM_RESTART_BACKSTEP_S = 2.0
LOG_LINES = 3
PHASE_NAMES = tuple(c.name for c in m.PhaseCode)           # sessions.model.PHASES
ACTIVITY_NAMES = tuple(c.name.lower() for c in m.ActivityCode)  # sessions.model.ACTIVITIES
PHASE_SHARE_S = 5.0      # the per-phase share is over this much stream time (a few strides)


@dataclass(frozen=True)
class Readout:
    """One estimate as shown: value, where it came from (`how`), and the stream time it refers to."""

    value: float
    how: str
    stream_s: float


@dataclass(frozen=True)
class Vo2Readout:
    """Latest device VO2 estimates and their trends (slope over the last VO2_TREND_S of stream time).

    ml_min / ml_kg_min: latest values (None when the node sends only the other kind).
    trend_ml_min_per_min / trend_ml_kg_min_per_min: least-squares slope, per minute (None until
        VO2_TREND_MIN_SPAN_S of values exist). estimator: the device's estimator name.
    """

    ml_min: float | None
    ml_kg_min: float | None
    trend_ml_min_per_min: float | None
    trend_ml_kg_min_per_min: float | None
    estimator: str


@dataclass(frozen=True)
class PhaseReadout:
    """The device's gait phase (PHASE frames).

    current: phase name ("HS", "ST", "HO", "SW") of the newest labelled sample; confidence: its
        argmax probability (0..1); stream_s: that sample's stream time.
    shares: phase name -> share of the labelled samples over the last share_s of stream time
        (0..1, every phase present, summing to 1). covered: labelled samples / samples in that span
        (below 1 when PHASE frames were lost or the model has not labelled the start yet).
    runs: (start_s, end_s, phase name) runs of equal phase in the last history_s (for the strip).
    frames: PHASE frames in this stream.
    """

    current: str
    confidence: float
    stream_s: float
    shares: dict[str, float]
    covered: float
    share_s: float
    runs: tuple[tuple[float, float, str], ...]
    frames: int


@dataclass(frozen=True)
class ActivityReadout:
    """The device's activity (ACTIVITY frames): current class name (sessions.model.ACTIVITIES
    spelling), its probability, every class of the model with its probability (model order), the
    stream time of the window's last sample, and the ACTIVITY frames in this stream."""

    current: str
    probability: float
    probabilities: tuple[tuple[str, float], ...]
    stream_s: float
    frames: int


@dataclass(frozen=True)
class ModelTelemetry:
    """One model's inference statistics from the latest TELEMETRY (µs; mean/max since the previous
    TELEMETRY) and its arena: used (TELEMETRY) and reserved (INFO arena_bytes, 0 when unknown)."""

    name: str
    last_us: int
    mean_us: int
    max_us: int
    count: int
    arena_used: int
    arena_bytes: int


@dataclass(frozen=True)
class DeviceTelemetry:
    """The latest TELEMETRY frame, grouped for display. Counters are the device's, since its boot
    (samples_processed: since the mode started).

    loop_load_pct: share of the sample period the node's loop was busy (%).
    rx_crc, rx_cobs: frames from the host the device dropped as damaged; rx_other: the other
        receive errors (short, oversized, unknown type, bad length, other version, rejected).
    processed_per_s: samples the node processed per second of host time between the last two
        TELEMETRY frames of this stream (None until two arrived).
    """

    loop_load_pct: float
    ring_high_water: int
    ring_capacity: int
    dropped_samples: int
    samples_processed: int
    processed_per_s: float | None
    rx_frames: int
    rx_crc: int
    rx_cobs: int
    rx_other: int
    tx_dropped_frames: int
    infer_errors: int
    models: tuple[ModelTelemetry, ...]


@dataclass(frozen=True)
class HostCounters:
    """What the host's Link counted, over every link this state was given (reconnects add up).

    bad_frames: frames from the node that failed to decode (CRC, COBS, ...).
    lost_frames: gaps in the node's frame sequence numbers (frames lost between node and host),
        not counting the restart of the sequence when the node reboots.
    undecodable: good frames whose payload did not unpack. wrong_version: frames of another protocol.
    """

    bad_frames: int = 0
    lost_frames: int = 0
    undecodable: int = 0
    wrong_version: int = 0


@dataclass(frozen=True)
class LiveSnapshot:
    """Everything the live view shows, at one moment.

    connection, connection_detail: "connecting" | "connected" | "lost" | "reconnecting", and why
        (the error, the attempt number). reconnects: times the connection came back after "lost".
    port: the port shown. board, firmware: from the node's INFO ("" before one is known).
    mode: "idle" | "live" | "replay" | "unknown". rate_hz: the node's sample rate.
    note: what the data is (e.g. "twin, synthetic IMU"); "" when nothing needs saying.
    device_clock_s: header time of the latest frame (device clock), None before any frame.
    stream_s: stream time the node has reached: its latest sample known processed (sample index /
        rate_hz), or its clock since the stream started when that is further.
    history_s: span of the heel-strike history shown.
    samples_total: samples received in SAMPLES frames (live mode), all streams.
    samples_per_s: of those, per second over the last RATE_WINDOW_S of host time.
    sample_gaps, missing_samples: jumps in the sample index within a stream, and the samples they left out.
    streams: streams with data seen (each mode start or reboot begins one). node_restarts: boots
        seen (the node announces itself with an INFO of sequence number 0 after every boot).
    heel_strikes: source ("nn", "classical") -> stream times (s) in the last history_s.
    heel_strikes_total: source -> heel strikes received, all streams.
    cadence (steps/min), stride_time (s): the device's ESTIMATE frames when any came in this
        stream (how = "device: <estimator>"), else from the heel-strike intervals in the history
        (how = "host: <source> heel-strike intervals"), else None.
    vo2: the device's VO2 estimates, one Vo2Readout per estimator (CNN-LSTM first, then ACSM, then
        any other), empty when the node sent none; vo2_note then says why.
    heart_rate: the device's heart-rate estimate (bpm), None when it sends none.
    phase: the device's gait phase (PhaseReadout), None before a PHASE frame in this stream.
    activity: the device's activity (ActivityReadout), None before an ACTIVITY frame in this stream.
    extra_lines: readouts of message types the protocol may gain (LiveState.EXTRA_HANDLERS is where
        they plug in); empty otherwise.
    telemetry: the latest TELEMETRY (None before one). host: HostCounters.
    log: the last few LOG lines from the node.
    """

    connection: str
    connection_detail: str
    reconnects: int
    port: str
    board: str
    firmware: str
    mode: str
    rate_hz: float
    note: str
    device_clock_s: float | None
    stream_s: float | None
    history_s: float
    samples_total: int
    samples_per_s: float
    sample_gaps: int
    missing_samples: int
    streams: int
    node_restarts: int
    heel_strikes: dict[str, tuple[float, ...]]
    heel_strikes_total: dict[str, int]
    cadence: Readout | None
    stride_time: Readout | None
    vo2: tuple[Vo2Readout, ...]
    vo2_note: str
    heart_rate: Readout | None
    extra_lines: tuple[str, ...]
    telemetry: DeviceTelemetry | None
    host: HostCounters
    log: tuple[str, ...] = field(default=())
    phase: PhaseReadout | None = None
    activity: ActivityReadout | None = None


def _slope_per_min(points) -> float | None:
    """Least-squares slope of (stream_s, value) points, per minute; None when they span too little."""
    if len(points) < 2 or points[-1][0] - points[0][0] < VO2_TREND_MIN_SPAN_S:
        return None
    n = len(points)
    mt = sum(t for t, _ in points) / n
    mv = sum(v for _, v in points) / n
    den = sum((t - mt) ** 2 for t, _ in points)
    return 60.0 * sum((t - mt) * (v - mv) for t, v in points) / den


class _Stream:
    """The history of one stream (one mode start): cleared whole when a new stream begins."""

    def __init__(self, history_s: float):
        cap = max(64, int(history_s * 8))  # heel strikes come at most a few per second
        self.last_index: int | None = None      # latest sample index known processed
        self.start_us: int | None = None        # device time of sample 0 (learnt from a heel strike)
        self.clock_s: float | None = None       # latest frame header time since start_us (s)
        self.next_sample: int | None = None     # index the next SAMPLES frame should start at
        self.hs = {name: deque(maxlen=cap) for name in SOURCE_NAMES.values()}
        self.estimates: dict[int, tuple[float, int, float]] = {}  # kind -> (value, estimator, stream_s)
        # (kind, estimator) -> latest VO2 value and the recent (stream_s, value) points for the trend
        self.vo2_latest: dict[tuple[int, int], float] = {}
        self.vo2: dict[tuple[int, int], deque] = {}
        self.telemetry_points: deque[tuple[float, int]] = deque(maxlen=2)  # (host_s, samples_processed)
        self.rate_window: deque[tuple[float, int]] = deque()  # (host_s, samples) of recent SAMPLES frames
        self.first_samples: tuple[float, int] | None = None  # the stream's first SAMPLES frame
        # Phase labels as runs [first, last, code] of sample indices, oldest first; bounded because old
        # runs are dropped once they end before the span shown (history_s and PHASE_SHARE_S).
        self.phase_runs: deque[list[int]] = deque()
        self.phase_conf: float = 0.0
        self.phase_frames = 0
        self.activity: m.Activity | None = None
        self.activity_frames = 0


class LiveState:
    """Everything a live readout shows, updated from a node's frames.

    Parameters: rate_hz (the node's sample rate; INFO's replaces it when given), history_s (span of
    the heel-strike history, s), info (the node's INFO), port (shown), note (what the data is,
    e.g. "twin, synthetic IMU (simulator)").
    Action: update(received) per frame; snapshot() for the view.
    """

    # Message types the protocol may gain plug in here: type ->
    # function(state, received) returning the line to show (or None). The view shows the lines
    # of the latest frame of each type; nothing is shown for a type the node never sends.
    EXTRA_HANDLERS: dict[type, object] = {}

    def __init__(self, rate_hz: float, *, history_s: float = 10.0, info=None, port: str = "", note: str = ""):
        if not rate_hz > 0 or not history_s > 0:
            raise ValueError(f"rate_hz and history_s must be > 0, got {rate_hz}, {history_s}")
        self.rate_hz = float(rate_hz)
        self.history_s = float(history_s)
        self.port = port
        self.note = note
        self.info = None
        self._mode: int | None = None
        self._connection, self._detail = "connecting", ""
        self.reconnects = 0
        self._was_lost = False
        self.samples_total = 0
        self.sample_gaps = self.missing_samples = 0
        self.streams = 0
        self.node_restarts = 0
        self.hs_total = {name: 0 for name in SOURCE_NAMES.values()}
        self._device_clock_s: float | None = None
        self._telemetry: m.Telemetry | None = None
        self._log: deque[str] = deque(maxlen=LOG_LINES)
        self._extra: dict[type, str] = {}
        self._link = None
        self._link_base = HostCounters()
        self._link_now = HostCounters()
        self._stream = _Stream(self.history_s)
        if info is not None:
            self._set_info(info)
            self._mode = int(info.mode)

    # -- inputs --
    def new_stream(self, info=None, *, mode: int | None = None, port: str | None = None) -> None:
        """A new stream starts (the host switched the node's mode, or reconnected to it): forget the
        previous stream's history. info: the node's INFO when it was asked again; mode: the mode the
        host switched to."""
        if info is not None:
            self._set_info(info)
        if mode is not None:
            self._mode = int(mode)
        if port is not None:
            self.port = port
        self._begin_stream()

    def set_connection(self, state: str, detail: str = "") -> None:
        """Connection state shown: "connecting" | "connected" | "lost" | "reconnecting", and why."""
        if state not in CONNECTION_STATES:
            raise ValueError(f"connection state must be one of {', '.join(CONNECTION_STATES)}, got {state!r}")
        if state == "lost":
            self._was_lost = True
        elif state == "connected" and self._was_lost:
            self.reconnects += 1
            self._was_lost = False
        self._connection, self._detail = state, detail

    def update_link_counters(self, link) -> None:
        """Take the Link's counters (bad frames, sequence gaps, ...). A new Link (after a reconnect)
        adds to what the previous ones counted; pass it before feeding its first frame."""
        if link is not self._link:
            if self._link is not None:
                self._link_base = self._plus(self._link_base, self._link_now)
            self._link = link
        self._link_now = HostCounters(link.bad_frames, link.device_seq_gaps, link.undecodable, link.wrong_version)

    def update(self, received) -> None:
        """One Received from Link.read (or a replay's on_output): any message type."""
        frame, msg = received.frame, received.msg
        if isinstance(msg, m.Info):
            self._set_info(msg)
            self._mode = int(msg.mode)
            if frame.seq == 0:  # the announcement after a boot (an answer to HELLO comes later)
                self.node_restarts += 1
                self._begin_stream()
        self._device_clock_s = frame.t_us / 1e6
        handler = self._HANDLERS.get(type(msg))
        if handler is not None:
            handler(self, received)
        else:
            extra = self.EXTRA_HANDLERS.get(type(msg))
            if extra is not None:
                line = extra(self, received)
                if line:
                    self._extra[type(msg)] = line

    # -- per type --
    def _on_samples(self, r) -> None:
        s: _Stream = self._stream
        first, n = int(r.msg.first_index), len(r.msg.raw)
        if s.next_sample is not None and first < s.next_sample:
            self._begin_stream()  # sample indices went back: the node started a new stream
            s = self._stream
        elif s.next_sample is not None and first > s.next_sample:
            self.sample_gaps += 1
            self.missing_samples += first - s.next_sample
        s.next_sample = first + n
        self._mode = int(m.Mode.LIVE)  # only live mode sends samples
        self._advance(first + n - 1)
        self.samples_total += n
        if s.first_samples is None:
            s.first_samples = (r.host_s, n)
        s.rate_window.append((r.host_s, n))
        while s.rate_window[0][0] < r.host_s - RATE_WINDOW_S:
            s.rate_window.popleft()

    def _on_heel_strike(self, r) -> None:
        msg = r.msg
        self._check_restart(int(msg.sample_index))
        if self._stream.start_us is None:  # the event's device time = stream start + its sample time
            self._stream.start_us = int(msg.t_us) - round((msg.sample_index + msg.frac) * 1e6 / self.rate_hz)
        self._clock(r.frame)
        name = SOURCE_NAMES[int(msg.source)]  # unpack admits only these sources
        self._stream.hs[name].append((msg.sample_index + msg.frac) / self.rate_hz)
        self.hs_total[name] += 1
        self._advance(int(msg.sample_index))

    def _on_estimate(self, r) -> None:
        msg = r.msg
        self._check_restart(int(msg.sample_index))
        s = self._stream
        t = msg.sample_index / self.rate_hz
        s.estimates[int(msg.kind)] = (float(msg.value), int(msg.estimator), t)
        self._clock(r.frame)
        if int(msg.kind) in VO2_KINDS:
            key = (int(msg.kind), int(msg.estimator))
            s.vo2_latest[key] = float(msg.value)
            d = s.vo2.setdefault(key, deque())
            d.append((t, float(msg.value)))
            while d and d[0][0] < t - VO2_TREND_S:
                d.popleft()
        self._advance(int(msg.sample_index))

    def _on_telemetry(self, r) -> None:
        msg = r.msg
        self._telemetry = msg
        self._mode = int(msg.mode)
        if msg.mode == m.Mode.IDLE:
            return  # between streams: the last stream's history stays on screen
        s = self._stream
        if s.telemetry_points and msg.samples_processed < s.telemetry_points[-1][1]:
            self._begin_stream()  # the count restarts with each mode start
            s = self._stream
        s.telemetry_points.append((r.host_s, int(msg.samples_processed)))
        self._clock(r.frame)
        if msg.samples_processed:
            self._advance(int(msg.samples_processed) - 1)

    def _on_phase(self, r) -> None:
        msg = r.msg
        first, n = int(msg.first_index), len(msg.codes)
        self._check_restart(first)
        s = self._stream
        runs = s.phase_runs
        for k, code in enumerate(msg.codes):
            i = first + k
            if runs and runs[-1][2] == code and runs[-1][1] == i - 1:
                runs[-1][1] = i
            elif runs and i <= runs[-1][1]:  # a relabelled or repeated sample: keep the newest label
                self._relabel(runs, i, int(code))
            else:
                runs.append([i, i, int(code)])
        keep = max(self.history_s, PHASE_SHARE_S) * self.rate_hz
        while runs and runs[0][1] < runs[-1][1] - keep:
            runs.popleft()
        s.phase_conf = msg.confidences[-1] / 255.0
        s.phase_frames += 1
        self._clock(r.frame)
        self._advance(first + n - 1)

    @staticmethod
    def _relabel(runs: deque, i: int, code: int) -> None:
        """Sample i (at or before the newest run's end) gets `code`: cut the runs after it, then append."""
        while runs and runs[-1][0] >= i:
            runs.pop()
        if runs and runs[-1][1] >= i:
            runs[-1][1] = i - 1
        if runs and runs[-1][2] == code and runs[-1][1] == i - 1:
            runs[-1][1] = i
        else:
            runs.append([i, i, code])

    def _on_activity(self, r) -> None:
        msg = r.msg
        self._check_restart(int(msg.sample_index))
        s = self._stream
        s.activity = msg
        s.activity_frames += 1
        self._clock(r.frame)
        self._advance(int(msg.sample_index))

    def _on_log(self, r) -> None:
        level = m.LogLevel(r.msg.level).name if r.msg.level in set(m.LogLevel) else str(r.msg.level)
        self._log.append(f"{level}: {r.msg.text}")

    _HANDLERS = {m.Samples: _on_samples, m.HeelStrike: _on_heel_strike, m.Estimate: _on_estimate,
                 m.Telemetry: _on_telemetry, m.Log: _on_log, m.Phase: _on_phase, m.Activity: _on_activity}

    # -- helpers --
    def _set_info(self, info) -> None:
        self.info = info
        if info.sample_rate_hz:
            self.rate_hz = float(info.sample_rate_hz)

    def _begin_stream(self) -> None:
        self._stream = _Stream(self.history_s)
        self._extra.clear()

    def _check_restart(self, index: int) -> None:
        last = self._stream.last_index
        if last is not None and index < last - STREAM_RESTART_BACKSTEP_S * self.rate_hz:
            self._begin_stream()

    def _clock(self, frame) -> None:
        """How far the stream is by the frame's header time (frames sent while the stream runs)."""
        s = self._stream
        if s.start_us is not None:
            t = (frame.t_us - s.start_us) / 1e6
            if s.clock_s is None or t > s.clock_s:
                s.clock_s = t

    def _advance(self, index: int) -> None:
        if self._stream.last_index is None:
            self.streams += 1  # a stream counts once it has data
        if self._stream.last_index is None or index > self._stream.last_index:
            self._stream.last_index = index

    @staticmethod
    def _plus(a: HostCounters, b: HostCounters) -> HostCounters:
        return HostCounters(a.bad_frames + b.bad_frames, a.lost_frames + b.lost_frames,
                            a.undecodable + b.undecodable, a.wrong_version + b.wrong_version)

    # -- output --
    def snapshot(self, now: float | None = None) -> LiveSnapshot:
        """The view's data now (`now`: host time.monotonic(), for the samples/s window)."""
        now = time.monotonic() if now is None else now
        s = self._stream
        stream_s = None if s.last_index is None else (s.last_index + 1) / self.rate_hz
        if s.clock_s is not None and stream_s is not None:
            stream_s = max(stream_s, s.clock_s)
        hs = {name: self._recent(d, stream_s) for name, d in s.hs.items()}
        cadence, stride = self._gait(s, hs)
        vo2, vo2_note = self._vo2(s)
        hr = s.estimates.get(int(m.EstimateKind.HEART_RATE))
        info = self.info
        host = self._plus(self._link_base, self._link_now)
        return LiveSnapshot(
            connection=self._connection, connection_detail=self._detail, reconnects=self.reconnects,
            port=self.port, board=info.board if info else "", firmware=info.firmware if info else "",
            mode=MODE_NAMES.get(self._mode, "unknown"),
            rate_hz=self.rate_hz, note=self.note, device_clock_s=self._device_clock_s, stream_s=stream_s,
            history_s=self.history_s, samples_total=self.samples_total, samples_per_s=self._samples_per_s(s, now),
            sample_gaps=self.sample_gaps, missing_samples=self.missing_samples, streams=self.streams,
            node_restarts=self.node_restarts, heel_strikes=hs, heel_strikes_total=dict(self.hs_total),
            cadence=cadence, stride_time=stride, vo2=vo2, vo2_note=vo2_note,
            heart_rate=None if hr is None else Readout(hr[0], f"device: {ESTIMATOR_NAMES.get(hr[1], hr[1])}", hr[2]),
            extra_lines=tuple(self._extra.values()), telemetry=self._device_telemetry(s), host=host,
            log=tuple(self._log), phase=self._phase(s, stream_s), activity=self._activity(s))

    def _recent(self, times, stream_s) -> tuple[float, ...]:
        if stream_s is None:
            return ()
        lo = stream_s - self.history_s
        return tuple(t for t in times if lo < t <= stream_s)

    def _samples_per_s(self, s: _Stream, now: float) -> float:
        if s.first_samples is None:
            return 0.0
        n = sum(k for t, k in s.rate_window if t > now - RATE_WINDOW_S)
        # Early in a stream the window is not full: divide by the time the samples cover (the
        # first frame's samples were taken during the batch period before it arrived).
        t0, n0 = s.first_samples
        span = min(RATE_WINDOW_S, now - t0 + n0 / self.rate_hz)
        return n / span if span > 0 else 0.0

    def _gait(self, s: _Stream, hs: dict) -> tuple[Readout | None, Readout | None]:
        cad = s.estimates.get(int(m.EstimateKind.CADENCE))
        stride = s.estimates.get(int(m.EstimateKind.STRIDE_TIME))
        if cad is not None or stride is not None:
            def dev(e):
                return None if e is None else Readout(e[0], f"device: {ESTIMATOR_NAMES.get(e[1], e[1])}", e[2])
            return dev(cad), dev(stride)
        for name in ("nn", "classical"):  # the network's events when it has any
            times = hs.get(name, ())
            strides = [b - a for a, b in zip(times, times[1:]) if MIN_STRIDE_S <= b - a <= MAX_STRIDE_S]
            if strides:
                st = statistics.median(strides[-FALLBACK_STRIDES:])
                how = f"host: {name} heel-strike intervals"
                return Readout(120.0 / st, how, times[-1]), Readout(st, how, times[-1])
        return None, None

    def _vo2(self, s: _Stream) -> tuple[tuple[Vo2Readout, ...], str]:
        estimators = {e for _, e in s.vo2_latest}
        if not estimators:
            note = "no VO2 estimator on this node" if s.estimates else "no estimates from the node yet"
            return (), note
        order = sorted(estimators, key=lambda e: (VO2_ESTIMATOR_ORDER.index(e) if e in VO2_ESTIMATOR_ORDER
                                                   else len(VO2_ESTIMATOR_ORDER), e))
        ml, kg = int(m.EstimateKind.VO2_ML_MIN), int(m.EstimateKind.VO2_ML_KG_MIN)
        return tuple(Vo2Readout(
            ml_min=s.vo2_latest.get((ml, e)), ml_kg_min=s.vo2_latest.get((kg, e)),
            trend_ml_min_per_min=_slope_per_min(s.vo2.get((ml, e), ())),
            trend_ml_kg_min_per_min=_slope_per_min(s.vo2.get((kg, e), ())),
            estimator=ESTIMATOR_NAMES.get(e, str(e))) for e in order), ""

    def _phase(self, s: _Stream, stream_s: float | None) -> PhaseReadout | None:
        if not s.phase_runs:
            return None
        rate = self.rate_hz
        newest = s.phase_runs[-1][1]
        end = max(newest + 1, round(stream_s * rate)) if stream_s is not None else newest + 1  # exclusive
        lo = end - round(PHASE_SHARE_S * rate)
        counts = [0] * len(PHASE_NAMES)
        for a, b, code in s.phase_runs:
            n = min(b + 1, end) - max(a, lo)
            if n > 0:
                counts[code] += n
        total = sum(counts)
        shares = {name: (c / total if total else 0.0) for name, c in zip(PHASE_NAMES, counts)}
        span = end - max(lo, 0)
        h_lo = end - self.history_s * rate
        runs = tuple((max(a, h_lo) / rate, (b + 1) / rate, PHASE_NAMES[code])
                     for a, b, code in s.phase_runs if b + 1 > h_lo)
        return PhaseReadout(current=PHASE_NAMES[s.phase_runs[-1][2]], confidence=s.phase_conf,
                            stream_s=newest / rate, shares=shares, covered=total / span if span > 0 else 0.0,
                            share_s=PHASE_SHARE_S, runs=runs, frames=s.phase_frames)

    def _activity(self, s: _Stream) -> ActivityReadout | None:
        a = s.activity
        if a is None:
            return None
        probs = tuple((ACTIVITY_NAMES[c], p / 255.0) for c, p in zip(a.classes, a.probs))
        current = ACTIVITY_NAMES[int(a.code)]
        return ActivityReadout(current=current, probability=dict(probs).get(current, 0.0), probabilities=probs,
                               stream_s=a.sample_index / self.rate_hz, frames=s.activity_frames)

    def _device_telemetry(self, s: _Stream) -> DeviceTelemetry | None:
        t = self._telemetry
        if t is None:
            return None
        info_models = self.info.models if self.info is not None else ()
        models = tuple(
            ModelTelemetry(name=info_models[i].name if i < len(info_models) else f"model {i}", last_us=tm.last_us,
                           mean_us=tm.mean_us, max_us=tm.max_us, count=tm.count, arena_used=tm.arena_used,
                           arena_bytes=info_models[i].arena_bytes if i < len(info_models) else 0)
            for i, tm in enumerate(t.models))
        pts = s.telemetry_points
        per_s = None
        if len(pts) == 2 and pts[1][0] > pts[0][0]:
            per_s = (pts[1][1] - pts[0][1]) / (pts[1][0] - pts[0][0])
        other = (t.rx_short + t.rx_oversized + t.rx_unknown_type + t.rx_bad_length + t.rx_bad_version
                 + t.rx_rejected)
        return DeviceTelemetry(
            loop_load_pct=t.loop_load_permille / 10.0, ring_high_water=t.ring_high_water,
            ring_capacity=t.ring_capacity, dropped_samples=t.dropped_samples,
            samples_processed=t.samples_processed, processed_per_s=per_s, rx_frames=t.rx_frames, rx_crc=t.rx_crc,
            rx_cobs=t.rx_cobs, rx_other=other, tx_dropped_frames=t.tx_dropped_frames,
            infer_errors=t.infer_errors, models=models)

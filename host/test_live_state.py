"""LiveState: every readout follows the frames it is fed (live and replay streams, restarts,
reconnects), with bounded memory on long 200 Hz streams."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from gaitnode.host.live_state import HostCounters, LiveState
from gaitnode.protocol import messages as m
from gaitnode.protocol.framing import Frame
from gaitnode.protocol.link import Received

RAW10 = np.zeros((10, 9), np.int16)


def rx(msg, *, seq: int = 1, t_us: int = 0, host_s: float = 0.0) -> Received:
    return Received(Frame(type=0, seq=seq, t_us=t_us, payload=b""), msg, host_s)


def info(mode=m.Mode.IDLE, models=()) -> m.Info:
    return m.Info(protocol=1, firmware="fw-1", board="twin", sample_rate_hz=100, acc_range_g=16, gyr_range_dps=2000,
                  mag_range_ut=4900, ring_capacity=256, max_batch=26, mode=mode, placement=0, side=0, models=models)


def hs(index: int, source=m.Source.NN, frac: float = 0.0) -> m.HeelStrike:
    return m.HeelStrike(t_us=0, sample_index=index, frac=frac, confidence=0.9, source=source, side=0)


def est(kind, index: int, value: float, estimator=m.Estimator.HS_INTERVALS) -> m.Estimate:
    return m.Estimate(kind=kind, estimator=estimator, sample_index=index, value=value)


def feed_samples(state: LiveState, first: int, frames: int, *, t0: float = 0.0, n: int = 10, rate: float = 100.0):
    """`frames` SAMPLES frames of n samples from index `first`, arriving as a live node sends them."""
    raw = np.zeros((n, 9), np.int16)
    for k in range(frames):
        i = first + k * n
        state.update(rx(m.Samples(i, raw), host_s=t0 + (i + n - first) / rate))


def test_samples_totals_rate_and_gaps():
    st = LiveState(100)
    feed_samples(st, 0, 30)  # 3 s at 100 Hz, frames every 0.1 s
    snap = st.snapshot(now=3.0)
    assert snap.samples_total == 300 and snap.sample_gaps == 0 and snap.mode == "live"
    assert snap.stream_s == pytest.approx(3.0)
    assert snap.samples_per_s == pytest.approx(100.0)
    st.update(rx(m.Samples(350, RAW10), host_s=3.1))  # 50 samples never arrived
    snap = st.snapshot(now=3.1)
    assert (snap.sample_gaps, snap.missing_samples, snap.samples_total) == (1, 50, 310)
    assert st.snapshot(now=10.0).samples_per_s == 0.0  # nothing for longer than the window


def test_samples_per_second_early_in_a_stream_is_not_inflated():
    st = LiveState(200)
    feed_samples(st, 0, 3, n=20, rate=200.0)  # 0.3 s of a 200 Hz stream
    assert st.snapshot(now=0.3).samples_per_s == pytest.approx(200.0)


def test_heel_strike_history_keeps_the_last_history_s_per_source():
    st = LiveState(100, history_s=10.0)
    for k in range(20):  # one per source every 1.1 s, classical 20 ms earlier
        st.update(rx(hs(110 * k + 50)))
        st.update(rx(hs(110 * k + 48, m.Source.CLASSICAL, frac=0.25)))
    feed_samples(st, 0, 220)  # stream time 22 s
    snap = st.snapshot(now=22.0)
    assert snap.stream_s == pytest.approx(22.0)
    assert snap.heel_strikes["nn"] == pytest.approx([(110 * k + 50) / 100 for k in range(11, 20)])
    assert snap.heel_strikes["classical"] == pytest.approx([(110 * k + 48.25) / 100 for k in range(11, 20)])
    assert snap.heel_strikes_total == {"nn": 20, "classical": 20}


def test_device_estimates_come_first_and_host_intervals_are_labelled():
    st = LiveState(100)
    for k in range(8):
        st.update(rx(hs(100 + 120 * k, m.Source.CLASSICAL)))
    snap = st.snapshot()
    assert snap.stride_time.value == pytest.approx(1.2) and snap.cadence.value == pytest.approx(100.0)
    assert snap.cadence.how == "host: classical heel-strike intervals"
    for k in range(5):  # the network's events are preferred when there are any
        st.update(rx(hs(1000 + 110 * k)))
    assert st.snapshot().stride_time.value == pytest.approx(1.1)
    assert st.snapshot().stride_time.how == "host: nn heel-strike intervals"
    st.update(rx(est(m.EstimateKind.CADENCE, 1000, 104.0)))
    st.update(rx(est(m.EstimateKind.STRIDE_TIME, 1000, 1.154)))
    snap = st.snapshot()
    assert (snap.cadence.value, snap.stride_time.value) == (104.0, pytest.approx(1.154))
    assert snap.cadence.how == "device: heel-strike intervals"


def test_host_intervals_leave_out_pauses_and_double_events():
    st = LiveState(100)
    for t in (1.0, 1.1, 5.0, 6.0, 7.0):  # 0.1 s: not a stride; 3.9 s: a pause
        st.update(rx(hs(int(t * 100))))
    assert st.snapshot().stride_time.value == pytest.approx(1.0)


def test_vo2_absent_then_present_with_trend():
    st = LiveState(100)
    assert st.snapshot().vo2 == () and st.snapshot().vo2_note == "no estimates from the node yet"
    st.update(rx(est(m.EstimateKind.CADENCE, 0, 100.0)))
    assert st.snapshot().vo2 == () and st.snapshot().vo2_note == "no VO2 estimator on this node"
    for k in range(13):  # every 5 s of stream time, rising 10 ml/min per minute; 60 s in all
        t = 5 * k
        st.update(rx(est(m.EstimateKind.VO2_ML_MIN, t * 100, 1000.0 + 10.0 * t / 60, m.Estimator.ACSM)))
        st.update(rx(est(m.EstimateKind.VO2_ML_KG_MIN, t * 100, 14.0 - 0.5 * t / 60, m.Estimator.ACSM)))
    (v,) = st.snapshot().vo2
    assert v.ml_min == pytest.approx(1010.0) and v.ml_kg_min == pytest.approx(13.5)
    assert v.trend_ml_min_per_min == pytest.approx(10.0) and v.trend_ml_kg_min_per_min == pytest.approx(-0.5)
    assert v.estimator == "ACSM equations"


def test_vo2_trend_uses_the_last_30_s_only():
    st = LiveState(100)
    for t in range(0, 61, 5):  # flat for 30 s, then rising 60 ml/min per minute
        st.update(rx(est(m.EstimateKind.VO2_ML_MIN, t * 100, 1000.0 + max(0, t - 30))))
    (v,) = st.snapshot().vo2
    assert v.trend_ml_min_per_min == pytest.approx(60.0)
    assert v.ml_kg_min is None and v.trend_ml_kg_min_per_min is None


def test_vo2_trend_needs_a_few_seconds_of_values():
    st = LiveState(100)
    st.update(rx(est(m.EstimateKind.VO2_ML_MIN, 100, 900.0)))
    st.update(rx(est(m.EstimateKind.VO2_ML_MIN, 200, 950.0)))
    assert st.snapshot().vo2[0].ml_min == 950.0 and st.snapshot().vo2[0].trend_ml_min_per_min is None


def test_vo2_readouts_are_kept_per_estimator_learned_model_first():
    st = LiveState(100)
    for t in range(0, 31, 5):
        st.update(rx(est(m.EstimateKind.VO2_ML_MIN, t * 100, 900.0, m.Estimator.ACSM)))
        st.update(rx(est(m.EstimateKind.VO2_ML_MIN, t * 100, 1000.0 + 2.0 * t, m.Estimator.CNN_LSTM)))
        st.update(rx(est(m.EstimateKind.VO2_ML_KG_MIN, t * 100, 13.0, m.Estimator.ACSM)))
    cnn, acsm = st.snapshot().vo2
    assert (cnn.estimator, acsm.estimator) == ("CNN-LSTM", "ACSM equations")
    assert cnn.ml_min == 1060.0 and cnn.ml_kg_min is None and cnn.trend_ml_min_per_min == pytest.approx(120.0)
    assert acsm.ml_min == 900.0 and acsm.ml_kg_min == 13.0 and acsm.trend_ml_min_per_min == pytest.approx(0.0)


def test_telemetry_is_grouped_and_models_named_from_info():
    model = m.InfoModel("heel_strike", bytes(32), 20000, 15584, 0)
    st = LiveState(100, info=info(models=(model,)))
    tm = m.TelemetryModel(last_us=900, max_us=1500, mean_us=1000, count=3, arena_used=14160)
    base = dict(loop_load_permille=35, ring_high_water=4, ring_capacity=256, mode=m.Mode.LIVE, dropped_samples=2,
                rx_frames=9, rx_crc=1, rx_cobs=2, rx_short=3, rx_oversized=4, rx_unknown_type=5, rx_bad_length=6,
                rx_bad_version=7, rx_rejected=8, tx_dropped_frames=1, infer_errors=0, models=(tm,))
    st.update(rx(m.Telemetry(samples_processed=100, **base), host_s=1.0))
    assert st.snapshot().telemetry.processed_per_s is None
    st.update(rx(m.Telemetry(samples_processed=300, **base), host_s=2.0))
    t = st.snapshot().telemetry
    assert t.loop_load_pct == pytest.approx(3.5) and t.dropped_samples == 2 and t.ring_high_water == 4
    assert (t.rx_crc, t.rx_cobs, t.rx_other, t.tx_dropped_frames) == (1, 2, 3 + 4 + 5 + 6 + 7 + 8, 1)
    assert t.processed_per_s == pytest.approx(200.0)
    (mt,) = t.models
    assert (mt.name, mt.last_us, mt.mean_us, mt.max_us, mt.arena_used, mt.arena_bytes) == \
        ("heel_strike", 900, 1000, 1500, 14160, 15584)
    assert st.snapshot().stream_s == pytest.approx(3.0)  # 300 processed samples


def test_link_counters_add_up_over_reconnects():
    @dataclass
    class FakeLink:
        bad_frames: int = 0
        device_seq_gaps: int = 0
        undecodable: int = 0
        wrong_version: int = 0

    st = LiveState(100)
    a = FakeLink(2, 1, 0, 1)
    st.update_link_counters(a)
    a.bad_frames = 3
    st.update_link_counters(a)
    st.update_link_counters(FakeLink(1, 4, 2, 0))  # after a reconnect: a new link, counting from 0
    assert st.snapshot().host == HostCounters(bad_frames=4, lost_frames=5, undecodable=2, wrong_version=1)


def test_a_reboot_starts_a_new_stream():
    st = LiveState(100)
    feed_samples(st, 0, 50)
    st.update(rx(hs(300)))
    st.update(rx(m.Telemetry(mode=m.Mode.LIVE, samples_processed=500), seq=41))
    st.update(rx(info(), seq=0))  # the node rebooted and announced itself
    snap = st.snapshot()
    assert snap.node_restarts == 1 and snap.mode == "idle" and snap.streams == 1
    assert snap.heel_strikes == {"nn": (), "classical": ()} and snap.stream_s is None
    assert snap.samples_total == 500 and snap.heel_strikes_total["nn"] == 1  # totals carry on


def test_an_info_answering_hello_is_not_a_restart():
    st = LiveState(100)
    feed_samples(st, 0, 10)
    st.update(rx(info(mode=m.Mode.LIVE), seq=17))
    snap = st.snapshot()
    assert snap.node_restarts == 0 and snap.stream_s == pytest.approx(1.0) and snap.board == "twin"


def test_sample_indices_going_back_start_a_new_stream_without_mixing_histories():
    st = LiveState(100)
    feed_samples(st, 0, 100)  # 10 s
    st.update(rx(hs(950)))
    feed_samples(st, 0, 10, t0=20.0)  # the node restarted its stream (mode switched, or rebooted)
    snap = st.snapshot(now=21.0)
    assert snap.streams == 2 and snap.stream_s == pytest.approx(1.0)
    assert snap.heel_strikes["nn"] == () and snap.sample_gaps == 0 and snap.samples_total == 1100


def test_new_stream_from_the_host_sets_info_mode_and_port():
    st = LiveState(50)
    feed_samples(st, 0, 10)
    st.new_stream(info(), mode=m.Mode.LIVE, port="/dev/ttyACM0")
    snap = st.snapshot()
    assert (snap.rate_hz, snap.mode, snap.port, snap.board, snap.firmware) == (100.0, "live", "/dev/ttyACM0",
                                                                               "twin", "fw-1")
    assert snap.stream_s is None and snap.samples_total == 100


def test_replay_streams_use_the_sample_clock_and_idle_keeps_the_last_history():
    st = LiveState(100)
    st.update(rx(m.Telemetry(mode=m.Mode.REPLAY, samples_processed=1000), host_s=1.0))
    st.update(rx(hs(1200)))
    st.update(rx(est(m.EstimateKind.CADENCE, 1500, 100.0)))
    assert st.snapshot().mode == "replay" and st.snapshot().stream_s == pytest.approx(15.01)
    st.update(rx(m.Telemetry(mode=m.Mode.IDLE, samples_processed=0), host_s=2.0))  # the replay ended
    snap = st.snapshot()
    assert snap.mode == "idle" and snap.heel_strikes["nn"] == (12.0,) and snap.cadence.value == 100.0
    st.update(rx(hs(150)))  # the next pass (--loop) starts again at index 0
    snap = st.snapshot()
    assert snap.streams == 2 and snap.heel_strikes["nn"] == (1.5,) and snap.cadence is None


def test_frame_header_times_tell_how_far_a_stream_is_once_a_heel_strike_dated_it():
    for start_us in (0, 7_250_000):  # replay: the sample clock; live: the device clock since boot
        st = LiveState(100)
        st.update(rx(m.HeelStrike(t_us=start_us + 12_345_000, sample_index=1234, frac=0.5, confidence=1.0,
                                  source=m.Source.NN, side=0), t_us=start_us + 12_700_000))
        assert st.snapshot().stream_s == pytest.approx(12.7)
        st.update(rx(est(m.EstimateKind.CADENCE, 1300, 100.0), t_us=start_us + 13_010_000))
        assert st.snapshot().stream_s == pytest.approx(13.01)
        st.update(rx(m.Telemetry(mode=m.Mode.IDLE), t_us=start_us + 99_000_000))  # after the stream: ignored
        assert st.snapshot().stream_s == pytest.approx(13.01)


def test_connection_states_and_reconnect_count():
    st = LiveState(100)
    assert st.snapshot().connection == "connecting"
    st.set_connection("connected")
    st.set_connection("lost", "reading failed")
    st.set_connection("reconnecting", "attempt 1")
    st.set_connection("reconnecting", "attempt 2")
    st.set_connection("connected", "after 2 attempt(s)")
    snap = st.snapshot()
    assert (snap.connection, snap.connection_detail, snap.reconnects) == ("connected", "after 2 attempt(s)", 1)
    with pytest.raises(ValueError, match="connection state"):
        st.set_connection("unplugged")


def test_log_lines_are_kept_few():
    st = LiveState(100)
    for k in range(5):
        st.update(rx(m.Log(level=m.LogLevel.WARN, text=f"line {k}")))
    assert st.snapshot().log == ("WARN: line 2", "WARN: line 3", "WARN: line 4")


def test_extension_point_shows_lines_only_for_messages_that_arrive(monkeypatch):
    @dataclass(frozen=True)
    class GaitPhase:  # what a future protocol message could look like
        phase: str

    assert LiveState(100).snapshot().extra_lines == ()
    monkeypatch.setitem(LiveState.EXTRA_HANDLERS, GaitPhase, lambda state, r: f"gait phase: {r.msg.phase}")
    st = LiveState(100)
    assert st.snapshot().extra_lines == ()
    st.update(rx(GaitPhase("swing")))
    st.update(rx(GaitPhase("stance")))
    assert st.snapshot().extra_lines == ("gait phase: stance",)


def test_an_hour_at_200_hz_keeps_memory_bounded_and_counts_exact():
    st = LiveState(200, history_s=10.0)
    raw = np.zeros((20, 9), np.int16)
    n_frames = 3600 * 10
    for k in range(n_frames):  # 20-sample frames, ten a second
        st.update(rx(m.Samples(20 * k, raw), host_s=(k + 1) * 0.1))
        if k % 11 == 0:  # a heel strike every 1.1 s
            st.update(rx(hs(20 * k, m.Source.CLASSICAL)))
    snap = st.snapshot(now=n_frames * 0.1)
    assert snap.samples_total == 720_000 and snap.sample_gaps == 0
    assert snap.samples_per_s == pytest.approx(200.0)
    assert len(snap.heel_strikes["classical"]) in (9, 10)
    assert len(st._stream.hs["classical"]) <= st._stream.hs["classical"].maxlen <= 100
    assert len(st._stream.rate_window) <= 21


def test_bad_parameters_are_refused():
    with pytest.raises(ValueError):
        LiveState(0)
    with pytest.raises(ValueError):
        LiveState(100, history_s=-1)


def test_a_twin_replay_fed_through_on_output(twin_model_dir, walk):
    """The replay readout: a real replay through the twin, its outputs fed as they arrive."""
    from gaitnode.host.node import open_node
    from gaitnode.protocol.replay import replay_counts
    from gaitnode.twin.twin import session_counts

    with open_node(twin=True, model_dir=twin_model_dir) as node:
        st = LiveState(node.rate_hz, info=node.info)
        raw = session_counts(walk, node.ranges)[:3950]  # not a multiple of the estimate period
        res = replay_counts(node.link, raw, rate_hz=node.rate_hz, on_output=st.update)
    snap = st.snapshot()
    n = len(raw)
    for source, name in ((m.Source.NN, "nn"), (m.Source.CLASSICAL, "classical")):
        events = res.heel_strikes(source)
        assert len(events) > 10 and snap.heel_strikes_total[name] == len(events)
        recent = [(e.sample_index + e.frac) / node.rate_hz for e in events]
        assert snap.heel_strikes[name] == pytest.approx([t for t in recent if t > snap.stream_s - 10.0])
    # The node echoes no samples in replay: its last frame (an event, an estimate) tells how far it got.
    last_header_s = max(r.frame.t_us for r in res.outputs if isinstance(r.msg, (m.HeelStrike, m.Estimate))
                        or isinstance(r.msg, m.Telemetry) and r.msg.mode == m.Mode.REPLAY) / 1e6
    assert snap.stream_s == pytest.approx(last_header_s, abs=0.011) and n / node.rate_hz - 1.5 < snap.stream_s
    assert snap.streams == 1 and snap.samples_total == 0  # replay: the node does not echo samples
    assert snap.cadence.how == "device: heel-strike intervals" and 80 < snap.cadence.value < 140
    assert snap.vo2 == () and snap.vo2_note == "no VO2 estimator on this node"


def phase(first: int, codes, conf: int = 230) -> m.Phase:
    return m.Phase(first, tuple(codes), (conf,) * len(codes))


def gait_codes(n_strides: int, first: int = 0):
    """A stride of 100 samples: 10 HS, 50 ST, 10 HO, 30 SW."""
    one = [0] * 10 + [1] * 50 + [2] * 10 + [3] * 30
    return one * n_strides


def test_phase_current_and_shares_over_the_last_seconds():
    st = LiveState(100, history_s=10.0)
    assert st.snapshot().phase is None
    codes = gait_codes(12)
    for k in range(0, len(codes), 10):  # one frame per hop of 10 samples, like the node
        st.update(rx(phase(k, codes[k:k + 10], conf=200)))
    snap = st.snapshot()
    ph = snap.phase
    assert (ph.current, ph.frames) == ("SW", 120) and ph.confidence == pytest.approx(200 / 255)
    assert ph.stream_s == pytest.approx(11.99) and snap.stream_s == pytest.approx(12.0)
    assert ph.shares == pytest.approx({"HS": 0.10, "ST": 0.50, "HO": 0.10, "SW": 0.30})
    assert ph.covered == pytest.approx(1.0) and ph.share_s == 5.0
    assert ph.runs[-1] == pytest.approx((11.7, 12.0, "SW")[:2]) or ph.runs[-1][:2] == pytest.approx((11.7, 12.0))
    assert ph.runs[0][0] == pytest.approx(2.0) and ph.runs[-1][2] == "SW"
    assert sum(b - a for a, b, _ in ph.runs) == pytest.approx(10.0)
    # the stored runs stay bounded on a long stream
    assert len(st._stream.phase_runs) <= 4 * 11 + 4


def test_phase_shares_count_only_labelled_samples_and_say_how_many_are():
    st = LiveState(100)
    st.update(rx(phase(0, [1] * 10)))
    st.update(rx(phase(250, [3] * 10)))  # frames lost in between
    st.update(rx(est(m.EstimateKind.CADENCE, 499, 100.0)))  # the stream reached 5 s
    ph = st.snapshot().phase
    assert ph.shares == pytest.approx({"HS": 0.0, "ST": 0.5, "HO": 0.0, "SW": 0.5})
    assert ph.covered == pytest.approx(20 / 500) and ph.current == "SW"


def test_phase_relabelled_samples_keep_the_newest_label():
    st = LiveState(100)
    st.update(rx(phase(0, [1] * 10)))
    st.update(rx(phase(5, [2] * 10)))  # overlaps 5..9
    assert [tuple(r) for r in st._stream.phase_runs] == [(0, 4, 1), (5, 14, 2)]
    assert st.snapshot().phase.shares["HO"] == pytest.approx(10 / 15)


def test_activity_current_and_probabilities():
    st = LiveState(100)
    assert st.snapshot().activity is None
    st.update(rx(m.Activity(499, m.ActivityCode.STANDING, range(6), (5, 0, 0, 10, 230, 10))))
    st.update(rx(m.Activity(599, m.ActivityCode.WALKING, range(6), (240, 5, 5, 0, 5, 0))))
    a = st.snapshot().activity
    assert (a.current, a.frames) == ("walking", 2) and a.probability == pytest.approx(240 / 255)
    assert a.stream_s == pytest.approx(5.99)
    assert [n for n, _ in a.probabilities] == ["walking", "upstairs", "downstairs", "sitting", "standing", "laying"]
    assert st.snapshot().stream_s == pytest.approx(6.0)


def test_phase_and_activity_are_cleared_by_a_new_stream():
    st = LiveState(100)
    st.update(rx(phase(5000, [0] * 10)))
    st.update(rx(m.Activity(5000, 0, (0,), (255,))))
    st.update(rx(phase(0, [3] * 10)))  # indices restart: the node began a new stream
    snap = st.snapshot()
    assert snap.phase.current == "SW" and snap.phase.frames == 1 and snap.activity is None
    st.new_stream(mode=m.Mode.REPLAY)
    assert st.snapshot().phase is None

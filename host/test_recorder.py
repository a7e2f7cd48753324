"""Recorder: what each message from a node becomes in the session file, and that the file stays
readable at every step (unit level with messages built here, then a real twin streaming live)."""

from __future__ import annotations

import dataclasses
import math
import time

import numpy as np
import pytest

from gaitnode.errors import GaitnodeError
from gaitnode.host.recorder import Recorder, device_phase_per_sample
from gaitnode.protocol import messages as m
from gaitnode.protocol.framing import Frame
from gaitnode.protocol.link import Link, Received
from gaitnode.protocol.replay import NodeReset
from gaitnode.protocol.samples import Ranges, from_counts, to_counts
from gaitnode.sessions.model import Subject
from gaitnode.sessions.store import read_session

INFO = m.Info(protocol=1, firmware="fw-1.2", board="esp32s3", sample_rate_hz=200, acc_range_g=16,
              gyr_range_dps=2000, mag_range_ut=4900, ring_capacity=256, max_batch=26, mode=0, placement=1, side=1,
              models=(m.InfoModel("heel_strike", bytes(range(32)), 40000, 30000, 20000),))
RANGES = Ranges(16, 2000, 4900)


def rx(msg, host_s: float = 100.0) -> Received:
    return Received(Frame(type=m.pack(msg)[0], seq=0, t_us=0, payload=b""), msg, host_s)


def counts(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(-20000, 20000, size=(n, 9)).astype(np.int16)


def test_samples_become_imu_rows_in_units_with_device_time_from_the_index(tmp_path):
    raw = counts(30)
    with Recorder(tmp_path / "r.gns", INFO, subject=Subject("s01", mass_kg=70.0), flush_interval_s=0) as rec:
        rec.feed(rx(m.Samples(0, raw[:20]), host_s=10.0))
        rec.feed(rx(m.Samples(20, raw[20:]), host_s=10.1))
        assert (rec.samples_, rec.gaps_, rec.seconds_) == (30, 0, 0.15)
    s = read_session(tmp_path / "r.gns")
    acc, gyr, mag = from_counts(raw, RANGES)
    np.testing.assert_array_equal(s.imu.acc, acc)
    np.testing.assert_array_equal(s.imu.gyr, gyr)
    np.testing.assert_array_equal(s.imu.mag, mag)
    np.testing.assert_array_equal(s.imu.t_us, np.arange(30) * 5000)  # 200 Hz
    # host_s is Unix time: the monotonic receive times shifted by the one offset between the clocks
    offset = s.imu.host_s[0] - 10.0
    assert abs(offset - (time.time() - time.monotonic())) < 60
    np.testing.assert_allclose(s.imu.host_s[:20] - offset, 10.0)
    np.testing.assert_allclose(s.imu.host_s[20:] - offset, 10.1)
    meta = s.meta
    assert meta.source == "record" and meta.synthetic is False and meta.rate_hz == 200
    assert (meta.placement, meta.side, meta.board, meta.firmware_hash) == ("foot", "right", "esp32s3", "fw-1.2")
    assert meta.model_hashes == {"heel_strike": bytes(range(32)).hex()}
    assert meta.subject.id == "s01" and meta.subject.mass_kg == 70.0
    assert meta.extra["node"]["ring_capacity"] == 256 and "complete" not in meta.extra


def test_lost_samples_are_index_gaps_never_invented_rows(tmp_path):
    raw = counts(40)
    with Recorder(tmp_path / "r.gns", INFO) as rec:
        rec.feed(rx(m.Samples(0, raw[:10])))
        rec.feed(rx(m.Samples(25, raw[10:20])))  # 15 samples lost on the way
        rec.feed(rx(m.Samples(35, raw[20:40])))
        assert (rec.samples_, rec.gaps_, rec.missing_samples_) == (40, 1, 15)
    s = read_session(tmp_path / "r.gns")
    index = np.concatenate([np.arange(0, 10), np.arange(25, 55)])
    np.testing.assert_array_equal(s.imu.t_us, index * 5000)
    assert s.meta.extra["recording"]["missing_samples"] == 15


def test_a_sample_with_all_mag_counts_zero_has_no_mag_reading(tmp_path):
    raw = counts(4)
    raw[1, 6:9] = 0
    raw[2, 6] = 0  # one zero axis is a reading
    with Recorder(tmp_path / "r.gns", INFO) as rec:
        rec.feed(rx(m.Samples(0, raw)))
    s = read_session(tmp_path / "r.gns")
    assert np.isnan(s.imu.mag[1]).all() and np.isfinite(s.imu.mag[[0, 2, 3]]).all()
    assert s.meta.has_mag is True


def test_a_stream_without_any_mag_reading_is_marked_as_such(tmp_path):
    raw = counts(4)
    raw[:, 6:9] = 0
    with Recorder(tmp_path / "r.gns", INFO) as rec:
        rec.feed(rx(m.Samples(0, raw)))
    s = read_session(tmp_path / "r.gns")
    assert np.isnan(s.imu.mag).all() and s.meta.has_mag is False


def test_device_heel_strikes_and_estimates_become_device_series(tmp_path):
    msgs = [
        m.HeelStrike(0, 100, 0.5, 0.9, m.Source.NN, m.Side.LEFT),
        m.HeelStrike(0, 102, 0.0, 1.0, m.Source.CLASSICAL, m.Side.LEFT),
        m.HeelStrike(0, 310, 0.25, 0.8, m.Source.NN, m.Side.LEFT),
        m.Estimate(m.EstimateKind.CADENCE, m.Estimator.HS_INTERVALS, 1000, 110.0),
        m.Estimate(m.EstimateKind.STRIDE_TIME, m.Estimator.HS_INTERVALS, 1000, 1.09),
        m.Estimate(m.EstimateKind.VO2_ML_MIN, m.Estimator.CNN_LSTM, 1000, 1500.0),
        m.Estimate(m.EstimateKind.VO2_ML_KG_MIN, m.Estimator.ACSM, 1200, 21.0),
        m.Estimate(m.EstimateKind.HEART_RATE, m.Estimator.CNN_LSTM, 1200, 120.0),
    ]
    with Recorder(tmp_path / "r.gns", INFO) as rec:
        for msg in msgs:
            rec.feed(rx(msg))
        assert rec.heel_strikes_ == {"device_hs_nn": 2, "device_hs_classical": 1}
    s = read_session(tmp_path / "r.gns")
    nn = s.series["device_hs_nn"]
    np.testing.assert_allclose(nn.t_s, [100.5 / 200, 310.25 / 200])
    np.testing.assert_allclose(nn.value, [0.9, 0.8], rtol=1e-6)
    np.testing.assert_allclose(s.series["device_hs_classical"].t_s, [102 / 200])
    for name, t, v in (("device_cadence", 5.0, 110.0), ("device_stride_time", 5.0, 1.09),
                       ("device_vo2_cnn_lstm", 5.0, 1500.0), ("device_vo2_kg_acsm", 6.0, 21.0),
                       ("device_hr", 6.0, 120.0)):
        np.testing.assert_allclose(s.series[name].t_s, [t])
        np.testing.assert_allclose(s.series[name].value, [v], rtol=1e-6)
    assert len(s.events) == 0  # device detections are not reference events
    assert s.meta.extra["device_estimators"]["device_vo2_kg_acsm"] == "acsm"
    assert s.meta.extra["device_series_units"]["device_vo2_kg_acsm"] == "ml/kg/min"


def test_a_recording_without_vo2_has_no_vo2_series(tmp_path):
    with Recorder(tmp_path / "r.gns", INFO) as rec:
        rec.feed(rx(m.Estimate(m.EstimateKind.CADENCE, m.Estimator.HS_INTERVALS, 1000, 110.0)))
    s = read_session(tmp_path / "r.gns")
    assert set(s.series) == {"device_cadence"}


def test_a_device_event_going_back_in_time_is_counted_not_written(tmp_path):
    with Recorder(tmp_path / "r.gns", INFO) as rec:
        rec.feed(rx(m.HeelStrike(0, 300, 0.0, 1.0, m.Source.CLASSICAL, 0)))
        rec.feed(rx(m.HeelStrike(0, 200, 0.0, 1.0, m.Source.CLASSICAL, 0)))
        assert rec.out_of_order_ == 1
    assert read_session(tmp_path / "r.gns").meta.extra["recording"]["out_of_order_events"] == 1


def test_phase_frames_become_one_point_per_labelled_sample(tmp_path):
    with Recorder(tmp_path / "r.gns", INFO) as rec:
        rec.feed(rx(m.Samples(0, counts(20))))
        rec.feed(rx(m.Samples(20, counts(20, seed=1))))
        rec.feed(rx(m.Phase(10, (0, 0, 1, 1, 1), (255, 204, 102, 51, 0))))
        rec.feed(rx(m.Phase(20, (3, 3), (255, 255))))  # samples 15..19: no frame (lost)
        assert rec.phase_samples_ == 7
    s = read_session(tmp_path / "r.gns")
    ph, conf = s.series["device_phase"], s.series["device_phase_confidence"]
    np.testing.assert_allclose(ph.t_s, np.array([10, 11, 12, 13, 14, 20, 21]) / 200)
    np.testing.assert_array_equal(ph.value, [0, 0, 1, 1, 1, 3, 3])
    np.testing.assert_allclose(conf.value, [1.0, 0.8, 0.4, 0.2, 0.0, 1.0, 1.0])
    labels = device_phase_per_sample(s)
    assert labels.dtype == np.int8 and len(labels) == 40
    np.testing.assert_array_equal(labels[8:23], [-1, -1, 0, 0, 1, 1, 1, -1, -1, -1, -1, -1, 3, 3, -1])
    assert s.meta.extra["recording"]["phase_samples"] == 7
    assert s.meta.extra["device_series_units"]["device_phase"].startswith("index into PHASES")
    assert s.phase is None  # the device's labels are not the session's reference labels


def test_an_overlapping_phase_frame_keeps_its_new_samples(tmp_path):
    with Recorder(tmp_path / "r.gns", INFO) as rec:
        rec.feed(rx(m.Phase(10, (1,) * 10, (200,) * 10)))
        rec.feed(rx(m.Phase(15, (2,) * 10, (200,) * 10)))  # 15..19 again, 20..24 new
        rec.feed(rx(m.Phase(12, (3,) * 3, (200,) * 3)))   # nothing new
        assert rec.phase_samples_ == 15 and rec.out_of_order_ == 2
    ph = read_session(tmp_path / "r.gns").series["device_phase"]
    np.testing.assert_array_equal(ph.value, [1] * 10 + [2] * 5)
    assert np.all(np.diff(ph.t_s) > 0)


def test_activity_frames_become_a_code_series_and_one_series_per_class(tmp_path):
    with Recorder(tmp_path / "r.gns", INFO) as rec:
        rec.feed(rx(m.Activity(255, m.ActivityCode.STANDING, range(6), (0, 0, 0, 51, 204, 0))))
        rec.feed(rx(m.Activity(355, m.ActivityCode.WALKING, range(6), (255, 0, 0, 0, 0, 0))))
        rec.feed(rx(m.Activity(300, m.ActivityCode.WALKING, range(6), (255, 0, 0, 0, 0, 0))))  # went back
        assert rec.activity_frames_ == 2 and rec.out_of_order_ == 1
    s = read_session(tmp_path / "r.gns")
    np.testing.assert_allclose(s.series["device_activity"].t_s, [255 / 200, 355 / 200])
    np.testing.assert_array_equal(s.series["device_activity"].value, [4, 0])
    np.testing.assert_allclose(s.series["device_activity_p_standing"].value, [0.8, 0.0])
    np.testing.assert_allclose(s.series["device_activity_p_walking"].value, [0.0, 1.0])
    assert "device_activity_p_running" not in s.series  # the model has no running class
    assert s.meta.extra["recording"]["activity_frames"] == 2


def test_telemetry_and_logs_are_kept_in_the_metadata(tmp_path):
    tele = m.Telemetry(samples_processed=500, dropped_samples=3, rx_crc=2, tx_dropped_frames=1)
    with Recorder(tmp_path / "r.gns", INFO) as rec:
        rec.feed(rx(m.Telemetry(samples_processed=100)))
        rec.feed(rx(tele))
        rec.feed(rx(m.Log(m.LogLevel.WARN, "imu: fifo overrun")))
        assert rec.telemetry_ == tele
    extra = read_session(tmp_path / "r.gns").meta.extra
    assert extra["node_telemetry"]["dropped_samples"] == 3 and extra["node_telemetry"]["rx_crc"] == 2
    assert extra["device_log"] == ["WARN imu: fifo overrun"]


def test_data_is_on_disk_after_each_flush_and_the_file_reads_as_incomplete_until_closed(tmp_path):
    path = tmp_path / "r.gns"
    raw = counts(46)
    rec = Recorder(path, INFO, flush_interval_s=math.inf)
    rec.feed(rx(m.Samples(0, raw[:20])))
    assert len(read_session(path).imu) == 0  # buffered: the flush interval has not passed
    rec.flush()
    s = read_session(path)
    assert len(s.imu) == 20 and s.meta.extra["complete"] is False
    rec.flush_interval_s = 0.0
    rec.feed(rx(m.Samples(20, raw[20:])))  # due at once: written by feed itself
    assert len(read_session(path).imu) == 46
    rec.close(complete=False)
    s = read_session(path)
    assert s.meta.extra["complete"] is False and s.meta.extra["recording"]["samples"] == 46


def test_a_node_restart_raises_and_leaves_what_was_recorded_intact(tmp_path):
    path = tmp_path / "r.gns"
    raw = counts(20)
    rec = Recorder(path, INFO)
    rec.feed(rx(m.Samples(0, raw[:10])))
    with pytest.raises(NodeReset, match="restarted"):
        rec.feed(rx(INFO))
    rec.feed(rx(m.Samples(10, raw[10:])))
    with pytest.raises(NodeReset, match="sample index 0 after 19"):
        rec.feed(rx(m.Samples(0, raw[:5])))  # the stream started again from index 0
    rec.close(complete=False)
    s = read_session(path)
    assert len(s.imu) == 20 and s.meta.extra["complete"] is False


def test_a_twin_node_is_marked_synthetic_with_its_source(tmp_path):
    with Recorder(tmp_path / "r.gns", INFO, imu_source="a synthetic walk (simulator)") as rec:
        rec.feed(rx(m.Samples(0, counts(3))))
    meta = read_session(tmp_path / "r.gns").meta
    assert meta.synthetic is True and "synthetic walk" in meta.extra["imu_source"]


def test_a_rate_sessions_cannot_hold_is_refused_before_any_file_is_made(tmp_path):
    with pytest.raises(GaitnodeError, match="sample rate of 1000 Hz"):
        Recorder(tmp_path / "r.gns", dataclasses.replace(INFO, sample_rate_hz=1000))
    assert not (tmp_path / "r.gns").exists()


def test_an_existing_file_is_refused_unless_overwrite(tmp_path):
    path = tmp_path / "r.gns"
    path.write_bytes(b"keep me")
    with pytest.raises(GaitnodeError, match="already exists"):
        Recorder(path, INFO)
    assert path.read_bytes() == b"keep me"
    Recorder(path, INFO, overwrite=True).close()
    assert len(read_session(path).imu) == 0


def test_a_live_twin_recorded_end_to_end(tmp_path, walk, twin_model_dir):
    """The real stream: a twin with the test model plays the walk (from its first steps) live; every
    sample arrives in order with the values the twin played, and both detectors' events are stored."""
    from gaitnode.sessions.slicing import time_slice
    from gaitnode.twin.twin import TwinNode

    walking = time_slice(walk, 11.0, 25.0)  # the walk starts with ~12 s of standing
    path = tmp_path / "live.gns"
    with TwinNode(twin_model_dir, live_session=walking) as twin, Link(twin.port) as link:
        info = link.hello(timeout=5.0)
        link.request(m.Config(m.Sex.UNKNOWN, m.Placement.SHANK, m.Side.LEFT, estimate_period_ms=1000), keep=[])
        rec = Recorder(path, info, imu_source="the walk", flush_interval_s=0.2)
        link.request(m.ModeMsg(m.Mode.LIVE), keep=[])
        while rec.samples_ < 500:  # 5 s of sample time
            for r in link.read(0.1):
                rec.feed(r)
        kept = []
        link.request(m.ModeMsg(m.Mode.IDLE), keep=kept)
        for r in kept:
            rec.feed(r)
        rec.close()
        raw, _ = to_counts(walking.imu.acc, walking.imu.gyr, walking.imu.mag, twin.ranges)
    s = read_session(path)
    n = len(s.imu)
    assert n == rec.samples_ >= 500 and rec.gaps_ == 0
    np.testing.assert_array_equal(s.imu.t_us, np.arange(n) * 10000)
    acc, gyr, mag = from_counts(raw[:n], twin.ranges)
    np.testing.assert_array_equal(s.imu.acc, acc)
    np.testing.assert_array_equal(s.imu.mag, mag)
    assert len(s.series["device_hs_classical"]) >= 3 and len(s.series["device_hs_nn"]) >= 3
    assert len(s.series["device_cadence"]) >= 1 and not any(k.startswith("device_vo2") for k in s.series)
    assert s.meta.model_hashes == {x.name: x.sha256.hex() for x in info.models} != {}

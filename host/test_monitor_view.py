"""The monitor's view: the heel-strike time axis, the plain line and the rich panel show what the
snapshot holds."""

from __future__ import annotations

import dataclasses

from rich.console import Console

from gaitnode.host.live_state import (DeviceTelemetry, HostCounters, LiveState, ModelTelemetry, Readout,
                                      Vo2Readout)
from gaitnode.host.monitor_view import heel_strike_strips, phase_strip, render, text_line, tick_strip


def snapshot(**changes):
    return dataclasses.replace(LiveState(100).snapshot(), **changes)


def telemetry(models=()):
    return DeviceTelemetry(loop_load_pct=3.5, ring_high_water=4, ring_capacity=256, dropped_samples=7,
                           samples_processed=900, processed_per_s=100.0, rx_frames=12, rx_crc=1, rx_cobs=2,
                           rx_other=3, tx_dropped_frames=0, infer_errors=0, models=models)


def as_text(renderable, width: int = 140) -> str:
    console = Console(record=True, width=width, color_system=None)
    console.print(renderable)
    return console.export_text()


def test_tick_strip_puts_each_time_in_its_column():
    # 60 columns over (10, 20] s: column k covers 10 + k/6 .. 10 + (k+1)/6 s
    strip = tick_strip([10.05, 10.2, 15.0, 19.99, 20.0, 25.0, 9.0], 20.0, 10.0, 60)
    assert len(strip) == 60
    assert [i for i, c in enumerate(strip) if c == "|"] == [0, 1, 30, 59]
    assert set(strip.replace("|", "")) == {"."}


def test_tick_strip_before_any_sample_is_empty_and_width_follows():
    assert tick_strip([1.0], None, 10.0, 30) == "." * 30
    assert tick_strip([], 5.0, 10.0, 20, fill=" ") == " " * 20


def test_heel_strike_strips_have_one_labelled_row_per_source_and_an_axis():
    snap = snapshot(stream_s=12.0, heel_strikes={"nn": (3.0, 4.1, 5.2), "classical": (4.05,)})
    n_row, c_row, axis = heel_strike_strips(snap, width=60)
    assert n_row.startswith("N ") and c_row.startswith("C ")
    assert n_row[2:].count("|") == 3 and c_row[2:].count("|") == 1
    assert n_row.index("|") == 2 + int((3.0 - 2.0) / 10.0 * 60)  # 3.0 s is 1 s into (2, 12]
    assert axis.strip().startswith("-10 s") and axis.endswith("now") and len(axis) == 62


def test_text_line_shows_every_readout():
    snap = snapshot(
        connection="connected", mode="live", stream_s=12.34, samples_total=1234, samples_per_s=99.6, sample_gaps=2,
        heel_strikes={"nn": (3.0, 4.1), "classical": (4.0,)},
        cadence=Readout(108.25, "device: heel-strike intervals", 12.0), stride_time=Readout(1.108, "x", 12.0),
        vo2_note="no VO2 estimator on this node",
        telemetry=telemetry((ModelTelemetry("heel_strike", 900, 1000, 1500, 3, 14160, 15584),)),
        host=HostCounters(bad_frames=1, lost_frames=2), note="twin playing a synthetic session (simulator)")
    line = text_line(snap)
    for part in ("[connected] live t 12.3 s", "samples 1234 (100/s, 2 gaps)", "nn 2, classical 1",
                 "cadence 108.2 steps/min, stride 1.11 s (device: heel-strike intervals)",
                 "VO2: no VO2 estimator on this node", "heel_strike infer 900/1000/1500 us", "arena 14160 B",
                 "dropped 7", "ring 4/256", "crc 1 cobs 2 other 3", "host bad frames 1, lost frames 2", "synthetic"):
        assert part in line, part
    assert "\n" not in line


def test_text_line_names_connection_problems_and_waiting_readouts():
    line = text_line(snapshot(connection="reconnecting", connection_detail="attempt 3 failed: gone", reconnects=1,
                              node_restarts=2))
    assert line.startswith("[reconnecting: attempt 3 failed: gone] (reconnected 1x) (node restarted 2x)")
    assert "waiting for heel strikes" in line and "no telemetry yet" in line


def test_replay_streams_say_samples_are_not_echoed():
    line = text_line(snapshot(mode="replay", stream_s=31.2, telemetry=telemetry()))
    assert "replay t 31.2 s | samples not echoed in replay, processing 100/s |" in line


def test_vo2_values_and_trends_are_shown_when_the_node_sends_them():
    v = Vo2Readout(ml_min=1234.4, ml_kg_min=17.63, trend_ml_min_per_min=12.0, trend_ml_kg_min_per_min=None,
                   estimator="ACSM equations")
    line = text_line(snapshot(vo2=(v,)))
    assert "VO2: 1234 ml/min (trend +12 ml/min per min), 17.6 ml/kg/min (trend -) (device: ACSM equations)" in line
    assert "1234 ml/min" in as_text(render(snapshot(vo2=(v,))))
    cnn = Vo2Readout(ml_min=1300.0, ml_kg_min=None, trend_ml_min_per_min=None, trend_ml_kg_min_per_min=None,
                     estimator="CNN-LSTM")
    assert ("VO2: 1300 ml/min (trend -) (device: CNN-LSTM); 1234 ml/min (trend +12 ml/min per min), "
            "17.6 ml/kg/min (trend -) (device: ACSM equations)") in text_line(snapshot(vo2=(cnn, v)))


def test_render_shows_the_panel_sections():
    snap = snapshot(
        connection="lost", connection_detail="reading from /dev/pts/3 failed", port="/dev/pts/3", board="twin",
        firmware="gaitnode-twin-1", mode="live", stream_s=12.0, heel_strikes={"nn": (3.0,), "classical": ()},
        heel_strikes_total={"nn": 14, "classical": 13},
        telemetry=telemetry((ModelTelemetry("heel_strike", 900, 1000, 1500, 3, 14160, 15584),)),
        extra_lines=("gait phase: swing",), log=("WARN: ring half full",))
    text = as_text(render(snap))
    for part in ("gaitnode monitor - /dev/pts/3 (twin, gaitnode-twin-1)", "LOST", "reading from /dev/pts/3 failed",
                 "N ", "total: nn 14, classical 13", "heel_strike", "14160 / 15584 B", "dropped samples 7",
                 "CRC 1, COBS 2, other 3", "gait phase: swing", "WARN: ring half full",
                 "no estimates from the node yet"):
        assert part in text, part
    n_row = next(line for line in text.splitlines() if "N ." in line or "N |" in line)
    assert n_row.count("|") == 1  # one tick (the panel's border is drawn with another character)


def test_render_without_telemetry_or_model():
    text = as_text(render(snapshot()))
    assert "no telemetry yet" in text and "CONNECTING" in text
    text = as_text(render(snapshot(telemetry=telemetry())))
    assert "no model (classical detector only)" in text


def phase_and_activity_state() -> LiveState:
    from gaitnode.protocol import messages as m
    from gaitnode.protocol.framing import Frame
    from gaitnode.protocol.link import Received

    st = LiveState(100, history_s=10.0)
    one = [0] * 10 + [1] * 50 + [2] * 10 + [3] * 30
    codes = one * 12
    for k in range(0, len(codes), 10):
        st.update(Received(Frame(0, 1, 0, b""), m.Phase(k, tuple(codes[k:k + 10]), (204,) * 10), 0.0))
    st.update(Received(Frame(0, 1, 0, b""), m.Activity(1199, m.ActivityCode.WALKING, range(6),
                                                       (230, 12, 8, 0, 5, 0)), 0.0))
    return st


def test_phase_strip_letters_follow_the_phases():
    snap = phase_and_activity_state().snapshot()
    strip = phase_strip(snap, width=100)  # 0.1 s per column over the last 10 s
    assert len(strip) == 100 and set(strip) == {"H", "T", "O", "W"}
    assert strip[:10] == "HTTTTTOWWW"  # one stride
    assert phase_strip(snapshot()) == ""


def test_phase_and_activity_in_the_line_and_the_panel():
    snap = phase_and_activity_state().snapshot()
    line = text_line(snap)
    assert "phase: SW (80 %); last 5 s: HS 10 % ST 50 % HO 10 % SW 30 %" in line
    assert "activity: walking (90 %) at 12.0 s; walking 90 %, upstairs 5 %, downstairs 3 %" in line
    text = as_text(render(snap))
    for part in ("gait phase", "P HTTTWW", "SW (80 %)", "H heel strike, T full stance", "activity",
                 "walking (90 %)"):
        assert part in text, part
    assert "phase:" not in text_line(snapshot()) and "activity:" not in text_line(snapshot())
    assert "gait phase" not in as_text(render(snapshot()))


def test_every_model_of_a_four_model_node_has_its_telemetry():
    models = tuple(ModelTelemetry(name, 100 * i + 1, 100 * i + 2, 100 * i + 3, i, 1000 * i, 2000 * i)
                   for i, name in enumerate(("heel_strike", "vo2", "phase", "activity"), 1))
    snap = snapshot(telemetry=telemetry(models))
    line = text_line(snap)
    for name, i in (("heel_strike", 1), ("vo2", 2), ("phase", 3), ("activity", 4)):
        assert f"{name} infer {100 * i + 1}/{100 * i + 2}/{100 * i + 3} us" in line
    text = as_text(render(snap))
    for name in ("heel_strike", "vo2", "phase", "activity"):
        row = next(r for r in text.splitlines() if f" {name} " in r)
        assert "/" in row

"""TELEMETRY after a replay is sane: models within the board's budgets, inference times reported,
nothing dropped, ring capacity as announced."""

from __future__ import annotations

from gaitnode.protocol import messages as m


def test_telemetry_after_a_replay_is_within_the_board_budgets(dut, walk_session):
    session, path = walk_session
    dut.configure(telemetry_period_ms=50)  # TELEMETRY frames while the replay runs, too
    before = dut.telemetry()  # counters count since boot, and a board's boot was before this test
    out = dut.replay(session, path)
    # every TELEMETRY from here on, none dropped: one of them covers the replay's last inferences
    frames = [r.msg for r in out.result.of_type(m.Telemetry)]
    frames += [r.msg for r in dut.drain() if isinstance(r.msg, m.Telemetry)]
    last = dut.link.wait_for(lambda x: isinstance(x, m.Telemetry), 2.5).msg
    frames.append(last)
    budgets, info = dut.budgets, dut.info

    assert sorted(x.name for x in info.models) == sorted(dut.expect_models)
    for model in info.models:
        assert 0 < model.arena_bytes <= budgets.arena_bytes, model
        assert 0 < model.model_bytes <= budgets.flash_bytes, model
    assert len(last.models) == len(info.models)
    for i, tm in enumerate(last.models):
        assert 0 < tm.arena_used <= budgets.arena_bytes, (info.models[i].name, tm)
        assert tm.arena_used <= info.models[i].arena_bytes, (info.models[i].name, tm)
        assert tm.last_us > 0, f"no inference time reported for {info.models[i].name}"
        # per-period statistics (inferences since the previous TELEMETRY: count, mean, max)
        periods = [f.models[i] for f in frames if f.models[i].count > 0]
        assert periods, f"no TELEMETRY reported an inference of {info.models[i].name}"
        assert all(0 < p.mean_us <= p.max_us for p in periods), periods
    grew = {k: getattr(last, k) - getattr(before, k) for k in (
        "dropped_samples", "infer_errors", "tx_dropped_frames", "rx_rejected", "rx_crc", "rx_cobs", "rx_short",
        "rx_oversized", "rx_unknown_type", "rx_bad_length", "rx_bad_version")}
    assert grew == dict.fromkeys(grew, 0), grew
    assert last.rx_frames > before.rx_frames
    assert last.ring_capacity == info.ring_capacity
    assert max(f.ring_high_water for f in frames) <= info.ring_capacity
    assert last.mode == m.Mode.IDLE

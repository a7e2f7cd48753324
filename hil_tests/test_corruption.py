"""Corruption on the host -> node line (hil_tests/tamper.py): flipped bytes, truncated frames, garbage
between frames. The replay must resynchronise and end with exactly the heel strikes of a clean replay,
and the node must count every damaged chunk: one decoder error each, of the kind the host's decoder
(a mirror of the C decoder) predicts, because no damage adds or removes a 0x00 delimiter."""

from __future__ import annotations

from hil_tests.tamper import Corrupter

ERROR_COUNTERS = {"crc": "rx_crc", "cobs": "rx_cobs", "short": "rx_short", "oversized": "rx_oversized"}


def heel_strikes(result) -> list[tuple]:
    return sorted((int(h.source), h.sample_index, h.frac) for h in result.heel_strikes())


def test_damaged_frames_are_counted_resent_and_change_no_output(dut, walk_session):
    session, path = walk_session
    clean = dut.replay(session, path).result
    dut.configure(telemetry_period_ms=200)
    before = dut.telemetry()
    corrupter = Corrupter(flip=0.05, truncate=0.03, garbage=0.03, garbage_chunk=0.02, seed=5)
    dut.link.tamper = corrupter
    try:
        damaged = dut.replay(session, path).result
    finally:
        dut.link.tamper = None
    after = dut.telemetry()

    assert corrupter.damaged >= 10 and corrupter.garbage_chunks >= 1, corrupter.by_action
    assert set(corrupter.by_action) == {"flip", "truncate", "garbage"}
    # the stream resynchronised: every sample reached the node once and in order, so the same events
    assert damaged.resyncs > 0 and damaged.nacks == []
    assert heel_strikes(damaged) == heel_strikes(clean)
    assert len(heel_strikes(clean)) > 20
    # every damaged chunk cost the node exactly one decoder error of the predicted kind, and a NACK
    grew = {kind: getattr(after, name) - getattr(before, name) for kind, name in ERROR_COUNTERS.items()}
    assert grew == dict(corrupter.expected), (grew, corrupter.expected)
    assert damaged.rejected_frames == corrupter.bad_chunks
    # and every intact frame was taken: those sent through the tamper function are all we sent
    assert after.rx_frames - before.rx_frames == corrupter.clean_frames
    assert damaged.bad_frames == clean.bad_frames  # the node -> host direction stayed clean

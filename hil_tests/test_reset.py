"""A node reset in the middle of a replay: the host notices (the node announces itself with INFO),
says how far the replay got, and the node works again afterwards."""

from __future__ import annotations

import re
import threading

import pytest

from gaitnode.protocol import messages as m
from gaitnode.protocol.replay import NodeReset
from hil_tests.thresholds import load_thresholds


@pytest.mark.needs_reset
def test_reset_mid_replay_is_reported_and_the_node_recovers(dut, walk_session):
    session, path = walk_session
    started = threading.Event()

    def reset_once_events_flow() -> None:
        if started.wait(10.0):
            dut.reset()

    resetter = threading.Thread(target=reset_once_events_flow, daemon=True)
    resetter.start()
    # 20x real time: the 40 s session takes 2 s, and the reset comes at the first heel strike (~7 s in)
    with pytest.raises(NodeReset) as e:
        dut.replay(session, path, speed=20.0, on_output=lambda r: isinstance(r.msg, m.HeelStrike) and started.set())
    resetter.join(10.0)
    assert started.is_set() and not resetter.is_alive()
    text = str(e.value)
    assert "reset" in text
    got = re.search(r"after (\d+) of (\d+) samples", text)
    assert got, text
    sent, total = map(int, got.groups())
    assert 0 < sent < total == len(session.imu)
    partial = e.value.partial_outcome.summary  # what came before the reset is kept, marked incomplete
    assert not partial.complete and "failed after" in partial.note, partial.note

    info = dut.link.hello()  # the node answers again, idle, as after power-on
    assert info.mode == m.Mode.IDLE
    dut.drain()  # answers to frames that reached the rebooted node (WRONG_MODE, a cut frame)
    gaps = dut.counters()["device_seq_gaps"]
    out = dut.replay(session, path)
    assert out.summary.complete and out.result.nacks == [] and out.summary.rejected_frames == 0
    assert dut.counters()["device_seq_gaps"] == gaps
    least = load_thresholds(path.with_suffix(".json")).f1_min["classical"]
    assert out.summary.detectors["classical"].f1 >= least, "\n".join(out.summary.lines())

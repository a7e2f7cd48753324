"""Replay pace does not change what the node finds: a slice replayed at 1x real time and at maximum
speed gives the same events (replay runs on the sample clock; only the sending is paced)."""

from __future__ import annotations

import numpy as np

from gaitnode.protocol import messages as m

SLICE_S = (10.0, 15.0)  # five seconds of the free walk's walking part


def test_real_time_and_maximum_speed_give_the_same_events(dut, walk_session):
    from gaitnode.sessions.slicing import time_slice

    part = time_slice(walk_session[0], *SLICE_S)
    fast = dut.replay(part).result
    slow = dut.replay(part, speed=1.0).result
    # the 1x replay really was paced: a batch leaves only when its first sample is due, so the last one
    # left at least (n - 2 batches) / rate after the first (a lower bound set by the sender: cannot flake)
    sent = slow.send_host_s
    assert sent[-1] - sent[0] >= (len(sent) - 2 * m.MAX_BATCH) / dut.rate_hz
    for source in (m.Source.NN, m.Source.CLASSICAL):
        a = [h.sample_index for h in fast.heel_strikes(source)]
        b = [h.sample_index for h in slow.heel_strikes(source)]
        if source == m.Source.CLASSICAL or dut.has_heel_strike_model:
            assert len(a) >= 3, f"too few {source.name} events in the slice to compare"
        assert len(a) == len(b), (source.name, a, b)
        assert np.all(np.abs(np.subtract(a, b)) <= 1), (source.name, a, b)
    assert fast.nacks == slow.nacks == []

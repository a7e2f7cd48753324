"""StopSignals: the first signal is a request, the second interrupts, handlers come back."""

from __future__ import annotations

import signal

import pytest

from gaitnode.host.stop_signals import StopSignals


def test_first_signal_requests_a_stop_second_interrupts_and_handlers_are_restored():
    before = {s: signal.getsignal(s) for s in StopSignals.SIGNALS}
    with StopSignals() as stop:
        assert not stop.requested
        signal.raise_signal(signal.SIGTERM)
        assert stop.name == "SIGTERM" and stop.requested
        with pytest.raises(KeyboardInterrupt):
            signal.raise_signal(signal.SIGINT)
    assert {s: signal.getsignal(s) for s in StopSignals.SIGNALS} == before

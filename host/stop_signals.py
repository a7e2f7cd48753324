"""Ctrl-C and SIGTERM as a request to stop, for commands that must end cleanly (record closes its
file with END, replay drains the node and keeps its partial result) instead of being interrupted
mid-write.

    with StopSignals() as stop:
        while stop.name is None:
            ...                      # stop.name: "SIGINT" or "SIGTERM" once one arrived

A second signal raises KeyboardInterrupt, so a stuck command can still be interrupted. Outside the
main thread handlers cannot be set and the signals keep their usual effect.
"""

from __future__ import annotations

import signal
import threading


class StopSignals:
    """Context manager: SIGINT and SIGTERM set `.name` (the first one's name); handlers restored on exit."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self):
        self.name: str | None = None
        self._old: dict = {}

    @property
    def requested(self) -> bool:
        return self.name is not None

    def _handle(self, signum, frame) -> None:
        if self.name is not None:
            raise KeyboardInterrupt
        self.name = signal.Signals(signum).name

    def __enter__(self) -> "StopSignals":
        if threading.current_thread() is threading.main_thread():
            for sig in self.SIGNALS:
                self._old[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc) -> None:
        for sig, old in self._old.items():
            signal.signal(sig, old)
        self._old.clear()

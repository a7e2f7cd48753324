"""The twin's IMU in live mode: a thread that plays a session's samples at the board's rate in real
time and hands each one to the node's ISR entry point (gn_node_imu_isr), as the board's timer
interrupt does. It runs concurrently with the node's loop, so the lock-free ring is exercised
across two threads exactly as across an interrupt."""

from __future__ import annotations

import ctypes
import threading
import time

import numpy as np


class LiveImu:
    """Plays `raw` (int16 [n, 9] counts) in a loop at `rate_hz`, calling `isr(sample_ptr)` per sample."""

    def __init__(self, raw: np.ndarray, isr):
        self.raw = np.ascontiguousarray(raw, dtype=np.int16)
        self._isr = isr
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self.pushed = 0
        self.late_samples = 0  # samples pushed more than one period late (the host was busy)

    def start(self, rate_hz: int) -> None:
        self.stop()
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, args=(float(rate_hz),), name="twin-imu", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._stop.set()
            self._thread.join()
            self._thread = None

    def _run(self, rate_hz: float) -> None:
        period = 1.0 / rate_hz
        rows = [r.ctypes.data_as(ctypes.POINTER(ctypes.c_int16)) for r in self.raw]
        t0 = time.monotonic()
        k = 0
        while not self._stop.is_set():
            due = t0 + k * period
            now = time.monotonic()
            if due > now:
                time.sleep(due - now)
            elif now - due > period:
                self.late_samples += 1
            self._isr(rows[k % len(rows)])
            self.pushed += 1
            k += 1

"""The twin: the firmware's C core (gn_node and all its stages) compiled for the host, behind a
pseudo-terminal that host tools open like a board's serial port.

    with TwinNode(model_dir="models/hs_shank", vo2_model_dir="models/vo2_shank") as twin:
        print(twin.port)          # e.g. /dev/pts/5: open it with pyserial
        ...

Python here is only the platform: it moves bytes between the pty and gn_node_rx, calls
gn_node_poll, runs TFLM when the core asks for an inference (TflmInference: the heel-strike model and
the optional VO2 model, each in its own interpreter), and plays the IMU in
live mode (LiveImu). Everything the node decides is decided in C.
"""

from __future__ import annotations

import ctypes
import os
import select
import threading
import tty

import numpy as np

from gaitnode.errors import GaitnodeError
from gaitnode.protocol.samples import Ranges, to_counts
from gaitnode.twin import abi
from gaitnode.twin.library import load_twin_library
from gaitnode.twin.live_imu import LiveImu
from gaitnode.twin.model import TwinClassModel, TflmInference, TwinModel, TwinVo2Model

FIRMWARE_VERSION = b"gaitnode-twin-1"
POLL_INTERVAL_S = 0.002  # the loop also polls this often without input (live mode, telemetry)
INIT_ERRORS = {1: "board description", 2: "model input (channels, normalisation, input quantisation)",
               3: "model output (window, hop, delay, output quantisation, picker)", 4: "model window",
               5: "VO2 model input (channels, normalisation, input quantisation)",
               6: "VO2 model window, hop, output quantisation or smoothing",
               7: "VO2 model: the board has no model slot left for it (boards.yaml models)"}
# gn_node_add_classifier's codes (10 + gn_classify_check's)
ADD_ERRORS = {8: "slot (not a classifier slot, or taken)", 9: "model: the board has no model slot left for it",
              11: "model input (channels, normalisation, input quantisation)", 12: "model window, hop or channels",
              13: "model rows (decimation) or its output is larger than a PHASE frame or the output buffer",
              14: "model classes (count or protocol codes)", 15: "model output quantisation"}


class TwinNode:
    """One twin node on a fresh pty.

    model_dir: a quantized heel-strike model dir (None: the classical detector only).
    vo2_model_dir: a quantized VO2 model dir (None: no VO2 model; the ACSM estimate needs none).
    phase_model_dir / activity_model_dir: quantized gait-phase / activity model dirs (None: none).
    board: the boards.yaml entry whose facts (rate, ranges, buffer sizes) the twin is built with.
    live_session: the session whose IMU samples live mode plays in a loop (None: live mode has no IMU).
    """

    def __init__(self, model_dir=None, *, vo2_model_dir=None, phase_model_dir=None, activity_model_dir=None,
                 board: str = "twin", live_session=None):
        from gaitnode.boards.config import get_board

        self.board = get_board(board)
        self.model = TwinModel.from_dir(model_dir) if model_dir is not None else None
        self.vo2_model = TwinVo2Model.from_dir(vo2_model_dir, self.board) if vo2_model_dir is not None else None
        self.classifiers = tuple(TwinClassModel.from_dir(d, name, self.board)
                                 for name, d in (("phase", phase_model_dir), ("activity", activity_model_dir))
                                 if d is not None)
        self._lib = load_twin_library(board)
        has_model = self.model is not None or self.vo2_model is not None or bool(self.classifiers)
        self.inference = TflmInference(self.model, self.vo2_model, self.classifiers) if has_model else None
        r = self.board.ranges
        self.ranges = Ranges(r.acc_g, r.gyr_dps, r.mag_ut)
        self.live = None
        if live_session is not None and float(live_session.meta.rate_hz) != float(self.board.sample_rate_hz):
            raise GaitnodeError(f"the live session is sampled at {live_session.meta.rate_hz:g} Hz but board "
                                f"{self.board.name} samples at {self.board.sample_rate_hz} Hz: use a session at the "
                                "board's rate")
        if live_session is not None:
            raw, _ = to_counts(live_session.imu.acc, live_session.imu.gyr, live_session.imu.mag, self.ranges)
            self.live = LiveImu(raw, self._isr)
        self._imu_cb = abi.IMU_FN(self._imu)
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)  # no echo, no line editing: a byte pipe like a UART
        os.set_blocking(self._master, False)
        self.port = os.ttyname(self._slave)
        self._node = ctypes.create_string_buffer(self._lib.gn_node_size())  # malloc: 16-byte aligned
        self._twin = abi.Twin()
        self._board_struct = abi.NodeBoard(FIRMWARE_VERSION, self.board.name.encode(), self.board.sample_rate_hz,
                                           r.acc_g, r.gyr_dps, r.mag_ut)
        infer = self.inference.callback if self.inference is not None else abi.INFER_FN()
        hs = ctypes.byref(self.model.hs) if self.model is not None else None
        vo2 = ctypes.byref(self.vo2_model.vo2) if self.vo2_model is not None else None
        self._infer_cb, self._hs, self._vo2 = infer, hs, vo2
        try:
            self._init_core()
        except GaitnodeError:
            self._close_fds()
            raise
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.loop_error: str | None = None
        self.resets = 0

    def _init_core(self) -> None:
        """Power-on state of the node: gn_twin_init (which runs gn_node_init) on the same pty."""
        rc = self._lib.gn_twin_init(ctypes.byref(self._twin), self._node, self._master, self._infer_cb, self._imu_cb,
                                    ctypes.byref(self._board_struct), self._hs, self._vo2)
        if rc != 0:
            raise GaitnodeError(f"the twin's core refused the {INIT_ERRORS.get(rc, f'setup (code {rc})')}")
        for c in self.classifiers:
            rc = self._lib.gn_node_add_classifier(self._node, c.slot, ctypes.byref(c.cls))
            if rc != 0:
                raise GaitnodeError(f"the twin's core refused the {c.name} "
                                    f"{ADD_ERRORS.get(rc, f'model (code {rc})')}")
        if self.inference is not None:
            for index, used in self.inference.arena_used_by_model.items():
                self._twin.arena_used[index] = used

    # -- platform callbacks (called from C) --
    def _isr(self, sample_ptr) -> None:
        self._lib.gn_node_imu_isr(self._node, sample_ptr)

    def _imu(self, start: int, rate_hz: int) -> None:
        if self.live is None:
            return
        if start:
            self.live.start(rate_hz)
        else:
            self.live.stop()

    # -- lifecycle --
    def start(self) -> "TwinNode":
        """Boot: the node announces itself (INFO), then the loop serves the pty until stop()."""
        self._lib.gn_node_start(self._node)
        self._thread = threading.Thread(target=self._loop, name="twin-loop", daemon=True)
        self._thread.start()
        return self

    def _loop(self) -> None:
        buf = (ctypes.c_uint8 * 65536)()
        try:
            while not self._stop.is_set():
                ready, _, _ = select.select([self._master], [], [], POLL_INTERVAL_S)
                if ready:
                    try:
                        data = os.read(self._master, len(buf))
                    except BlockingIOError:
                        data = b""
                    if data:
                        ctypes.memmove(buf, data, len(data))
                        self._lib.gn_node_rx(self._node, buf, len(data))
                self._lib.gn_node_poll(self._node)
        except Exception as e:  # noqa: BLE001 - reported by stop() and the CLI
            self.loop_error = f"{type(e).__name__}: {e}"

    def reset(self) -> None:
        """Reboot the node as a board's reset button does: the loop stops, the core starts again from
        power-on state (mode idle, counters zero, nothing buffered) and announces itself with INFO.
        The pty stays, as a board's USB serial port does across a reset of its MCU."""
        self._halt_loop()
        self._init_core()
        self.resets += 1
        self.start()

    def _halt_loop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self.live is not None:
            self.live.stop()
        self._stop.clear()

    def stop(self) -> None:
        self._halt_loop()
        self._stop.set()
        self._close_fds()

    def _close_fds(self) -> None:
        for fd in (self._master, self._slave):
            try:
                os.close(fd)
            except OSError:
                pass
        self._master = self._slave = -1

    def __enter__(self) -> "TwinNode":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def write_failures(self) -> int:
        """Frames the pty did not take in time (the reader stalled)."""
        return int(self._twin.write_failures)

    @property
    def inference_error(self) -> str | None:
        return self.inference.error if self.inference is not None else None


def session_counts(session, ranges: Ranges) -> np.ndarray:
    """The session's IMU as int16 counts at the twin's ranges (what replay sends)."""
    raw, _ = to_counts(session.imu.acc, session.imu.gyr, session.imu.mag, ranges)
    return raw

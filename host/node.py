"""A connected node, whichever kind: a board on a serial port, or a freshly started twin.

Every host command that talks to a node (monitor, record, replay, verify) and the HIL suite's
transport go through `open_node`, so `--port P` and `--twin` behave the same everywhere:

    with open_node(port="/dev/ttyACM0") as node:       # or open_node(twin=True, model_dir=..., vo2_model_dir=...)
        print(node.info.board, node.info.firmware)     # the node's HELLO answer (INFO)
        replay_counts(node.link, raw, ...)

Opening checks that a gaitnode node is there (HELLO answered by INFO, same protocol version) and
turns every failure into one GaitnodeError naming the port: missing, busy, no permission, not a
gaitnode node, another protocol version.
"""

from __future__ import annotations

import time

from gaitnode.errors import GaitnodeError
from gaitnode.protocol import messages as m
from gaitnode.protocol.link import Link, PortError
from gaitnode.protocol.samples import Ranges

HELLO_TIMEOUT_S = 2.0


class Node:
    """One node and the link to it.

    kind: "port" (a board) or "twin". port: the serial device (the twin's pty for a twin).
    link: the framed Link. info: the node's INFO at connect time. twin: the TwinNode (twin only).
    """

    def __init__(self, kind: str, port: str, link: Link, info: m.Info, twin=None, board=None, baud: int = 115200):
        self.kind = kind
        self.baud = baud
        self.port = port
        self.link = link
        self.info = info
        self.twin = twin
        self.board = board  # boards.yaml entry when known (the twin's; a board's when named)

    @property
    def ranges(self) -> Ranges:
        """Full-scale ranges the node reports, which raw counts in SAMPLES frames are relative to."""
        i = self.info
        return Ranges(i.acc_range_g, i.gyr_range_dps, i.mag_range_ut)

    @property
    def rate_hz(self) -> float:
        return float(self.info.sample_rate_hz)

    @property
    def can_reset(self) -> bool:
        """Whether reset() can reboot this node (the twin always; boards through DTR/RTS)."""
        return self.kind == "twin" or self._reset_line() is not None

    def _reset_line(self) -> str | None:
        """pyserial attribute of the board's reset line ("rts" or "dtr", boards.yaml transport.reset)."""
        return getattr(self.board.transport, "reset", None) if self.board is not None else None

    def reset(self) -> None:
        """Reboot the node. The twin restarts its core; a board is reset through the USB-serial
        adapter's control lines (ESP32 dev kits: RTS drives EN). The node then sends INFO."""
        if self.kind == "twin":
            self.twin.reset()
            return
        line = self._reset_line()
        if line is None:
            raise GaitnodeError(f"the node on {self.port} cannot be reset from the host (no reset line in boards.yaml)")
        ser = self.link._ser
        other = "dtr" if line == "rts" else "rts"
        # With both lines asserted the ESP32 auto-reset circuit leaves EN high: release the other
        # line first, then pulse the reset line (esptool's hard reset does the same).
        setattr(ser, other, False)
        setattr(ser, line, True)
        time.sleep(0.1)
        setattr(ser, line, False)

    def reconnect(self, timeout: float = HELLO_TIMEOUT_S) -> m.Info:
        """Open the port again (after an unplug or a reset) and repeat HELLO; returns the new INFO."""
        self.link.close()
        self.link = Link(self.port, self.baud)
        self.info = self.link.hello(timeout)
        return self.info

    def close(self) -> None:
        self.link.close()
        if self.twin is not None:
            self.twin.stop()

    def __enter__(self) -> "Node":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def open_node(port: str | None = None, *, twin: bool = False, model_dir=None, vo2_model_dir=None,
              phase_model_dir=None, activity_model_dir=None, board: str | None = None, live_session=None, baud: int | None = None,
              hello_timeout: float = HELLO_TIMEOUT_S, tamper=None) -> Node:
    """Connect to the node on `port`, or start a fresh twin (`twin=True`, with `model_dir` (heel
    strike), `vo2_model_dir`, `phase_model_dir`, `activity_model_dir`, `board` (default "twin") and
    `live_session`), and check it answers HELLO.

    board: for a port, the boards.yaml entry of the board on it (optional: baud and reset line).
    tamper: passed to Link (corruption injection in the HIL suite).
    """
    if twin and port is not None:
        raise GaitnodeError("give either a serial port (--port) or --twin, not both")
    if not twin and port is None:
        raise GaitnodeError("no node given: pass --port PORT (a board; `gaitnode ports` lists them) or --twin")
    board_entry = None
    if board is not None:
        from gaitnode.boards.config import get_board

        board_entry = get_board(board)
    if twin:
        from gaitnode.twin.twin import TwinNode

        t = TwinNode(model_dir, vo2_model_dir=vo2_model_dir, phase_model_dir=phase_model_dir,
                     activity_model_dir=activity_model_dir, board=board or "twin", live_session=live_session).start()
        try:
            link = Link(t.port, tamper=tamper)
            info = link.hello(hello_timeout)
        except BaseException:
            t.stop()
            raise
        return Node("twin", t.port, link, info, twin=t, board=t.board)
    if any(d is not None for d in (model_dir, vo2_model_dir, phase_model_dir, activity_model_dir, live_session)):
        raise GaitnodeError("--model-dir, --vo2-model-dir, --phase-model-dir, --activity-model-dir and a live session "
                            "apply to --twin only: a board runs the models it was flashed with")
    if baud is None:
        baud = board_entry.transport.baud if board_entry is not None and board_entry.transport.baud else 115200
    link = Link(port, baud, tamper=tamper)
    try:
        info = link.hello(hello_timeout)
    except BaseException:
        link.close()
        raise
    return Node("port", port, link, info, board=board_entry, baud=baud)


__all__ = ["Node", "open_node", "PortError", "HELLO_TIMEOUT_S"]

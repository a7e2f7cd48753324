"""The device under test (DUT) of the HIL suite: one transport over a board on a serial port or a
freshly started twin, so every test runs unchanged on both (the idea of pytest-embedded's `Dut`).

    with Dut.open(port=None, model_dir=model_dir) as dut:   # no port: a fresh twin (else a board)
        dut.request(m.ModeMsg(m.Mode.REPLAY))
        dut.telemetry().rx_crc

A Dut wraps `gaitnode.host.node.Node` (open_node does the connecting and its clear errors) and adds
what the tests need: the board's boards.yaml facts (budgets, expected models), a TELEMETRY that is
newer than everything the node has answered, raw frames for conformance tests, and counter
snapshots for link checks. `DutProvider` hands one Dut to each test: a fresh twin every time (it
starts in milliseconds), or the one open connection to a board, brought back to idle between tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gaitnode.errors import GaitnodeError
from gaitnode.protocol import messages as m
from gaitnode.protocol.framing import PROTOCOL_VERSION, Frame, encode_frame

TELEMETRY_WAIT_S = 2.5  # TELEMETRY comes every second by default; more than two periods means trouble
ANSWER_WAIT_S = 2.0
QUIET_S = 0.05  # a drain ends after this long without a frame
DEFAULT_TELEMETRY_MS = 1000  # the core's power-on periods (gn_node.c), restored between tests on a board
DEFAULT_ESTIMATE_MS = 5000


def worker_port(ports: str | None, worker: str | None, workers: int | None) -> str | None:
    """This pytest worker's port from `--port` (one port, or a comma list with one port per xdist worker).

    worker: the xdist worker id ("gw0", "gw1", ...; None without xdist). workers: the number of workers.
    Worker gwN takes the N-th port. GaitnodeError when the ports and workers do not pair up.
    """
    if ports is None:
        return None
    names = [p.strip() for p in ports.split(",")]
    if not all(names):
        raise GaitnodeError(f"--port {ports!r}: an empty port name in the list")
    if len(set(names)) != len(names):
        raise GaitnodeError(f"--port {ports!r}: a port is given twice (ports are opened exclusively, one per worker)")
    if worker is None:
        if len(names) > 1:
            raise GaitnodeError(f"--port lists {len(names)} ports: run one pytest-xdist worker per port "
                                f"(-n {len(names)}), or give one port")
        return names[0]
    if workers is not None and workers > len(names):
        raise GaitnodeError(f"{workers} pytest-xdist workers but --port lists {len(names)} port(s): give one "
                            f"port per worker (-n {len(names)}; with a single board use -n 0)")
    index = int(worker.removeprefix("gw"))
    if index >= len(names):
        raise GaitnodeError(f"pytest-xdist worker {worker} has no port: --port lists {len(names)}")
    return names[index]


def lists_vo2(info: m.Info) -> bool:
    """Whether a node's INFO lists a VO2 estimator among its models (by name: "vo2" in it)."""
    return any("vo2" in x.name.lower() for x in info.models)


def lists_phase(info: m.Info) -> bool:
    """Whether a node's INFO lists a gait-phase model (by name: "phase" in it)."""
    return any("phase" in x.name.lower() for x in info.models)


def lists_activity(info: m.Info) -> bool:
    """Whether a node's INFO lists an activity model (by name: "activity" in it)."""
    return any("activity" in x.name.lower() for x in info.models)


def _other_model(name: str) -> bool:
    """A model that is not the VO2, gait-phase or activity one: the heel-strike network."""
    return not any(k in name.lower() for k in ("vo2", "phase", "activity"))


def _board_entry(name: str | None):
    """The boards.yaml entry of that name, None when there is none (a board flashed under another name)."""
    from gaitnode.boards.config import load_boards

    return load_boards().get(name) if name else None


@dataclass(frozen=True)
class DutTarget:
    """What the suite runs against: port None means a fresh twin running model_dir.

    board: the boards.yaml entry name (a board: its budgets and reset line; the twin: the board facts it
    is built with, default "twin"). model_dir, vo2_model_dir, phase_model_dir, activity_model_dir: the
    twin's heel-strike, VO2, gait-phase and activity models (twin only; None: the twin runs without
    that model).
    """

    port: str | None = None
    board: str | None = None
    model_dir: Path | None = None
    vo2_model_dir: Path | None = None
    phase_model_dir: Path | None = None
    activity_model_dir: Path | None = None

    def model_dirs(self) -> dict[str, Path | None]:
        """open_node's model keyword arguments."""
        return {"model_dir": self.model_dir, "vo2_model_dir": self.vo2_model_dir,
                "phase_model_dir": self.phase_model_dir, "activity_model_dir": self.activity_model_dir}

    @property
    def kind(self) -> str:
        return "twin" if self.port is None else "port"

    def can_reset(self, info_board: str | None = None) -> bool:
        """Whether the node can be reset from the host: the twin always; a board when the boards.yaml entry
        (--board, else the name its INFO gives: info_board) has a reset line."""
        if self.port is None:
            return True
        entry = _board_entry(self.board or info_board)
        return entry is not None and getattr(entry.transport, "reset", None) is not None

    def describe(self) -> str:
        if self.port is None:
            return (f"a fresh twin (board {self.board or 'twin'}, model {self.model_dir or 'none'}, "
                    f"VO2 model {self.vo2_model_dir or 'none'}, phase model {self.phase_model_dir or 'none'}, "
                    f"activity model {self.activity_model_dir or 'none'})")
        return f"the board on {self.port} ({self.board or 'board named by its INFO'})"

    def open(self, live_session=None) -> "Dut":
        """Connect (a board) or start a twin (which plays live_session's IMU in live mode)."""
        from gaitnode.host.node import open_node

        if self.port is None:
            node = open_node(twin=True, **self.model_dirs(), board=self.board, live_session=live_session)
        else:
            if any(d is not None for d in self.model_dirs().values()):
                raise GaitnodeError("--model-dir, --vo2-model-dir, --phase-model-dir and --activity-model-dir apply "
                                    "to the twin only: a board runs the models it was flashed with")
            node = open_node(self.port, board=self.board)
        try:
            if node.board is None:  # no --board: the board names itself in INFO
                node.board = _board_entry(node.info.board)
            dut = Dut(node)
            dut.idle()
        except BaseException:
            node.close()
            raise
        return dut


class Dut:
    """One connected node. Tests use: link, info, kind, port, board, budgets, expect_models, can_reset,
    reset(), replay(), request(), telemetry(), drain(), send_raw()/answer_to(), counters()."""

    def __init__(self, node):
        self.node = node

    @classmethod
    def open(cls, port: str | None = None, board: str | None = None, model_dir=None, live_session=None,
             vo2_model_dir=None, phase_model_dir=None, activity_model_dir=None) -> "Dut":
        """A board on port, or (port None) a fresh twin running model_dir (and the VO2, gait-phase and
        activity model dirs given); see DutTarget."""
        def path(d):
            return Path(d) if d is not None else None

        target = DutTarget(port=port, board=board, model_dir=path(model_dir), vo2_model_dir=path(vo2_model_dir),
                           phase_model_dir=path(phase_model_dir), activity_model_dir=path(activity_model_dir))
        return target.open(live_session)

    # -- what the node is --
    @property
    def link(self):
        return self.node.link  # a property: reconnect() replaces the Link

    @property
    def info(self) -> m.Info:
        return self.node.info

    @property
    def kind(self) -> str:
        return self.node.kind

    @property
    def port(self) -> str:
        return self.node.port

    @property
    def board(self):
        """The boards.yaml entry (gaitnode.boards.config.Board) or None."""
        return self.node.board

    def _entry(self):
        if self.node.board is None:
            raise GaitnodeError(f"the node on {self.port} says it is board {self.info.board!r}, which boards.yaml "
                                "does not list: pass --board NAME")
        return self.node.board

    @property
    def budgets(self):
        """The board's budgets from boards.yaml (ram_bytes, flash_bytes, arena_bytes)."""
        return self._entry().budgets

    @property
    def expect_models(self) -> tuple[str, ...]:
        """Model names the board carries according to boards.yaml."""
        return self._entry().models

    @property
    def has_heel_strike_model(self) -> bool:
        """Whether the node runs a heel-strike network (INFO lists a model that is not the VO2,
        gait-phase or activity one)."""
        return any(_other_model(x.name) for x in self.info.models)

    @property
    def has_vo2(self) -> bool:
        return lists_vo2(self.info)

    @property
    def has_phase(self) -> bool:
        return lists_phase(self.info)

    @property
    def has_activity(self) -> bool:
        return lists_activity(self.info)

    @property
    def can_reset(self) -> bool:
        return self.node.can_reset

    @property
    def rate_hz(self) -> float:
        return self.node.rate_hz

    # -- actions --
    def reset(self) -> None:
        self.node.reset()

    def request(self, msg, timeout: float = ANSWER_WAIT_S, keep: list | None = None):
        """Send msg; its ACK, or NodeRejected carrying the NACK."""
        return self.link.request(msg, timeout=timeout, keep=keep)

    def replay(self, session, path=None, *, speed: float | None = None, tolerance_s: float = 0.05, on_output=None):
        """SessionReplay of session (path: its file, for the summary) through this node: the outcome.
        A node that stops answering fails the replay (replay_counts' ACK timeout), never hangs it."""
        from gaitnode.host.replay_run import SessionReplay

        return SessionReplay(speed=speed, tolerance_s=tolerance_s, on_output=on_output).run(self.node, session, path)

    def drain(self, quiet_s: float = QUIET_S) -> list:
        """Everything received so far and until the line is quiet for quiet_s (Received items)."""
        out = list(self.link.read(0.0))
        while True:
            got = self.link.read(quiet_s)
            if not got:
                return out
            out.extend(got)

    def idle(self) -> None:
        """Back to a known state: no tamper, idle mode, power-on periods, nothing pending."""
        self.link.tamper = None
        self.request(m.ModeMsg(m.Mode.IDLE), timeout=5.0)
        self.configure(telemetry_period_ms=DEFAULT_TELEMETRY_MS, estimate_period_ms=DEFAULT_ESTIMATE_MS)
        self.drain()

    def configure(self, *, telemetry_period_ms: int = 0, estimate_period_ms: int = 0) -> m.Ack:
        """CONFIG that keeps the node's placement and side (subject unknown), with these periods (0: keep)."""
        cfg = m.Config(sex=m.Sex.UNKNOWN, placement=self.info.placement, side=self.info.side,
                       telemetry_period_ms=telemetry_period_ms, estimate_period_ms=estimate_period_ms)
        return self.request(cfg)

    def telemetry(self, timeout: float = TELEMETRY_WAIT_S) -> m.Telemetry:
        """A TELEMETRY the node sent after everything it has answered so far.

        The node answers frames in order, so once an answer is here every earlier frame is too: what
        is buffered now is dropped and the next TELEMETRY counts every frame already answered.
        """
        self.link.read(0.0)
        return self.link.wait_for(lambda x: isinstance(x, m.Telemetry), timeout).msg

    def send_raw(self, type_: int, payload: bytes, *, seq: int, version: int = PROTOCOL_VERSION) -> None:
        """One frame built by hand (any version, type and payload), bypassing message validation."""
        self.link.write_raw(encode_frame(Frame(type=type_, seq=seq, t_us=0, payload=bytes(payload),
                                               version=version)))

    def answer_to(self, seq: int, type_: int | None = None, timeout: float = ANSWER_WAIT_S):
        """The ACK or NACK for our frame seq (of type_, when given)."""
        return self.link.wait_for(lambda x: isinstance(x, (m.Ack, m.Nack)) and x.seq == seq
                                  and (type_ is None or x.type == type_), timeout).msg

    def counters(self) -> dict[str, int]:
        """Host-side link counters now (for deltas: a board's connection outlives a test)."""
        ln = self.link
        return {"bad_frames": ln.bad_frames, "device_seq_gaps": ln.device_seq_gaps,
                "undecodable": ln.undecodable, "wrong_version": ln.wrong_version}

    def close(self) -> None:
        self.node.close()

    def __enter__(self) -> "Dut":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class DutProvider:
    """Gives each test its Dut: a fresh twin (closed after the test), or the single connection to the
    board (a port opens exclusively), put back to idle after each test and reopened if it stopped
    answering."""

    def __init__(self, target: DutTarget, live_session=None):
        self.target = target
        self.live_session = live_session
        self._held: Dut | None = None

    def acquire(self) -> Dut:
        if self.target.kind == "twin":
            return self.target.open(self.live_session)
        if self._held is None:
            self._held = self.target.open()
        else:
            try:
                self._held.idle()
            except GaitnodeError:  # e.g. left mid-reset by the previous test: connect again
                self._held.close()
                self._held = None
                self._held = self.target.open()
        return self._held

    def release(self, dut: Dut) -> None:
        if self.target.kind == "twin":
            dut.close()

    def close(self) -> None:
        if self._held is not None:
            self._held.close()
            self._held = None


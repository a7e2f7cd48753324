"""`gaitnode monitor`: live view of a node (heel strikes, gait, VO2, telemetry), surviving unplugs.

  gaitnode monitor --port /dev/ttyACM0                 a board
  gaitnode monitor --twin --live-sim [--model-dir D]   a fresh twin playing a synthetic walk
  gaitnode monitor --port P --seconds 20 --plain       one text line a second (logs, pipes)

The node is switched to live mode; every frame updates a LiveState as it arrives and the view is
redrawn a few times a second (rich when stdout is a terminal, else one line a second plus one per
connection change). When the port goes away (unplug) the monitor shows "lost", then tries to
open the same port path again every 0.5 s ("reconnecting", attempt n) - the path's symlink
target is resolved again at each try, so /dev/serial/by-id/... names follow the board - and after
HELLO and MODE LIVE it is "connected" again with a fresh stream. Ctrl-C or --seconds: MODE IDLE,
close, one summary line, exit 0. SIGTERM ends it the same way.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from pathlib import Path

import typer

from gaitnode.errors import GaitnodeError

RECONNECT_INTERVAL_S = 0.5
READ_TIMEOUT_S = 0.02
PLAIN_PERIOD_S = 1.0


class _Monitor:
    """The monitor loop: read, update, redraw; reconnect after an unplug (ports only)."""

    def __init__(self, node, state, port_arg: str | None, board: str | None, show):
        self.node = node
        self.state = state
        self.port_arg = port_arg  # as given (maybe a symlink); None for a twin
        self.board = board
        self.show = show  # show(state, changed: bool): the view decides whether to draw now
        self.connected = True
        self.attempt = 0
        self.next_try = 0.0

    def start_live(self) -> None:
        """MODE LIVE; what arrives before its ACK belongs to the old stream, then a new one starts."""
        from gaitnode.protocol import messages as m

        keep: list = []
        self.state.update_link_counters(self.node.link)  # a new link is known before its first frame
        self.node.link.request(m.ModeMsg(m.Mode.LIVE), keep=keep)
        for r in keep:
            self.state.update(r)
        self.state.new_stream(self.node.info, mode=m.Mode.LIVE)

    def step(self) -> None:
        if self.connected:
            self._read()
        elif time.monotonic() >= self.next_try:
            self._try_reconnect()
        else:
            time.sleep(min(READ_TIMEOUT_S, max(0.0, self.next_try - time.monotonic())))

    def _read(self) -> None:
        from gaitnode.protocol import messages as m

        try:
            rebooted = False
            self.node.link.wait_readable(READ_TIMEOUT_S)
            for r in self.node.link.read(0.0):
                self.state.update(r)
                if isinstance(r.msg, m.Info) and r.msg.mode != m.Mode.LIVE:  # it rebooted (reset, watchdog)
                    self.node.info, rebooted = r.msg, True
            if rebooted:  # after the frames it sent before our MODE LIVE, so they stay in the old stream
                self.start_live()
            self.state.update_link_counters(self.node.link)
        except GaitnodeError as e:  # PortError (unplug), or no ACK to MODE LIVE
            self.state.update_link_counters(self.node.link)
            self.node.link.close()
            if self.node.kind == "twin":
                raise GaitnodeError(f"the twin stopped answering: {e}") from None
            self.connected = False
            self.attempt = 0
            self.next_try = time.monotonic() + RECONNECT_INTERVAL_S
            self.state.set_connection("lost", str(e))
            self.show(self.state, True)

    def _try_reconnect(self) -> None:
        from gaitnode.host.node import open_node

        self.attempt += 1
        real = os.path.realpath(self.port_arg)
        if self.attempt == 1:  # later attempts show the last failure until the next one replaces it
            self.state.set_connection("reconnecting", f"attempt 1: opening {real}")
            self.show(self.state, True)
        try:
            node = open_node(real, board=self.board)
        except GaitnodeError as e:
            self.next_try = time.monotonic() + RECONNECT_INTERVAL_S
            self.state.set_connection("reconnecting", f"attempt {self.attempt} failed: {e}")
            return
        self.node = node
        try:
            self.start_live()
        except GaitnodeError as e:
            node.close()
            self.next_try = time.monotonic() + RECONNECT_INTERVAL_S
            self.state.set_connection("reconnecting", f"attempt {self.attempt} failed: {e}")
            return
        self.state.port = _port_label(self.port_arg, real)
        self.connected = True
        self.state.set_connection("connected", f"after {self.attempt} attempt(s)")
        self.show(self.state, True)

    def stop(self) -> None:
        """Back to idle (if connected) and close; a vanished port is not an error here."""
        from gaitnode.protocol import messages as m

        if self.connected:
            try:
                self.node.link.request(m.ModeMsg(m.Mode.IDLE), timeout=1.0)
            except GaitnodeError:
                pass
            self.state.update_link_counters(self.node.link)
        self.node.close()


def _port_label(port_arg: str, real: str) -> str:
    return port_arg if os.path.abspath(port_arg) == real else f"{port_arg} -> {real}"


class _PlainView:
    """text_line once per PLAIN_PERIOD_S, and at once when the connection changes (a snapshot is
    built only when a line is printed)."""

    def __init__(self):
        self.last = 0.0

    def __call__(self, state, changed: bool = False) -> None:
        from gaitnode.host.monitor_view import text_line

        now = time.monotonic()
        if changed or now - self.last >= PLAIN_PERIOD_S:
            print(text_line(state.snapshot(now)), flush=True)
            self.last = now


def _summary(snap, seconds: float) -> str:
    hs = ", ".join(f"{k} {v}" for k, v in snap.heel_strikes_total.items())
    h = snap.host
    line = (f"monitor: {seconds:.1f} s, {snap.samples_total} samples received ({snap.sample_gaps} gaps, "
            f"{snap.missing_samples} missing), heel strikes {hs}, reconnects {snap.reconnects}, node restarts "
            f"{snap.node_restarts}, host bad frames {h.bad_frames}, lost frames {h.lost_frames}")
    return line + (f" ({snap.note})" if snap.note else "")


def monitor(
    port: str | None = typer.Option(None, "--port", help="Serial port of the node (a symlink such as "
                                    "/dev/serial/by-id/... is resolved again at every reconnect)."),
    twin: bool = typer.Option(False, "--twin", help="Start a twin on this machine instead of a board."),
    model_dir: Path | None = typer.Option(None, "--model-dir", help="--twin: quantized heel-strike model dir "
                                          "(default: the classical detector only)."),
    vo2_model_dir: Path | None = typer.Option(None, "--vo2-model-dir", help="--twin: quantized VO2 model dir "
                                              "(default: VO2 from the ACSM equations only)."),
    phase_model_dir: Path | None = typer.Option(None, "--phase-model-dir", help="--twin: quantized gait-phase "
                                                "model dir (PHASE frames; default: none)."),
    activity_model_dir: Path | None = typer.Option(None, "--activity-model-dir", help="--twin: quantized activity "
                                                   "model dir (ACTIVITY frames; default: none)."),
    live_sim: bool = typer.Option(False, "--live-sim", help="--twin: live mode plays a synthetic walk "
                                  "(simulator; it starts with 10 s of standing)."),
    live_session: Path | None = typer.Option(None, "--live-session", help="--twin: live mode plays this session."),
    board: str | None = typer.Option(None, "--board", help="boards.yaml entry of the node (a board: baud rate; "
                                     "--twin: the board the twin is built for, default twin)."),
    seconds: float | None = typer.Option(None, "--seconds", help="Stop after this long (default: until Ctrl-C)."),
    plain: bool = typer.Option(False, "--plain", help="One text line per second instead of the live panel "
                               "(the default when stdout is not a terminal)."),
    refresh_hz: float = typer.Option(5.0, "--refresh", help="Live panel redraws per second (1-20)."),
) -> None:
    """Live view of a node: heel strikes on a time axis, cadence, stride time, VO2, gait phase, activity,
    device telemetry per model."""
    from gaitnode.host.commands.twin import _live_session
    from gaitnode.host.live_state import LiveState
    from gaitnode.host.node import open_node

    if seconds is not None and not seconds > 0:
        raise GaitnodeError(f"--seconds must be > 0, got {seconds:g}")
    if not 1.0 <= refresh_hz <= 20.0:
        raise GaitnodeError(f"--refresh must be 1..20 redraws per second, got {refresh_hz:g}")
    if port is not None and twin:
        raise GaitnodeError("give either a serial port (--port) or --twin, not both")
    session, note = None, ""
    if twin:
        session = _live_session(live_sim, live_session, "shank", 0)
        if session is None:
            raise GaitnodeError("--twin: live mode needs an IMU source: pass --live-sim (a synthetic walk) or "
                                "--live-session SESSION")
        if session.meta.synthetic:
            note = "twin playing a synthetic session (simulator)"
        else:
            note = f"twin playing {live_session}"
    elif live_sim or live_session is not None or any(d is not None for d in (
            model_dir, vo2_model_dir, phase_model_dir, activity_model_dir)):
        raise GaitnodeError("--model-dir, --vo2-model-dir, --phase-model-dir, --activity-model-dir, --live-sim and "
                            "--live-session apply to --twin only")
    node = open_node(None if port is None else os.path.realpath(port), twin=twin, model_dir=model_dir,
                     vo2_model_dir=vo2_model_dir, phase_model_dir=phase_model_dir,
                     activity_model_dir=activity_model_dir, board=board, live_session=session)
    label = node.port if port is None else _port_label(port, node.port)
    if session is not None and abs(session.meta.rate_hz - node.rate_hz) > 1e-6:
        # The twin plays the session's samples at the board's rate, so the walk runs faster or slower.
        note += (f", played at {node.rate_hz / session.meta.rate_hz:g}x speed (session {session.meta.rate_hz:g} Hz, "
                 f"board {node.rate_hz:g} Hz)")
    state = LiveState(node.rate_hz, info=node.info, port=label, note=note)
    state.set_connection("connected")
    use_rich = not plain and sys.stdout.isatty()
    mon = _Monitor(node, state, port, board, _PlainView())
    start = time.monotonic()
    previous_sigterm = _sigterm_as_interrupt()
    try:
        mon.start_live()
        if use_rich:
            _run_rich(mon, start, seconds, refresh_hz)
        else:
            mon.show(state, True)
            while seconds is None or time.monotonic() - start < seconds:
                mon.step()
                mon.show(state)
    except KeyboardInterrupt:
        pass
    finally:
        try:
            mon.stop()
        finally:
            if previous_sigterm is not None:
                signal.signal(signal.SIGTERM, previous_sigterm)
    if not use_rich:
        mon.show(state, True)  # the last state, then the summary
    print(_summary(state.snapshot(), time.monotonic() - start), flush=True)


def _sigterm_as_interrupt():
    """Make SIGTERM end the monitor as Ctrl-C does (node back to idle, summary); returns the previous
    handler to restore, or None where handlers cannot be set (not the main thread)."""
    def interrupt(signum, frame):
        raise KeyboardInterrupt

    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGTERM, interrupt)


def _run_rich(mon: _Monitor, start: float, seconds: float | None, refresh_hz: float) -> None:
    from rich.live import Live

    from gaitnode.host.monitor_view import render

    period = 1.0 / refresh_hz
    with Live(render(mon.state.snapshot()), auto_refresh=False, transient=False) as live:
        mon.show = lambda state, changed=False: None  # the panel shows connection changes itself
        last = 0.0
        while seconds is None or time.monotonic() - start < seconds:
            mon.step()
            now = time.monotonic()
            if now - last >= period:
                live.update(render(mon.state.snapshot(now)), refresh=True)
                last = now
        live.update(render(mon.state.snapshot()), refresh=True)


def register(app: typer.Typer) -> None:
    """Add the monitor command to app."""
    app.command("monitor")(monitor)

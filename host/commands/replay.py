"""`gaitnode replay`: a session's IMU through a node in replay mode, scored, saved as a result file."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import typer

from gaitnode.errors import GaitnodeError, refuse_existing
from gaitnode.host.stop_signals import StopSignals

TEXT_PERIOD_S = 1.0  # without a terminal: one readout line per second of wall time
VIEW_PERIOD_S = 0.1  # in a terminal: redraw the panel this often


class _Readout:
    """The live readout during a replay: the monitor's panel in a terminal, else one text line about
    once per second (and one at the end), fed by the replay's outputs and polled by its send loop."""

    def __init__(self, node, note: str, *, enabled: bool):
        from gaitnode.host.live_state import LiveState

        self.enabled = enabled
        self.tty = sys.stdout.isatty()
        self.state = LiveState(node.rate_hz, info=node.info, port=node.port, note=note)
        self.state.set_connection("connected", f"{node.kind} {node.port}")
        self.link = node.link
        self._live = None
        self._last = 0.0

    def start_pass(self, k: int) -> None:
        from gaitnode.protocol import messages as m

        self.state.new_stream(mode=m.Mode.REPLAY)
        self.state.set_connection("connected", f"replay pass {k}" if k > 1 else "replay")
        if self.enabled and self.tty and self._live is None:
            from rich.live import Live

            from gaitnode.host.monitor_view import render

            self._live = Live(render(self.state.snapshot()), auto_refresh=False, transient=False)
            self._live.start()

    def on_output(self, received) -> None:
        self.state.update(received)

    def poll(self, *, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if not force and now - self._last < (VIEW_PERIOD_S if self.tty else TEXT_PERIOD_S):
            return
        self._last = now
        self.state.update_link_counters(self.link)
        from gaitnode.host.monitor_view import render, text_line

        snap = self.state.snapshot()
        if self._live is not None:
            self._live.update(render(snap), refresh=True)
        else:
            typer.echo(text_line(snap))

    def echo(self, line: str) -> None:
        """A line above the panel in a terminal (a plain print would tear the panel), else a plain line."""
        if self._live is not None:
            self._live.console.print(line, markup=False, highlight=False)
        else:
            typer.echo(line)

    def close(self) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None


def replay(
    session: Path = typer.Argument(..., help="Session file (.gns) whose IMU samples are replayed.",
                                   show_default=False),
    port: str | None = typer.Option(None, "--port", help="Serial port of the node (`gaitnode ports` lists them)."),
    twin: bool = typer.Option(False, "--twin", help="Start a twin (the firmware's C core on this machine) instead."),
    model_dir: Path | None = typer.Option(None, "--model-dir", help="Quantized heel-strike model for the twin "
                                          "(default: the classical detector only)."),
    vo2_model_dir: Path | None = typer.Option(None, "--vo2-model-dir", help="Quantized VO2 model for the twin "
                                              "(default: VO2 from the ACSM equations only)."),
    phase_model_dir: Path | None = typer.Option(None, "--phase-model-dir", help="Twin: quantized gait-phase model dir "
                                                "(PHASE frames; default: none)."),
    activity_model_dir: Path | None = typer.Option(None, "--activity-model-dir", help="Twin: quantized activity model "
                                                   "dir (ACTIVITY frames; default: none)."),
    board: str | None = typer.Option(None, "--board", help="boards.yaml entry: the board on --port (baud, reset "
                                     "line), or the board the twin is built as."),
    speed: float | None = typer.Option(None, "--speed", help="Pace as a multiple of real time (default: as fast "
                                       "as flow control allows)."),
    loop: bool = typer.Option(False, "--loop", help="Replay again and again until Ctrl-C, one line per pass."),
    batch: int | None = typer.Option(None, "--batch", help="Samples per SAMPLES frame (default: the most a frame "
                                     "holds)."),
    start: float | None = typer.Option(None, "--start", help="Replay from this time, s since the session start."),
    end: float | None = typer.Option(None, "--end", help="Replay up to this time, s since the session start."),
    out: Path | None = typer.Option(None, "-o", "--out", help="Result file (default: the session path with "
                                    ".result.json)."),
    live: bool = typer.Option(True, "--live/--no-live", help="Show the live readout while replaying."),
    force: bool = typer.Option(False, "--force", help="Replace an existing result file."),
) -> None:
    """Stream a session's IMU into a node in replay mode, collect what it detects and score it against
    the session's reference: heel strikes found vs reference (F1, timing error, latency), VO2 error
    when the node sends VO2, gait phase (per-sample accuracy, macro-F1) and activity accuracy when it
    sends PHASE / ACTIVITY frames, lost frames. Writes a result file for `gaitnode report`.
    """
    from gaitnode.host.node import open_node
    from gaitnode.host.replay_result import default_result_path, file_sha256, write_result
    from gaitnode.host.replay_run import SessionReplay, session_name
    from gaitnode.protocol.messages import MAX_BATCH
    from gaitnode.sessions.slicing import time_slice
    from gaitnode.sessions.store import read_session

    if speed is not None and not speed > 0:
        raise GaitnodeError(f"--speed must be a positive multiple of real time, got {speed:g}")
    out = out if out is not None else default_result_path(session)
    refuse_existing([out], overwrite=force)
    if not out.parent.is_dir():
        raise GaitnodeError(f"cannot write {out}: folder {out.parent} does not exist")
    if twin and port is not None:
        raise GaitnodeError("give either a serial port (--port) or --twin, not both")
    if not twin and port is None:
        raise GaitnodeError("no node given: pass --port PORT (a board; `gaitnode ports` lists them) or --twin")
    if batch is not None and not 1 <= batch <= MAX_BATCH:
        raise GaitnodeError(f"--batch must be 1..{MAX_BATCH} samples (what one SAMPLES frame holds), got {batch}")
    s = read_session(session)
    if start is not None or end is not None:
        time_slice(s, start or 0.0, end)  # a bad span is refused before a node is started
    sha = file_sha256(session)
    data = "synthetic IMU (simulator)" if s.meta.synthetic else "recorded IMU"
    part = "" if start is None and end is None else \
        f", the part from {start or 0.0:g} s to {'the end' if end is None else f'{end:g} s'}"
    typer.echo(f"replaying {session} ({data}, {s.duration_s:.1f} s{part}) through "
               f"{'a twin' if twin else port}{'' if speed is None else f' at {speed:g}x real time'}"
               f"{', until Ctrl-C' if loop else ''}")
    with open_node(port, twin=twin, model_dir=model_dir, vo2_model_dir=vo2_model_dir, phase_model_dir=phase_model_dir,
                   activity_model_dir=activity_model_dir, board=board) as node, \
            StopSignals() as ctrl_c:
        readout = _Readout(node, f"replay of {session_name(s, session)}, {data}", enabled=live)

        def should_stop() -> bool:
            readout.poll()
            return ctrl_c.requested

        runner = SessionReplay(speed=speed, batch=batch, on_output=readout.on_output, should_stop=should_stop,
                               start_s=start, end_s=end)
        passes, last_complete = [], None
        k = 0
        try:
            while True:
                k += 1
                readout.start_pass(k)
                try:
                    outcome = runner.run(node, s, session)
                except GaitnodeError as e:
                    partial = getattr(e, "partial_outcome", None)
                    if partial is None:
                        raise
                    readout.poll(force=True)
                    passes.append(partial.summary)
                    write_result(last_complete or partial, out, overwrite=True, passes=passes, speed=speed,
                                 session_sha256=sha)
                    kept = (f"the last complete pass and a summary of all {k} passes are in {out}" if last_complete
                            else f"the partial result (marked incomplete) is in {out}")
                    raise GaitnodeError(f"{e}; {kept}") from None
                readout.poll(force=True)
                passes.append(outcome.summary)
                keep = outcome if outcome.summary.complete or last_complete is None else last_complete
                if outcome.summary.complete:
                    last_complete = outcome
                write_result(keep, out, overwrite=True, passes=passes, speed=speed, session_sha256=sha)
                if loop:
                    readout.echo(f"pass {k}: {outcome.summary.short_line()}")
                if not loop or ctrl_c.requested:
                    break
        finally:
            readout.close()
    if loop:
        passes_text = f"{k} pass{'' if k == 1 else 'es'}"
        typer.echo(f"{passes_text}; the last complete one in detail:" if last_complete else passes_text)
    final = (last_complete or outcome).summary
    for line in final.lines():
        typer.echo(line)
    typer.echo(f"wrote {out}")
    if ctrl_c.requested and not loop:
        typer.echo(f"gaitnode: replay stopped by Ctrl-C; the partial result (marked incomplete) is in {out}",
                   err=True)
        raise typer.Exit(130)


def register(app: typer.Typer) -> None:
    app.command("replay")(replay)

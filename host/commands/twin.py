"""`gaitnode twin`: start the host-built twin of the firmware behind a pseudo-terminal.

  gaitnode twin --model-dir MODEL_DIR                 replay mode: feed it sessions (host tool, HIL suite)
  gaitnode twin --model-dir M --vo2-model-dir V       with the int8 VO2 model too (CNN-LSTM estimates)
  gaitnode twin --phase-model-dir P --activity-model-dir A   gait phase (PHASE) and activity (ACTIVITY) frames
  gaitnode twin --model-dir MODEL_DIR --live-sim      live mode plays a simulated walk at 100 Hz
  gaitnode twin --live-session S.gns                  live mode plays a recorded/simulated session

It prints the serial port to open (e.g. /dev/pts/5) and serves it until Ctrl-C (or --seconds).
"""

from __future__ import annotations

import time
from pathlib import Path

import typer

from gaitnode.errors import GaitnodeError


def _live_session(live_sim: bool, live_session: Path | None, placement: str, seed: int, rate_hz: float = 100.0):
    """The session live mode plays: a file, a simulated 5-minute walk at `rate_hz` (the board's
    rate), or None."""
    if live_sim and live_session is not None:
        raise GaitnodeError("--live-sim and --live-session exclude each other: pick one IMU source")
    if live_session is not None:
        from gaitnode.sessions.store import read_session

        return read_session(live_session)
    if live_sim:
        import numpy as np

        from gaitnode.simulate.cohort import cohort_subject
        from gaitnode.simulate.protocols import by_name
        from gaitnode.simulate.simulator import Simulator

        protocol = by_name("free_walk", np.random.default_rng(seed), 300.0)
        return Simulator(rate_hz=rate_hz, seed=seed, placement=placement).simulate(cohort_subject(0, seed), protocol)
    return None


def twin(
    model_dir: Path | None = typer.Option(None, "--model-dir", help="Quantized heel-strike model dir "
                                          "(default: the classical gyro detector only)."),
    vo2_model_dir: Path | None = typer.Option(None, "--vo2-model-dir", help="Quantized VO2 model dir (CNN-LSTM "
                                              "estimates; default: the ACSM estimate only)."),
    phase_model_dir: Path | None = typer.Option(None, "--phase-model-dir", help="quantized gait-phase model dir "
                                                "(PHASE frames; default: none)."),
    activity_model_dir: Path | None = typer.Option(None, "--activity-model-dir", help="quantized activity model "
                                                   "dir (ACTIVITY frames; default: none)."),
    board: str = typer.Option("twin", "--board", help="boards.yaml entry the twin is built for."),
    live_sim: bool = typer.Option(False, "--live-sim", help="Live mode plays a 5-minute synthetic walk "
                                  "(simulator) at the board's rate, looping."),
    live_session: Path | None = typer.Option(None, "--live-session", help="Live mode plays this session, looping."),
    placement: str = typer.Option("shank", "--placement", help="Placement of the --live-sim walk: shank or foot."),
    seed: int = typer.Option(0, "--seed", help="Subject and seed of the --live-sim walk."),
    seconds: float | None = typer.Option(None, "--seconds", help="Stop after this long (default: until Ctrl-C)."),
) -> None:
    """Run the firmware core on this machine behind a pseudo-terminal (real TFLM inference)."""
    from gaitnode.twin.twin import TwinNode

    if placement not in ("shank", "foot"):
        raise GaitnodeError(f"--placement: {placement!r} is not one of shank, foot")
    from gaitnode.boards.config import get_board

    session = _live_session(live_sim, live_session, placement, seed, get_board(board).sample_rate_hz)
    node = TwinNode(model_dir, vo2_model_dir=vo2_model_dir, phase_model_dir=phase_model_dir,
                    activity_model_dir=activity_model_dir, board=board, live_session=session)
    with node:
        what = f"model {model_dir}" if model_dir is not None else "classical detector only"
        for label, d in (("VO2", vo2_model_dir), ("gait-phase", phase_model_dir), ("activity", activity_model_dir)):
            if d is not None:
                what += f", {label} model {d}"
        live = "live mode plays " + ("a synthetic walk" if live_sim else str(live_session)) if session is not None \
            else "live mode has no IMU (replay only)"
        typer.echo(f"twin: serial port {node.port}  ({node.board.name}, {what}; {live})", err=False)
        try:
            start = time.monotonic()
            while seconds is None or time.monotonic() - start < seconds:
                time.sleep(0.2)
                if node.loop_error is not None:
                    raise GaitnodeError(f"the twin's loop stopped: {node.loop_error}")
        except KeyboardInterrupt:
            pass
    typer.echo("twin: stopped")


def register(app: typer.Typer) -> None:
    """Add the twin command to app."""
    app.command("twin")(twin)

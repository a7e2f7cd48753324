"""`gaitnode record`: a node's live stream into a session file, written as it arrives.

  gaitnode record --port /dev/ttyACM0 -o walk.gns --subject s01 --mass-kg 72 --side left
  gaitnode record --twin --live-sim -o sim.gns --seconds 30     (the twin playing a synthetic walk)

Records until Ctrl-C (SIGINT), SIGTERM, --seconds, or the port going away. The file is append-only
and fsync'ed every 0.5 s (host/recorder.py): a kill (even SIGKILL) or an unplug leaves a readable
file holding everything but the last half second or so.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import typer

from gaitnode.errors import GaitnodeError, refuse_existing
from gaitnode.host.stop_signals import StopSignals

SEXES = ("male", "female")
PLACEMENTS = ("shank", "foot")  # what the node's CONFIG can say
SIDES = ("left", "right")
# With nothing to read, wait for the port (select) at most this long, so signals, flushes and the
# status line stay prompt while an idle loop costs no CPU.
IDLE_WAIT_S = 0.02
STATUS_PERIOD_S = 1.0


def _one_of(value: str | None, what: str, allowed: tuple[str, ...]) -> None:
    if value is not None and value not in allowed:
        raise GaitnodeError(f"--{what}: {value!r} is not one of {', '.join(allowed)}")


def _positive(value: float | None, what: str, hi: float) -> None:
    if value is not None and not 0 < value <= hi:
        raise GaitnodeError(f"--{what}: {value:g} is outside (0, {hi:g}]")


def _node_config(info, sex, placement, side, age, height_m, mass_kg):
    """The CONFIG message for the options given, the node's current placement/side where not given."""
    from gaitnode.protocol import messages as m

    return m.Config(
        sex={"male": m.Sex.MALE, "female": m.Sex.FEMALE}.get(sex, m.Sex.UNKNOWN),
        placement=m.Placement[placement.upper()] if placement else info.placement,
        side=m.Side[side.upper()] if side else info.side,
        age_years=age or 0.0, height_m=height_m or 0.0, mass_kg=mass_kg or 0.0)


class _Status:
    """One status line a second: rewritten in place on a terminal, one line each when piped."""

    def __init__(self, rec):
        self.rec = rec
        self.tty = sys.stdout.isatty()
        self._next = time.monotonic() + STATUS_PERIOD_S

    def line(self) -> str:
        r = self.rec
        try:
            size = os.path.getsize(r.path) / 1e3
        except OSError:
            size = float("nan")
        return (f"recording {r.path}: {r.samples_} samples, {r.seconds_:.1f} s, {r.gaps_} gaps "
                f"({r.missing_samples_} samples missing), {size:.1f} kB")

    def maybe_print(self) -> None:
        now = time.monotonic()
        if now < self._next:
            return
        self._next = now + STATUS_PERIOD_S
        if self.tty:
            sys.stdout.write("\r" + self.line() + "\033[K")
            sys.stdout.flush()
        else:
            print(self.line(), flush=True)

    def done(self) -> None:
        if self.tty:
            sys.stdout.write("\n")


def _summary(rec, ended: str, complete: bool) -> str:
    size = os.path.getsize(rec.path) / 1e3 if rec.path.exists() else 0.0
    hs = ", ".join(f"{v} {k.removeprefix('device_hs_')}" for k, v in rec.heel_strikes_.items())
    est = ", ".join(f"{v} {k.removeprefix('device_')}" for k, v in rec.estimates_.items()) or "none"
    tele = rec.telemetry_
    dropped = f"{tele.dropped_samples} (node telemetry)" if tele is not None else "unknown (no telemetry received)"
    lines = [
        f"recorded {rec.path}: {rec.samples_} samples, {rec.seconds_:.1f} s at {rec.rate_hz:g} Hz, {size:.1f} kB"
        + ("; synthetic IMU data (the twin's live source)" if rec.meta.synthetic else ""),
        f"  ended by {ended}; file {'complete (END chunk written)' if complete else 'intact, without END chunk'}",
        f"  gaps: {rec.gaps_} ({rec.missing_samples_} samples missing); node dropped samples: {dropped}",
        f"  device heel strikes: {hs}; device estimates: {est}",
        *([f"  device gait phase: {rec.phase_samples_} samples labelled; device activity: {rec.activity_frames_} "
           "windows"] if rec.phase_samples_ or rec.activity_frames_ else []),
    ]
    return "\n".join(lines)


def record(
    out: Path = typer.Option(..., "-o", "--out", help="Session file to write (.gns)."),
    port: str | None = typer.Option(None, "--port", help="Serial port of the node (`gaitnode ports` lists them)."),
    twin: bool = typer.Option(False, "--twin", help="Record a freshly started twin instead of a board."),
    model_dir: Path | None = typer.Option(None, "--model-dir", help="Twin only: quantized heel-strike model dir."),
    vo2_model_dir: Path | None = typer.Option(None, "--vo2-model-dir", help="Twin only: quantized VO2 model dir."),
    phase_model_dir: Path | None = typer.Option(None, "--phase-model-dir", help="Twin only: quantized gait-phase "
                                                "model dir."),
    activity_model_dir: Path | None = typer.Option(None, "--activity-model-dir", help="Twin only: quantized "
                                                   "activity model dir."),
    live_sim: bool = typer.Option(False, "--live-sim", help="Twin only: its IMU plays a synthetic walk."),
    live_session: Path | None = typer.Option(None, "--live-session", help="Twin only: its IMU plays this session."),
    board: str | None = typer.Option(None, "--board", help="boards.yaml entry: the twin's build (default twin), "
                                     "or the board on --port (its baud rate)."),
    seconds: float | None = typer.Option(None, "--seconds", help="Stop after this long (default: until Ctrl-C)."),
    subject: str | None = typer.Option(None, "--subject", help="Subject id stored in the session."),
    sex: str | None = typer.Option(None, "--sex", help="male or female."),
    age: float | None = typer.Option(None, "--age", help="Age, years."),
    height_m: float | None = typer.Option(None, "--height-m", help="Height, m."),
    mass_kg: float | None = typer.Option(None, "--mass-kg", help="Body mass, kg."),
    placement: str | None = typer.Option(None, "--placement", help="shank or foot (default: the node's)."),
    side: str | None = typer.Option(None, "--side", help="left or right (default: the node's)."),
    force: bool = typer.Option(False, "--force", help="Replace an existing session file."),
) -> None:
    """Record a node's live stream (IMU, device heel strikes, estimates, gait phase, activity) into a
    session file."""
    from gaitnode.host import node as node_mod
    from gaitnode.host.commands.twin import _live_session
    from gaitnode.sessions.model import Subject

    _one_of(sex, "sex", SEXES)
    _one_of(placement, "placement", PLACEMENTS)
    _one_of(side, "side", SIDES)
    _positive(age, "age", 130.0)
    _positive(height_m, "height-m", 3.0)
    _positive(mass_kg, "mass-kg", 500.0)
    if seconds is not None and seconds <= 0:
        raise GaitnodeError(f"--seconds: {seconds:g} must be positive")
    if twin and port is not None:
        raise GaitnodeError("give either a serial port (--port) or --twin, not both")
    if not twin and (live_sim or live_session is not None):
        raise GaitnodeError("--live-sim and --live-session apply to --twin only: a board records its own sensor")
    if twin and not live_sim and live_session is None:
        raise GaitnodeError("--twin needs an IMU source for live mode: pass --live-sim (a synthetic walk) or "
                            "--live-session S.gns")
    refuse_existing([out], overwrite=force)
    if not out.parent.is_dir():
        raise GaitnodeError(f"{out.parent}: no such folder for the session file")

    imu_source = None
    source = None
    if twin:
        source = _live_session(live_sim, live_session, placement or "shank", 0)
        imu_source = ("a synthetic walk (simulator)" if live_sim else
                      f"session {live_session}" + (" (synthetic)" if source.meta.synthetic else ""))
    node = node_mod.open_node(port, twin=twin, model_dir=model_dir, vo2_model_dir=vo2_model_dir,
                              phase_model_dir=phase_model_dir, activity_model_dir=activity_model_dir, board=board,
                              live_session=source,
                              hello_timeout=node_mod.HELLO_TIMEOUT_S)
    with node:
        info = node.info
        if node.kind == "port" and info.firmware.startswith("gaitnode-twin"):
            imu_source = "a twin on this port (its live source is not visible over the link)"
        if any(v is not None for v in (sex, placement, side, age, height_m, mass_kg)):
            node.link.request(_node_config(info, sex, placement, side, age, height_m, mass_kg), keep=[])
        subj = Subject(id=subject or "unknown", sex=sex, age=age, height_m=height_m, mass_kg=mass_kg)
        _record(node, out, subj, placement, side, imu_source, seconds, force)


def _record(node, out: Path, subject, placement, side, imu_source, seconds, force) -> None:
    """Live mode on, frames into the Recorder until a stop, live mode off; the file is closed on every path."""
    from gaitnode.host.recorder import Recorder
    from gaitnode.protocol import messages as m
    from gaitnode.protocol.link import PortError
    from gaitnode.protocol.replay import NodeReset

    rec = Recorder(out, node.info, subject=subject, placement=placement, side=side, imu_source=imu_source,
                   overwrite=force)
    with StopSignals() as stop:  # from here on a Ctrl-C ends the file cleanly
        try:
            node.link.request(m.ModeMsg(m.Mode.LIVE), keep=[])  # frames before the ACK are an earlier stream's
        except BaseException:
            rec.close(complete=False)
            out.unlink(missing_ok=True)  # nothing was recorded: leave no empty file behind
            raise
        status = _Status(rec)
        start = time.monotonic()
        ended = None
        try:
            while ended is None:
                received = node.link.read(0.0)
                for r in received:
                    rec.feed(r)
                if not received:
                    node.link.wait_readable(IDLE_WAIT_S)
                rec.tick()
                status.maybe_print()
                if stop.name is not None:
                    ended = stop.name
                elif seconds is not None and time.monotonic() - start >= seconds:
                    ended = f"--seconds {seconds:g}"
        except (PortError, NodeReset) as e:
            status.done()
            unplug = isinstance(e, PortError)
            rec.close(complete=False, extra={"ended_by": f"{'the port went away' if unplug else 'node restart'}: {e}"})
            print(_summary(rec, "the port going away" if unplug else "a node restart", complete=False))
            what = f"the port went away during the recording ({e})" if unplug else str(e)
            raise GaitnodeError(f"{what}; {rec.samples_} samples ({rec.seconds_:.1f} s) are kept in {out}, "
                                f"intact (it loads with complete=False)") from None
        except BaseException:
            rec.close(complete=False)
            raise
        status.done()
        warning = None
        try:  # the node flushes its last batch before it ACKs idle mode: keep those frames too
            kept: list = []
            node.link.request(m.ModeMsg(m.Mode.IDLE), keep=kept)
            for r in kept:
                rec.feed(r)
        except GaitnodeError as e:
            warning = f"could not switch the node back to idle mode ({e}); everything received is saved"
        rec.close(complete=True, extra={"ended_by": ended})
    print(_summary(rec, ended, complete=True))
    if warning:
        print(f"gaitnode: warning: {warning}", file=sys.stderr)


def register(app: typer.Typer) -> None:
    """Add the record command to app."""
    app.command("record")(record)

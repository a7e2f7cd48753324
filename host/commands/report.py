"""`gaitnode report`: a PNG of one session (IMU, reference events, labels, VO2/HR over time)."""

from __future__ import annotations

from pathlib import Path

import typer

from gaitnode.errors import refuse_existing


def report(
    session: Path = typer.Argument(..., help="Session file (.gns).", show_default=False),
    out: Path | None = typer.Option(None, "-o", "--out", help="PNG to write (default: the session path with .png)."),
    start: float | None = typer.Option(None, "--start", help="Show from this time, s since the session start."),
    end: float | None = typer.Option(None, "--end", help="Show up to this time, s since the session start."),
    zoom: float = typer.Option(10.0, "--zoom", help="IMU detail window (s) when no --start/--end is given."),
    recover: bool = typer.Option(False, "--recover", help="Plot everything before the first damaged chunk."),
    force: bool = typer.Option(False, "--force", help="Replace an existing PNG."),
) -> None:
    """Plot a session: whole-session physiology and activity, a zoom of the IMU with events and phases.

    With --start/--end every panel shows that range instead.
    """
    # Imported here so that `gaitnode --help` does not pay for matplotlib.
    from gaitnode.host.report import plot_session
    from gaitnode.sessions.store import read_session

    out = out if out is not None else session.with_suffix(".png")
    refuse_existing([out], overwrite=force)
    s = read_session(session, recover=recover)
    t_range = None if start is None and end is None else (start, end)
    result = plot_session(s, out, t_range=t_range, zoom_s=zoom)
    w, h = result.size_px
    note = ", synthetic data" if s.meta.synthetic else ""
    typer.echo(f"wrote {out}: {w}x{h} px, panels {', '.join(result.panels)}{note}")


def register(app: typer.Typer) -> None:
    app.command("report")(report)

"""`gaitnode report`: a PNG of one session (IMU, reference events, labels, VO2/HR over time), or of a
replay result (`gaitnode replay`'s JSON: the node's heel strikes and VO2 against the session's reference).

Which one is decided by content, not by name: a replay result is JSON, a session a .gns container.
"""

from __future__ import annotations

from pathlib import Path

import typer

from gaitnode.errors import refuse_existing


def report(
    session: Path = typer.Argument(..., help="Session file (.gns) or replay result (.result.json).",
                                   show_default=False),
    out: Path | None = typer.Option(None, "-o", "--out", help="PNG to write (default: SESSION.png, or "
                                    "RESULT.replay.png for a replay result)."),
    start: float | None = typer.Option(None, "--start", help="Show from this time, s since the session start."),
    end: float | None = typer.Option(None, "--end", help="Show up to this time, s since the session start."),
    zoom: float = typer.Option(10.0, "--zoom", help="IMU detail window (s) when no --start/--end is given."),
    recover: bool = typer.Option(False, "--recover", help="Plot everything before the first damaged chunk."),
    force: bool = typer.Option(False, "--force", help="Replace an existing PNG."),
) -> None:
    """Plot a session (physiology, activity, an IMU zoom with events and phases) or a replay result.

    A session: with --start/--end every panel shows that range.

    A replay result (from `gaitnode replay`): the node's heel strikes vs the reference, VO2, the summary.

    For a replay result --start/--end choose the IMU zoom window.
    """
    from gaitnode.host.replay_result import is_result_file

    if is_result_file(session):
        _report_result(session, out, start, end, zoom, force)
        return
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


def _report_result(path: Path, out: Path | None, start, end, zoom: float, force: bool) -> None:
    from gaitnode.host.replay_result import SUFFIX, load_result_session, read_result
    from gaitnode.host.report_replay import plot_replay

    if out is None:
        name = path.name[: -len(SUFFIX)] if path.name.endswith(SUFFIX) else path.stem
        out = path.with_name(f"{name}.replay.png")
    refuse_existing([out], overwrite=force)
    result = read_result(path)
    s = load_result_session(result)
    t_range = None if start is None and end is None else (start, end)
    plot = plot_replay(result, s, out, zoom_s=zoom, t_range=t_range)
    w, h = plot.size_px
    note = ", synthetic session" if result.synthetic else ""
    state = "" if result.complete else ", result incomplete"
    typer.echo(f"wrote {out}: {w}x{h} px, replay of {result.summary.session}, panels "
               f"{', '.join(plot.panels)}{note}{state}")


def register(app: typer.Typer) -> None:
    app.command("report")(report)

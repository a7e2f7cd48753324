"""`gaitnode inspect` (what a session file holds) and `gaitnode export` (to Parquet)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from gaitnode.sessions.model import EVENT_KINDS, SERIES_UNITS, SIDES, Session

SESSION_ARG = typer.Argument(..., help="Session file (.gns).", show_default=False)
RECOVER_OPT = typer.Option(False, "--recover", help="Load everything before the first damaged chunk.")


def _damage_line(session: Session) -> str | None:
    d = session.meta.extra.get("damage")
    if not d:
        return None
    return (f"chunk {d['chunk']} at byte {d['offset']} is damaged ({d['reason']}); "
            f"everything before it was loaded, nothing after it")


def _overview(path: Path, s: Session) -> list[tuple[str, str]]:
    """(label, value) lines describing the session."""
    m, imu = s.meta, s.imu
    sub = m.subject
    details = [f"{sub.sex}" if sub.sex else None, f"{sub.age:g} y" if sub.age else None,
               f"{sub.height_m:g} m" if sub.height_m else None, f"{sub.mass_kg:g} kg" if sub.mass_kg else None]
    rows = [
        ("file", str(path)),
        ("synthetic", "yes (simulated data)" if m.synthetic else "no"),
        ("source", f"{m.source}" + (f", protocol {m.protocol}" if m.protocol else "")),
        ("subject", sub.id + (f" ({', '.join(d for d in details if d)})" if any(details) else "")),
        ("placement", m.placement + (f", {m.side}" if m.side else "")),
        ("board", ", ".join(x for x in (m.board, f"firmware {m.firmware_hash}" if m.firmware_hash else None) if x)
         or "unknown"),
    ]
    rate = f"{m.rate_hz:g} Hz nominal"
    if len(imu) >= 2:
        rate += f", {1e6 / np.median(np.diff(imu.t_us)):.2f} Hz measured (median interval)"
    rows += [("rate", rate), ("duration", f"{s.duration_s:.2f} s"), ("samples", str(len(imu)))]
    channels = ["acc (m/s^2)", "gyr (deg/s)"] if len(imu) else []
    if len(imu) and not np.isnan(imu.mag).all():
        missing = np.isnan(imu.mag).any(axis=1).mean()
        channels.append("mag (uT" + (f", {missing:.0%} missing)" if missing else ")"))
    if len(imu) and not np.isnan(imu.host_s).all():
        channels.append("host time")
    channels += [f"{name} labels" for name in ("phase", "activity") if getattr(s, name) is not None]
    rows.append(("channels", ", ".join(channels) or "none"))
    if m.model_hashes:
        rows.append(("models", ", ".join(f"{k} {v}" for k, v in m.model_hashes.items())))
    rows.append(("complete", "no: the writer stopped before closing the file (no END chunk)"
                 if m.extra.get("complete") is False else "yes"))
    return rows


def _series_table(s: Session) -> Table:
    t = Table(title="reference series", title_justify="left")
    for col, justify in (("name", "left"), ("unit", "left"), ("points", "right"), ("from s", "right"),
                         ("to s", "right")):
        t.add_column(col, justify=justify)
    for name, ser in s.series.items():
        span = (f"{ser.t_s[0]:.1f}", f"{ser.t_s[-1]:.1f}") if len(ser) else ("-", "-")
        t.add_row(escape(name), SERIES_UNITS.get(name, "-"), str(len(ser)), *span)
    return t


def _events_table(s: Session) -> Table:
    t = Table(title="events", title_justify="left")
    t.add_column("kind")
    for side in SIDES:
        t.add_column(side, justify="right")
    for k, kind in enumerate(EVENT_KINDS):
        counts = [int(np.sum((s.events.kind == k) & (s.events.side == j))) for j in range(len(SIDES))]
        if any(counts):
            t.add_row(kind, *map(str, counts))
    return t


def _chunks_table(path: Path) -> Table:
    from gaitnode.sessions.store import scan

    t = Table(title="chunks", title_justify="left")
    for col, justify in (("#", "right"), ("byte", "right"), ("type", "left"), ("stream", "left"),
                         ("rows", "right"), ("bytes", "right"), ("status", "left")):
        t.add_column(col, justify=justify)
    for c in scan(path):
        t.add_row(str(c.index), str(c.offset), c.type, escape(c.stream or ""), "" if c.rows is None else str(c.rows),
                  str(c.length), "ok" if c.ok else escape(f"DAMAGED: {c.reason}"))
    return t


def inspect(
    session: Path = SESSION_ARG,
    chunks: bool = typer.Option(False, "--chunks", help="Also list every chunk with its byte offset."),
    recover: bool = RECOVER_OPT,
) -> None:
    """Show what a session file holds: metadata, rate, duration, channels, series, events, damage."""
    from gaitnode.sessions.store import read_session

    console = Console(highlight=False, soft_wrap=True)
    if chunks:  # before loading, so the listing is there even when the load stops at damage
        console.print(_chunks_table(session))
    s = read_session(session, recover=recover)
    for label, value in _overview(session, s):
        console.print(f"{label + ':':<11}{value}", markup=False)
    if s.series:
        console.print(_series_table(s))
    if len(s.events):
        console.print(_events_table(s))
    else:
        console.print("events: none")
    if (line := _damage_line(s)) is not None:
        console.print(f"damage: {line}", markup=False)
    if s.meta.extra.get("ignored"):
        console.print("ignored (newer format features): " + "; ".join(s.meta.extra["ignored"]), markup=False)


def export(
    session: Path = SESSION_ARG,
    out: Path = typer.Option(..., "-o", "--out", help="Output directory for the Parquet files."),
    recover: bool = RECOVER_OPT,
    force: bool = typer.Option(False, "--force", help="Replace existing Parquet files."),
) -> None:
    """Export a session to Parquet: samples.parquet, events.parquet, series.parquet."""
    from gaitnode.sessions.export import export_parquet
    from gaitnode.sessions.store import read_session

    s = read_session(session, recover=recover)
    paths = export_parquet(s, out, overwrite=force)
    kind = "synthetic session" if s.meta.synthetic else "session"
    typer.echo(f"wrote {kind} {session} to {out}: {paths[0].name} ({len(s.imu)} samples), "
               f"{paths[1].name} ({len(s.events)} events), {paths[2].name} "
               f"({sum(len(x) for x in s.series.values())} points in {len(s.series)} series)")
    if (line := _damage_line(s)) is not None:
        typer.echo(f"gaitnode: note: {session}: {line}", err=True)


def register(app: typer.Typer) -> None:
    app.command("inspect")(inspect)
    app.command("export")(export)

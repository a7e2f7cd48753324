"""`gaitnode import csv|fit|uci-har`: bring outside recordings into `.gns` session files.

Formats and options are documented in docs/import.md. Every written session gets one
summary line on stdout; bad input raises GaitnodeError (one line on stderr, exit 2).
"""

from __future__ import annotations

from pathlib import Path

import typer

from gaitnode.errors import GaitnodeError, refuse_existing
from gaitnode.sessions.model import PLACEMENTS, SEXES, SIDES, Session, SessionMeta, Subject

import_app = typer.Typer(name="import", help="Import CSV, Garmin FIT or UCI HAR recordings as .gns sessions.",
                         no_args_is_help=True)

_SEX_SYNONYMS = {"m": "male", "f": "female", "male": "male", "female": "female"}


def _meta(placement: str, side: str | None, subject_id: str | None, sex: str | None, age: float | None,
          height: float | None, mass: float | None) -> SessionMeta:
    """Session metadata from the common options, each checked with a message naming the option."""
    if placement not in PLACEMENTS:
        raise GaitnodeError(f"--placement: {placement!r} is not one of {', '.join(PLACEMENTS)}")
    if side is not None:
        side = {"l": "left", "r": "right"}.get(side.lower(), side.lower())
        if side not in SIDES:
            raise GaitnodeError(f"--side: {side!r} is not one of {', '.join(SIDES)}")
    if sex is not None:
        if sex.lower() not in _SEX_SYNONYMS:
            raise GaitnodeError(f"--sex: {sex!r} is not one of {', '.join(SEXES)}")
        sex = _SEX_SYNONYMS[sex.lower()]
    for name, v, lo, hi in (("age", age, 1, 120), ("height", height, 0.5, 2.5), ("mass", mass, 10, 300)):
        if v is not None and not lo <= v <= hi:
            raise GaitnodeError(f"--{name}: {v:g} is outside {lo:g}-{hi:g}"
                                f"{' (metres)' if name == 'height' else ' (kg)' if name == 'mass' else ' (years)'}")
    subject = Subject(id=subject_id or "unknown", sex=sex, age=age, height_m=height, mass_kg=mass)
    return SessionMeta(subject=subject, placement=placement, side=side)


def _output(path: Path, output: Path | None, overwrite: bool) -> Path:
    out = output if output is not None else path.with_suffix(".gns")
    refuse_existing([out], overwrite=overwrite)
    return out


def summary(out: Path, s: Session) -> str:
    """One line describing a written session."""
    parts = [f"subject {s.meta.subject.id}"]
    if len(s.imu):
        sensors = "acc, gyr" + (", mag" if s.meta.has_mag else "")
        parts.append(f"{len(s.imu)} samples at {s.meta.rate_hz:g} Hz ({s.duration_s:.1f} s; {sensors})")
        src = s.meta.extra.get("source_rate_hz")
        if s.meta.extra.get("resample_method", "none") != "none":
            parts.append(f"resampled from {src:g} Hz ({s.meta.extra['resample_method']})")
    else:
        parts.append(f"no IMU samples ({s.duration_s:.1f} s)")
    labels = [n for n in ("phase", "activity") if getattr(s, n) is not None]
    if labels:
        parts.append("labels " + ", ".join(labels))
    if s.series:
        parts.append("series " + ", ".join(s.series))
    if len(s.events):
        parts.append(f"{len(s.events)} reference events")
    return f"wrote {out}: " + "; ".join(parts) + (" (synthetic)" if s.meta.synthetic else "")


_OUT = typer.Option(None, "-o", "--output", "--out", help="Output .gns file (default: the input with .gns).")
_PLACEMENT = typer.Option("shank", "--placement", help=f"Sensor placement: {', '.join(PLACEMENTS)}.")
_SIDE = typer.Option(None, "--side", help="left or right (L/R).")
_SUBJECT = typer.Option(None, "--subject-id", help="Subject id.")
_SEX = typer.Option(None, "--sex", help="male or female.")
_AGE = typer.Option(None, "--age", help="Subject age, years.")
_HEIGHT = typer.Option(None, "--height", help="Subject height, m.")
_MASS = typer.Option(None, "--mass", help="Subject body mass, kg.")
_OVERWRITE = typer.Option(False, "--force", "--overwrite", help="Replace existing output files.")


@import_app.command("csv")
def import_csv_cmd(
    path: Path = typer.Argument(..., help="CSV file (header schema: docs/import.md)."),
    output: Path | None = _OUT,
    rate: float | None = typer.Option(None, "--rate", help="Output IMU rate, Hz (default: the file's own)."),
    units: str | None = typer.Option(None, "--units", help="Units of columns without one, e.g. acc=g,gyr=rad/s."),
    axes: str | None = typer.Option(None, "--axes", help="Axis remap, a signed permutation, e.g. x=-y,y=x,z=z."),
    max_gap: float = typer.Option(0.5, "--max-gap", help="Longest timestamp gap bridged by interpolation, s."),
    events: Path | None = typer.Option(None, "--events", help="Reference events CSV (t_s,event,side) to attach."),
    placement: str = _PLACEMENT, side: str | None = _SIDE, subject_id: str | None = _SUBJECT,
    sex: str | None = _SEX, age: float | None = _AGE, height: float | None = _HEIGHT, mass: float | None = _MASS,
    overwrite: bool = _OVERWRITE,
) -> None:
    """Import a CSV recording (one row per IMU sample) into a .gns session."""
    from gaitnode.sessions.importers.csv_import import import_csv
    from gaitnode.sessions.importers.events_csv import read_events_csv
    from gaitnode.sessions.store import write_session

    meta = _meta(placement, side, subject_id, sex, age, height, mass)
    out = _output(path, output, overwrite)
    session = import_csv(path, rate_hz=rate, units=units, axes=axes, meta=meta, max_gap_s=max_gap)
    if events is not None:
        session.events = read_events_csv(events)
        session.validate()
    write_session(session, out, overwrite=overwrite)
    typer.echo(summary(out, session))


@import_app.command("fit")
def import_fit_cmd(
    path: Path = typer.Argument(..., help="Garmin FIT activity file."),
    output: Path | None = _OUT,
    cadence: str = typer.Option("auto", "--cadence", help="auto, strides, steps or rpm (see docs/import.md)."),
    placement: str = _PLACEMENT, side: str | None = _SIDE, subject_id: str | None = _SUBJECT,
    sex: str | None = _SEX, age: float | None = _AGE, height: float | None = _HEIGHT, mass: float | None = _MASS,
    overwrite: bool = _OVERWRITE,
) -> None:
    """Import a FIT activity (heart rate, cadence, speed, grade; no IMU samples) into a .gns session."""
    from gaitnode.sessions.importers.fit_import import import_fit
    from gaitnode.sessions.store import write_session

    meta = _meta(placement, side, subject_id, sex, age, height, mass)
    out = _output(path, output, overwrite)
    session = import_fit(path, meta=meta, cadence=cadence)
    write_session(session, out, overwrite=overwrite)
    typer.echo(summary(out, session))


@import_app.command("uci-har")
def import_uci_har_cmd(
    path: Path = typer.Argument(..., help="The 'UCI HAR Dataset' folder (or its parent)."),
    output: Path = typer.Option(..., "-o", "--output", "--out", help="Output folder for the .gns sessions."),
    split: str = typer.Option("train,test", "--split", help="Comma-separated: train, test."),
    rate: float | None = typer.Option(None, "--rate", help="Output IMU rate, Hz (default: 50, the dataset's)."),
    overwrite: bool = _OVERWRITE,
) -> None:
    """Rebuild continuous per-subject sessions from UCI HAR windows; one .gns per recording."""
    from gaitnode.sessions.importers.uci_har import SPLITS, load_uci_har
    from gaitnode.sessions.store import write_session

    splits = [s.strip() for s in split.split(",") if s.strip()]
    bad = [s for s in splits if s not in SPLITS]
    if bad or not splits:
        raise GaitnodeError(f"--split: {split!r} must be a comma-separated subset of {', '.join(SPLITS)}")
    if output.exists() and not output.is_dir():
        raise GaitnodeError(f"{output}: exists and is not a folder")
    sessions = load_uci_har(path, splits, rate_hz=rate)
    names = [output / f"{s.meta.subject.id}_{s.meta.extra['uci_split']}_w{s.meta.extra['uci_windows'][0]:05d}.gns"
             for s in sessions]
    refuse_existing(names, overwrite=overwrite)
    output.mkdir(parents=True, exist_ok=True)
    for out, s in zip(names, sessions):
        write_session(s, out, overwrite=overwrite)
        typer.echo(summary(out, s))


def register(app: typer.Typer) -> None:
    """Add the `import` command group (csv, fit, uci-har)."""
    app.add_typer(import_app, name="import")

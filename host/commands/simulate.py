"""`gaitnode simulate` (one synthetic session) and `gaitnode cohort` (a synthetic data set)."""

from __future__ import annotations

from pathlib import Path

import typer

from gaitnode.errors import GaitnodeError, refuse_existing
from gaitnode.sessions.model import RATE_MAX_HZ, RATE_MIN_HZ, SEXES, SIDES


def _csv(value: str, what: str, allowed: tuple[str, ...] | None = None) -> list[str]:
    items = [v.strip() for v in value.split(",") if v.strip()]
    if not items:
        raise GaitnodeError(f"--{what}: give at least one value")
    for v in items:
        if allowed is not None and v not in allowed:
            raise GaitnodeError(f"--{what}: {v!r} is not one of {', '.join(allowed)}")
    return items


def _one_of(value: str | None, what: str, allowed: tuple[str, ...]) -> None:
    if value is not None and value not in allowed:
        raise GaitnodeError(f"--{what}: {value!r} is not one of {', '.join(allowed)}")


def simulate(
    out: Path = typer.Option(..., "-o", "--out", help="Output session file (.gns)."),
    protocol: str = typer.Option("bruce", "--protocol", "-p",
                                 help="bruce, free_walk, running, daily_living, stairs, or a schedule .yaml file."),
    placement: str = typer.Option("shank", "--placement", help="Sensor placement: shank or foot."),
    side: str = typer.Option("left", "--side", help="left or right."),
    rate: float = typer.Option(100.0, "--rate", help="IMU sample rate, Hz (50-400)."),
    seed: int = typer.Option(0, "--seed", help="Seed; the same seed gives the same session bit for bit."),
    sex: str | None = typer.Option(None, "--sex", help="male or female (default: drawn)."),
    duration: float | None = typer.Option(None, "--duration", help="Duration in s (generated protocols only)."),
    force: bool = typer.Option(False, "--force", help="Replace an existing file."),
) -> None:
    """Simulate one synthetic session: subject S000 of the cohort with this seed, on one protocol."""
    from gaitnode.sessions.store import write_session
    from gaitnode.simulate.cohort import cohort_subject, protocol_stream, simulate_session

    from gaitnode.simulate.kinematics import SIM_PLACEMENTS

    _one_of(placement, "placement", SIM_PLACEMENTS)
    _one_of(side, "side", SIDES)
    _one_of(sex, "sex", SEXES)
    if not RATE_MIN_HZ <= rate <= RATE_MAX_HZ:
        raise GaitnodeError(f"--rate: {rate:g} Hz is outside {RATE_MIN_HZ:g}-{RATE_MAX_HZ:g} Hz")
    refuse_existing([out], overwrite=force)
    subject = cohort_subject(seed, 0, sex)
    label = Path(protocol).stem if protocol.endswith((".yaml", ".yml")) else protocol
    proto, session = simulate_session(subject, protocol, protocol_stream(seed, 0, label), placement=placement,
                                      side=side, rate_hz=rate, duration_s=duration)
    write_session(session, out, overwrite=force)
    typer.echo(f"wrote {out}: synthetic session, subject {subject.id} ({subject.sex}, {subject.age:.0f} y, "
               f"{subject.mass_kg:.1f} kg, VO2max {subject.vo2max_ml_kg_min:.1f} ml/kg/min), protocol {proto.name} "
               f"({proto.duration_s:.0f} s), {placement} {side}, {rate:g} Hz, seed {seed}")


def cohort(
    out: Path = typer.Option(..., "-o", "--out", help="Output folder."),
    subjects: int = typer.Option(10, "--subjects", "-n", help="Number of subjects."),
    protocols: str = typer.Option("bruce,free_walk", "--protocols", help="Comma-separated protocols or .yaml files."),
    placements: str = typer.Option("shank", "--placements", help="Comma-separated: shank, foot."),
    sides: str = typer.Option("left", "--sides", help="Comma-separated: left, right."),
    rate: float = typer.Option(100.0, "--rate", help="IMU sample rate, Hz (50-400)."),
    seed: int = typer.Option(0, "--seed", help="Seed; subject k's data never depends on the number of subjects."),
    split: str = typer.Option("0.6,0.2,0.2", "--split", help="train,val,test fractions (by subject)."),
    workers: int = typer.Option(1, "--workers", help="Worker processes."),
    mounting: str = typer.Option("random", "--mounting", help="Sensor mounting draw: random (any rotation about "
                                 "the limb axis), random_any (board axes any way round too), nominal."),
    force: bool = typer.Option(False, "--force", help="Replace existing files."),
) -> None:
    """Simulate a synthetic cohort: subjects x protocols x placements, split train/val/test by subject."""
    from gaitnode.simulate.cohort import make_cohort

    try:
        fractions = tuple(float(f) for f in _csv(split, "split"))
    except ValueError:
        raise GaitnodeError(f"--split: {split!r} is not three comma-separated numbers") from None
    manifest = make_cohort(out, subjects, protocols=_csv(protocols, "protocols"),
                           placements=_csv(placements, "placements", _sim_placements()), rate_hz=rate, seed=seed,
                           split=fractions, sides=_csv(sides, "sides", SIDES), workers=workers, overwrite=force,
                           mounting=mounting)
    counts = ", ".join(f"{name} {len(ids)}" for name, ids in manifest["split"].items())
    typer.echo(f"wrote {len(manifest['files'])} synthetic sessions to {out} ({counts} subjects; "
               f"protocols {', '.join(manifest['protocols'])}; seed {seed}) and {Path(out) / 'cohort.json'}")


def register(app: typer.Typer) -> None:
    """Add the `simulate` and `cohort` commands."""
    app.command("simulate")(simulate)
    app.command("cohort")(cohort)


def _sim_placements() -> tuple[str, ...]:
    """The simulator's placements (imported late: the kinematics module pulls in scipy)."""
    from gaitnode.simulate.kinematics import SIM_PLACEMENTS

    return SIM_PLACEMENTS

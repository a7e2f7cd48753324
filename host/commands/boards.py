"""`gaitnode boards`: list and validate boards.yaml, generate board headers, check budgets.

  boards list [--file F]                                   table of the boards
  boards validate [--file F]                               schema + rules; exit 2 with the problem
  boards header --board B -o DIR                          gn_board_B.h
  boards check --board B --model-dir NAME=DIR [--json F]   flash / RAM / arena budgets; exit 2 when exceeded

--file defaults to the repository's boards.yaml. The PlatformIO build runs `header` and `check`
before compiling (firmware/scripts/pio_pre.py).
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from gaitnode.errors import GaitnodeError, refuse_existing
from gaitnode.host.commands.json_report import write_json_report

boards_app = typer.Typer(help="Boards (boards.yaml): list, validate, generate headers, check budgets.",
                         no_args_is_help=True)

FILE_HELP = "boards.yaml to read (default: the repository's)."


def _kib(n: int | None) -> str:
    return "-" if n is None else f"{n / 1024:g} KB"


def parse_model_dirs(values: list[str] | None) -> dict[str, Path]:
    """NAME=DIR pairs -> {NAME: Path(DIR)}; GaitnodeError on a malformed or repeated one."""
    out: dict[str, Path] = {}
    for v in values or []:
        name, sep, path = v.partition("=")
        if not sep or not name or not path:
            raise GaitnodeError(f"--model-dir: {v!r} must be NAME=DIR, e.g. heel_strike=models/hs_shank")
        if name in out:
            raise GaitnodeError(f"--model-dir: {name} is given twice")
        out[name] = Path(path)
    return out


def list_boards(file: Path | None = typer.Option(None, "--file", help=FILE_HELP)) -> None:
    """Table: board, MCU, IMU, bus, sample rate, transport, budgets."""
    from rich.console import Console
    from rich.table import Table

    from gaitnode.boards.config import load_boards

    boards = load_boards(file)
    t = Table(title=f"boards ({len(boards)})")
    for col in ("board", "MCU", "IMU", "bus", "rate", "transport", "RAM budget", "flash budget", "arena budget",
                "models"):
        t.add_column(col)
    for b in boards.values():
        t.add_row(b.name, b.mcu.name, b.imu.part, b.imu.bus, f"{b.sample_rate_hz} Hz",
                  f"{b.transport.kind} {b.transport.baud}", _kib(b.budgets.ram_bytes), _kib(b.budgets.flash_bytes),
                  _kib(b.budgets.arena_bytes), ", ".join(b.models) or "-")
    Console(width=None if sys.stdout.isatty() else 160).print(t)


def validate(file: Path | None = typer.Option(None, "--file", help=FILE_HELP)) -> None:
    """Check boards.yaml against the schema and the cross-field rules."""
    from gaitnode.boards.config import DEFAULT_FILE, load_boards

    boards = load_boards(file)
    typer.echo(f"{file or DEFAULT_FILE}: {len(boards)} boards valid ({', '.join(boards)})")


def header(
    board: str = typer.Option(..., "--board", help="Board name (a key of boards.yaml)."),
    out: Path = typer.Option(..., "-o", "--out", help="Folder to write gn_board_<board>.h into."),
    file: Path | None = typer.Option(None, "--file", help=FILE_HELP),
    force: bool = typer.Option(False, "--force", help="Replace an existing header that differs."),
) -> None:
    """Write the board's header (every boards.yaml fact as a C macro). The models' own headers come
    from `gaitnode quantize` (MODEL_DIR/c/)."""
    from gaitnode.boards.config import get_board
    from gaitnode.boards.header import write_board_header

    b = get_board(board, file)
    typer.echo(f"wrote {write_board_header(b, out, overwrite=force)}")


def check(
    board: str = typer.Option(..., "--board", help="Board name (a key of boards.yaml)."),
    model_dir: list[str] | None = typer.Option(None, "--model-dir", help="NAME=DIR for each model the board "
                                               "carries, e.g. heel_strike=models/hs_shank (repeatable)."),
    file: Path | None = typer.Option(None, "--file", help=FILE_HELP),
    json_out: Path | None = typer.Option(None, "--json", help="Also write the report as JSON here."),
    force: bool = typer.Option(False, "--force", help="Replace an existing JSON report."),
) -> None:
    """Check the models against the board's flash, RAM and arena budgets (exit 2 when exceeded)."""
    from gaitnode.boards.budget import check_budget
    from gaitnode.boards.config import get_board

    b = get_board(board, file)
    if json_out is not None:
        refuse_existing([json_out], overwrite=force)
    report = check_budget(b, parse_model_dirs(model_dir), raise_on_failure=False)
    typer.echo(report.summary())
    if json_out is not None:
        write_json_report(json_out, report.as_dict())
    if not report.ok:
        raise GaitnodeError("; ".join(report.problems))
    typer.echo(f"{b.name}: within budget")


def register(app: typer.Typer) -> None:
    """Add the boards command group to app."""
    boards_app.command("list")(list_boards)
    boards_app.command("validate")(validate)
    boards_app.command("header")(header)
    boards_app.command("check")(check)
    app.add_typer(boards_app, name="boards")

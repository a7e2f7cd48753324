"""Writing a command's `--json` report: one file, written whole or not at all."""

from __future__ import annotations

import json
import os
from pathlib import Path

import typer


def write_json_report(path: Path, report: dict) -> None:
    """Write `report` as sorted, indented JSON to `path` (parent folders made; numpy scalars as
    floats) through a temporary file beside it, so a crash never leaves half a report; echo the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(json.dumps(report, indent=2, sort_keys=True, default=float) + "\n", encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    typer.echo(f"wrote {path}")

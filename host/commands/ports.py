"""`gaitnode ports`: serial ports, with a guess of which are gaitnode nodes."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Written by this module's owner."""

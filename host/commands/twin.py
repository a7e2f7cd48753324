"""`gaitnode twin`: start the host-built twin of the firmware behind a pseudo-terminal."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the twin command to app."""

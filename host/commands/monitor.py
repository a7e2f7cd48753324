"""`gaitnode monitor`: live view of a node."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Written by this module's owner."""

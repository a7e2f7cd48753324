"""`gaitnode replay`: a session's IMU through a node in replay mode."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Written by this module's owner."""

"""`gaitnode build|flash|verify`: PlatformIO builds and uploads, HELLO check of the flashed node."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Written by this module's owner."""

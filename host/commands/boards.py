"""`gaitnode boards`: list and validate boards.yaml, generate board headers, check budgets."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the boards command group to app."""

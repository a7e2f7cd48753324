"""`gaitnode record`: a node's live stream into a session file."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Written by this module's owner."""

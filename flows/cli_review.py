"""`newsbridge` commands of this area (registered by flows/cli.py)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this area's commands to the app (none yet)."""

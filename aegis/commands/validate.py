"""CLI sub-command (filled in by its owner)."""

from __future__ import annotations

import typer


def validate() -> None:
    """Not yet implemented."""
    raise typer.Exit(3)

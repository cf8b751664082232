"""CLI sub-command (filled in by its owner)."""

from __future__ import annotations

import typer


def backtest() -> None:
    """Not yet implemented."""
    raise typer.Exit(3)

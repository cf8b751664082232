"""CLI sub-commands (filled in by its owner)."""

from __future__ import annotations

import typer

app = typer.Typer(no_args_is_help=True)


def train() -> None:
    """Train every model, gate against the champions, write artifacts."""
    raise typer.Exit(3)

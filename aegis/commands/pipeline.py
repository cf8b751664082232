"""Pipeline-level sub-commands (demo, features, rates) registered on the root app."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the pipeline commands to ``app``."""

"""``aegis infer --json OUT``: one snapshot from the configured data and model store."""

from __future__ import annotations

from pathlib import Path

import typer


def infer(
    json_out: Path = typer.Option(None, "--json", help="Snapshot path [default: settings]."),
    table: bool = typer.Option(True, help="Print the snapshot as a readable table."),
) -> None:
    """Build aegismatrix.json from the validated features and the verified champions.

    Written atomically: a failed run leaves the previous snapshot intact. A champion that
    cannot be used gives status "degraded" with the reason per number, never a silent
    substitute. Exit 0 when published (ok or degraded).
    """
    from aegis.commands.publish import publish

    publish(json_out, table)

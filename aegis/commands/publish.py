"""The body of ``aegis infer``, free of typer: the fast path and the typer command share it."""

from __future__ import annotations

from pathlib import Path


def publish(json_out: Path | None, table: bool) -> None:
    """Publish one snapshot (to ``json_out``, default the settings' path); print it as a table
    when ``table``, then one line naming the file and its status."""
    from aegis.pipeline import infer as run

    result = run(json_out)
    if table:
        from aegis.snapshot import read_snapshot
        from aegis.snapshot.table import snapshot_table

        print(snapshot_table(read_snapshot(Path(result["path"]))))
    print(f"published {result['path']} (status {result['status']})")

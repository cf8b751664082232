"""Atomic write and validated read of ``aegismatrix.json``.

The snapshot is serialised and re-validated in memory first, then written to a temporary file in
the target's folder, flushed and fsync'ed, and moved over the target with :func:`os.replace`
(atomic on POSIX and Windows within one filesystem). Any failure removes the temporary file and
raises :class:`~aegis.errors.SnapshotError`; the previous snapshot is left as it was.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from aegis.atomic import write_text_atomic
from aegis.errors import SnapshotError
from aegis.snapshot.contract import SCHEMA_VERSION, Snapshot


def render_snapshot(snapshot: Snapshot) -> str:
    """The JSON text of ``snapshot`` (2-space indent, trailing newline), validated on the way."""
    try:
        text = snapshot.model_dump_json(indent=2) + "\n"
        Snapshot.model_validate_json(text)  # what we publish must read back
    except (ValidationError, ValueError, TypeError) as exc:
        raise SnapshotError(f"snapshot could not be serialised as a valid document: {exc}") from exc
    return text


def write_snapshot(snapshot: Snapshot, path: Path | str) -> Path:
    """Write ``snapshot`` to ``path`` atomically; return the path.

    Raises
    ------
    SnapshotError
        Serialisation or I/O failed; ``path`` still holds the previous snapshot (if any).
    """
    target = Path(path)
    text = render_snapshot(snapshot)
    try:
        write_text_atomic(target, text)
    except OSError as exc:
        raise SnapshotError(f"{target}: write failed, previous snapshot kept: {exc}") from exc
    return target


def read_snapshot(path: Path | str) -> Snapshot:
    """Read and validate a snapshot file.

    Raises
    ------
    SnapshotError
        Missing, unreadable, not JSON, or not a valid snapshot (the message names the file and
        the first failing field).
    """
    source = Path(path)
    try:
        text = source.read_text(encoding="utf-8")
    except OSError as exc:
        raise SnapshotError(f"{source}: cannot read the snapshot: {exc}") from exc
    try:
        return Snapshot.model_validate_json(text)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        raise SnapshotError(
            f"{source}: expected an aegismatrix.json snapshot (schema {SCHEMA_VERSION});"
            f" field {where or '<root>'}: {first.get('msg')} ({exc.error_count()} errors)"
        ) from exc


__all__ = ["read_snapshot", "render_snapshot", "write_snapshot"]

"""Atomic write and validated read of ``aegismatrix.json``.

The snapshot is serialised and re-validated in memory first, then written to a temporary file in
the target's folder, flushed and fsync'ed, and moved over the target with :func:`os.replace`
(atomic on POSIX and Windows within one filesystem). Any failure removes the temporary file and
raises :class:`~aegis.errors.SnapshotError`; the previous snapshot is left as it was.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from pydantic import ValidationError

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
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp",
                                        dir=target.parent)
    except OSError as exc:
        raise SnapshotError(f"{target}: cannot create a temporary file beside it: {exc}") from exc
    tmp = Path(tmp_name)
    done = False
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
        done = True
        _fsync_dir(target.parent)
    except OSError as exc:
        raise SnapshotError(f"{target}: write failed, previous snapshot kept: {exc}") from exc
    finally:
        if not done:
            tmp.unlink(missing_ok=True)
    return target


def _fsync_dir(folder: Path) -> None:
    """Persist the rename itself (POSIX); directories cannot be opened this way on Windows."""
    if os.name != "posix":
        return
    dir_fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


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

"""The one atomic writer: a file is either its old bytes or its new ones, never half of either.

Write to a unique temporary name in the target's folder (same filesystem), flush and fsync it,
``os.replace`` it over the target, then fsync the folder so the rename itself survives a
crash. A failure removes the temporary file and leaves the target untouched. Readers never
see temporary names (they start with a dot, or the caller's ``prefix``).

The file gets the mode a plain ``open()`` would give it (``0o666`` less the process umask:
0644 under umask 022, 0664 under 002), not ``mkstemp``'s private 0600: a published snapshot or
ledger must be readable by the dashboard running as another user of the group. A writer killed
between ``mkstemp`` and the rename leaves its temporary file; :func:`remove_stale_temps`,
called by the next writer of the same target under the same lock, removes it.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path


def fsync_dir(folder: Path) -> None:
    """Persist a rename inside ``folder`` (POSIX; a no-op where folders cannot be opened)."""
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def process_umask() -> int:
    """The process umask, read without changing it (Linux ``/proc``; elsewhere set and reset)."""
    try:
        for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def published_mode() -> int:
    """The mode of a file this process publishes: ``0o666 & ~umask``."""
    return 0o666 & ~process_umask()


def temp_prefix(target: Path) -> str:
    """The prefix of :func:`write_atomic`'s temporary files for ``target``."""
    return f".{target.name}."


def remove_stale_temps(target: Path | str, prefix: str | None = None) -> list[Path]:
    """Delete temporary files a killed :func:`write_atomic` of ``target`` left in its folder.

    Only call it while holding the lock every writer of ``target`` holds (else a live
    writer's temporary file could go). Returns what was removed.
    """
    target = Path(target)
    if not target.parent.is_dir():
        return []
    stale = [p for p in target.parent.glob(f"{prefix or temp_prefix(target)}*.tmp")
             if p.is_file()]
    for p in stale:
        p.unlink(missing_ok=True)
    return stale


def write_atomic(path: Path | str, write: Callable[[Path], object], *,
                 prefix: str | None = None) -> Path:
    """Create ``path`` through ``write(tmp)`` (which writes the whole file at ``tmp``).

    Raises whatever ``write`` or the file system raises (``OSError``...); then ``path`` is as it
    was and no temporary file is left behind.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=prefix or temp_prefix(target),
                                suffix=".tmp")
    os.close(fd)
    tmp = Path(name)
    try:
        write(tmp)
        with tmp.open("rb+") as handle:
            os.fchmod(handle.fileno(), published_mode())
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    fsync_dir(target.parent)
    return target


def replace_atomic(source: Path | str, target: Path | str) -> Path:
    """Move the finished file ``source`` over ``target`` (same file system), durably.

    ``source`` is fsynced first, so ``target`` is then either its old bytes or all of the
    new ones, and both folders are fsynced so the move survives a crash. A file staged with
    :func:`write_atomic` and published later (a validated table) goes through here.
    """
    src, dst = Path(source), Path(target)
    with src.open("rb+") as handle:
        os.fsync(handle.fileno())
    dst.parent.mkdir(parents=True, exist_ok=True)
    os.replace(src, dst)
    fsync_dir(dst.parent)
    if src.parent != dst.parent:
        fsync_dir(src.parent)
    return dst


def write_bytes_atomic(path: Path | str, data: bytes) -> Path:
    """:func:`write_atomic` of ``data``."""
    return write_atomic(path, lambda tmp: tmp.write_bytes(data))


def write_text_atomic(path: Path | str, text: str) -> Path:
    """:func:`write_atomic` of ``text`` (UTF-8)."""
    return write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


@contextmanager
def exclusive_lock(lock_file: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``lock_file`` (created if missing; blocks while another
    process holds it). The one lock behind the market store's series, feature publishing and the
    model store's promotions: ``filelock.FileLock`` (an ``flock`` on POSIX), so a killed holder
    releases it with its process. Not re-entrant across two calls in one process (each holds its
    own file handle), as before."""
    from filelock import FileLock

    lock_file.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(lock_file), is_singleton=False, thread_local=False):
        yield


__all__ = ["exclusive_lock", "fsync_dir", "process_umask", "published_mode", "remove_stale_temps",
           "replace_atomic", "temp_prefix", "write_atomic", "write_bytes_atomic",
           "write_text_atomic"]

"""What the market-data store keeps so that no change destroys data: revisions, conflicts, audit.

Every write to the store is one *batch* with an id (``<UTC time>-<random>``). Before a batch
touches a partition, the rows it replaces, inserts or deletes are written durably to
``<root>/_revisions/series=<name>/<batch>.parquet`` (old and new values side by side, the file
each new row came from), so ``aegis data revert BATCH`` can always restore the previous state.
A changed close that moves more than :data:`PLAUSIBLE_MOVE` against both stored neighbours is
not applied: it is *held* in ``<root>/_conflicts/series=<name>/<batch>.parquet`` for review.
One JSON line per batch goes to ``<root>/_audit.jsonl``: who, when, what, which files, counts.

All files are written under a unique temporary name, fsynced and renamed into place
(:func:`write_durable`), so a kill at any moment leaves the old file or the new one.
"""

from __future__ import annotations

import getpass
import json
import os
import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from aegis.atomic import write_atomic
from aegis.errors import StoreError

#: A close (new or revised) moving more than this (relative) against both its neighbours is
#: held. NIFTY's largest such move in 2000-2022 is 7.9 %; India VIX's is 20.5 % (2011-08-09),
#: so VIX series get :data:`PLAUSIBLE_MOVE_VIX` (a x10 or /10 typo moves 90 % or more).
PLAUSIBLE_MOVE = 0.20
PLAUSIBLE_MOVE_VIX = 0.50
#: Neighbours further away than this (calendar days) say nothing about a close.
NEIGHBOUR_DAYS = 10
PENDING_DIR = "_pending"
TEMP_PREFIX = ".tmp-"
AUDIT_FILE = "_audit.jsonl"
REVISIONS_DIR = "_revisions"
CONFLICTS_DIR = "_conflicts"
RESOLVED_DIR = "resolved"
ACTION = "_action"
FILE = "_file"
REASON = "_reason"


def new_batch_id(now: datetime | None = None) -> str:
    """A sortable, unique batch id such as ``20261202T011500123456Z-3f9a1c``."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S%fZ")
    return f"{stamp}-{secrets.token_hex(3)}"


def write_durable(path: Path, write: Callable[[Path], object]) -> None:
    """Write ``path`` via ``write(tmp)`` to a unique temp name, fsync, rename, fsync the folder.

    The temp file starts with :data:`TEMP_PREFIX`; readers never look at such names, and
    :func:`remove_stray_temps` deletes those a killed writer left (under the series lock).
    """
    write_atomic(path, write, prefix=f"{TEMP_PREFIX}{path.name}.")


def write_parquet_durable(path: Path, frame: pd.DataFrame) -> None:
    """:func:`write_durable` for a Parquet file without index."""
    write_durable(path, lambda tmp: frame.to_parquet(tmp, index=False))


def remove_stray_temps(folder: Path) -> list[Path]:
    """Delete temp files a killed writer left under ``folder``; returns what was removed."""
    if not folder.is_dir():
        return []
    stray = [p for p in folder.rglob(f"{TEMP_PREFIX}*") if p.is_file()]
    for p in stray:
        p.unlink(missing_ok=True)
    return stray


def append_audit(root: Path, record: dict[str, Any]) -> dict[str, Any]:
    """Append one audit line (``at`` and ``who`` added) to ``<root>/_audit.jsonl``, fsynced."""
    line = {"at": datetime.now(UTC).isoformat(timespec="seconds"), "who": who(), **record}
    root.mkdir(parents=True, exist_ok=True)
    with (root / AUDIT_FILE).open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(line, default=str, sort_keys=False) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    return line


def read_audit(root: Path) -> list[dict[str, Any]]:
    """Every audit line, oldest first (a torn last line from a kill is reported, not hidden)."""
    path = root / AUDIT_FILE
    if not path.exists():
        return []
    out = []
    for n, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not text.strip():
            continue
        try:
            out.append(json.loads(text))
        except json.JSONDecodeError:
            out.append({"action": "unreadable", "line": n, "text": text[:200]})
    return out


def who() -> str:
    """The user running the command (for the audit trail)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid {os.getuid()}"


def revision_path(root: Path, series: str, batch: str) -> Path:
    return root / REVISIONS_DIR / f"series={series}" / f"{batch}.parquet"


def conflict_path(root: Path, series: str, batch: str) -> Path:
    return root / CONFLICTS_DIR / f"series={series}" / f"{batch}.parquet"


def side_by_side(keys: pd.DataFrame, old: pd.DataFrame | None, new: pd.DataFrame | None,
                 action: str, files: pd.Series | None) -> pd.DataFrame:
    """One revision frame: key columns, ``old.<col>`` and ``new.<col>``, action, source file."""
    out = keys.reset_index(drop=True).copy()
    columns = list((old if old is not None else new).columns)  # type: ignore[union-attr]
    for prefix, part in (("old.", old), ("new.", new)):
        for c in columns:
            out[prefix + c] = (part[c].reset_index(drop=True) if part is not None
                               else pd.Series(np.nan, index=out.index))
    out[ACTION] = action
    out[FILE] = (files.reset_index(drop=True).astype("string") if files is not None
                 else pd.Series(pd.NA, index=out.index, dtype="string"))
    return out


def implausible(old_close: np.ndarray, new_close: np.ndarray, prev_close: np.ndarray,
                next_close: np.ndarray, bound: float = PLAUSIBLE_MOVE) -> np.ndarray:
    """Revisions to hold: the new close moves > ``bound`` against both neighbours, and further
    than the old close did (so correcting a bad stored value is never held).

    All arrays have shape (n,); a missing neighbour is NaN (then only the other one counts;
    with neither, nothing is held).
    """
    def deviation(x: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            a, b = np.abs(x / prev_close - 1), np.abs(x / next_close - 1)
        d = np.minimum(np.where(np.isfinite(a), a, np.inf), np.where(np.isfinite(b), b, np.inf))
        return np.where(np.isinf(d), 0.0, d)

    new_dev, old_dev = deviation(new_close), deviation(old_close)
    return np.asarray((new_dev > bound) & (new_dev > old_dev), dtype=bool)


def plausible_move(series: str) -> float:
    """The bound of :func:`implausible` for ``series`` (wider for India VIX)."""
    return PLAUSIBLE_MOVE_VIX if series.startswith("vix") else PLAUSIBLE_MOVE


def pending_path(root: Path, series: str, batch: str) -> Path:
    """The marker of a batch being applied: present from before its first partition is written
    until its audit line is; one left behind means the batch was interrupted."""
    return root / PENDING_DIR / f"series={series}" / f"{batch}.json"


def mark_pending(root: Path, series: str, batch: str, action: str, parts: list[Path]) -> Path:
    """Write the pending marker of ``batch`` durably (see :func:`pending_path`)."""
    path = pending_path(root, series, batch)
    record = {"batch": batch, "series": series, "action": action,
              "started": datetime.now(UTC).isoformat(timespec="seconds"),
              "partitions": [str(p.relative_to(root)) for p in parts]}
    write_durable(path, lambda tmp: tmp.write_text(json.dumps(record), encoding="utf-8"))
    return path


def pending_batches(root: Path, series: str | None = None) -> list[dict[str, Any]]:
    """Interrupted batches (newest first) of ``series`` (all series when None)."""
    pattern = f"series={series}/*.json" if series else "series=*/*.json"
    out = []
    for path in sorted((root / PENDING_DIR).glob(pattern), reverse=True):
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            record = {"batch": path.stem, "series": path.parent.name.split("=", 1)[1]}
        out.append({**record, "marker": str(path)})
    return out


def read_batches(folder: Path) -> dict[str, pd.DataFrame]:
    """``{batch: frame}`` of every ``<batch>.parquet`` directly in ``folder``."""
    if not folder.is_dir():
        return {}
    return {p.stem: pd.read_parquet(p) for p in sorted(folder.glob("*.parquet"))}


def find_batch(root: Path, folder: str, batch: str) -> tuple[str, Path]:
    """(series, path) of ``batch`` under ``root/folder``; :class:`StoreError` if absent."""
    hits = sorted((root / folder).glob(f"series=*/{batch}.parquet"))
    if not hits:
        raise StoreError(f"no batch {batch!r} under {root / folder}; "
                         "`aegis data history` lists the batches")
    path = hits[0]
    return path.parent.name.split("=", 1)[1], path

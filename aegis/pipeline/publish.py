"""Publishing a snapshot: ``aegismatrix.json`` and its forecast-ledger rows as one unit.

The page reads the snapshot; the live track record reads the ledger. A snapshot published
without its ledger rows silently loses forecasts from the track record, so the two are written
as one unit, under the ledger's lock (:func:`aegis.ledger.ledger_lock`, also held by model
health when it settles the ledger):

1. the journal ``<ledger dir>/publish.journal.json`` (the snapshot's JSON and both target paths)
   is written durably;
2. the snapshot's rows are appended to the ledger (idempotent per ``generated_at``);
3. the snapshot is renamed into place;
4. the journal is removed.

A crash anywhere leaves the journal behind; the next publish (or model health) finds it under
the lock and finishes the job (:func:`recover_publish`: steps 2-4 again, each idempotent), so
after the next run the snapshot and its ledger rows are both there. Temporary files a killed
writer left beside the snapshot, the ledger or the journal are removed under the same lock.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aegis.atomic import fsync_dir, remove_stale_temps, write_text_atomic
from aegis.errors import SnapshotError
from aegis.ledger.store import append_locked, ledger_lock
from aegis.snapshot import Snapshot, render_snapshot

JOURNAL_FILE = "publish.journal.json"


def journal_path(ledger: Path) -> Path:
    """Where the publish journal of the ledger at ``ledger`` lives (beside it)."""
    return Path(ledger).parent / JOURNAL_FILE


def publish_snapshot(snapshot: Snapshot, snapshot_path: Path, ledger: Path) -> dict[str, Any]:
    """Write ``snapshot`` to ``snapshot_path`` and its rows to ``ledger``, as one unit.

    Returns ``{"path", "ledger", "recovered"}``: the ledger append's result and the
    ``generated_at`` of an interrupted publish finished first (None when there was none).

    Raises
    ------
    SnapshotError
        The snapshot could not be serialised or written; the journal then stays, and the next
        run completes it when the cause is gone (the previous snapshot is untouched).
    """
    text = render_snapshot(snapshot)
    target = Path(snapshot_path)
    with ledger_lock(ledger):
        recovered = recover_locked(ledger)
        journal = journal_path(ledger)
        record = {"snapshot_path": str(target.resolve()), "ledger_path": str(Path(ledger)),
                  "generated_at": snapshot.generated_at.isoformat(), "snapshot": text}
        _write(journal, json.dumps(record))
        appended = append_locked(ledger, snapshot)
        _publish_text(target, text)
        _finish(journal)
    return {"path": str(target), "ledger": appended, "recovered": recovered}


def recover_publish(ledger: Path) -> str | None:
    """Finish an interrupted publish of the ledger at ``ledger`` (takes the lock)."""
    with ledger_lock(ledger):
        return recover_locked(ledger)


def recover_locked(ledger: Path) -> str | None:
    """:func:`recover_publish` for a caller holding :func:`~aegis.ledger.ledger_lock`.

    Returns the recovered snapshot's ``generated_at`` (None when no journal was left).

    Raises
    ------
    SnapshotError
        The journal is unreadable (the message names it; it is kept for a person to look at).
    """
    journal = journal_path(ledger)
    remove_stale_temps(journal)
    if not journal.exists():
        return None
    try:
        record = json.loads(journal.read_text(encoding="utf-8"))
        text = str(record["snapshot"])
        snapshot = Snapshot.model_validate_json(text)
        target = Path(str(record["snapshot_path"]))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise SnapshotError(
            f"{journal}: expected the journal of an interrupted publish (snapshot_path, "
            f"snapshot); {type(exc).__name__}: {exc}") from exc
    append_locked(Path(ledger), snapshot)
    _publish_text(target, text)
    _finish(journal)
    return snapshot.generated_at.isoformat()


def _publish_text(target: Path, text: str) -> None:
    remove_stale_temps(target)
    _write(target, text)


def _write(path: Path, text: str) -> None:
    try:
        write_text_atomic(path, text)
    except OSError as exc:
        raise SnapshotError(f"{path}: write failed ({exc.strerror or exc}); the previous file "
                            "is kept and the next run completes the publish") from exc


def _finish(journal: Path) -> None:
    journal.unlink(missing_ok=True)
    fsync_dir(journal.parent)


__all__ = ["JOURNAL_FILE", "journal_path", "publish_snapshot", "recover_locked",
           "recover_publish"]

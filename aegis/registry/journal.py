"""Crash-safe changes to the model store: stage under new names, one switch, recovery on start.

A promotion (or rollback) changes several files at once: ``registry.json``, each promoted
model's ``model.onnx`` and ``manifest.json``, the per-model metrics files that ``dvc metrics``
reads, ``models.dvc`` (rewritten by ``dvc add``), and it moves new version folders into the
store. A ``kill -9`` between any two of those writes must leave either the old store or the new
one, never three of five models promoted. The protocol, in the journal folder
``<parent of models>/.<models>.txn/current/``:

1. **prepare**: the new bytes of every file go to ``new/<i>``, the present bytes (or "absent")
   to ``old/<i>``, and ``plan.json`` lists them (written last, atomically: a journal without
   ``plan.json`` was never started and is simply deleted);
2. **apply**: each new file is moved into place with ``os.replace`` and each version folder is
   renamed into the store; then ``phase.json`` says ``applied``;
3. **push** (DVC stores only): ``dvc add`` + ``dvc push``; then ``phase.json`` says ``pushed``.
   This is *the* switch: before it the change is rolled back, after it completed;
4. **finish**: ``git commit`` of ``models.dvc`` and the metrics files, GTO tags on it, then the
   journal is removed.

:func:`recover` (run at the start of every store operation, under the same lock) rolls back a
journal that never reached its switch (old bytes restored, version folders moved back to where
they came from, files that did not exist removed) and completes one that did (the commit). Every
step is idempotent, so a crash during recovery is recovered by the next start.

A process-wide ``flock`` on ``<journal>/lock`` serialises changes and recoveries, so a recovery
never rolls back a change that another live process is making (the kernel drops the lock of a
killed process).
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from aegis.atomic import exclusive_lock, fsync_dir, write_bytes_atomic
from aegis.errors import ModelStoreError

Phase = Literal["prepared", "applied", "pushed"]


@dataclass
class StoreChange:
    """What one promotion or rollback changes, computed before anything is written.

    Attributes
    ----------
    files : final path -> new bytes (``None`` removes the file).
    moves : (source folder, final folder): version folders moved into the store.
    backup : further paths to save and restore on rollback though the change does not write
        them itself (``models.dvc``, which ``dvc add`` rewrites).
    message : the git commit message.
    summary : name -> version the change makes champion (for the caller's report).
    """

    files: dict[Path, bytes | None] = field(default_factory=dict)
    moves: list[tuple[Path, Path]] = field(default_factory=list)
    backup: list[Path] = field(default_factory=list)
    message: str = ""
    summary: dict[str, str] = field(default_factory=dict)


def journal_dir(models_dir: Path) -> Path:
    """``<parent>/.<models>.txn``: outside the DVC-tracked folder, on the same filesystem."""
    return models_dir.parent / f".{models_dir.name}.txn"


#: Every journal file is written with the one atomic writer (a name tests can patch).
write_durable = write_bytes_atomic


@contextmanager
def store_lock(models_dir: Path) -> Iterator[None]:
    """Hold the store's exclusive lock (blocks while another process changes the store)."""
    with exclusive_lock(journal_dir(models_dir) / "lock"):
        yield


def _current(models_dir: Path) -> Path:
    return journal_dir(models_dir) / "current"


def _set_phase(models_dir: Path, phase: Phase) -> None:
    write_durable(_current(models_dir) / "phase.json", json.dumps({"phase": phase}).encode())


def _read_phase(models_dir: Path) -> Phase:
    path = _current(models_dir) / "phase.json"
    if not path.exists():
        return "prepared"
    phase: Phase = json.loads(path.read_text(encoding="utf-8"))["phase"]
    return phase


def prepare(models_dir: Path, change: StoreChange, *, push: bool, commit: bool) -> None:
    """Step 1: write every new and old byte under the journal, then ``plan.json``."""
    current = _current(models_dir)
    if current.exists():
        raise ModelStoreError(f"{current}: an unfinished store change is present; recover first")
    entries = []
    paths = list(change.files) + [p for p in change.backup if p not in change.files]
    for i, path in enumerate(paths):
        new = change.files.get(path)
        if path in change.files and new is not None:
            write_durable(current / "new" / str(i), new)
        if path.exists():
            write_durable(current / "old" / str(i), path.read_bytes())
        entries.append({"path": str(path), "index": i, "writes": path in change.files,
                        "new": new is not None, "old": path.exists()})
    plan = {"files": entries, "moves": [[str(a), str(b)] for a, b in change.moves],
            "message": change.message, "summary": change.summary, "push": push,
            "commit": commit}
    write_durable(current / "plan.json", json.dumps(plan, indent=1).encode())


def _plan(models_dir: Path) -> dict[str, Any]:
    plan: dict[str, Any] = json.loads((_current(models_dir) / "plan.json").read_text("utf-8"))
    return plan


def apply(models_dir: Path) -> None:
    """Step 2: move the new files and version folders into place (idempotent)."""
    current, plan = _current(models_dir), _plan(models_dir)
    for entry in plan["files"]:
        if not entry["writes"]:
            continue
        path = Path(entry["path"])
        if entry["new"]:
            path.parent.mkdir(parents=True, exist_ok=True)
            staged = current / "new" / str(entry["index"])
            tmp = path.with_name(f".{path.name}.txn")
            shutil.copyfile(staged, tmp)
            os.replace(tmp, path)
        else:
            path.unlink(missing_ok=True)
    for source, final in plan["moves"]:
        if Path(source).exists() and not Path(final).exists():
            Path(final).parent.mkdir(parents=True, exist_ok=True)
            os.replace(source, final)
    for folder in {Path(e["path"]).parent for e in plan["files"]} | {
            Path(f).parent for _, f in plan["moves"]}:
        if folder.exists():
            fsync_dir(folder)
    _set_phase(models_dir, "applied")


def mark_pushed(models_dir: Path) -> None:
    """Step 3's record: the remote holds the new store; from now on recovery completes."""
    _set_phase(models_dir, "pushed")


def roll_back(models_dir: Path) -> None:
    """Restore every saved byte, move version folders back, drop the journal (idempotent)."""
    current = _current(models_dir)
    if (current / "plan.json").exists():
        plan = _plan(models_dir)
        for entry in plan["files"]:
            path = Path(entry["path"])
            if entry["old"]:
                tmp = path.with_name(f".{path.name}.txn")
                path.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(current / "old" / str(entry["index"]), tmp)
                os.replace(tmp, path)
            else:
                path.unlink(missing_ok=True)
        for source, final in plan["moves"]:
            if Path(final).exists() and not Path(source).exists():
                Path(source).parent.mkdir(parents=True, exist_ok=True)
                os.replace(final, source)
            elif Path(final).exists():
                shutil.rmtree(final)
    shutil.rmtree(current, ignore_errors=True)


def finish(models_dir: Path) -> None:
    """Step 4's end: the change is complete; drop the journal."""
    shutil.rmtree(_current(models_dir), ignore_errors=True)


def pending(models_dir: Path) -> dict[str, Any] | None:
    """The unfinished change's plan and phase, or None (no journal, or one never started)."""
    current = _current(models_dir)
    if not (current / "plan.json").exists():
        return None
    return {**_plan(models_dir), "phase": _read_phase(models_dir)}


def recover(models_dir: Path, complete: Callable[[dict[str, Any]], None]) -> str | None:
    """Finish or roll back an interrupted change; returns what was done (or None).

    Must be called with :func:`store_lock` held. ``complete(plan)`` performs step 4 (the git
    commit) of a change that reached its switch; a change that did not is rolled back.
    """
    current = _current(models_dir)
    if not current.exists():
        return None
    state = pending(models_dir)
    if state is None:
        shutil.rmtree(current, ignore_errors=True)
        return "discarded a store change that was never started"
    switched = state["phase"] == "pushed" or (state["phase"] == "applied" and not state["push"])
    if switched:
        if state["commit"]:
            complete(state)
        finish(models_dir)
        return f"completed the interrupted store change ({state['message']})"
    roll_back(models_dir)
    return f"rolled back the interrupted store change ({state['message']})"

"""Retention: what the stores keep only for a while, pruned past ``AEGIS_RETENTION_DAYS``.

Three things grow without bound otherwise:

- the market store's revision copies, ``<data>/_revisions/series=<name>/<batch>.parquet`` (one
  per batch, so that ``aegis data revert BATCH`` can undo it): a batch's age is read from its
  id (``<UTC time>-<random>``), never from the file's mtime; pruned under the series' lock, so
  no upsert or revert runs meanwhile. Held conflicts (``_conflicts/``) are never pruned: they
  wait for review;
- the feature tables runs staged and never published (a failed validation, a killed run),
  ``<data>/features/staged/daily.<run>.parquet``, by modification time;
- the Data Docs pages of past validations, ``<output>/data_docs/validations/**``, by
  modification time (the site's index names only the last validation).

Every run appends one line to the market store's audit (``<data>/_audit.jsonl``,
``action: "prune"``): the cut-off, the days kept and every file removed, so a batch that can no
longer be reverted is named there. The moment is passed in (``now``), never read here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aegis.config import Settings, get_settings
from aegis.errors import ConfigurationError

BATCH_STAMP = "%Y%m%dT%H%M%S%fZ"


@dataclass
class PruneReport:
    """What one pruning run removed (or would remove, ``dry_run``), per kind."""

    cutoff: datetime
    days: int
    dry_run: bool
    revisions: list[str] = field(default_factory=list)
    staged: list[str] = field(default_factory=list)
    data_docs: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {"cutoff": self.cutoff.isoformat(timespec="seconds"), "days": self.days,
                "dry_run": self.dry_run, "revisions": len(self.revisions),
                "staged": len(self.staged), "data_docs": len(self.data_docs),
                "skipped": self.skipped}


def batch_time(batch: str) -> datetime | None:
    """The UTC time a batch id starts with, or None when the name is not a batch id."""
    try:
        return datetime.strptime(batch.split("-", 1)[0], BATCH_STAMP).replace(tzinfo=UTC)
    except ValueError:
        return None


def _older(path: Path, cutoff: datetime) -> bool:
    return datetime.fromtimestamp(path.stat().st_mtime, UTC) < cutoff


def prune_revisions(data_dir: Path, cutoff: datetime, report: PruneReport) -> None:
    """Remove revision copies of batches older than ``cutoff``, series by series, locked."""
    from aegis.market.revisions import REVISIONS_DIR
    from aegis.market.store import MarketStore

    root = data_dir / REVISIONS_DIR
    if not root.is_dir():
        return
    store = MarketStore(data_dir)
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        series = folder.name.removeprefix("series=")
        with store.lock(series):
            for path in sorted(folder.glob("*.parquet")):
                stamp = batch_time(path.stem)
                if stamp is None:
                    report.skipped.append(f"{path}: not a batch id, kept")
                    continue
                if stamp < cutoff:
                    report.revisions.append(str(path))
                    if not report.dry_run:
                        path.unlink()


def _prune_files(paths: list[Path], cutoff: datetime, dry_run: bool) -> list[str]:
    removed = []
    for path in sorted(paths):
        if path.is_file() and not path.is_symlink() and _older(path, cutoff):
            removed.append(str(path))
            if not dry_run:
                path.unlink()
    return removed


def prune(now: datetime, days: int, settings: Settings, *, dry_run: bool = False
          ) -> PruneReport:
    """Prune everything older than ``days`` before ``now`` (aware); one audit line.

    Raises
    ------
    ConfigurationError
        ``now`` is naive or ``days`` < 1.
    """
    from aegis.market.revisions import append_audit
    from aegis.pipeline.paths import staged_dir

    if now.tzinfo is None:
        raise ConfigurationError(f"prune: expected an aware moment; got naive {now}")
    if days < 1:
        raise ConfigurationError(f"prune: expected days >= 1; got {days}")
    cutoff = now.astimezone(UTC) - timedelta(days=days)
    report = PruneReport(cutoff=cutoff, days=days, dry_run=dry_run)
    data_dir = settings.resolved_data_dir
    prune_revisions(data_dir, cutoff, report)
    staged = staged_dir(settings)
    report.staged = _prune_files(list(staged.glob("*.parquet")) if staged.is_dir() else [],
                                 cutoff, dry_run)
    docs = settings.resolved_output_dir / "data_docs" / "validations"
    report.data_docs = _prune_files([p for p in docs.rglob("*") if p.is_file()]
                                    if docs.is_dir() else [], cutoff, dry_run)
    if not dry_run:
        append_audit(data_dir, {"action": "prune", **report.summary(),
                                "removed": {"revisions": report.revisions,
                                            "staged": report.staged,
                                            "data_docs": report.data_docs}})
    return report


def prune_stage(days: int | None = None, dry_run: bool = False) -> dict[str, Any]:
    """The nightly task and ``aegis data prune``: :func:`prune` at the settings' moment, keeping
    ``days`` (default ``AEGIS_RETENTION_DAYS``); the counts."""
    settings = get_settings()
    report = prune(settings.now(), days or settings.retention_days, settings, dry_run=dry_run)
    return report.summary()


__all__ = ["PruneReport", "batch_time", "prune", "prune_revisions", "prune_stage"]

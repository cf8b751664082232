"""The one ingestion path: fetch a source, upsert every series it returns, report.

``aegis data ingest PATHS`` (a :class:`~aegis.market.sources.history.HistorySource` of the
paths) and the pipeline's ingest stage (the configured source: simulator, history folder or
live) both call :func:`ingest_source`, so provenance, held revisions and "nothing stored" are
decided in one place whatever the source.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from aegis.market.loaders import LoadResult
from aegis.market.merge import Conflict
from aegis.market.sources.base import MarketSource
from aegis.market.store import MarketStore, UpsertResult


@dataclass
class IngestReport:
    """What one ingest did: files loaded, skipped (with why), conflicts, upserts, held revisions.

    ``not_stored`` names each file from which nothing was stored, and why (all rows rejected,
    symbol unknown, ...): the CLI exits non-zero when it is not empty. ``source`` and ``notes``
    are the source's name and its notes about the fetch.
    """

    source: str = ""
    loaded: list[LoadResult] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    conflicts: list[Conflict] = field(default_factory=list)
    upserts: dict[str, UpsertResult] = field(default_factory=dict)
    summary: list[dict[str, Any]] = field(default_factory=list)
    held: list[dict[str, Any]] = field(default_factory=list)
    not_stored: dict[str, str] = field(default_factory=dict)
    notes: dict[str, Any] = field(default_factory=dict)
    refused: list[dict[str, str]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "files": [{"path": str(r.path), **r.inspect_json(), "source": r.source}
                      for r in self.loaded],
            "skipped": [{"path": p, "reason": why} for p, why in self.skipped.items()],
            "conflicts": [c.to_json() for c in self.conflicts],
            "upserts": {k: {c: n for c, n in v.__dict__.items() if c != "refused"}
                        for k, v in self.upserts.items()},
            "held": self.held,
            "refused": self.refused,
            "not_stored": [{"path": p, "reason": why} for p, why in self.not_stored.items()],
            "store": self.summary,
            "notes": self.notes,
        }


def ingest_source(source: MarketSource, store: MarketStore, *,
                  now: datetime | None = None) -> IngestReport:
    """Fetch ``source`` once and upsert each series it returns into ``store`` (idempotent).

    ``now`` (aware; default the system clock) is the moment of the ingest: rows that have not
    happened by then (a daily bar before its session's 15:30 IST close, a bar stamped later)
    are refused by the store and listed in ``refused`` with the reason.

    Rows from files carry their file into the store's revisions; a revision that moves a close
    implausibly is held for review (listed in ``held`` when it came from this ingest's files).

    Raises
    ------
    DataFormatError, LiveSourceError, SimulatorInputError, StoreError
        Whatever the source raises when it cannot be read; nothing is upserted then.
    """
    frames = source.fetch()
    seen = frames.provenance
    report = IngestReport(source=source.name, notes=dict(frames.notes))
    if seen is not None:
        report.loaded, report.skipped = list(seen.loaded), dict(seen.skipped)
        report.conflicts = list(seen.conflicts)
    for name, frame in frames.series().items():
        report.upserts[name] = store.upsert(name, frame, files=frames.files.get(name), now=now)
        report.refused.extend({"series": name, **r} for r in report.upserts[name].refused)
    report.summary = store.summary()
    given = {str(Path(r.path).resolve()) for r in report.loaded}
    report.held = [c for c in store.conflicts() if c["file"] in given]
    stored_any = any(u.inserted + u.updated + u.unchanged for u in report.upserts.values())
    explicit = seen.explicit if seen is not None else set()
    for skipped, why in report.skipped.items():
        if skipped in explicit or not stored_any:
            report.not_stored[skipped] = why
    return report

"""Ingest market-data files into the store: load, merge per series, upsert, report.

The CLI (``aegis data ingest``) and the pipeline call :func:`ingest_paths`. Series names:
``nifty_daily``, ``vix_daily``, ``nifty_intraday``, ``vix_intraday``, ``option_chain``,
``option_bars`` (only contracts the file names), ``contract_master``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from aegis.errors import DataFormatError
from aegis.market.frames import INDIAVIX, NIFTY
from aegis.market.history import DATA_SUFFIXES
from aegis.market.loaders import LoadResult, load_file
from aegis.market.merge import Conflict, merge_series
from aegis.market.store import MarketStore, UpsertResult

SERIES_BY_KIND = {("daily_ohlc", NIFTY): "nifty_daily", ("daily_ohlc", INDIAVIX): "vix_daily",
                  ("intraday_ohlc", NIFTY): "nifty_intraday",
                  ("intraday_ohlc", INDIAVIX): "vix_intraday"}
KEYED = {"option_chain": ["timestamp", "expiry", "strike", "option_type"],
         "option_bars": ["timestamp", "expiry", "strike", "option_type"],
         "contract_master": ["expiry", "strike", "option_type"]}


@dataclass
class IngestReport:
    """What one ingest did: files loaded, files skipped (with why), conflicts, upserts."""

    loaded: list[LoadResult] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    conflicts: list[Conflict] = field(default_factory=list)
    upserts: dict[str, UpsertResult] = field(default_factory=dict)
    summary: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "files": [{"path": str(r.path), **r.inspect_json(), "source": r.source}
                      for r in self.loaded],
            "skipped": [{"path": p, "reason": why} for p, why in self.skipped.items()],
            "conflicts": [c.to_json() for c in self.conflicts],
            "upserts": {k: v.__dict__ for k, v in self.upserts.items()},
            "store": self.summary,
        }


def expand_paths(paths: Iterable[Path | str]) -> list[tuple[Path, bool]]:
    """Files as given, plus data files found under given folders (flag: came from a folder)."""
    out: list[tuple[Path, bool]] = []
    for p in map(Path, paths):
        if p.is_dir():
            out.extend((f, True) for f in sorted(p.rglob("*"))
                       if f.is_file() and f.suffix.lower() in DATA_SUFFIXES)
        else:
            out.append((p, False))
    return out


def series_for(result: LoadResult) -> tuple[str | None, str]:
    """The store series of a loaded file, or ``None`` and the reason it is not stored."""
    if result.kind in KEYED:
        if result.kind == "option_bars" and result.frame["strike"].isna().any():
            return None, "option bars without strike/type/expiry in the file: cannot be keyed"
        return result.kind, ""
    name = SERIES_BY_KIND.get((result.kind, result.symbol or ""))
    if name is None:
        return None, f"{result.kind} of an unrecognised symbol: not stored"
    return name, ""


def ingest_paths(paths: Iterable[Path | str], store: MarketStore,
                 progress: Callable[[Path], None] | None = None) -> IngestReport:
    """Load every file (folders recursively), merge per series, upsert into ``store``.

    Raises
    ------
    DataFormatError
        A file named explicitly cannot be read (files found in folders are skipped instead,
        with the reason in the report).
    """
    report = IngestReport()
    groups: dict[str, list[LoadResult]] = {}
    for path, from_folder in expand_paths(paths):
        if progress is not None:
            progress(path)
        try:
            result = load_file(path)
        except DataFormatError as exc:
            if not from_folder:
                raise
            report.skipped[str(path)] = str(exc)
            continue
        report.loaded.append(result)
        name, why = series_for(result)
        if name is None:
            report.skipped[str(path)] = why
        else:
            groups.setdefault(name, []).append(result)
    for name, results in groups.items():
        if name in KEYED:
            frame = pd.concat([_flat(r.frame) for r in results], ignore_index=True)
            frame = frame.drop_duplicates(KEYED[name], keep="first")
        else:
            merged = merge_series(results)
            report.conflicts.extend(merged.conflicts)
            frame = merged.frame
        report.upserts[name] = store.upsert(name, frame)
    report.summary = store.summary()
    return report


def _flat(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.reset_index() if frame.index.name else frame.reset_index(drop=True)

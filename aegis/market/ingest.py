"""Ingest market-data files into the store: load, merge per series, upsert, report.

The CLI (``aegis data ingest``) and the pipeline call :func:`ingest_paths`. Series names:
``nifty_daily``, ``vix_daily``, ``nifty_intraday``, ``vix_intraday``, ``option_chain``,
``option_bars`` (only contracts the file names), ``contract_master``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from aegis.errors import DataFormatError, StoreError
from aegis.market.frames import INDIAVIX, NIFTY
from aegis.market.history import DATA_SUFFIXES
from aegis.market.loaders import LoadResult, load_file
from aegis.market.merge import Conflict, merge_series
from aegis.market.revisions import FILE
from aegis.market.store import MarketStore, UpsertResult

SERIES_BY_KIND = {("daily_ohlc", NIFTY): "nifty_daily", ("daily_ohlc", INDIAVIX): "vix_daily",
                  ("intraday_ohlc", NIFTY): "nifty_intraday",
                  ("intraday_ohlc", INDIAVIX): "vix_intraday"}
SYMBOLS = (NIFTY, INDIAVIX)
KEYED = {"option_chain": ["timestamp", "expiry", "strike", "option_type"],
         "option_bars": ["timestamp", "expiry", "strike", "option_type"],
         "contract_master": ["expiry", "strike", "option_type"]}


@dataclass
class IngestReport:
    """What one ingest did: files loaded, skipped (with why), conflicts, upserts, held revisions.

    ``not_stored`` names each file from which nothing was stored, and why (all rows rejected,
    symbol unknown, ...): the CLI exits non-zero when it is not empty.
    """

    loaded: list[LoadResult] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    conflicts: list[Conflict] = field(default_factory=list)
    upserts: dict[str, UpsertResult] = field(default_factory=dict)
    summary: list[dict[str, Any]] = field(default_factory=list)
    held: list[dict[str, Any]] = field(default_factory=list)
    not_stored: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "files": [{"path": str(r.path), **r.inspect_json(), "source": r.source}
                      for r in self.loaded],
            "skipped": [{"path": p, "reason": why} for p, why in self.skipped.items()],
            "conflicts": [c.to_json() for c in self.conflicts],
            "upserts": {k: v.__dict__ for k, v in self.upserts.items()},
            "held": self.held,
            "not_stored": [{"path": p, "reason": why} for p, why in self.not_stored.items()],
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
    if result.frame.empty:
        return None, nothing_accepted(result)
    name = SERIES_BY_KIND.get((result.kind, result.symbol or ""))
    if name is None:
        why = result.symbol_from or "the symbol could not be told"
        return None, f"{result.kind} of an unrecognised symbol ({why}): not stored"
    return name, ""


def nothing_accepted(result: LoadResult) -> str:
    """Why a file gave no rows: its rejections counted by reason (the first three kinds)."""
    if not result.rejected:
        return "the file holds no data rows: not stored"
    kinds = Counter(" ".join(n.reason.split()[:3]) for n in result.rejected)
    listing = "; ".join(f"{k}... x{v}" for k, v in kinds.most_common(3))
    first = result.rejected[0]
    return (f"all {len(result.rejected)} rows rejected ({listing}; first: row {first.row} "
            f"{first.reason}): not stored")


def assign_symbol(result: LoadResult, symbol: str) -> LoadResult:
    """``result`` as the series ``symbol`` (``--symbol``), for index bars; others unchanged."""
    if symbol not in SYMBOLS:
        raise StoreError(f"--symbol must be one of {SYMBOLS}; got {symbol!r}")
    if result.kind not in ("daily_ohlc", "intraday_ohlc"):
        return result
    frame = result.frame.copy()
    if symbol == INDIAVIX:
        frame["volume"] = np.nan
    frame.attrs["symbol"] = symbol
    notes = [*result.notes, f"symbol {symbol} given with --symbol"
             + (f" (detected: {result.symbol})" if result.symbol not in (None, symbol) else "")]
    return replace(result, symbol=symbol, frame=frame, notes=notes, symbol_from="--symbol")


def _with_file(result: LoadResult) -> LoadResult:
    frame = result.frame.copy()
    frame[FILE] = str(Path(result.path).resolve())
    return replace(result, frame=frame)


def ingest_paths(paths: Iterable[Path | str], store: MarketStore,
                 progress: Callable[[Path], None] | None = None,
                 symbol: str | None = None) -> IngestReport:
    """Load every file (folders recursively), merge per series, upsert into ``store``.

    ``symbol`` (NIFTY50 or INDIAVIX) overrides detection for every index-bar file given.

    Raises
    ------
    DataFormatError
        A file named explicitly cannot be read (files found in folders are skipped instead,
        with the reason in the report).
    """
    report = IngestReport()
    groups: dict[str, list[LoadResult]] = {}
    explicit: set[str] = set()
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
        if symbol is not None:
            result = assign_symbol(result, symbol)
        if not from_folder:
            explicit.add(str(path))
        report.loaded.append(result)
        name, why = series_for(result)
        if name is None:
            report.skipped[str(path)] = why
        else:
            groups.setdefault(name, []).append(result)
    for name, results in groups.items():
        if name in KEYED:
            frame = pd.concat([_flat(_with_file(r).frame) for r in results], ignore_index=True)
            frame = frame.drop_duplicates(KEYED[name], keep="first")
        else:
            merged = merge_series([_with_file(r) for r in results])
            report.conflicts.extend(merged.conflicts)
            frame = merged.frame
        files = frame.pop(FILE)
        report.upserts[name] = store.upsert(name, frame, files=files)
    report.summary = store.summary()
    given = {str(Path(r.path).resolve()) for r in report.loaded}
    report.held = [c for c in store.conflicts() if c["file"] in given]
    stored_any = any(u.inserted + u.updated + u.unchanged for u in report.upserts.values())
    for skipped, why in report.skipped.items():
        if skipped in explicit or not stored_any:
            report.not_stored[skipped] = why
    return report


def _flat(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.reset_index() if frame.index.name else frame.reset_index(drop=True)

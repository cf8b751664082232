"""Daily NIFTY and India VIX history from any number of files (the backtest's input)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from aegis.errors import DataFormatError
from aegis.market.frames import INDIAVIX, NIFTY, assert_daily, empty_daily
from aegis.market.loaders import LoadResult, RowNote, load_file
from aegis.market.merge import Conflict, merge_series

DATA_SUFFIXES = (".csv", ".parquet", ".pq", ".txt")


@dataclass
class MarketHistory:
    """Merged daily NIFTY and India VIX with every file's repairs, rejections and conflicts.

    ``repairs`` and ``rejected`` map a file path to its notes; ``skipped`` maps files of a
    folder that are not daily NIFTY/VIX history to the reason.
    """

    nifty: pd.DataFrame
    vix: pd.DataFrame
    repairs: dict[str, list[RowNote]] = field(default_factory=dict)
    rejected: dict[str, list[RowNote]] = field(default_factory=dict)
    conflicts: list[Conflict] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)


def _load_daily(paths: Iterable[Path | str], symbol: str) -> list[LoadResult]:
    results = []
    for path in paths:
        r = load_file(path)
        if r.kind != "daily_ohlc":
            raise DataFormatError(r.path, f"daily {symbol} OHLC", found=f"{r.kind} data")
        if r.symbol is not None and r.symbol != symbol:
            raise DataFormatError(r.path, f"daily {symbol} OHLC", found=f"{r.symbol} levels")
        results.append(r)
    return results


def _assemble(nifty: list[LoadResult], vix: list[LoadResult]) -> MarketHistory:
    history = MarketHistory(empty_daily(NIFTY), empty_daily(INDIAVIX))
    for symbol, results in ((NIFTY, nifty), (INDIAVIX, vix)):
        if not results:
            continue
        merged = merge_series(results)
        frame = merged.frame
        frame.attrs["symbol"] = symbol
        assert_daily(frame)
        if symbol == NIFTY:
            history.nifty = frame
        else:
            history.vix = frame
        history.conflicts.extend(merged.conflicts)
        for r in results:
            history.repairs[str(r.path)] = r.repairs
            history.rejected[str(r.path)] = r.rejected
    return history


def load_history(nifty_paths: Iterable[Path | str], vix_paths: Iterable[Path | str]
                 ) -> MarketHistory:
    """Load and merge the given NIFTY and India VIX daily files.

    Raises
    ------
    DataFormatError
        A file is unreadable, not daily OHLC, or its content is the other index.
    """
    nifty = _load_daily(nifty_paths, NIFTY)
    vix = _load_daily(vix_paths, INDIAVIX)
    if not nifty:
        raise DataFormatError("<nifty files>", "at least one NIFTY daily file")
    return _assemble(nifty, vix)


def load_history_dir(folder: Path | str) -> MarketHistory:
    """Every daily NIFTY / India VIX file under ``folder`` (recursive), classified by content.

    Files of other kinds, or daily series whose symbol cannot be told, are listed in
    ``skipped``; unreadable files raise (nothing is skipped silently).
    """
    root = Path(folder)
    if not root.is_dir():
        raise DataFormatError(root, "a folder of daily history files", found="no such folder")
    nifty: list[LoadResult] = []
    vix: list[LoadResult] = []
    skipped: dict[str, str] = {}
    for path in sorted(p for p in root.rglob("*") if p.suffix.lower() in DATA_SUFFIXES):
        r = load_file(path)
        if r.kind != "daily_ohlc":
            skipped[str(path)] = f"{r.kind}, not daily history"
        elif r.symbol == NIFTY:
            nifty.append(r)
        elif r.symbol == INDIAVIX:
            vix.append(r)
        else:
            skipped[str(path)] = "daily OHLC of an unrecognised symbol (neither NIFTY nor VIX)"
    if not nifty:
        raise DataFormatError(root, "at least one NIFTY daily file in the folder",
                              found=f"{len(skipped)} other files")
    history = _assemble(nifty, vix)
    history.skipped = skipped
    return history

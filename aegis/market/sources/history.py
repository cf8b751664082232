"""Files as a source: load every file (folders recursively), classify it, merge per series.

``aegis data ingest PATHS`` and ``AEGIS_SOURCE=history`` (the folder ``AEGIS_HISTORY_DIR``) both
read files through :class:`HistorySource`. Series names: ``nifty_daily``, ``vix_daily``,
``nifty_intraday``, ``vix_intraday``, ``option_chain``, ``option_bars`` (only contracts the file
names), ``contract_master``. Overlapping index bars of several files are merged
(:func:`aegis.market.merge.merge_series`, conflicts listed); keyed series keep the first file's
row of a key. Every row remembers its file, so the store's revisions can say where it came from.

(:mod:`aegis.market.history` is the backtest's loader of daily NIFTY/VIX files into frames;
this module is the ingestion source.)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from aegis.errors import DataFormatError, StoreError
from aegis.market import identify
from aegis.market.frames import INDIAVIX, NIFTY, OHLCV
from aegis.market.history import DATA_SUFFIXES
from aegis.market.loaders import LoadResult, load_file
from aegis.market.merge import merge_series
from aegis.market.revisions import FILE
from aegis.market.sources.base import FileProvenance, MarketFrames

SERIES_BY_KIND = {("daily_ohlc", NIFTY): "nifty_daily", ("daily_ohlc", INDIAVIX): "vix_daily",
                  ("intraday_ohlc", NIFTY): "nifty_intraday",
                  ("intraday_ohlc", INDIAVIX): "vix_intraday"}
SYMBOLS = (NIFTY, INDIAVIX)
KEYED = {"option_chain": ["timestamp", "expiry", "strike", "option_type"],
         "option_bars": ["timestamp", "expiry", "strike", "option_type"],
         "contract_master": ["expiry", "strike", "option_type"]}


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
    """``result`` as the series ``symbol`` (``--symbol``), for index bars; others unchanged.

    ``--symbol`` declares, it does not override evidence: a file whose levels contradict the
    declared series (India VIX closes declared NIFTY50, or the reverse) is refused as a whole:
    its symbol becomes None and ``symbol_from`` says why, so nothing of it is stored.
    """
    if symbol not in SYMBOLS:
        raise StoreError(f"--symbol must be one of {SYMBOLS}; got {symbol!r}")
    if _uncontracted_bars(result):
        # told a traded contract by its volume, but no strike/expiry/side: the index's bars
        result = replace(result, kind="intraday_ohlc", frame=result.frame[OHLCV].copy(),
                         notes=[*result.notes, "the volume looked like a traded contract's; "
                                f"--symbol {symbol} says these are index bars"])
    if result.kind not in ("daily_ohlc", "intraday_ohlc"):
        return result
    if identify.level_contradicts(symbol, result.frame["close"], result.frame["volume"]):
        why = (f"--symbol {symbol} contradicted by the file's levels (median close "
               f"{float(result.frame['close'].median()):.2f}"
               + (f", detected {result.symbol}" if result.symbol else "")
               + f"): the file is refused as a whole, not stored as {symbol}")
        return replace(result, symbol=None, notes=[*result.notes, why], symbol_from=why)
    frame = result.frame.copy()
    if symbol == INDIAVIX:
        frame["volume"] = np.nan
    frame.attrs["symbol"] = symbol
    notes = [*result.notes, f"symbol {symbol} given with --symbol"
             + (f" (detected: {result.symbol})" if result.symbol not in (None, symbol) else "")]
    return replace(result, symbol=symbol, frame=frame, notes=notes, symbol_from="--symbol")


#: ``--symbol NIFTY50`` is refused when the median close lies above this multiple of NIFTY's
#: (widened) range for its year: another index's bars (BANKNIFTY trades at about 2.2x NIFTY).
#: Lower levels are allowed (a rebased NIFTY series is the user's to name), except India
#: VIX's (closes in its band without volume).
NIFTY_ABOVE = 1.35


def symbol_contradicted(result: LoadResult) -> str | None:
    """Why index bars cannot be the symbol given with ``--symbol`` (None when they can be).

    The evidence is the level: the median close against NIFTY 50's closing range of the
    median bar's year (:func:`aegis.market.identify.nifty_range`, loose on purpose: it
    catches another index, never a NIFTY year that ran hot), or India VIX's band.
    """
    frame = result.frame
    if result.kind not in ("daily_ohlc", "intraday_ohlc") or result.frame.empty:
        return None
    close = result.frame["close"].dropna()
    if close.empty:
        return None
    median = float(close.median())
    if result.symbol == INDIAVIX:
        if median > identify.VIX_BAND[1]:
            return (f"--symbol {INDIAVIX}: the closes (median {median:.2f}) are not India "
                    f"VIX's level (band {identify.VIX_BAND}): not stored")
        return None
    if identify.looks_like_vix(close, frame["volume"]):
        return (f"--symbol {NIFTY}: the closes (median {median:.2f}, no volume) are India "
                "VIX's level, not NIFTY 50's: not stored")
    year = int(pd.DatetimeIndex(frame.index).year[len(frame) // 2])
    lo, hi = identify.nifty_range(year)
    if lo > 0 and median > hi * NIFTY_ABOVE:
        return (f"--symbol {NIFTY}: the closes (median {median:.2f}) cannot be NIFTY 50 in "
                f"{year} (its range {lo:.0f}..{hi:.0f}, widened); another index's bars "
                "(BANKNIFTY?): not stored")
    return None


def _uncontracted_bars(result: LoadResult) -> bool:
    """Option bars that name no contract (no strike, expiry or side in the file)."""
    if result.kind != "option_bars":
        return False
    frame = result.frame
    return bool(frame["strike"].isna().all() and frame["expiry"].isna().all()
                and frame["option_type"].isna().all())


def _with_file(result: LoadResult) -> LoadResult:
    frame = result.frame.copy()
    frame[FILE] = str(Path(result.path).resolve())
    return replace(result, frame=frame)


def _flat(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.reset_index() if frame.index.name else frame.reset_index(drop=True)


@dataclass(frozen=True)
class HistorySource:
    """Market-data files and folders (recursively), loaded, classified and merged per series.

    Attributes
    ----------
    paths : sequence of paths
        Files and folders. A file named here that cannot be read raises; a file found in a
        folder that cannot be read is skipped, with the reason in the provenance.
    symbol : str or None
        NIFTY50 or INDIAVIX: declares every index-bar file (``--symbol``); a file whose
        levels contradict it is refused (:func:`assign_symbol`).
    progress : callable or None
        Called with each file's path before it is loaded (a progress bar).
    now : datetime or None
        The moment of the load (aware; default the system clock): rows that have not happened
        by then are rejected with their row and reason.
    """

    paths: Sequence[Path | str]
    symbol: str | None = None
    progress: Callable[[Path], None] | None = None
    now: datetime | None = None
    name: str = "history"

    def fetch(self) -> MarketFrames:
        """Every file's rows under its series, with each row's file and what was skipped.

        Raises
        ------
        DataFormatError
            A file named explicitly cannot be read.
        StoreError
            ``symbol`` is not NIFTY50 or INDIAVIX.
        """
        seen = FileProvenance()
        groups: dict[str, list[LoadResult]] = {}
        for path, from_folder in expand_paths(self.paths):
            if self.progress is not None:
                self.progress(path)
            try:
                result = load_file(path, now=self.now)
            except DataFormatError as exc:
                if not from_folder:
                    raise
                seen.skipped[str(path)] = str(exc)
                continue
            if self.symbol is not None:
                result = assign_symbol(result, self.symbol)
            if not from_folder:
                seen.explicit.add(str(path))
            seen.loaded.append(result)
            name, why = series_for(result)
            contradiction = symbol_contradicted(result) if self.symbol is not None else None
            if contradiction is not None:
                name, why = None, contradiction
            if name is None:
                seen.skipped[str(path)] = why
            else:
                groups.setdefault(name, []).append(result)
        frames: dict[str, pd.DataFrame] = {}
        files: dict[str, pd.Series] = {}
        for name, results in groups.items():
            if name in KEYED:
                frame = pd.concat([_flat(_with_file(r).frame) for r in results],
                                  ignore_index=True)
                frame = frame.drop_duplicates(KEYED[name], keep="first")
            else:
                merged = merge_series([_with_file(r) for r in results])
                seen.conflicts.extend(merged.conflicts)
                frame = merged.frame
            files[name] = frame.pop(FILE)
            frames[name] = frame
        notes = {"repairs": sum(len(r.repairs) for r in seen.loaded),
                 "rejected": sum(len(r.rejected) for r in seen.loaded),
                 "conflicts": len(seen.conflicts), "skipped_files": sorted(seen.skipped)}
        return MarketFrames.from_series(frames, files=files, provenance=seen, notes=notes)

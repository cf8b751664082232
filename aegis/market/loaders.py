"""Load any supported market-data file into a canonical frame, with its repairs and rejections.

``load_file(path)`` reads CSV or Parquet (:mod:`aegis.market.formats`), decides the kind from the
header and content, the symbol from the header, file name or levels (:mod:`aegis.market.identify`,
said in ``symbol_from``), rejects rows that have not happened at the load's moment (a daily bar
before its 15:30 IST close, a bar stamped after now), checks
every row (:mod:`aegis.market.repairs`,
:mod:`aegis.market.options`) and returns a :class:`LoadResult`.

Kinds and frames
----------------
``daily_ohlc``      index ``session`` (tz-naive dates), ``open, high, low, close, volume``.
                    A time-stamped file with one row per IST date is daily (Yahoo's daily bars).
``intraday_ohlc``   index ``timestamp`` (tz-aware IST, bar start), same columns.
``option_bars``     index ``timestamp``; ``open, high, low, close, volume`` (contracts traded),
                    ``oi``, ``expiry``, ``strike``, ``option_type`` (NaN/NA when the file does not
                    say, e.g. per-strike files without contract columns).
``option_chain``    long chain, :data:`aegis.market.frames.CHAIN_COLUMNS`.
``contract_master`` :data:`aegis.market.frames.CONTRACT_COLUMNS`.

Index volume of 0 means "not reported" and becomes NaN (India VIX volume is always NaN).

Intraday session window: NSE trades 09:15-15:30 IST, bars are labelled by their start, so a bar
starting at or after 15:30 (the closing print some feeds add as a 376th bar, option bars to
15:35) or before 09:15 lies outside the session and is **rejected** with that reason. A day
whose bars all lie outside the window is a special session (Muhurat trading) and is kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from aegis.errors import DataFormatError
from aegis.market import identify, options
from aegis.market.formats import (
    EXPECTED_FORMATS,
    RawTable,
    find_column,
    parse_datetimes,
    parse_numbers,
    read_table,
)
from aegis.market.frames import IST, OHLCV
from aegis.market.hours import CLOSE_AFTER_MIDNIGHT, OPEN_AFTER_MIDNIGHT
from aegis.market.repairs import RowNote, check_bars

__all__ = ["Kind", "LoadResult", "RowNote", "load_file"]

Kind = Literal["daily_ohlc", "intraday_ohlc", "option_chain", "option_bars", "contract_master"]
Source = Literal["nse", "yahoo", "upstox", "unknown"]
SESSION_OPEN = pd.Timedelta(OPEN_AFTER_MIDNIGHT)
SESSION_CLOSE = pd.Timedelta(CLOSE_AFTER_MIDNIGHT)


@dataclass
class LoadResult:
    """A loaded file: canonical ``frame`` plus what was repaired and rejected, row by row."""

    path: Path
    kind: Kind
    symbol: str | None
    source: Source
    frame: pd.DataFrame
    repairs: list[RowNote] = field(default_factory=list)
    rejected: list[RowNote] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    symbol_from: str = ""
    noted: list[RowNote] = field(default_factory=list)
    """Rows kept but worth a look: daily bars dated on a day the exchange calendar does not
    list as an NSE session (a Muhurat or Saturday session, or a wrong date), and bars whose
    open or close lies far outside their own range (an outlier: not widened, the store holds
    it for review)."""

    @property
    def rows(self) -> int:
        """Accepted rows (for a wide chain: accepted strike-sides)."""
        return len(self.frame)

    def span(self) -> tuple[str | None, str | None]:
        """First and last date (daily, contracts) or timestamp (intraday, chain), ISO."""
        if self.frame.empty:
            return None, None
        if self.kind == "daily_ohlc":
            idx = self.frame.index
            return idx[0].date().isoformat(), idx[-1].date().isoformat()
        if self.kind in ("intraday_ohlc", "option_bars"):
            idx = self.frame.index
            return idx[0].isoformat(), idx[-1].isoformat()
        if self.kind == "contract_master":
            col = self.frame["expiry"].dropna()
            return col.min().date().isoformat(), col.max().date().isoformat()
        ts = self.frame["timestamp"].dropna()
        if ts.empty:
            ex = self.frame["expiry"].dropna()
            return ex.min().date().isoformat(), ex.max().date().isoformat()
        return ts.min().isoformat(), ts.max().isoformat()

    def inspect_json(self) -> dict[str, Any]:
        """The ``aegis data inspect --json`` object (DESIGN.md contract)."""
        first, last = self.span()
        return {
            "kind": self.kind,
            "symbol": self.symbol,
            "rows": self.rows,
            "first": first,
            "last": last,
            "repairs": [n.to_json() for n in self.repairs],
            "rejected": [n.to_json() for n in self.rejected],
            "symbol_from": self.symbol_from,
            "noted": [n.to_json() for n in self.noted],
            "notes": list(self.notes),
        }


def load_file(path: Path | str, *, now: datetime | None = None) -> LoadResult:
    """Load one market-data file of any supported format, as known at ``now``.

    ``now`` (aware; default the system clock) is the moment of the load: a daily bar of a
    session whose 15:30 IST close is after it, or an intraday bar stamped after it, has not
    happened and is rejected with the row and the reason.

    Raises
    ------
    DataFormatError
        The file is missing, empty, binary, or its columns fit no supported kind; the message
        names the file and the columns expected.
    """
    table = read_table(path)
    cols = list(table.frame.columns)
    moment = now if now is not None else now_ist().to_pydatetime()
    if options.is_wide_chain(cols) or options.is_long_chain(cols):
        return _from_options(table, "option_chain", options.parse_chain(table, moment))
    if options.is_contract_master(cols):
        return _from_options(table, "contract_master", options.parse_contract_master(table))
    if find_column(cols, "date") and find_column(cols, "close"):
        return _load_bars(table, moment)
    raise DataFormatError(table.path, EXPECTED_FORMATS, found=f"columns {table.original_columns}")


def _from_options(table: RawTable, kind: Kind, parsed: options.ParsedOptions) -> LoadResult:
    symbol = identify.symbol_from_header(table.frame, table.hints)
    frame = parsed.frame
    if symbol is None and kind == "option_chain" and frame["underlying"].notna().any():
        ts = frame["timestamp"].dropna()
        when = ts.dt.tz_localize(None) if not ts.empty else frame["expiry"].dropna()
        spot = frame["underlying"].dropna()
        if not when.empty and identify.looks_like_nifty(
            pd.DatetimeIndex(when.iloc[: len(spot)]), spot.iloc[: len(when)]
        ):
            symbol = identify.NIFTY
    source = identify.detect_source(list(table.frame.columns), table.frame, table.hints,
                                    None, None)
    return LoadResult(table.path, kind, symbol, source, frame,  # type: ignore[arg-type]
                      parsed.repairs, parsed.rejected, parsed.notes)


def _contract_rows(table: RawTable) -> tuple[RawTable, list[RowNote], pd.DataFrame | None]:
    """Parse a column of NSE option symbols (``NIFTY23JUN17500CE``) into contract columns.

    Rows of such a file whose cell is not a symbol are rejected (they cannot be keyed).
    """
    cols = list(table.frame.columns)
    if find_column(cols, "strike") is not None:
        return table, [], None
    col = options.contract_symbol_column(table.frame)
    if col is None:
        return table, [], None
    parsed = options.parse_contract_symbols(table.frame[col])
    bad = parsed["strike"].isna().to_numpy()
    notes = [RowNote(int(table.row_numbers[i]), "", col,
                     f"not an option contract symbol: {table.frame[col].iloc[i]!r}")
             for i in np.flatnonzero(bad)]
    kept = table.frame[~bad].drop(columns=[col]).reset_index(drop=True)
    contracts = parsed[~bad].reset_index(drop=True)
    return RawTable(table.path, kept, table.row_numbers[~bad], table.original_columns,
                    table.hints), notes, contracts


def _load_bars(table: RawTable, now: datetime) -> LoadResult:
    table, symbol_rejects, contracts = _contract_rows(table)
    f, cols = table.frame, list(table.frame.columns)
    date_col = find_column(cols, "date") or "date"
    times, has_time = parse_datetimes(f[date_col], path=table.path, column=date_col)
    close_col = "close" if "close" in cols else find_column(cols, "close") or "close"
    prices = pd.DataFrame(index=f.index)
    raw = pd.DataFrame({"date": f[date_col]})
    notes: list[str] = []
    for c in OHLCV:
        src = close_col if c == "close" else find_column(cols, c)
        if src is None:
            prices[c] = np.nan
            raw[c] = pd.Series(pd.NA, index=f.index, dtype="string")
            if c != "volume":
                notes.append(f"no {c} column: {c} set to the close (flat bars)")
        else:
            prices[c] = parse_numbers(f[src])
            raw[c] = f[src]
    for c in ("oi", "strike", "expiry", "option_type"):
        src = find_column(cols, c)
        if src is not None:
            prices[f"_{c}"] = f[src]
    keys = None
    if contracts is not None:
        prices["_strike"] = contracts["strike"]
        prices["_option_type"] = contracts["option_type"]
        prices["_expiry"] = contracts["expiry"]
        keys = contracts["strike"].astype(str) + contracts["option_type"].astype(str)
    prices["_row"] = table.row_numbers

    daily = not has_time or _one_bar_per_day(times)
    if daily and has_time:
        times = times.dt.tz_convert(IST).dt.tz_localize(None)
    if daily:
        times = times.dt.normalize()
    if not has_time and isinstance(times.dtype, pd.DatetimeTZDtype):
        times = times.dt.tz_localize(None)

    iso = (lambda t: t.date().isoformat()) if daily else (lambda t: t.isoformat())
    checked = check_bars(times, prices, table.row_numbers, raw, iso=iso, date_column=date_col,
                         keys=keys)
    frame = checked.frame
    frame.index.name = "session" if daily else "timestamp"
    if checked.reversed_order:
        notes.append("rows were in reverse date order: sorted increasing")
    rejected = symbol_rejects + list(checked.rejected)
    contract = [c for c in ("_strike", "_option_type", "_expiry") if c in frame.columns]
    has_oi = "_oi" in frame.columns and bool((parse_numbers(frame["_oi"]).fillna(0) > 0).any())
    header_symbol = identify.symbol_from_header(f, table.hints)

    frame = _reject_future(frame, daily, date_col, rejected, now)
    symbol_from = "the file's header" if header_symbol else ""
    if contract or has_oi:
        kind: Kind = "option_bars"
        symbol = header_symbol
    elif daily:
        kind = "daily_ohlc"
        times_ = pd.DatetimeIndex(frame.index)
        symbol, symbol_from = identify.identify_symbol(
            table.path, header_symbol,
            identify.daily_symbol(cols, times_, frame["close"], frame["volume"]),
            times_, frame["close"], frame["volume"])
    else:
        contract_like = identify.is_traded_contract(frame, symbol=None)
        days = pd.DatetimeIndex(frame.index.tz_localize(None)) if len(frame) else \
            pd.DatetimeIndex([])
        symbol, symbol_from = identify.identify_symbol(
            table.path, header_symbol, _intraday_symbol(frame), days, frame["close"],
            frame["volume"], allow_name=not contract_like)
        traded = symbol is None and identify.is_traded_contract(frame, symbol=symbol)
        kind = "option_bars" if traded else "intraday_ohlc"
        if traded:
            symbol_from = ""  # a contract's bars: no index symbol to tell

    file_rows = frame["_row"].copy()
    if kind in ("intraday_ohlc", "option_bars"):
        frame = _session_window(frame, rejected, notes)
    if kind == "option_bars":
        frame = _option_bar_frame(frame)
    else:
        frame = frame[OHLCV].copy()
        frame.loc[frame["volume"] == 0, "volume"] = np.nan
        if symbol == identify.INDIAVIX:
            frame["volume"] = np.nan
    frame.attrs["symbol"] = symbol
    source = identify.detect_source(cols, f, table.hints, frame["close"],
                                    pd.DatetimeIndex(frame.index) if daily else None)
    rejected.sort(key=lambda n: n.row)
    flat = int(((frame["open"] == frame["high"]) & (frame["high"] == frame["low"])
                & (frame["low"] == frame["close"])).sum())
    if flat:
        notes.append(f"{flat} flat bars (O=H=L=C) kept: halts, illiquid or tick-floor bars")
    odd_days = non_session_notes(frame, file_rows) if kind == "daily_ohlc" else []
    if odd_days:
        notes.append(f"{len(odd_days)} daily bars on days that are not NSE sessions in the "
                     "exchange calendar kept as special sessions: "
                     + ", ".join(n.at for n in odd_days[:10]) + (" ..." if len(odd_days) > 10
                                                                 else ""))
    kept_rows = set(file_rows.tolist())
    noted = sorted([n for n in checked.flagged if n.row in kept_rows] + odd_days,
                   key=lambda n: n.row)
    return LoadResult(table.path, kind, symbol, source,  # type: ignore[arg-type]
                      frame, checked.repairs, rejected, notes, symbol_from, noted)


def non_session_notes(frame: pd.DataFrame, rows: pd.Series) -> list[RowNote]:
    """A note per daily bar dated on a day that is not an NSE session by the exchange calendar.

    NSE holds real sessions the calendar lacks (Diwali Muhurat, Saturday sessions), so such a
    bar is kept, never silently: each is listed with its row, date and weekday.
    """
    if frame.empty:
        return []
    from aegis.market.calendar import sessions

    days = pd.DatetimeIndex(frame.index)
    known = sessions(days.min(), days.max())
    odd = ~days.isin(known)
    return [RowNote(int(row), day.date().isoformat(), None,
                    f"not an NSE session in the exchange calendar ({day.day_name()}): kept as a "
                    "special session (Muhurat or Saturday trading); if the date is wrong, "
                    "`aegis data delete` removes it")
            for day, row in zip(days[odd], rows.to_numpy()[odd], strict=True)]


#: No NSE index series starts before this (NIFTY's base date is 1995-11-03, India VIX 2008).
EARLIEST = pd.Timestamp("1990-01-01")


def now_ist() -> pd.Timestamp:
    """The current time in IST: the default moment of a load when the caller gives none."""
    return pd.Timestamp.now(tz=IST)


def _reject_future(frame: pd.DataFrame, daily: bool, date_col: str,
                   rejected: list[RowNote], now: datetime) -> pd.DataFrame:
    """Reject bars that have not happened at ``now``, and bars before :data:`EARLIEST`.

    A daily bar is final only after its session's 15:30 IST close (before that the session
    exists only as intraday bars), whatever the machine's time zone; an intraday bar must start
    before ``now``. A year before :data:`EARLIEST` is a mis-parsed date (1900).
    """
    if frame.empty:
        return frame
    moment = pd.Timestamp(now).tz_convert(IST)
    idx = pd.DatetimeIndex(frame.index)
    if daily:
        closes = (idx.tz_convert(IST).tz_localize(None).normalize() if idx.tz is not None
                  else idx.normalize()) + CLOSE_AFTER_MIDNIGHT
        future = np.asarray(closes.tz_localize(IST) > moment)
        why_future = (f"its session has not closed at {moment.isoformat(timespec='minutes')} "
                      "IST: a daily bar is final only after the 15:30 IST close")
    else:
        limit = moment if idx.tz is not None else moment.tz_localize(None)
        future = np.asarray(idx > limit)
        why_future = (f"stamped after now ({moment.isoformat(timespec='minutes')} IST): "
                      "a bar that has not happened")
    naive = idx.tz_convert(IST).tz_localize(None) if idx.tz is not None else idx
    ancient = np.asarray(naive < EARLIEST)
    if not (future.any() or ancient.any()):
        return frame
    rows = frame["_row"].to_numpy()
    for mask, why in ((future, why_future),
                      (ancient, f"dated before {EARLIEST.date()}: no NSE index series is that "
                                "old (a mis-read year?)")):
        for ts, row in zip(idx[mask], rows[mask], strict=True):
            at = ts.date().isoformat() if daily else ts.isoformat()
            rejected.append(RowNote(int(row), at, date_col, why))
    return frame[~(future | ancient)]


def _one_bar_per_day(times: pd.Series) -> bool:
    """Time-stamped rows that are really daily bars: at most one per IST date."""
    valid = times.dropna()
    if valid.empty:
        return False
    local = valid.dt.tz_convert(IST) if isinstance(valid.dtype, pd.DatetimeTZDtype) else valid
    days = local.dt.normalize()
    if (local == days).all():
        return True
    return bool(len(valid) > 1 and not days.duplicated().any())


def _intraday_symbol(frame: pd.DataFrame) -> str | None:
    if frame.empty:
        return None
    days = pd.DatetimeIndex(frame.index.tz_localize(None))
    if identify.looks_like_vix(frame["close"], frame["volume"]):
        return identify.INDIAVIX
    if identify.looks_like_nifty(days, frame["close"]):
        return identify.NIFTY
    return None


def _session_window(frame: pd.DataFrame, rejected: list[RowNote], notes: list[str]
                    ) -> pd.DataFrame:
    """Reject bars outside 09:15-15:30 IST on regular days (see module docstring)."""
    if frame.empty:
        return frame
    local = pd.DatetimeIndex(frame.index)
    offset = local - local.normalize()
    inside = (offset >= SESSION_OPEN) & (offset < SESSION_CLOSE)
    day = pd.Series(local.normalize(), index=frame.index)
    regular_day = pd.Series(inside, index=frame.index).groupby(day).transform("any").to_numpy()
    outside = ~inside & regular_day
    for ts, row in zip(local[outside], frame["_row"].to_numpy()[outside], strict=True):
        when = "at or after the 15:30 close" if ts - ts.normalize() >= SESSION_CLOSE \
            else "before the 09:15 open"
        rejected.append(RowNote(int(row), ts.isoformat(), None,
                                f"bar starts {when} (NSE session 09:15-15:30 IST)"))
    special = sorted({d.date().isoformat() for d in local[~regular_day].normalize()})
    if special:
        notes.append(f"special sessions outside 09:15-15:30 kept: {', '.join(special)}")
    return frame[~outside]


def _option_bar_frame(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame[OHLCV].copy()
    out["oi"] = parse_numbers(frame["_oi"]) if "_oi" in frame.columns else np.nan
    if "_expiry" in frame.columns:
        expiry, _ = parse_datetimes(frame["_expiry"].reset_index(drop=True))
        if isinstance(expiry.dtype, pd.DatetimeTZDtype):
            expiry = expiry.dt.tz_localize(None)
        out["expiry"] = expiry.dt.normalize().to_numpy()
    else:
        out["expiry"] = pd.NaT
    out["strike"] = parse_numbers(frame["_strike"]) if "_strike" in frame.columns else np.nan
    out["option_type"] = (options.normalise_option_type(frame["_option_type"])
                          if "_option_type" in frame.columns
                          else pd.Series(pd.NA, index=frame.index, dtype="string"))
    return out

"""Telling series apart: NIFTY or India VIX, index or traded contract, which source.

The evidence, strongest first: what the file states (yfinance ticker row, a symbol column,
Upstox instrument keys), then its file name (``nifty_*.csv``, ``*indiavix*``; never when the name
also names a contract such as ``21600PE``), then the price level against NIFTY's known yearly
range or India VIX's band, volume, and the numbers' own digits (Yahoo's float32 noise such as
``4494.64990234375``). A name that the levels contradict decides nothing (say it with
``--symbol``). Level bands past the range table's last year are used only with a note saying so.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final

import numpy as np
import pandas as pd

from aegis.market.frames import INDIAVIX, NIFTY

#: NIFTY 50 yearly closing range (points), from the NSE history 2000-2022 and public records
#: after; a series is called NIFTY when >= 90% of its closes lie within its year's range +-12%.
NIFTY_YEARLY_RANGE: Final[dict[int, tuple[float, float]]] = {
    2000: (1136, 1756), 2001: (854, 1416), 2002: (922, 1193), 2003: (924, 1879),
    2004: (1388, 2080), 2005: (1902, 2842), 2006: (2632, 4015), 2007: (3576, 6159),
    2008: (2524, 6287), 2009: (2573, 5201), 2010: (4718, 6312), 2011: (4544, 6157),
    2012: (4636, 5930), 2013: (5285, 6363), 2014: (6000, 8588), 2015: (7558, 8996),
    2016: (6970, 8952), 2017: (8179, 10531), 2018: (9998, 11738), 2019: (10604, 12271),
    2020: (7610, 13981), 2021: (13634, 18477), 2022: (15293, 18812), 2023: (16945, 21778),
    2024: (21238, 26216), 2025: (21743, 26330),
}
#: The last year :data:`NIFTY_YEARLY_RANGE` covers; later years are extrapolated, and said so.
NIFTY_RANGE_LAST_YEAR: Final = max(NIFTY_YEARLY_RANGE)
#: India VIX has closed between about 8 and 86 since 2008 (annualised percent).
VIX_BAND: Final = (5.0, 100.0)
NSE_EXPORT_COLUMNS: Final = {"shares_traded", "turnover", "turnover_rs_cr", "prev_close",
                             "previous", "prevclose", "previous_close", "change", "pchange",
                             "perchange", "pct_change"}
VIX_EXPORT_COLUMNS: Final = {"prev_close", "previous", "prevclose", "previous_close", "change",
                             "pchange", "perchange", "pct_change"}
TICKERS: Final = {"^NSEI": NIFTY, "^INDIAVIX": INDIAVIX, "NIFTY 50": NIFTY, "NIFTY50": NIFTY,
                  "NIFTY": NIFTY, "INDIA VIX": INDIAVIX, "INDIAVIX": INDIAVIX}


def nifty_range(year: int) -> tuple[float, float]:
    """NIFTY's closing range for ``year`` widened by 12% (later years: the last known, +-40%)."""
    if year in NIFTY_YEARLY_RANGE:
        lo, hi = NIFTY_YEARLY_RANGE[year]
        return lo * 0.88, hi * 1.12
    last = max(NIFTY_YEARLY_RANGE)
    if year > last:
        lo, hi = NIFTY_YEARLY_RANGE[last]
        return lo * 0.6, hi * 1.4
    return 0.0, 0.0


NAME_SYMBOLS: Final = {"nifty": NIFTY, "nifty50": NIFTY, "nsei": NIFTY, "niftyindex": NIFTY,
                       "vix": INDIAVIX, "indiavix": INDIAVIX}
CONTRACT_TOKEN = re.compile(r"^(\d+(ce|pe)|ce|pe|oi|option|options|chain|contracts|fut|futures)$")


def symbol_from_name(path: Path | str) -> str | None:
    """The symbol a file's name states (``nifty_2024.csv``), or None.

    Tokens are the name's alphanumeric runs; ``banknifty`` is not ``nifty``. A name that also
    names a contract or a chain (``NIFTY_..._21600PE_5min_oi.csv``) states no index symbol; a
    name with both ``vix`` and ``nifty`` is India VIX.
    """
    tokens = [t for t in re.split(r"[^a-z0-9]+", Path(path).stem.lower()) if t]
    if any(CONTRACT_TOKEN.match(t) for t in tokens):
        return None
    found = {NAME_SYMBOLS[t] for t in tokens if t in NAME_SYMBOLS}
    return INDIAVIX if INDIAVIX in found else (NIFTY if found else None)


def level_contradicts(symbol: str, close: pd.Series, volume: pd.Series) -> bool:
    """True when the closes cannot be ``symbol``: VIX-like levels for NIFTY or the reverse."""
    if close.empty:
        return False
    if symbol == NIFTY:
        return looks_like_vix(close, volume)
    return bool(close.median() > VIX_BAND[1])


def extrapolated_note(times: pd.DatetimeIndex) -> str:
    """The caveat when NIFTY's level band was extrapolated past the range table ('' if not)."""
    late = times.year > NIFTY_RANGE_LAST_YEAR
    if not late.any():
        return ""
    return (f"; {int(late.sum())} closes after {NIFTY_RANGE_LAST_YEAR} checked against "
            f"{NIFTY_RANGE_LAST_YEAR}'s range +-40% (the range table ends in "
            f"{NIFTY_RANGE_LAST_YEAR}: name the symbol with --symbol or the file name to be sure)")


def identify_symbol(path: Path | str, header_symbol: str | None, by_level: str | None,
                    times: pd.DatetimeIndex, close: pd.Series, volume: pd.Series,
                    *, allow_name: bool = True) -> tuple[str | None, str]:
    """(symbol, how it was told): header, then file name, then levels.

    ``allow_name`` is False when the content says traded contract (then the name is no help).
    """
    if header_symbol is not None:
        return header_symbol, "the file's header"
    by_name = symbol_from_name(path) if allow_name else None
    if by_name is not None:
        if level_contradicts(by_name, close, volume):
            return None, (f"the file name says {by_name} but the closes (median "
                          f"{float(close.median()):.2f}) do not fit it; say which with --symbol")
        return by_name, "the file name"
    if by_level == INDIAVIX:
        return by_level, f"levels: closes inside India VIX's band {VIX_BAND}, no volume"
    if by_level == NIFTY:
        return by_level, "levels: closes inside NIFTY's yearly ranges" + extrapolated_note(times)
    return None, ("no symbol in the header or file name, and the closes fit neither NIFTY's "
                  "yearly ranges nor India VIX's band; say which with --symbol NIFTY50|INDIAVIX")


def looks_like_nifty(times: pd.DatetimeIndex, close: pd.Series) -> bool:
    """True when >= 90% of the closes lie in NIFTY's range for their year."""
    if close.empty:
        return False
    years = times.year.to_numpy()
    bounds = np.array([nifty_range(int(y)) for y in years])
    inside = (close.to_numpy() >= bounds[:, 0]) & (close.to_numpy() <= bounds[:, 1])
    return bool(inside.mean() >= 0.9)


def looks_like_vix(close: pd.Series, volume: pd.Series) -> bool:
    """India VIX: closes inside :data:`VIX_BAND` and no traded volume."""
    if close.empty:
        return False
    in_band = ((close >= VIX_BAND[0]) & (close <= VIX_BAND[1])).mean() >= 0.99
    no_volume = bool(volume.isna().all() or (volume.fillna(0) == 0).all())
    return bool(in_band and no_volume)


def symbol_from_header(raw: pd.DataFrame, hints: dict[str, str]) -> str | None:
    """A symbol the file states itself: yfinance ticker row, a symbol column, Upstox keys."""
    if hints.get("ticker"):
        return TICKERS.get(hints["ticker"].upper())
    for col in ("symbol", "ticker", "index_name", "index", "underlying_key", "trading_symbol"):
        if col in raw.columns:
            values = raw[col].dropna().astype("string").str.strip().str.upper().unique()
            if len(values) == 1:
                value = str(values[0]).split("|")[-1].strip()
                if value in TICKERS:
                    return TICKERS[value]
            if col == "trading_symbol" and len(values) and all(
                str(v).startswith("NIFTY ") for v in values
            ):
                return NIFTY
    return None


def daily_symbol(
    raw_columns: list[str], times: pd.DatetimeIndex, close: pd.Series, volume: pd.Series
) -> str | None:
    """NIFTY50 / INDIAVIX by level, volume and VIX-export columns; None when unsure."""
    if looks_like_vix(close, volume):
        return INDIAVIX
    if looks_like_nifty(times, close) and not (set(raw_columns) & VIX_EXPORT_COLUMNS
                                                and close.median() < 200):
        return NIFTY
    return None


def is_traded_contract(frame: pd.DataFrame, *, symbol: str | None) -> bool:
    """Intraday bars of a traded contract rather than an index.

    Index feeds carry no volume; an option's bars show trades (volume on >= 5% of bars) or,
    when illiquid, stand still (>= 50% flat bars). NIFTY-level series are never contracts here.
    """
    if symbol == NIFTY or len(frame) == 0:
        return False
    traded = (frame["volume"].fillna(0) > 0).mean() >= 0.05
    flat = ((frame["open"] == frame["high"]) & (frame["high"] == frame["low"])
            & (frame["low"] == frame["close"])).mean() >= 0.5
    return bool(traded or flat)


def detect_source(
    columns: list[str], raw: pd.DataFrame, hints: dict[str, str], close: pd.Series | None,
    sessions: pd.DatetimeIndex | None,
) -> str:
    """``yahoo`` | ``nse`` | ``upstox`` | ``unknown`` from header and content.

    Yahoo: the yfinance header, an ``Adj Close`` column, or float32 noise in most closes.
    NSE: NSE export columns (``Shares Traded``, ``Prev. Close``, ``Change`` ...) or weekend
    special sessions (Muhurat, Saturday sessions), which Yahoo's history omits.
    Upstox: ``NSE_FO|``/``NSE_INDEX|`` instrument keys.
    """
    if hints.get("header") == "yfinance" or "adj_close" in columns:
        return "yahoo"
    for col in ("instrument_key", "ce_instrument_key", "underlying_key"):
        if col in raw.columns and raw[col].astype("string").str.startswith("NSE_").any():
            return "upstox"
    if close is not None and len(close) and _float32_noise(close):
        return "yahoo"
    if set(columns) & NSE_EXPORT_COLUMNS:
        return "nse"
    if sessions is not None and len(sessions) and (sessions.day_of_week >= 5).any():
        return "nse"
    return "unknown"


def _float32_noise(close: pd.Series) -> bool:
    c = close.dropna().to_numpy(dtype="float64")
    if len(c) == 0:
        return False
    off_grid = np.abs(c * 100 - np.round(c * 100)) > 1e-6
    is_f32 = c.astype("float32").astype("float64") == c
    return bool(off_grid.mean() > 0.3 and is_f32.mean() > 0.99)

"""The canonical frames every stage exchanges, with their units.

Daily OHLC (NIFTY, India VIX)
    ``pandas.DataFrame`` indexed by ``session`` (``DatetimeIndex``, tz-naive, normalised to
    midnight, unique, increasing). Columns ``open, high, low, close`` (float64, index points;
    India VIX in annualised percent) and ``volume`` (float64, shares; NaN when unknown, always
    NaN for VIX). ``frame.attrs["symbol"]`` is ``"NIFTY50"`` or ``"INDIAVIX"``.

Intraday OHLC
    Indexed by ``timestamp`` (tz-aware, ``Asia/Kolkata``, bar *start*), columns as daily.

Option chain (long format, one row per strike and side)
    Columns ``timestamp`` (tz-aware IST, when the snapshot was taken), ``expiry`` (datetime64,
    normalised date), ``strike`` (float64), ``option_type`` (``"CE"``/``"PE"``), ``oi``
    (contracts), ``oi_change``, ``last_price`` (rupees), ``iv`` (annualised percent, NaN when
    unknown), ``bid``, ``ask``, ``volume``, ``underlying`` (spot at the snapshot, NaN if unknown).

Contract master
    Columns ``expiry``, ``strike``, ``option_type``, ``lot_size``, ``tick_size``, ``weekly`` (bool).
"""

from __future__ import annotations

from typing import Final

import pandas as pd

from aegis.market.hours import MARKET_TZ

IST: Final = MARKET_TZ
NIFTY: Final = "NIFTY50"
INDIAVIX: Final = "INDIAVIX"

OHLC: Final = ["open", "high", "low", "close"]
OHLCV: Final = ["open", "high", "low", "close", "volume"]
CHAIN_COLUMNS: Final = [
    "timestamp",
    "expiry",
    "strike",
    "option_type",
    "oi",
    "oi_change",
    "last_price",
    "iv",
    "bid",
    "ask",
    "volume",
    "underlying",
]
CONTRACT_COLUMNS: Final = ["expiry", "strike", "option_type", "lot_size", "tick_size", "weekly"]


def empty_daily(symbol: str) -> pd.DataFrame:
    """An empty daily frame with the canonical columns and index."""
    frame = pd.DataFrame(
        {c: pd.Series(dtype="float64") for c in OHLCV},
        index=pd.DatetimeIndex([], name="session"),
    )
    frame.attrs["symbol"] = symbol
    return frame


def assert_daily(frame: pd.DataFrame) -> None:
    """Raise ``ValueError`` if ``frame`` is not a canonical daily frame (a programming error)."""
    if not isinstance(frame.index, pd.DatetimeIndex) or frame.index.name != "session":
        raise ValueError("daily frame must be indexed by a DatetimeIndex named 'session'")
    if frame.index.tz is not None:
        raise ValueError("daily frame index must be tz-naive dates")
    if not frame.index.is_monotonic_increasing or not frame.index.is_unique:
        raise ValueError("daily frame sessions must be unique and increasing")
    missing = [c for c in OHLCV if c not in frame.columns]
    if missing:
        raise ValueError(f"daily frame lacks columns {missing}")

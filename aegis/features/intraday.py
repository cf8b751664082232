"""Intraday features, one row per session, from 1-minute or 5-minute NIFTY bars.

Each session's row is computed from that session's bars only (as of its last bar), so it is
point-in-time at the session close. Sessions are the IST calendar dates of the bar starts.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd

from aegis.errors import FeatureInputError
from aegis.features._inputs import require_columns
from aegis.features.volatility import TRADING_DAYS
from aegis.market.hours import MARKET_TZ

OPENING_RANGE: Final = pd.Timedelta(minutes=15)
"""Length of the opening range, from the session's first bar start."""

INTRADAY_FEATURES: Final[dict[str, str]] = {
    "intraday_rv": "sqrt(252 * sum of squared intraday log returns) (annualised fraction)",
    "opening_range_position": "(last close - OR low) / (OR high - OR low); OR = first 15 min",
    "vwap_distance": "last close / VWAP - 1 (fraction); TWAP of typical price without volume",
    "vwap_volume_weighted": "1.0 when VWAP was volume-weighted, 0.0 when it is the TWAP",
    "bars": "number of bars in the session",
}


def build_intraday_features(bars: pd.DataFrame) -> pd.DataFrame:
    """Per-session intraday realised vol, opening-range position and VWAP distance.

    Parameters
    ----------
    bars : DataFrame
        Canonical intraday frame: indexed by tz-aware ``timestamp`` (bar *start*, converted to
        Asia/Kolkata), columns ``open, high, low, close`` (points) and optionally ``volume``.

    Returns
    -------
    DataFrame, one row per session (index ``session``, tz-naive date), float64 columns
    :data:`INTRADAY_FEATURES`:

    ``intraday_rv``
        ``sqrt(252 * sum_i r_i^2)`` with ``r_0 = ln(C_0/O_0)`` and ``r_i = ln(C_i/C_{i-1})``
        inside the session (no overnight gap): the day's realised variance, annualised. The
        sum does not depend on the bar size, so 1-min and 5-min bars are comparable (1-min bars
        carry a little more microstructure noise).
    ``opening_range_position``
        Where the session's last close sits in the high-low range of the bars starting in the
        first 15 minutes: 0 at the range low, 1 at its high, below 0 / above 1 after a breakout.
        NaN when that range is flat.
    ``vwap_distance``
        ``C_last / VWAP - 1``, VWAP over the session's typical prices ``(H+L+C)/3`` weighted by
        volume. **When volume is absent, all zero or NaN for the session (index bars usually
        carry no volume), the plain time-weighted average of the typical price (TWAP) is used
        instead**, and ``vwap_volume_weighted`` is 0.0 for that session.
    ``bars``
        Bars in the session (a 15:30 closing bar, when present, is kept).

    Raises
    ------
    FeatureInputError
        Missing columns, an index that is not tz-aware timestamps, or non-positive prices.
    """
    require_columns(bars, ["open", "high", "low", "close"], "intraday bars")
    index = bars.index
    if not isinstance(index, pd.DatetimeIndex) or index.tz is None:
        raise FeatureInputError(
            "intraday bars: expected a tz-aware DatetimeIndex of bar starts; "
            f"found {type(index).__name__} tz={getattr(index, 'tz', None)}"
        )
    frame = bars.sort_index()
    frame.index = frame.index.tz_convert(MARKET_TZ)
    prices = frame[["open", "high", "low", "close"]].astype("float64")
    if (prices.to_numpy() <= 0).any():
        row, col = np.argwhere(prices.to_numpy() <= 0)[0]
        raise FeatureInputError(
            f"intraday bars, row {row + 1} ({prices.index[row]}), column "
            f"{prices.columns[col]!r}: expected a positive price; found {prices.iat[row, col]!r}"
        )
    if "volume" in frame.columns:
        volume = frame["volume"].astype("float64")
    else:
        volume = pd.Series(np.nan, index=frame.index)
    session = pd.DatetimeIndex(frame.index.tz_localize(None).normalize(), name="session")

    rows = [_session_row(prices.iloc[pos], volume.iloc[pos]) for pos in _session_slices(session)]
    out = pd.DataFrame(rows, index=session.unique(), columns=list(INTRADAY_FEATURES))
    return out.astype("float64")


def _session_slices(session: pd.DatetimeIndex) -> list[slice]:
    """Positional slices of each session's bars (``session`` is sorted)."""
    codes = session.to_numpy()
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    ends = np.r_[starts[1:], len(codes)]
    return [slice(int(a), int(b)) for a, b in zip(starts, ends, strict=True)]


def _session_row(prices: pd.DataFrame, volume: pd.Series) -> list[float]:
    o = prices["open"].to_numpy()
    h = prices["high"].to_numpy()
    low = prices["low"].to_numpy()
    c = prices["close"].to_numpy()
    returns = np.log(np.r_[c[0] / o[0], c[1:] / c[:-1]])
    rv = float(np.sqrt(TRADING_DAYS * np.sum(returns**2)))

    in_range = prices.index < prices.index[0] + OPENING_RANGE
    or_high, or_low = float(h[in_range].max()), float(low[in_range].min())
    width = or_high - or_low
    position = (c[-1] - or_low) / width if width > 0 else np.nan

    typical = (h + low + c) / 3.0
    vol = volume.to_numpy()
    weighted = bool(np.all(np.isfinite(vol)) and np.all(vol >= 0) and vol.sum() > 0)
    vwap = float(np.sum(typical * vol) / vol.sum()) if weighted else float(typical.mean())
    return [rv, float(position), float(c[-1] / vwap - 1.0), float(weighted), float(len(c))]

"""Helper columns computed before validation, one preparer per suite.

Great Expectations checks one row (or one pair of columns) at a time; rules that relate a row
to its neighbours (gaps between sessions, the strike grid, call prices across strikes, nulls
after warm-up) are expressed as helper columns computed here and checked by plain column
expectations in the top-level ``expectations/*.json``. Each suite's
``meta.helper_columns`` documents them.

Every preparer returns a new frame with a fresh ``RangeIndex`` (row positions are what GX
reports as unexpected indices) and the frame's index turned into a column (``session`` or
``timestamp``). The input frame is never modified.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from aegis.errors import ValidationInputError
from aegis.market.hours import CLOSE_AFTER_MIDNIGHT, MARKET_TZ

Preparer = Callable[[pd.DataFrame], pd.DataFrame]

IST = MARKET_TZ
EXPIRY_CLOSE = pd.Timedelta(CLOSE_AFTER_MIDNIGHT)
"""NSE's closing time on the expiry date (IST wall clock)."""

QUOTED_MIN_PRICE = 0.0
"""A call counts as quoted when its ``last_price`` is strictly above this (rupees)."""


def _index_to_column(frame: pd.DataFrame, name: str, what: str) -> pd.DataFrame:
    """``frame`` with its ``name`` index (or column) as the first column and a RangeIndex."""
    if frame.index.name == name:
        out = frame.reset_index()
    elif name in frame.columns:
        out = frame.reset_index(drop=True)
    else:
        raise ValidationInputError(
            f"{what}: expected an index or column named {name!r}; "
            f"found index {frame.index.name!r} and columns {list(frame.columns)}"
        )
    if not pd.api.types.is_datetime64_any_dtype(out[name]):
        raise ValidationInputError(
            f"{what}: expected {name!r} to hold datetimes; found dtype {out[name].dtype}"
        )
    return out


def prepare_daily(frame: pd.DataFrame) -> pd.DataFrame:
    """Daily OHLC frame -> ``session`` column + ``gap_days``.

    ``gap_days`` is the number of calendar days since the previous row's session (float, null
    on the first row); with rows out of order it is zero or negative, with duplicates zero.
    """
    out = _index_to_column(frame, "session", "daily frame")
    out["gap_days"] = out["session"].diff() / pd.Timedelta(days=1)
    return out


def prepare_intraday(frame: pd.DataFrame) -> pd.DataFrame:
    """Intraday bars -> ``timestamp`` column + ``tz_offset_minutes``, ``minute_of_day``,
    ``second_of_minute`` and ``minute_move``.

    ``tz_offset_minutes`` is the timestamps' UTC offset in minutes (330 for Asia/Kolkata; null
    for tz-naive timestamps). ``minute_of_day`` is the bar start in IST minutes after midnight
    (naive timestamps are taken as IST wall-clock times); ``second_of_minute`` its seconds
    (0: bars start on the minute). ``minute_move`` is ``|ln(close / previous close)|`` within
    the bar's IST day (null on a day's first bar).
    """
    out = _index_to_column(frame, "timestamp", "intraday frame")
    stamps = out["timestamp"]
    if stamps.dt.tz is None:
        out["tz_offset_minutes"] = np.nan
        local = stamps
    else:
        offsets = [ts.utcoffset() for ts in stamps]
        out["tz_offset_minutes"] = [
            np.nan if off is None else off.total_seconds() / 60.0 for off in offsets
        ]
        local = stamps.dt.tz_convert(IST)
    out["minute_of_day"] = (local.dt.hour * 60 + local.dt.minute).astype("float64")
    out["second_of_minute"] = (local.dt.second + local.dt.microsecond / 1e6).astype("float64")
    close = (pd.to_numeric(out["close"], errors="coerce").astype("float64")
             if "close" in out.columns else pd.Series(np.nan, index=out.index))
    with np.errstate(divide="ignore", invalid="ignore"):
        log_close = np.log(close.where(close > 0))
    out["minute_move"] = log_close.groupby(local.dt.date.to_numpy()).diff().abs()
    return out


def _modal_step(strikes: pd.Series) -> float:
    """The most common positive gap between consecutive distinct strikes (NaN if < 2 strikes).

    Ties go to the smallest gap, so a grid of 50s with a few 100s far out reads as 50.
    """
    distinct = np.unique(strikes.dropna().to_numpy(dtype="float64"))
    gaps = np.round(np.diff(distinct), 6)
    if gaps.size == 0:
        return float("nan")
    values, counts = np.unique(gaps, return_counts=True)
    return float(values[np.argmax(counts)])


def _grid_offset(strikes: pd.Series, step: float) -> pd.Series:
    """``(strike - lowest strike) mod step``; a remainder within 1e-6 of ``step`` counts as 0
    (float noise on the grid, not a broken strike). All zeros when ``step`` is NaN."""
    if np.isnan(step):
        return pd.Series(0.0, index=strikes.index)
    offset = np.round((strikes - strikes.min()) % step, 6)
    return offset.where(~np.isclose(offset, step), 0.0)


def prepare_chain(frame: pd.DataFrame) -> pd.DataFrame:
    """Long option chain -> ``strike_step``, ``strike_grid_offset``, ``call_price_rise``.

    Computed per ``(timestamp, expiry)`` snapshot:

    - ``strike_step``: modal spacing of the distinct strikes (index points);
    - ``strike_grid_offset``: ``(strike - lowest strike) mod strike_step`` (0 on the grid);
    - ``call_price_rise``: for calls with ``last_price > 0`` sorted by strike, the rise of
      ``last_price`` from the previous quoted call (rupees); null for puts, unquoted calls and
      the lowest quoted call. Calls must not get dearer as the strike rises;
    - ``hours_to_expiry``: hours from ``timestamp`` to 15:30 IST on ``expiry`` (tz-naive
      timestamps are read as IST); negative when the chain was quoted after its expiry.
    """
    missing = [c for c in ("timestamp", "expiry", "strike", "option_type", "last_price")
               if c not in frame.columns]
    if missing:
        raise ValidationInputError(
            f"option chain: expected columns {missing}; found columns {list(frame.columns)}"
        )
    out = frame.reset_index(drop=True).copy()
    out["strike_step"] = np.nan
    out["strike_grid_offset"] = np.nan
    out["call_price_rise"] = np.nan
    out["hours_to_expiry"] = _hours_to_expiry(out["timestamp"], out["expiry"])
    for _, snap in out.groupby(["timestamp", "expiry"], sort=False, dropna=False):
        step = _modal_step(snap["strike"])
        out.loc[snap.index, "strike_step"] = step
        out.loc[snap.index, "strike_grid_offset"] = _grid_offset(snap["strike"], step)
        calls = snap[(snap["option_type"] == "CE") & (snap["last_price"] > QUOTED_MIN_PRICE)]
        calls = calls.sort_values("strike", kind="stable")
        out.loc[calls.index, "call_price_rise"] = calls["last_price"].diff()
    return out


def _hours_to_expiry(stamps: pd.Series, expiry: pd.Series) -> pd.Series:
    """Hours from each snapshot to its expiry's close, 15:30 IST on the expiry date."""
    stamps = pd.to_datetime(stamps)
    if stamps.dt.tz is None:
        stamps = stamps.dt.tz_localize(IST)
    close = pd.to_datetime(expiry).dt.normalize() + EXPIRY_CLOSE
    if close.dt.tz is None:
        close = close.dt.tz_localize(IST)
    return ((close - stamps) / pd.Timedelta(hours=1)).astype("float64")


def prepare_features(frame: pd.DataFrame) -> pd.DataFrame:
    """Feature table -> ``session`` column + ``late_null_features`` and ``complete_row``.

    ``late_null_features`` names (comma-separated, ``""`` when none) the features that are null
    at the row although they had a value at an earlier row: nulls before a feature's first value
    are its warm-up, nulls after it are holes. ``complete_row`` is 1.0 where every feature has a
    value, else 0.0.
    """
    out = _index_to_column(frame, "session", "feature table")
    features = [c for c in frame.columns if c != "session"]
    values = out[features]
    nulls = values.isna()
    started = values.notna().cummax()
    late = (nulls & started).to_numpy()
    names = np.array(features, dtype=object)
    out["late_null_features"] = pd.array(
        [",".join(names[row]) for row in late], dtype="str"
    )
    out["complete_row"] = (~nulls.any(axis=1)).astype("float64")
    return out


PREPARERS: dict[str, Preparer] = {
    "nifty_daily": prepare_daily,
    "vix_daily": prepare_daily,
    "intraday_bars": prepare_intraday,
    "option_chain": prepare_chain,
    "features": prepare_features,
}
"""Suite name -> the preparer that adds its helper columns."""

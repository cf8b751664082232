"""Features of the moment: today's session so far as a provisional bar, the time left as inputs.

The daily feature table (:mod:`aegis.features.daily`) is computed at closes. During a session
the snapshot needs the same inputs *now*: spot and India VIX from today's bars, today's session
so far as a provisional daily bar (open = first bar's open, high/low = the extremes so far,
close = the last bar's close), and the horizon from now to the expiry close as a continuous
input. Pure functions: frames and a :class:`~aegis.market.moment.Moment` in, frames out.

:func:`overnight_share` estimates ``g``, the share of a close-to-close session's variance the
overnight gap carries (``tau`` in :mod:`aegis.market.moment`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
import pandas as pd

from aegis.analytics.ranges import implied_move
from aegis.features.forecast import structural_logits
from aegis.market.hours import MARKET_TZ
from aegis.market.moment import Moment

#: Sessions of daily history a provisional row is computed on: the longest window (a 252-session
#: percentile of a 20-session vol) plus a margin over which Wilder's and MACD's exponential
#: smoothing forget their start (0.93^400 < 1e-12).
TAIL_SESSIONS = 700

GAP_WINDOW = 750
"""Sessions (about three years) of daily bars the overnight-gap share is estimated on."""

GAP_MIN_SESSIONS = 120


@dataclass(frozen=True)
class GapShare:
    """``g``: the overnight gap's share of close-to-close variance, and what it rests on."""

    value: float
    n: int
    first: date | None
    last: date | None
    method: str


def overnight_share(nifty: pd.DataFrame, window: int = GAP_WINDOW) -> GapShare:
    """``g = sum ln(O_t/C_{t-1})^2 / sum ln(C_t/C_{t-1})^2`` over the last ``window`` sessions.

    Sessions whose open is not a traded open are left out: a flat bar (O=H=L=C, a repaired or
    illiquid row) or an open equal to the previous close to the paisa (files that fill the open
    with the last close). Fewer than :data:`GAP_MIN_SESSIONS` usable sessions: ``g = 0`` (every
    minute of today's session weighs as much as a whole session's share), said in ``method``.
    """
    bars = nifty[["open", "high", "low", "close"]].astype("float64").iloc[-(window + 1):]
    prev = bars["close"].shift(1)
    flat = (bars["open"] == bars["high"]) & (bars["high"] == bars["low"]) & (
        bars["low"] == bars["close"])
    usable = prev.notna() & ~flat & (bars["open"] != prev) & (bars["open"] > 0)
    gap = np.log(bars["open"] / prev)[usable]
    cc = np.log(bars["close"] / prev)[usable]
    n = int(usable.sum())
    if n < GAP_MIN_SESSIONS or float((cc**2).sum()) <= 0:
        return GapShare(0.0, n, None, None,
                        f"g = 0 assumed: only {n} sessions with a traded open "
                        f"(< {GAP_MIN_SESSIONS}) in the last {window}")
    g = float(np.clip((gap**2).sum() / (cc**2).sum(), 0.0, 0.9))
    days = pd.DatetimeIndex(gap.index)
    return GapShare(g, n, days.min().date(), days.max().date(),
                    f"sum of squared overnight gaps ln(open/previous close) over sum of squared "
                    f"close-to-close returns, {n} sessions {days.min().date()}.."
                    f"{days.max().date()}")


def bars_before(bars: pd.DataFrame | None, day: date, at: datetime) -> pd.DataFrame:
    """``day``'s bars (IST date) that started before ``at``; empty when there are none."""
    if bars is None or bars.empty:
        return pd.DataFrame(columns=["open", "high", "low", "close"])
    idx = pd.DatetimeIndex(bars.index)
    local = idx.tz_convert(MARKET_TZ)
    keep = (local.tz_localize(None).normalize() == pd.Timestamp(day)) & (
        idx < pd.Timestamp(at))
    return bars[np.asarray(keep)]


def provisional_bar(bars: pd.DataFrame, day: date) -> pd.DataFrame:
    """Today's session so far as one daily bar indexed by ``day`` (``bars`` non-empty)."""
    row = {"open": float(bars["open"].iloc[0]), "high": float(bars["high"].max()),
           "low": float(bars["low"].min()), "close": float(bars["close"].iloc[-1])}
    out = pd.DataFrame([row], index=pd.DatetimeIndex([pd.Timestamp(day)], name="session"))
    return out


def with_provisional(daily: pd.DataFrame, bar: pd.DataFrame) -> pd.DataFrame:
    """The last :data:`TAIL_SESSIONS` closed sessions of ``daily`` with ``bar`` appended."""
    tail = daily[daily.index < bar.index[0]].iloc[-TAIL_SESSIONS:]
    cols = [c for c in tail.columns if c in bar.columns]
    return pd.concat([tail[cols].astype("float64"), bar[cols]])


def horizon_inputs(row: pd.Series, moment: Moment, gap_share: float, vix_now: float
                   ) -> pd.Series:
    """``row`` (the features of the moment's base close) with the time-left inputs of ``moment``.

    The horizon becomes continuous: ``days_to_expiry`` = calendar days from ``t`` to the expiry
    close, ``sessions_to_expiry`` = sessions of variance left (``tau * 252``: the rest of today
    weighed by ``1 - g``), their logarithm and the non-trading days, the implied move and the
    structural trap/stress logits recomputed with India VIX now. The other features stay those
    of the base row (the close, or today's provisional bar).
    """
    out = row.copy()
    days = moment.days
    h = moment.horizon(gap_share)
    out["vix"] = vix_now
    out["days_to_expiry"] = days
    out["sessions_to_expiry"] = h
    out["log_sessions_to_expiry"] = float(np.log(h)) if h > 0 else np.nan
    out["weekend_days"] = days - h
    out["expected_move_pct"] = float(implied_move(vix_now / 100.0, days))
    har_var = float(row["rv_har_parkinson"]) ** 2 / 252.0
    logits = structural_logits(pd.Series([vix_now]), pd.Series([days]),
                               pd.Series([max(h, 1.0)]), pd.Series([har_var]))
    out["trap_structural_logit"] = float(logits["trap_structural_logit"].iloc[0])
    out["stress_structural_logit"] = float(logits["stress_structural_logit"].iloc[0])
    return out


__all__ = ["GAP_WINDOW", "TAIL_SESSIONS", "GapShare", "bars_before", "horizon_inputs",
           "overnight_share", "provisional_bar", "with_provisional"]

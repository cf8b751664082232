"""``k`` for less than one session left, fitted on intraday history where the store has it.

Close-to-close windows are never shorter than a session, so the expiry day's session in
progress has no daily window to fit ``k`` on. Past sessions' 1-minute bars give the nearest
empirical analogue: from each 30-minute slot ``t`` of a past session to that session's close,
the standardised move ``z = |C/S_t - 1| / (sigma_t * sqrt(tau_t))`` with ``sigma_t`` India VIX at
``t`` (its last bar before ``t``, else the previous close) and ``tau_t`` the trading time left
to the close (``minutes/375 * (1 - g)/252``), the same standardisation the snapshot publishes.
``k`` is the ``confidence`` quantile (inverted CDF) of the remainders of sessions before today,
once at least :data:`MIN_SESSIONS` sessions and :data:`MIN_WINDOWS` windows exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from aegis.analytics.ranges import quantile_inverted_cdf
from aegis.market.hours import MARKET_TZ

MIN_SESSIONS = 20
MIN_WINDOWS = 52
SLOT_MINUTES = 30
SESSION_MINUTES = 375.0


@dataclass(frozen=True)
class IntradayFit:
    """``k`` of the session remainders and what it was fitted on."""

    k: float
    n: int
    sessions: int
    first: date
    last: date
    method: str


def remainder_windows(nifty_bars: pd.DataFrame, vix_bars: pd.DataFrame | None,
                      vix_daily: pd.DataFrame, gap_share: float) -> pd.DataFrame:
    """One row per (past session, 30-minute slot from 09:45): ``session, minutes_left, z``."""
    idx = pd.DatetimeIndex(nifty_bars.index).tz_convert(MARKET_TZ)
    frame = pd.DataFrame({"close": nifty_bars["close"].to_numpy(float)}, index=idx)
    day = idx.tz_localize(None).normalize()
    minute = (idx.hour * 60 + idx.minute) - (9 * 60 + 15)
    rows: list[tuple[pd.Timestamp, float, float]] = []
    vix_close = vix_daily["close"].astype(float)
    vix_idx = (pd.DatetimeIndex(vix_bars.index).tz_convert(MARKET_TZ)
               if vix_bars is not None and len(vix_bars) else None)
    for session in np.unique(day.values):
        mask = np.asarray(day == session)
        closes, minutes = frame["close"].to_numpy()[mask], np.asarray(minute)[mask]
        if len(closes) < 300:  # not a whole session of bars: its close is not in them
            continue
        final = closes[-1]
        prev = vix_close[vix_close.index < pd.Timestamp(session)]
        for slot in range(SLOT_MINUTES, int(SESSION_MINUTES), SLOT_MINUTES):
            before = minutes < slot
            if not before.any():
                continue
            spot = closes[before][-1]
            sigma = _vix_at(vix_bars, vix_idx, pd.Timestamp(session), slot, prev)
            if sigma is None:
                continue
            tau = (SESSION_MINUTES - slot) / SESSION_MINUTES * (1.0 - gap_share) / 252.0
            rows.append((pd.Timestamp(session), SESSION_MINUTES - slot,
                         abs(final / spot - 1.0) / (sigma / 100.0 * np.sqrt(tau))))
    return pd.DataFrame(rows, columns=["session", "minutes_left", "z"])


def _vix_at(vix_bars: pd.DataFrame | None, vix_idx: pd.DatetimeIndex | None,
            session: pd.Timestamp, slot: int, prev: pd.Series) -> float | None:
    if vix_bars is not None and vix_idx is not None:
        start = pd.Timestamp(session).tz_localize(MARKET_TZ) + pd.Timedelta(minutes=9 * 60 + 15)
        sel = (vix_idx >= start) & (vix_idx < start + pd.Timedelta(minutes=slot))
        if sel.any():
            return float(vix_bars["close"].to_numpy(float)[np.asarray(sel)][-1])
    return float(prev.iloc[-1]) if len(prev) else None


def fit_remainder_k(windows: pd.DataFrame, confidence: float, *, before: date
                    ) -> IntradayFit | None:
    """The fit on the sessions before ``before``, or None with too little history."""
    past = windows[pd.DatetimeIndex(windows["session"]) < pd.Timestamp(before)]
    sessions = pd.DatetimeIndex(past["session"]).unique()
    if len(sessions) < MIN_SESSIONS or len(past) < MIN_WINDOWS:
        return None
    k = quantile_inverted_cdf(np.sort(past["z"].to_numpy(float)), confidence)
    return IntradayFit(
        k=float(k), n=len(past), sessions=len(sessions), first=sessions.min().date(),
        last=sessions.max().date(),
        method=(f"{confidence:g} quantile of the standardised moves from each 30-minute slot "
                f"to the session's close of {len(past)} session remainders ({len(sessions)} "
                f"sessions of intraday bars, {sessions.min().date()}..{sessions.max().date()})"))


__all__ = ["MIN_SESSIONS", "MIN_WINDOWS", "IntradayFit", "fit_remainder_k", "remainder_windows"]

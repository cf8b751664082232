"""Past weekly windows: from the first session after one weekly expiry to the next expiry.

A window starts at the close of session ``t`` -- the first session after the previous weekly
expiry -- and ends at the close of ``next_weekly_expiry(t, sessions)`` (strictly after ``t``;
:mod:`aegis.market.calendar`'s rule applied to the data's own sessions, so that holidays in the
data move the expiry to the previous session).
One window per week; consecutive windows do not overlap. The leading partial week of the data
is skipped (the first window starts after the first expiry found in the data) and a trailing
window whose expiry lies beyond the data is left out (its outcome is unknown).
"""

from __future__ import annotations

import bisect

import numpy as np
import pandas as pd

from aegis.analytics.ranges import standardised_move
from aegis.errors import InsufficientHistoryError
from aegis.market.calendar import THURSDAY, TUESDAY, TUESDAY_FROM

VIX_CARRY_SESSIONS = 2
"""A missing VIX close is carried forward at most this many sessions (known at t)."""

WINDOW_COLUMNS = [
    "start", "expiry", "spot", "vix", "days", "sessions",
    "close_at_expiry", "path_high", "path_low", "z_abs",
]


def vix_on_sessions(vix: pd.DataFrame, sessions: pd.DatetimeIndex) -> pd.Series:
    """India VIX close (percent) on each session, carried forward at most 2 sessions."""
    return (
        vix["close"].astype("float64").reindex(sessions).ffill(limit=VIX_CARRY_SESSIONS)
    )


def weekly_expiry_positions(sessions: pd.DatetimeIndex) -> np.ndarray:
    """Positions in ``sessions`` of every weekly expiry inside the data's span, increasing.

    Vectorised form of :func:`aegis.market.calendar.next_weekly_expiry` given the data's own
    sessions: each Monday-Sunday week's expiry weekday (Thursday, Tuesday from the week of
    2025-09-01; :data:`~aegis.market.calendar.TUESDAY_FROM`), moved to the previous session of the
    data when it is not one. Inside the data's span the calendar decides by the data's sessions
    alone, so the two agree there (a test checks it); calling the calendar once per window
    instead would rebuild its session set each call, far too slow for 25 years. Weeks whose
    expiry weekday lies outside the span are left out (their expiry is not in the data).
    """
    first_monday = sessions[0] - pd.Timedelta(days=sessions[0].day_of_week)
    mondays = pd.date_range(first_monday, sessions[-1], freq="7D")
    weekday = np.where(mondays >= TUESDAY_FROM, TUESDAY, THURSDAY)
    targets = mondays + pd.to_timedelta(weekday, unit="D")
    inside = (targets >= sessions[0]) & (targets <= sessions[-1])
    pos = sessions.searchsorted(targets[inside], side="right") - 1
    return np.unique(pos[pos >= 0])


def _window_positions(sessions: pd.DatetimeIndex) -> tuple[np.ndarray, np.ndarray]:
    """Integer positions (start, expiry) of every complete weekly window in ``sessions``."""
    expiries = weekly_expiry_positions(sessions)
    starts: list[int] = []
    ends: list[int] = []
    if expiries.size == 0:
        return np.asarray(starts, dtype=np.intp), np.asarray(ends, dtype=np.intp)
    marks = expiries.tolist()
    pos = marks[0] + 1  # the leading partial week is skipped
    while pos < len(sessions):
        nxt = bisect.bisect_right(marks, pos)  # next expiry strictly after the start
        if nxt == len(marks):
            break
        starts.append(pos)
        ends.append(marks[nxt])
        pos = marks[nxt] + 1
    return np.asarray(starts, dtype=np.intp), np.asarray(ends, dtype=np.intp)


def weekly_windows(
    nifty: pd.DataFrame,
    vix: pd.DataFrame,
    sessions: pd.DatetimeIndex | None = None,
) -> pd.DataFrame:
    """Every complete past weekly window of the history, one row per window.

    Parameters
    ----------
    nifty, vix : DataFrame
        Canonical daily frames (:mod:`aegis.market.frames`).
    sessions : DatetimeIndex, optional
        The data's trading sessions; default ``nifty.index``.

    Returns
    -------
    DataFrame, one row per window, columns
        ``start, expiry`` (sessions), ``spot`` (NIFTY close at start, points), ``vix`` (percent,
        at start), ``days`` (calendar days start -> expiry), ``sessions`` (trading sessions
        after start up to and including expiry), ``close_at_expiry`` (points), ``path_high``,
        ``path_low`` (extremes of the sessions after start through expiry, points) and
        ``z_abs = |close_at_expiry - spot| / EM`` (see
        :func:`aegis.analytics.ranges.standardised_move`). Windows lacking a spot, VIX or
        expiry close are dropped.
    """
    sess = pd.DatetimeIndex(nifty.index if sessions is None else sessions).normalize()
    if len(sess) < 2:
        raise InsufficientHistoryError(f"weekly_windows: expected >= 2 sessions; found {len(sess)}")
    starts, ends = _window_positions(sess)
    if starts.size == 0:
        return pd.DataFrame(columns=WINDOW_COLUMNS)
    frame = nifty.reindex(sess)
    close = frame["close"].to_numpy(dtype=np.float64)
    high = frame["high"].to_numpy(dtype=np.float64)
    low = frame["low"].to_numpy(dtype=np.float64)
    vix_close = vix_on_sessions(vix, sess).to_numpy()
    # segments (start, end] are disjoint and increasing: one reduceat over [s+1, e+1) pairs
    bounds = np.empty(2 * starts.size, dtype=np.intp)
    bounds[0::2] = starts + 1
    bounds[1::2] = ends + 1
    padded_high = np.append(high, np.nan)  # reduceat needs every index < len
    padded_low = np.append(low, np.nan)
    path_high = np.fmax.reduceat(padded_high, bounds)[0::2]
    path_low = np.fmin.reduceat(padded_low, bounds)[0::2]
    out = pd.DataFrame(
        {
            "start": sess[starts],
            "expiry": sess[ends],
            "spot": close[starts],
            "vix": vix_close[starts],
            "days": (sess[ends] - sess[starts]).days.to_numpy(dtype=np.float64),
            "sessions": (ends - starts).astype(np.int64),
            "close_at_expiry": close[ends],
            "path_high": path_high,
            "path_low": path_low,
        }
    )
    ok = out[["spot", "vix", "close_at_expiry"]].notna().all(axis=1) & (out["vix"] > 0)
    out = out[ok].reset_index(drop=True)
    out["z_abs"] = np.asarray(
        standardised_move(out["spot"], out["vix"], out["days"], out["close_at_expiry"])
        if len(out)
        else np.empty(0)
    )
    return out[WINDOW_COLUMNS]


__all__ = ["WINDOW_COLUMNS", "vix_on_sessions", "weekly_expiry_positions", "weekly_windows"]

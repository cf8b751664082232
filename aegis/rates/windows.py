"""Past windows to the weekly expiry: one starting on every session, and the weekly subset.

A window starts at the close of session ``t`` and ends at the close of the next weekly expiry
strictly after ``t`` (:mod:`aegis.market.calendar`'s rule applied to the data's own sessions,
so that holidays in the data move the expiry to the previous session). This is the expiry the
snapshot publishes for ``t`` -- the feature table's ``days_to_expiry`` -- so on an expiry day
the window runs to *next* week's expiry (about 5 sessions), never to the expiry settling that
day. ``sessions`` (the horizon ``h``) counts the sessions after ``t`` up to and including the
expiry, as the feature table's ``sessions_to_expiry`` does.

:func:`session_windows` gives one window per session (they overlap: the sessions of one expiry
week share their outcome). :func:`weekly_windows` keeps the first session after each expiry:
one window per week, no overlap. The leading partial week of the data is skipped and a window
whose expiry lies beyond the data is left out (its outcome is unknown).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from aegis.analytics.ranges import calendar_to_session_scale, standardised_move
from aegis.errors import InsufficientHistoryError
from aegis.market.calendar import scheduled_expiries
from aegis.market.vix import vix_on_sessions

WINDOW_COLUMNS = [
    "start", "expiry", "spot", "vix", "days", "sessions",
    "close_at_expiry", "path_high", "path_low", "z_abs", "z_session",
]


def weekly_expiry_positions(sessions: pd.DatetimeIndex) -> np.ndarray:
    """Positions in ``sessions`` of every weekly expiry inside the data's span, increasing.

    Vectorised form of :func:`aegis.market.calendar.next_weekly_expiry` given the data's own
    sessions: each Monday-Sunday week's expiry weekday (Thursday, Tuesday from the week of
    2025-09-01; :func:`~aegis.market.calendar.scheduled_expiries`), moved to the previous
    session of the data when it is not one. Inside the data's span the calendar decides by the
    data's sessions alone, so the two agree there (a test checks it); calling the calendar once
    per window instead would rebuild its session set each call, far too slow for 25 years.
    Weeks whose expiry weekday lies outside the span are left out (their expiry is not in the
    data).
    """
    first_monday = sessions[0] - pd.Timedelta(days=sessions[0].day_of_week)
    mondays = pd.date_range(first_monday, sessions[-1], freq="7D")
    targets = pd.DatetimeIndex(scheduled_expiries(mondays))
    inside = (targets >= sessions[0]) & (targets <= sessions[-1])
    pos = sessions.searchsorted(targets[inside], side="right") - 1
    return np.unique(pos[pos >= 0])


def _session_positions(sessions: pd.DatetimeIndex) -> tuple[np.ndarray, np.ndarray]:
    """Integer positions (start, expiry) of the window of every session after the first expiry."""
    expiries = weekly_expiry_positions(sessions)
    if expiries.size == 0:
        return np.empty(0, dtype=np.intp), np.empty(0, dtype=np.intp)
    starts = np.arange(expiries[0] + 1, len(sessions), dtype=np.intp)  # partial week skipped
    nxt = np.searchsorted(expiries, starts, side="right")  # next expiry strictly after start
    keep = nxt < expiries.size
    return starts[keep], expiries[nxt[keep]].astype(np.intp)


def session_windows(
    nifty: pd.DataFrame,
    vix: pd.DataFrame,
    sessions: pd.DatetimeIndex | None = None,
) -> pd.DataFrame:
    """The window of every past session to its weekly expiry, one row per session.

    Parameters
    ----------
    nifty, vix : DataFrame
        Canonical daily frames (:mod:`aegis.market.frames`).
    sessions : DatetimeIndex, optional
        The data's trading sessions; default ``nifty.index``.

    Returns
    -------
    DataFrame, one row per window (sorted by start), columns
        ``start, expiry`` (sessions), ``spot`` (NIFTY close at start, points), ``vix`` (percent,
        at start), ``days`` (calendar days start -> expiry), ``sessions`` (trading sessions
        after start up to and including expiry: the horizon ``h``), ``close_at_expiry``
        (points), ``path_high``, ``path_low`` (extremes of the sessions after start through
        expiry, points), ``z_abs = |close_at_expiry - spot| / EM`` (see
        :func:`aegis.analytics.ranges.standardised_move`) and ``z_session``, the same move in
        session time (``z_abs * sqrt((D/365)/(h/252))``). Windows lacking a spot, VIX or
        expiry close are dropped.
    """
    sess = pd.DatetimeIndex(nifty.index if sessions is None else sessions).normalize()
    if len(sess) < 2:
        raise InsufficientHistoryError(
            f"session_windows: expected >= 2 sessions; found {len(sess)}")
    starts, ends = _session_positions(sess)
    if starts.size == 0:
        return pd.DataFrame(columns=WINDOW_COLUMNS)
    frame = nifty.reindex(sess)
    close = frame["close"].to_numpy(dtype=np.float64)
    vix_close = vix_on_sessions(vix, sess).to_numpy()
    path_high, path_low = _path_extremes(frame, starts, ends)
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
    if len(out):
        out["z_abs"] = np.asarray(
            standardised_move(out["spot"], out["vix"], out["days"], out["close_at_expiry"]))
        out["z_session"] = out["z_abs"] * np.asarray(
            calendar_to_session_scale(out["days"], out["sessions"]))
    else:
        out["z_abs"] = out["z_session"] = np.empty(0)
    return out[WINDOW_COLUMNS]


def _path_extremes(
    frame: pd.DataFrame, starts: np.ndarray, ends: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Highest high and lowest low of the sessions in ``(start, end]`` of each window, points.

    One ``reduceat`` over interleaved ``[s+1, e+1)`` bounds; the odd segments (between one
    window's end and the next one's start, empty or reversed when windows overlap) are dropped.
    """
    bounds = np.empty(2 * starts.size, dtype=np.intp)
    bounds[0::2] = starts + 1
    bounds[1::2] = ends + 1
    padded_high = np.append(frame["high"].to_numpy(dtype=np.float64), np.nan)
    padded_low = np.append(frame["low"].to_numpy(dtype=np.float64), np.nan)
    return (np.fmax.reduceat(padded_high, bounds)[0::2],
            np.fmin.reduceat(padded_low, bounds)[0::2])


def weekly_windows(
    nifty: pd.DataFrame,
    vix: pd.DataFrame,
    sessions: pd.DatetimeIndex | None = None,
) -> pd.DataFrame:
    """The non-overlapping subset of :func:`session_windows`: one window per expiry week.

    Each window starts on the first session after a weekly expiry and ends at the next one.
    Arguments and columns as in :func:`session_windows`.
    """
    every = session_windows(nifty, vix, sessions)
    sess = pd.DatetimeIndex(nifty.index if sessions is None else sessions).normalize()
    expiries = sess[weekly_expiry_positions(sess)]
    previous = sess[np.clip(sess.searchsorted(pd.DatetimeIndex(every["start"])) - 1, 0, None)]
    first_after_expiry = np.asarray(previous.isin(expiries))
    return every[first_after_expiry].reset_index(drop=True)


__all__ = [
    "WINDOW_COLUMNS",
    "session_windows",
    "weekly_expiry_positions",
    "weekly_windows",
]

"""NSE trading sessions and the NIFTY weekly expiry rule.

Sessions come from ``exchange_calendars``' ``XBOM`` calendar (BSE, which shares NSE's holidays;
the closest maintained Indian calendar). It covers 2006-11-27 to the end of the package's last
published year (2026-12-31 in exchange-calendars 4.x); outside that span every weekday counts as
a session (holidays unknown). XBOM lacks special sessions (Diwali Muhurat, Saturday sessions),
so whenever the data's own sessions are at hand -- history, backtests -- pass them as
``sessions``: inside their span they decide, and Muhurat or Saturday sessions count.

Weekly expiry (DESIGN.md): Thursday for weeks up to the one of 2025-08-28, Tuesday from the week
of 2025-09-02 on; if that day is not a session, the previous session. Before weekly NIFTY options
existed (Feb 2019) the same weekday closes the weekly window for backtests.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from functools import lru_cache
from typing import Any, Final, TypeAlias

import numpy as np
import pandas as pd

from aegis.errors import CalendarError

TUESDAY_FROM: Final = pd.Timestamp("2025-09-01")  # Monday of the first Tuesday-expiry week
THURSDAY, TUESDAY = 3, 1
DateLike: TypeAlias = "str | pd.Timestamp | dt.date | np.datetime64"


@lru_cache(maxsize=1)
def _xbom() -> Any:
    import exchange_calendars as xcals

    return xcals.get_calendar("XBOM")


def calendar_span() -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last session the maintained calendar knows."""
    cal = _xbom()
    return pd.Timestamp(cal.first_session), pd.Timestamp(cal.last_session)


def _day(day: DateLike) -> pd.Timestamp:
    try:
        ts = pd.Timestamp(day)
    except (TypeError, ValueError) as exc:
        raise CalendarError(f"expected a date, got {day!r}") from exc
    if ts is pd.NaT:
        raise CalendarError(f"expected a date, got {day!r}")
    if ts.tzinfo is not None:
        ts = ts.tz_convert("Asia/Kolkata").tz_localize(None)
    return ts.normalize()


class _Sessions:
    """Membership test for the data's own sessions (inside their span), else the calendar."""

    def __init__(self, sessions: Iterable[DateLike] | None) -> None:
        if sessions is None:
            self.days: frozenset[pd.Timestamp] = frozenset()
            self.lo = self.hi = None
        else:
            idx = pd.DatetimeIndex(pd.to_datetime(list(sessions))).normalize()
            self.days = frozenset(idx)
            self.lo, self.hi = (idx.min(), idx.max()) if len(idx) else (None, None)

    def __call__(self, day: pd.Timestamp) -> bool:
        if self.lo is not None and self.hi is not None and self.lo <= day <= self.hi:
            return day in self.days
        return _calendar_is_session(day)


def _calendar_is_session(day: pd.Timestamp) -> bool:
    first, last = calendar_span()
    if first <= day <= last:
        return bool(_xbom().is_session(day))
    return day.day_of_week < 5


def is_session(day: DateLike, sessions: Iterable[DateLike] | None = None) -> bool:
    """Whether NSE traded on ``day`` (by ``sessions`` when given, see module docstring)."""
    return _Sessions(sessions)(_day(day))


def sessions(start: DateLike, end: DateLike) -> pd.DatetimeIndex:
    """NSE sessions from ``start`` to ``end`` inclusive (tz-naive dates, named ``session``)."""
    lo, hi = _day(start), _day(end)
    if hi < lo:
        raise CalendarError(f"sessions(): end {hi.date()} is before start {lo.date()}")
    first, last = calendar_span()
    parts = []
    if lo < first:
        days = pd.bdate_range(lo, min(hi, first - pd.Timedelta(days=1)))
        parts.append(days)
    if hi >= first and lo <= last:
        parts.append(_xbom().sessions_in_range(max(lo, first), min(hi, last)))
    if hi > last:
        parts.append(pd.bdate_range(max(lo, last + pd.Timedelta(days=1)), hi))
    out = pd.DatetimeIndex([d for p in parts for d in p]).tz_localize(None).normalize()
    return pd.DatetimeIndex(out, name="session")


def previous_session(day: DateLike, sessions: Iterable[DateLike] | None = None,
                     *, inclusive: bool = True) -> pd.Timestamp:
    """The latest session on or before ``day`` (strictly before when ``inclusive=False``)."""
    check = _Sessions(sessions)
    d = _day(day) if inclusive else _day(day) - pd.Timedelta(days=1)
    for _ in range(40):
        if check(d):
            return d
        d -= pd.Timedelta(days=1)
    raise CalendarError(f"no session in the 40 days before {_day(day).date()}")


def expiry_weekday(day: DateLike) -> int:
    """0=Monday ... : Thursday (3) for weeks before 2025-09-01, Tuesday (1) from then."""
    d = _day(day)
    monday = d - pd.Timedelta(days=d.day_of_week)
    return TUESDAY if monday >= TUESDAY_FROM else THURSDAY


def weekly_expiry_for_week(day: DateLike, sessions: Iterable[DateLike] | None = None
                           ) -> pd.Timestamp:
    """The weekly expiry of ``day``'s Monday-Sunday week (holiday -> previous session)."""
    d = _day(day)
    monday = d - pd.Timedelta(days=d.day_of_week)
    target = monday + pd.Timedelta(days=expiry_weekday(d))
    return previous_session(target, sessions)


def next_weekly_expiry(day: DateLike, sessions: Iterable[DateLike] | None = None
                       ) -> pd.Timestamp:
    """The first weekly expiry strictly after ``day``."""
    d = _day(day)
    given = list(sessions) if sessions is not None else None
    week = d
    for _ in range(4):
        expiry = weekly_expiry_for_week(week, given)
        if expiry > d:
            return expiry
        week += pd.Timedelta(days=7)
    raise CalendarError(f"no weekly expiry found in the 4 weeks after {d.date()}")


def monthly_expiry(year: int, month: int, sessions: Iterable[DateLike] | None = None
                   ) -> pd.Timestamp:
    """The month's last expiry weekday (holiday -> previous session): monthly contracts."""
    last_day = pd.Timestamp(year=year, month=month, day=1) + pd.offsets.MonthEnd(0)
    weekday = expiry_weekday(last_day)
    back = (last_day.day_of_week - weekday) % 7
    return previous_session(last_day - pd.Timedelta(days=back), sessions)


def _session_array(lo: pd.Timestamp, hi: pd.Timestamp,
                   given: pd.DatetimeIndex | None) -> np.ndarray:
    """Sorted sessions in [lo, hi]: the data's own inside their span, the calendar elsewhere."""
    cal = sessions(lo, hi)
    if given is None or not len(given):
        return cal.to_numpy(dtype="datetime64[ns]")
    g_lo, g_hi = given.min(), given.max()
    outside = cal[(cal < g_lo) | (cal > g_hi)]
    inside = given[(given >= lo) & (given <= hi)]
    return np.sort(np.concatenate([outside.to_numpy("datetime64[ns]"),
                                   inside.to_numpy("datetime64[ns]")]))


def next_weekly_expiries(days: Iterable[DateLike] | pd.DatetimeIndex,
                         sessions: Iterable[DateLike] | None = None) -> pd.DatetimeIndex:
    """:func:`next_weekly_expiry` for many days at once (vectorised; same rule, same answers).

    For each day: the expiry of its week (the rule's weekday, holiday -> previous session);
    when that is not strictly after the day, the next week's, and so on (at most 4 weeks).
    """
    idx = pd.DatetimeIndex(pd.to_datetime(list(days) if not isinstance(days, pd.DatetimeIndex)
                                          else days)).normalize()
    if idx.tz is not None:
        raise CalendarError("next_weekly_expiries: expected tz-naive dates")
    if not len(idx):
        return pd.DatetimeIndex([], name="expiry")
    given = None
    if sessions is not None:
        given = pd.DatetimeIndex(pd.to_datetime(list(sessions))).normalize().unique().sort_values()
    lo, hi = idx.min() - pd.Timedelta(days=45), idx.max() + pd.Timedelta(days=45)
    known = _session_array(lo, hi, given)
    values = idx.to_numpy(dtype="datetime64[ns]")
    monday = values - (idx.day_of_week.to_numpy() * np.timedelta64(1, "D"))
    out = np.full(values.shape, np.datetime64("NaT"), dtype="datetime64[ns]")
    pending = np.ones(values.shape, dtype=bool)
    tuesday_from = TUESDAY_FROM.to_datetime64()
    for _ in range(5):
        weekday = np.where(monday >= tuesday_from, TUESDAY, THURSDAY)
        target = monday + weekday * np.timedelta64(1, "D")
        pos = np.searchsorted(known, target, side="right") - 1
        if (pos[pending] < 0).any():
            raise CalendarError("next_weekly_expiries: no session before a target expiry day")
        expiry = known[np.clip(pos, 0, None)]
        done = pending & (expiry > values)
        out[done] = expiry[done]
        pending &= ~done
        if not pending.any():
            return pd.DatetimeIndex(out, name="expiry")
        monday = monday + np.timedelta64(7, "D")
    raise CalendarError("next_weekly_expiries: no weekly expiry within 5 weeks of some day")

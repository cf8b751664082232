"""NSE trading sessions and the NIFTY weekly expiry rule.

Sessions come from ``exchange_calendars``' ``XBOM`` calendar (BSE, which shares NSE's holidays;
the closest maintained Indian calendar), layered under the operator-maintained holiday file
``aegis/market/nse_holidays.csv`` (:mod:`aegis.market.holidays`): a day the file names is decided
by the file, inside XBOM's span or past it. XBOM covers 2006-12-04 to the end of the package's
last published year (2026-12-31 in exchange-calendars 4.13); each *complete* year in the file
right after it extends the known span. Outside the known span every weekday that the file does
not name counts as a session -- an **assumption**, and every answer that depends on one says so
(:func:`day_source`, :func:`expiry_determination`, :func:`calendar_coverage`); the snapshot is
then ``degraded`` and ``aegis calendar check`` fails. XBOM lacks special sessions (Diwali
Muhurat, Saturday sessions), so whenever the data's own sessions are at hand -- history,
backtests -- pass them as ``sessions``: inside their span they decide.

Weekly expiry (DESIGN.md): Thursday for weeks up to the one of 2025-08-28, Tuesday from the week
of 2025-09-02 on; if that day is not a session, the previous session. Before weekly NIFTY options
existed (Feb 2019) the same weekday closes the weekly window for backtests.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any, Final, TypeAlias

import numpy as np
import pandas as pd

from aegis.errors import CalendarError
from aegis.market.holidays import HolidayFile, default_holiday_file, read_holiday_file
from aegis.market.hours import ist_day
from aegis.market.xbom import exchange_sessions

TUESDAY_FROM: Final = pd.Timestamp("2025-09-01")  # Monday of the first Tuesday-expiry week
THURSDAY, TUESDAY = 3, 1
DateLike: TypeAlias = "str | pd.Timestamp | dt.date | np.datetime64"


_HOLIDAY_PATH: list[Path | None] = [None]  # None: the packaged file


@lru_cache(maxsize=1)
def holiday_file() -> HolidayFile:
    """The validated holiday file in force (the packaged one unless :func:`use_holiday_file`)."""
    return read_holiday_file(_HOLIDAY_PATH[0] or default_holiday_file())


def use_holiday_file(path: Path | str | None) -> None:
    """Read holidays from ``path`` from now on (``None``: the packaged file); validates it now."""
    _HOLIDAY_PATH[0] = None if path is None else Path(path)
    holiday_file.cache_clear()
    _file_arrays.cache_clear()
    known_span.cache_clear()
    holiday_file()


@lru_cache(maxsize=1)
def _file_arrays() -> tuple[np.ndarray, np.ndarray]:
    """(holidays, special sessions) of the file as sorted datetime64[ns] arrays."""
    f = holiday_file()
    return (np.sort(np.array(list(f.holidays), dtype="datetime64[ns]")),
            np.sort(np.array(list(f.special_sessions), dtype="datetime64[ns]")))


def exchange_span() -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last session of ``exchange_calendars``' XBOM calendar (:mod:`aegis.market.xbom`:
    its packaged table while the installed version matches, else the live calendar)."""
    cal = exchange_sessions()
    return cal.first, cal.last


@lru_cache(maxsize=1)
def known_span() -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last day whose session status is known, not assumed.

    XBOM's span, extended to 31 December of every complete year of the holiday file that
    follows it without a gap.
    """
    first, last = exchange_span()
    end = pd.Timestamp(year=last.year, month=12, day=31) if last.month == 12 else last
    years = holiday_file().complete_years
    while end.year + 1 in years:
        end = pd.Timestamp(year=end.year + 1, month=12, day=31)
    return first, end


def calendar_span() -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last day the calendar knows (:func:`known_span`)."""
    return known_span()


def _day(day: DateLike) -> pd.Timestamp:
    try:
        ts = pd.Timestamp(day)
    except (TypeError, ValueError) as exc:
        raise CalendarError(f"expected a date, got {day!r}") from exc
    if ts is pd.NaT:
        raise CalendarError(f"expected a date, got {day!r}")
    if ts.tzinfo is not None:
        return ist_day(ts)
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
    f = holiday_file()
    if day in f.holidays:
        return False
    if day in f.special_sessions:
        return True
    first, last = exchange_span()
    if first <= day <= last:
        return exchange_sessions().is_session(day)
    return day.day_of_week < 5


def is_session(day: DateLike, sessions: Iterable[DateLike] | None = None) -> bool:
    """Whether NSE traded on ``day`` (by ``sessions`` when given, see module docstring)."""
    return _Sessions(sessions)(_day(day))


def sessions(start: DateLike, end: DateLike) -> pd.DatetimeIndex:
    """NSE sessions from ``start`` to ``end`` inclusive (tz-naive dates, named ``session``)."""
    lo, hi = _day(start), _day(end)
    if hi < lo:
        raise CalendarError(f"sessions(): end {hi.date()} is before start {lo.date()}")
    first, last = exchange_span()
    parts = []
    if lo < first:
        days = pd.bdate_range(lo, min(hi, first - pd.Timedelta(days=1)))
        parts.append(days)
    if hi >= first and lo <= last:
        parts.append(exchange_sessions().sessions_in_range(max(lo, first), min(hi, last)))
    if hi > last:
        parts.append(pd.bdate_range(max(lo, last + pd.Timedelta(days=1)), hi))
    days = np.concatenate([pd.DatetimeIndex(p).tz_localize(None).normalize()
                           .to_numpy("datetime64[ns]") for p in parts])
    closed, special = _file_arrays()
    if len(closed):
        days = days[~np.isin(days, closed)]
    if len(special):
        lo64, hi64 = lo.to_datetime64(), hi.to_datetime64()
        extra = special[(special >= lo64) & (special <= hi64)]
        days = np.union1d(days, extra)
    return pd.DatetimeIndex(days, name="session")


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


def expiry_weekdays(mondays: np.ndarray | pd.DatetimeIndex) -> np.ndarray:
    """The rule's expiry weekday (0=Monday) of each week, given the weeks' Mondays.

    The one statement of the weekday rule: Thursday (3) for weeks before 2025-09-01
    (:data:`TUESDAY_FROM`), Tuesday (1) from then. Vectorised; the scalar and vectorised
    expiry functions here and :func:`aegis.rates.windows.weekly_expiry_positions` all use it.
    """
    m = np.asarray(mondays, dtype="datetime64[ns]")
    return np.where(m >= TUESDAY_FROM.to_datetime64(), TUESDAY, THURSDAY)


def scheduled_expiries(mondays: np.ndarray | pd.DatetimeIndex) -> np.ndarray:
    """The rule's expiry day (before any holiday move) of each week, datetime64[ns]."""
    m = np.asarray(mondays, dtype="datetime64[ns]")
    return m + expiry_weekdays(m) * np.timedelta64(1, "D")


def expiry_weekday(day: DateLike) -> int:
    """0=Monday ... : Thursday (3) for weeks before 2025-09-01, Tuesday (1) from then."""
    d = _day(day)
    monday = d - pd.Timedelta(days=d.day_of_week)
    return int(expiry_weekdays(np.array([monday.to_datetime64()]))[0])


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
    for _ in range(5):
        target = scheduled_expiries(monday)
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


# --- how an answer was determined ---------------------------------------------------------
SOURCE_EXCHANGE: Final = "exchange_calendar"
SOURCE_FILE: Final = "holiday_file"
SOURCE_ASSUMED: Final = "assumed"
_RANK: Final = {SOURCE_EXCHANGE: 0, SOURCE_FILE: 1, SOURCE_ASSUMED: 2}


def day_source(day: DateLike) -> str:
    """How :func:`is_session` decides ``day`` without data sessions.

    ``holiday_file`` when the file names the day or the day lies in a complete year of the file
    past XBOM; ``exchange_calendar`` inside XBOM's span; ``assumed`` (a weekday guess) elsewhere.
    """
    d = _day(day)
    if holiday_file().listed(d):
        return SOURCE_FILE
    first, last = exchange_span()
    if first <= d <= last:
        return SOURCE_EXCHANGE
    k_first, k_last = known_span()
    return SOURCE_FILE if k_first <= d <= k_last else SOURCE_ASSUMED


def expiry_determination(day: DateLike, *, inclusive: bool = True) -> dict[str, Any]:
    """The weekly expiry for ``day`` and how it was determined (JSON-ready).

    The expiry is the first weekly expiry on or after ``day`` (the front-week contract trading
    on ``day``, expiring that day if it is an expiry); ``inclusive=False`` gives the first one
    strictly after ``day`` (:func:`next_weekly_expiry`, what the snapshot publishes).

    Keys: ``date``, ``expiry`` (ISO dates), ``rule_weekday`` (the rule's day for that week),
    ``scheduled`` (the rule's date), ``moved_back`` (holiday -> previous session),
    ``source`` (the least certain of the days consulted, from ``scheduled`` back to ``expiry``:
    ``exchange_calendar`` < ``holiday_file`` < ``assumed``), ``assumed`` (bool), ``known_until``
    (last day the calendar knows), ``holiday_file`` (its path), ``calendar`` (a one-line
    description naming the calendar), ``reason`` (why it is an assumption, or ``""``).
    """
    d = _day(day)
    expiry = next_weekly_expiry(d - pd.Timedelta(days=1) if inclusive else d)
    monday = expiry - pd.Timedelta(days=expiry.day_of_week)
    weekday = expiry_weekday(expiry)
    scheduled = monday + pd.Timedelta(days=weekday)
    consulted = pd.date_range(expiry, scheduled)
    source = max((day_source(x) for x in consulted), key=_RANK.__getitem__)
    _, known_until = known_span()
    xbom = exchange_sessions()
    desc = {
        SOURCE_EXCHANGE: f"exchange_calendars {xbom.version} XBOM (to {xbom.last.date()})",
        SOURCE_FILE: f"NSE holiday file {holiday_file().path.name}",
        SOURCE_ASSUMED: (f"ASSUMED: every weekday a session past {known_until.date()}, except "
                         f"the holidays listed in {holiday_file().path.name}"),
    }[source]
    reason = ""
    if source == SOURCE_ASSUMED:
        reason = (f"the {expiry.date()} expiry lies past the last day the NSE calendar knows "
                  f"({known_until.date()}): it assumes every weekday not listed in "
                  f"{holiday_file().path} is a session. Add {expiry.year}'s NSE holidays and a "
                  f"year_complete row to that file (docs/operations.md)")
    return {
        "date": d.date().isoformat(), "inclusive": inclusive,
        "expiry": expiry.date().isoformat(),
        "rule_weekday": scheduled.day_name(), "scheduled": scheduled.date().isoformat(),
        "moved_back": bool(expiry != scheduled), "source": source,
        "assumed": source == SOURCE_ASSUMED, "known_until": known_until.date().isoformat(),
        "holiday_file": str(holiday_file().path), "calendar": desc, "reason": reason,
    }


def calendar_coverage(today: DateLike, horizon_days: int = 60) -> dict[str, Any]:
    """Whether the calendar knows every day from ``today`` to ``today + horizon_days``.

    Keys: ``today``, ``horizon_days``, ``until`` (today + horizon), ``known_until``,
    ``days_left`` (calendar days from today to ``known_until``; negative past it), ``covered``,
    ``complete_years`` (of the holiday file), ``holiday_file``.
    """
    d = _day(today)
    _, known_until = known_span()
    until = d + pd.Timedelta(days=horizon_days)
    return {
        "today": d.date().isoformat(), "horizon_days": horizon_days,
        "until": until.date().isoformat(), "known_until": known_until.date().isoformat(),
        "days_left": int((known_until - d).days), "covered": bool(until <= known_until),
        "complete_years": sorted(holiday_file().complete_years),
        "holiday_file": str(holiday_file().path),
    }

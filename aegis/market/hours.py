"""NSE market hours: the exchange's timezone and the session's open and close, defined once.

NSE trades 09:15-15:30 India Standard Time (``Asia/Kolkata``, UTC+05:30, no daylight saving).
Every schedule, every "which session is this timestamp in" and every "has today's close
happened" reads these constants. Standard library only, so the DAG files (at parse time) and the
CLI's command modules can import it without loading a data library; the pandas helper
:func:`ist_day` takes pandas objects without importing pandas.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Final, TypeVar
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    import pandas as pd

MARKET_TZ: Final = "Asia/Kolkata"
"""The exchange's timezone name (what pandas ``tz_convert`` and Airflow timetables take)."""

IST: Final = ZoneInfo(MARKET_TZ)
"""The exchange's timezone as a ``tzinfo``."""

SESSION_OPEN: Final = time(9, 15)
"""Start of NSE's normal session (IST wall clock); the first 1-minute bar starts here."""

SESSION_CLOSE: Final = time(15, 30)
"""End of NSE's normal session (IST wall clock): the daily close and the expiry settlement."""

OPEN_AFTER_MIDNIGHT: Final = timedelta(hours=SESSION_OPEN.hour,
                                        minutes=SESSION_OPEN.minute)
""":data:`SESSION_OPEN` as an offset from the session date's midnight."""

CLOSE_AFTER_MIDNIGHT: Final = timedelta(hours=SESSION_CLOSE.hour,
                                         minutes=SESSION_CLOSE.minute)
""":data:`SESSION_CLOSE` as an offset from the session date's midnight."""

Stamps = TypeVar("Stamps", "pd.Timestamp", "pd.DatetimeIndex", "pd.Series")


def session_close(day: date) -> datetime:
    """The aware moment (IST) of ``day``'s 15:30 close."""
    return datetime.combine(day, SESSION_CLOSE, IST)


def daily_bar_is_final(day: date, now: datetime) -> bool:
    """Whether ``day``'s daily bar is final at ``now`` (aware): only after its 15:30 IST close.

    Before the close the session exists only as intraday bars; a daily bar stamped with a
    session still in progress (Yahoo's in-progress bar, a file written at 11:00) is not a close.
    """
    return now.astimezone(IST) >= session_close(day)


def last_final_day(now: datetime) -> date:
    """The last calendar day whose 15:30 IST close is at or before ``now`` (aware)."""
    local = now.astimezone(IST)
    day = local.date()
    return day if local.time() >= SESSION_CLOSE else day - timedelta(days=1)


def ist_today(now: datetime | None = None) -> date:
    """The IST calendar date of ``now`` (default: the current moment)."""
    return (now.astimezone(IST) if now is not None else datetime.now(IST)).date()


def ist_day(stamps: Stamps) -> Stamps:
    """The IST session date (tz-naive midnight) of tz-aware timestamps.

    Accepts a ``Timestamp``, a ``DatetimeIndex`` or a ``Series`` of them (``.dt``) and returns
    the same kind: ``stamps`` converted to IST, made tz-naive, normalised to midnight.
    """
    if hasattr(stamps, "dt"):
        return stamps.dt.tz_convert(MARKET_TZ).dt.tz_localize(None).dt.normalize()
    return stamps.tz_convert(MARKET_TZ).tz_localize(None).normalize()


__all__ = [
    "CLOSE_AFTER_MIDNIGHT",
    "IST",
    "MARKET_TZ",
    "OPEN_AFTER_MIDNIGHT",
    "SESSION_CLOSE",
    "SESSION_OPEN",
    "daily_bar_is_final",
    "ist_day",
    "ist_today",
    "last_final_day",
    "session_close",
]

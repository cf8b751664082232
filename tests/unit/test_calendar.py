"""NSE calendar and the weekly expiry rule, on known dates."""

from __future__ import annotations

import pandas as pd
import pytest

from aegis.errors import CalendarError
from aegis.market import calendar as cal


def d(s: str) -> pd.Timestamp:
    return pd.Timestamp(s)


@pytest.mark.parametrize(
    ("day", "expiry"),
    [
        ("2023-03-27", "2023-03-29"),  # Thursday 30 March 2023 Ram Navami -> Wednesday
        ("2024-03-25", "2024-03-28"),
        ("2025-08-25", "2025-08-28"),  # last Thursday expiry
        ("2025-09-01", "2025-09-02"),  # first Tuesday expiry
        ("2025-09-07", "2025-09-02"),  # Sunday belongs to the Monday-Sunday week
        ("2025-09-30", "2025-09-30"),
        ("2015-01-01", "2015-01-01"),  # before weekly options: same weekday rule
        ("2019-10-27", "2019-10-24"),
    ],
)
def test_weekly_expiry_for_week(day: str, expiry: str) -> None:
    assert cal.weekly_expiry_for_week(day) == d(expiry)


def test_next_weekly_expiry_is_strictly_after() -> None:
    assert cal.next_weekly_expiry("2023-03-29") == d("2023-04-06")
    assert cal.next_weekly_expiry("2023-03-28") == d("2023-03-29")
    assert cal.next_weekly_expiry("2025-08-28") == d("2025-09-02")
    assert cal.next_weekly_expiry("2025-09-02") == d("2025-09-09")


def test_data_sessions_decide_inside_their_span() -> None:
    # The data say Thursday 2014-10-02 was no session, Wednesday 10-01 was.
    sessions = pd.to_datetime(["2014-09-29", "2014-09-30", "2014-10-01", "2014-10-07",
                               "2014-10-08"])
    assert cal.weekly_expiry_for_week("2014-09-29", sessions) == d("2014-10-01")
    # Saturday special session (2010-02-06) counts only when the data say so
    assert not cal.is_session("2010-02-06")
    assert cal.is_session("2010-02-06", ["2010-02-05", "2010-02-06", "2010-02-08"])
    # a holiday per the data: Thursday 2019-03-21 (Holi) -> Wednesday
    assert cal.weekly_expiry_for_week(
        "2019-03-18", pd.bdate_range("2019-03-18", "2019-03-20")) == d("2019-03-20")


def test_sessions_and_holidays() -> None:
    s = cal.sessions("2023-03-27", "2023-03-31")
    assert s.name == "session"
    assert list(s) == list(pd.to_datetime(["2023-03-27", "2023-03-28", "2023-03-29",
                                           "2023-03-31"]))
    assert not cal.is_session("2023-03-30")
    # before the maintained calendar starts: weekdays
    assert len(cal.sessions("2006-11-20", "2006-11-26")) == 5
    with pytest.raises(CalendarError):
        cal.sessions("2023-03-31", "2023-03-27")


def test_monthly_expiry_holiday_moves_back() -> None:
    assert cal.monthly_expiry(2023, 6) == d("2023-06-28")  # 29 June 2023 Bakri Id
    assert cal.monthly_expiry(2023, 7) == d("2023-07-27")
    assert cal.monthly_expiry(2025, 9) == d("2025-09-30")  # Tuesday regime


def test_vectorised_next_weekly_expiries_agree_with_the_scalar_rule() -> None:
    from aegis.market.calendar import next_weekly_expiries, next_weekly_expiry, sessions

    days = sessions("2019-01-01", "2026-06-30")
    fast = next_weekly_expiries(days)
    slow = [next_weekly_expiry(d) for d in days[::3]]
    assert list(fast[::3]) == slow


def test_vectorised_expiries_use_the_data_sessions() -> None:
    import pandas as pd

    from aegis.market.calendar import next_weekly_expiries, sessions

    # data where Thursday 2023-06-29 is missing (a holiday): expiry moves to Wednesday 28th
    data = sessions("2023-06-01", "2023-07-31")
    data = data[data != pd.Timestamp("2023-06-29")]
    got = next_weekly_expiries(pd.DatetimeIndex(["2023-06-26", "2023-06-28"]), sessions=data)
    assert list(got) == [pd.Timestamp("2023-06-28"), pd.Timestamp("2023-07-06")]

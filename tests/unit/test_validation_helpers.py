"""Helper columns, against hand-computed values (no Great Expectations involved)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from aegis.errors import ValidationInputError
from aegis.validation.helpers import (
    prepare_chain,
    prepare_daily,
    prepare_features,
    prepare_intraday,
)

IST = "Asia/Kolkata"


def daily(days: list[str]) -> pd.DataFrame:
    index = pd.DatetimeIndex(pd.to_datetime(days), name="session")
    return pd.DataFrame({"open": 1.0, "high": 1.0, "low": 1.0, "close": 1.0,
                         "volume": np.nan}, index=index)


def test_gap_days_counts_calendar_days_since_the_previous_session() -> None:
    frame = daily(["2014-09-30", "2014-10-01", "2014-10-07", "2014-10-08", "2014-10-08",
                   "2014-10-01"])
    out = prepare_daily(frame)
    assert list(out.columns[:1]) == ["session"]
    assert out["gap_days"].tolist()[1:] == [1.0, 6.0, 1.0, 0.0, -7.0]
    assert np.isnan(out["gap_days"].iloc[0])
    assert isinstance(out.index, pd.RangeIndex)
    assert frame.index.name == "session"  # input untouched
    assert "gap_days" not in frame.columns


def test_daily_without_session_is_refused() -> None:
    frame = daily(["2020-01-01"]).reset_index(drop=True)
    with pytest.raises(ValidationInputError, match="'session'"):
        prepare_daily(frame)
    frame["session"] = "2020-01-01"
    with pytest.raises(ValidationInputError, match="datetimes"):
        prepare_daily(frame)


def test_intraday_minute_of_day_and_offset() -> None:
    stamps = pd.DatetimeIndex(
        [pd.Timestamp("2023-04-03 09:15", tz=IST), pd.Timestamp("2023-04-03 15:30", tz=IST)],
        name="timestamp",
    )
    frame = pd.DataFrame({"open": 1.0, "high": 1.0, "low": 1.0, "close": 1.0, "volume": 0.0},
                         index=stamps)
    out = prepare_intraday(frame)
    assert out["minute_of_day"].tolist() == [555.0, 930.0]
    assert out["tz_offset_minutes"].tolist() == [330.0, 330.0]
    utc = prepare_intraday(frame.tz_convert("UTC"))
    assert utc["minute_of_day"].tolist() == [555.0, 930.0]  # read in IST
    assert utc["tz_offset_minutes"].tolist() == [0.0, 0.0]
    naive = prepare_intraday(frame.tz_localize(None))
    assert naive["tz_offset_minutes"].isna().all()


def chain(strikes: list[float], call_prices: list[float]) -> pd.DataFrame:
    stamp = pd.Timestamp("2023-06-08 09:30", tz=IST)
    n = len(strikes)
    return pd.DataFrame({
        "timestamp": [stamp] * 2 * n,
        "expiry": [pd.Timestamp("2023-06-08")] * 2 * n,
        "strike": strikes * 2,
        "option_type": pd.array(["CE"] * n + ["PE"] * n, dtype="str"),
        "last_price": call_prices + [5.0] * n,
    })


def test_chain_grid_step_offset_and_call_price_rise() -> None:
    out = prepare_chain(chain([100.0, 150.0, 200.0, 225.0, 300.0, 400.0],
                              [60.0, 0.0, 30.0, 31.0, 10.0, 0.0]))
    assert out["strike_step"].unique().tolist() == [50.0]  # gaps 50,50,25,75,100: mode 50
    assert out["strike_grid_offset"].tolist()[:6] == [0.0, 0.0, 0.0, 25.0, 0.0, 0.0]
    rise = out["call_price_rise"].tolist()
    # quoted calls 100 (60), 200 (30), 225 (31), 300 (10); unquoted and puts are null
    assert np.isnan(rise[0])
    assert np.isnan(rise[1])
    assert rise[2:5] == [-30.0, 1.0, -21.0]
    assert all(np.isnan(r) for r in rise[5:])
    assert out["hours_to_expiry"].tolist() == [6.0] * 12


def test_chain_grid_is_per_snapshot_and_naive_times_are_ist() -> None:
    a = chain([100.0, 200.0, 300.0], [3.0, 2.0, 1.0])
    b = chain([1000.0, 1050.0, 1100.0], [3.0, 2.0, 1.0])
    b["timestamp"] = pd.Timestamp("2023-06-08 16:00", tz=IST)
    out = prepare_chain(pd.concat([a, b], ignore_index=True))
    assert out["strike_step"].tolist() == [100.0] * 6 + [50.0] * 6
    assert (out["strike_grid_offset"] == 0).all()
    assert out["hours_to_expiry"].tolist() == [6.0] * 6 + [-0.5] * 6
    naive = a.assign(timestamp=a["timestamp"].dt.tz_localize(None))
    assert prepare_chain(naive)["hours_to_expiry"].tolist() == [6.0] * 6


def test_chain_single_strike_has_no_step_and_a_missing_column_is_named() -> None:
    out = prepare_chain(chain([17500.0], [10.0]))
    assert out["strike_step"].isna().all()
    assert (out["strike_grid_offset"] == 0).all()
    with pytest.raises(ValidationInputError, match=r"\['last_price'\]"):
        prepare_chain(chain([1.0], [1.0]).drop(columns="last_price"))


def test_late_null_features_names_holes_after_warm_up_only() -> None:
    index = pd.DatetimeIndex(pd.bdate_range("2024-01-01", periods=5), name="session")
    table = pd.DataFrame({
        "a": [np.nan, np.nan, 1.0, 2.0, 3.0],   # warm-up of 2: fine
        "b": [1.0, np.nan, 1.0, np.nan, 1.0],   # holes at rows 1 and 3
        "c": [1.0, 1.0, 1.0, np.nan, np.nan],   # stops at row 3
    }, index=index)
    out = prepare_features(table)
    assert out["late_null_features"].tolist() == ["", "b", "", "b,c", "c"]
    assert out["complete_row"].tolist() == [0.0, 0.0, 1.0, 0.0, 0.0]
    assert str(out["late_null_features"].dtype) == "str"

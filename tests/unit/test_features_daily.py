"""The daily feature table: contract, VIX as-of alignment, expiry arithmetic, point-in-time.

``build_daily_features`` needs ``aegis.market.calendar.next_weekly_expiry`` (imported in one
place, ``aegis.features.daily.expiry_table``); the expiry arithmetic itself is also tested with a
hand-written stand-in passed as ``next_expiry``.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from aegis.errors import FeatureInputError
from aegis.features.columns import DAILY_FEATURES, FEATURE_NAMES
from aegis.features.daily import build_daily_features, expiry_table
from aegis.features.technicals import atr
from aegis.market.vix import vix_on_sessions


def synthetic_market(seed: int, n: int = 700) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Seeded NIFTY-like bars on weekdays from 2018 and a VIX series with gaps."""
    rng = np.random.default_rng(seed)
    index = pd.bdate_range("2018-01-01", periods=n, name="session")
    close = 10_000.0 * np.exp(np.cumsum(rng.normal(0.0003, 0.011, n)))
    open_ = close * np.exp(rng.normal(0.0, 0.004, n))
    high = np.maximum(open_, close) * np.exp(np.abs(rng.normal(0.0, 0.005, n)))
    low = np.minimum(open_, close) * np.exp(-np.abs(rng.normal(0.0, 0.005, n)))
    nifty = pd.DataFrame(
        {"open": open_, "high": high, "low": low, "close": close, "volume": np.nan}, index=index
    )
    vix_close = 15.0 * np.exp(np.cumsum(rng.normal(0.0, 0.05, n)))
    vix = pd.DataFrame({"close": vix_close}, index=index.copy())
    holes = [i for i in (50, 51, 300) if i < n]
    vix = vix.drop(vix.index[holes]).iloc[10:]  # starts later, has holes
    return nifty, vix


def next_thursday(day: pd.Timestamp, sessions: pd.DatetimeIndex | None = None) -> pd.Timestamp:
    """Stand-in calendar: the first Thursday after ``day``, moved back over non-sessions."""
    assert sessions is not None
    candidate = pd.Timestamp(day) + pd.Timedelta(days=(3 - pd.Timestamp(day).weekday()) % 7 or 7)
    while candidate not in sessions:
        candidate -= pd.Timedelta(days=1)
    if candidate <= day:
        return next_thursday(day + pd.Timedelta(days=7 - day.weekday()), sessions)
    return candidate


# --- contract --------------------------------------------------------------------------
def test_columns_index_and_dtypes_follow_the_contract() -> None:
    nifty, vix = synthetic_market(0)
    table = build_daily_features(nifty, vix)
    assert list(table.columns) == FEATURE_NAMES == list(DAILY_FEATURES)
    assert table.index.equals(nifty.index)
    assert table.index.name == "session"
    assert (table.dtypes == "float64").all()
    assert not np.isinf(table.to_numpy()).any()
    # after the longest warm-up (252-session percentile of a 20-session vol) nothing is missing
    assert table.iloc[272:].notna().all().all()


def test_simple_columns_known_values() -> None:
    nifty, vix = synthetic_market(1)
    table = build_daily_features(nifty, vix)
    close = nifty["close"]
    t = 400
    assert table["close"].iloc[t] == close.iloc[t]
    assert table["log_return"].iloc[t] == pytest.approx(math.log(close.iloc[t] / close.iloc[t - 1]))
    assert table["mom_60"].iloc[t] == pytest.approx(math.log(close.iloc[t] / close.iloc[t - 60]))
    assert math.isnan(table["mom_60"].iloc[59])
    assert not math.isnan(table["mom_60"].iloc[60])
    row = table.iloc[t]
    assert row["iv_rv_spread"] == pytest.approx(row["vix"] / 100 - row["rv_cc_20"])
    assert row["atr_14_pct"] == pytest.approx(atr(nifty, 14).iloc[t] / close.iloc[t])
    assert row["expected_move_pct"] == pytest.approx(
        row["vix"] / 100 * math.sqrt(row["days_to_expiry"] / 365)
    )
    assert 1 <= row["sessions_to_expiry"] <= row["days_to_expiry"] <= 7


# --- VIX as-of ---------------------------------------------------------------------------
def test_vix_is_the_last_close_on_or_before_each_session() -> None:
    sessions = pd.DatetimeIndex(
        ["2020-01-06", "2020-01-07", "2020-01-08", "2020-01-09", "2020-01-10"], name="session"
    )
    vix = pd.DataFrame(
        {"close": [11.0, 12.0, np.nan, 14.0]},
        index=pd.DatetimeIndex(["2020-01-07", "2020-01-08", "2020-01-09", "2020-01-11"]),
    )
    aligned = vix_on_sessions(vix, sessions)
    np.testing.assert_array_equal(aligned.to_numpy(), [np.nan, 11.0, 12.0, 12.0, 12.0])
    empty = vix_on_sessions(vix.iloc[:0], sessions)
    assert empty.isna().all()
    assert empty.index.equals(sessions)


def test_no_vix_yet_leaves_vix_columns_nan_and_the_rest_intact() -> None:
    nifty, vix = synthetic_market(2)
    late = vix.loc["2019-06-01":]
    table = build_daily_features(nifty, late)
    before = table.loc[:"2019-05-31"]
    for col in ("vix", "vix_change", "iv_percentile_252", "iv_rank_252", "iv_rv_spread"):
        assert before[col].isna().all(), col
    assert before["rv_cc_20"].iloc[30:].notna().all()
    assert table.loc["2019-06-03", "vix"] == late["close"].iloc[0]


# --- expiry arithmetic (stand-in calendar) -----------------------------------------------
def test_expiry_table_hand_values_with_a_holiday() -> None:
    days = pd.DatetimeIndex(
        ["2024-01-01", "2024-01-03", "2024-01-04", "2024-01-05", "2024-01-08"], name="session"
    )
    # Tuesday 2024-01-02 is a holiday in this calendar; data also skips it
    table = expiry_table(days, next_expiry=next_thursday)
    assert list(table["expiry"].dt.strftime("%Y-%m-%d")) == [
        "2024-01-04", "2024-01-04", "2024-01-11", "2024-01-11", "2024-01-11",
    ]  # fmt: skip
    np.testing.assert_array_equal(table["days_to_expiry"], [3, 1, 7, 6, 3])
    # Mon -> Thu skipping the Tuesday holiday: Wed, Thu; Thu -> next Thu over extended weekdays
    np.testing.assert_array_equal(table["sessions_to_expiry"], [2, 1, 5, 4, 3])


def test_expiry_moves_back_when_thursday_is_a_holiday() -> None:
    days = pd.bdate_range("2024-03-18", "2024-03-27", name="session").drop(
        pd.Timestamp("2024-03-21")
    )
    table = expiry_table(days, next_expiry=next_thursday)
    assert table.loc["2024-03-18", "expiry"] == pd.Timestamp("2024-03-20")
    assert table.loc["2024-03-20", "expiry"] == pd.Timestamp("2024-03-28")
    assert table.loc["2024-03-18", "sessions_to_expiry"] == 2


def test_expiry_jumps_agree_with_one_call_per_day() -> None:
    days = pd.bdate_range("2023-01-02", periods=120, name="session").drop(
        pd.DatetimeIndex(["2023-01-26", "2023-03-07", "2023-03-30"])
    )
    calendar = days.union(pd.bdate_range(days[-1] + pd.Timedelta(days=1), periods=25))
    table = expiry_table(days, next_expiry=next_thursday)
    one_by_one = [next_thursday(d, sessions=calendar) for d in days]
    assert list(table["expiry"]) == one_by_one


def test_given_sessions_drive_the_session_count() -> None:
    days = pd.DatetimeIndex(["2024-01-01"], name="session")
    calendar = pd.DatetimeIndex(["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04"])
    assert (
        expiry_table(days, calendar, next_expiry=next_thursday)["sessions_to_expiry"].iloc[0] == 3
    )
    thin = pd.DatetimeIndex(["2024-01-01", "2024-01-04"])
    assert expiry_table(days, thin, next_expiry=next_thursday)["sessions_to_expiry"].iloc[0] == 1


def test_market_calendar_weekday_switch() -> None:
    """The real calendar: Thursday expiries until 2025-08-28, Tuesday from 2025-09-02."""
    days = pd.bdate_range("2025-08-25", "2025-09-05", name="session")
    table = expiry_table(days)
    assert table.loc["2025-08-27", "expiry"] == pd.Timestamp("2025-08-28")
    assert table.loc["2025-08-28", "expiry"] == pd.Timestamp("2025-09-02")
    assert table.loc["2025-08-29", "days_to_expiry"] == 4
    assert table.loc["2025-08-29", "sessions_to_expiry"] == 2


# --- point in time -------------------------------------------------------------------------
@pytest.mark.parametrize("t", [40, 260, 300, 520, 698])
def test_no_feature_at_t_depends_on_rows_after_t(t: int) -> None:
    nifty, vix = synthetic_market(3)
    base = build_daily_features(nifty, vix)
    cut = nifty.index[t]

    rng = np.random.default_rng(t)
    later = nifty.index > cut
    shaken = nifty.copy()
    factors = rng.uniform(0.7, 1.4, size=(int(later.sum()), 4))
    shaken.loc[later, ["open", "high", "low", "close"]] *= factors
    vix_later = vix.index > cut
    shaken_vix = vix.copy()
    shaken_vix.loc[vix_later, "close"] *= rng.uniform(0.5, 2.0, int(vix_later.sum()))
    shaken_vix = shaken_vix.drop(shaken_vix.index[vix_later][::3])  # VIX rows vanish
    extra = pd.DataFrame({"close": [99.0]}, index=[cut + pd.Timedelta(hours=12)])
    shaken_vix = pd.concat([shaken_vix, extra]).sort_index()  # a VIX print after t's close

    moved = build_daily_features(shaken, shaken_vix)
    for column in FEATURE_NAMES:
        np.testing.assert_array_equal(
            moved[column].to_numpy()[: t + 1], base[column].to_numpy()[: t + 1], err_msg=column
        )
    if t + 1 < len(nifty):  # the perturbation is real: the future did change
        assert not np.allclose(
            moved["close"].to_numpy()[t + 1 :], base["close"].to_numpy()[t + 1 :]
        )


def test_point_in_time_test_covers_every_column() -> None:
    nifty, vix = synthetic_market(3)
    table = build_daily_features(nifty, vix)
    assert table.iloc[[300, 520, 698]].notna().all().all()


# --- bad input ---------------------------------------------------------------------------
def test_missing_column_is_named() -> None:
    nifty, vix = synthetic_market(4, 60)
    with pytest.raises(FeatureInputError, match=r"missing \['high'\]"):
        build_daily_features(nifty.drop(columns="high"), vix)


def test_non_positive_price_is_located() -> None:
    nifty, vix = synthetic_market(4, 60)
    nifty.iloc[7, nifty.columns.get_loc("low")] = 0.0
    with pytest.raises(FeatureInputError, match=r"row 8 \(2018-01-10\).*column 'low'.*positive"):
        build_daily_features(nifty, vix)


def test_unsorted_sessions_are_refused() -> None:
    nifty, vix = synthetic_market(4, 60)
    with pytest.raises(FeatureInputError, match="increasing"):
        build_daily_features(nifty.iloc[::-1], vix)

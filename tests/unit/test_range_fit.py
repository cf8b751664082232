"""The per-horizon safe-range fit, every session's window, and the block bootstrap."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from aegis.analytics.ranges import (
    calendar_to_session_scale,
    fit_safe_range_k,
    session_to_calendar_k,
)
from aegis.errors import AnalyticsInputError, InsufficientHistoryError
from aegis.features.daily import expiry_table
from aegis.rates import (
    HorizonPools,
    block_bootstrap_interval,
    fit_range_for_session,
    session_windows,
    walk_forward_fits,
    walk_forward_safe_ranges,
    weekly_windows,
    wilson_interval,
)
from aegis.rates.windows import weekly_expiry_positions
from tests.unit.test_rates import synthetic_market


@pytest.fixture(scope="module")
def market() -> tuple[pd.DataFrame, pd.DataFrame]:
    return synthetic_market(seed=1)


@pytest.fixture(scope="module")
def every(market) -> pd.DataFrame:
    return session_windows(*market)


# --- windows on every session ---------------------------------------------------------------
def test_one_window_per_session_to_the_expiry_the_features_publish(market, every) -> None:
    nifty, _ = market
    starts = pd.DatetimeIndex(every["start"])
    assert starts.is_unique
    assert starts.is_monotonic_increasing
    # the same expiry, calendar days and sessions as the feature table (what the snapshot uses)
    table = expiry_table(nifty.index).reindex(starts)
    np.testing.assert_array_equal(table["expiry"].to_numpy(), every["expiry"].to_numpy())
    np.testing.assert_array_equal(table["days_to_expiry"].to_numpy(), every["days"].to_numpy())
    np.testing.assert_array_equal(table["sessions_to_expiry"].to_numpy(),
                                  every["sessions"].to_numpy())
    # on an expiry day the window runs to next week's expiry, never to the one settling today
    expiry_days = starts.isin(pd.DatetimeIndex(every["expiry"]))
    assert expiry_days.sum() > 200
    assert (every.loc[expiry_days, "sessions"] >= 3).all()
    assert (every.loc[expiry_days, "days"] >= 5).all()


def test_weekly_windows_are_the_first_session_after_each_expiry(market, every) -> None:
    weekly = weekly_windows(*market)
    assert set(weekly["start"]) < set(every["start"])
    nifty, _ = market
    previous = nifty.index[nifty.index.searchsorted(pd.DatetimeIndex(weekly["start"])) - 1]
    assert previous.isin(nifty.index[weekly_expiry_positions(nifty.index)]).all()
    # non-overlapping: each window starts after the previous one's expiry
    assert (weekly["start"].iloc[1:].to_numpy() > weekly["expiry"].iloc[:-1].to_numpy()).all()


def test_session_time_move_hand_computed(every) -> None:
    row = every.iloc[10]
    move = abs(row["close_at_expiry"] - row["spot"]) / row["spot"] / (row["vix"] / 100)
    assert row["z_session"] == pytest.approx(move / np.sqrt(row["sessions"] / 252))
    assert row["z_abs"] == pytest.approx(move / np.sqrt(row["days"] / 365))
    # Friday -> Tuesday: 2 sessions over 4 days; k on the calendar EM is the session k scaled
    assert calendar_to_session_scale(4.0, 2) == pytest.approx(np.sqrt((4 / 365) / (2 / 252)))
    assert session_to_calendar_k(1.0, 4.0, 2) == pytest.approx(np.sqrt(365 * 2 / (252 * 4)))


# --- the fit ---------------------------------------------------------------------------------
def _day(i: int) -> pd.Timestamp:
    return pd.Timestamp("2020-01-01") + pd.Timedelta(days=i)


def test_horizon_fit_and_stated_pooled_fallback() -> None:
    pools = HorizonPools(0.8, min_horizon=5)
    for i, z in enumerate([0.1, 0.2, 0.3, 0.4, 0.5]):  # horizon 2: five windows
        pools.add(2, z, _day(i), _day(i + 2))
    for i, z in enumerate([2.0, 3.0, 4.0]):  # horizon 6: three windows
        pools.add(6, z, _day(10 + i), _day(20 + i))
    own = pools.fit(2)
    assert (own.scope, own.n, own.k_session) == ("horizon", 5, 0.4)  # ceil(0.8*5) = 4th
    assert (own.first_start, own.last_expiry) == (_day(0), _day(6))
    assert "5 past windows with 2 sessions" in own.method
    pooled = pools.fit(6)
    assert (pooled.scope, pooled.n) == ("pooled", 8)
    assert pooled.k_session == 3.0  # ceil(0.8*8) = 7th of 0.1..0.5, 2, 3, 4
    assert "only 3 past windows with 6 sessions" in pooled.method
    assert "(< 5)" in pooled.method
    assert (pooled.first_start, pooled.last_expiry) == (_day(0), _day(22))
    assert pools.fit(4).scope == "pooled"  # never seen: pooled, and said so
    assert pooled.k(7.0) == pytest.approx(3.0 * np.sqrt(365 * 6 / (252 * 7)))
    with pytest.raises(AnalyticsInputError, match="sessions_to_expiry"):
        pools.fit(0)
    with pytest.raises(AnalyticsInputError, match="confidence"):
        HorizonPools(1.2)
    with pytest.raises(InsufficientHistoryError, match="no ended window"):
        HorizonPools(0.8).fit(3)


def test_horizons_get_their_own_k(every) -> None:
    fit = walk_forward_fits(every, 0.8)
    late = fit[fit["start"] >= pd.Timestamp("2019-01-01")]
    assert (late["fit_scope"] == "horizon").all()
    per_h = late.groupby("sessions")["k_session"].last()
    assert per_h.nunique() == len(per_h) >= 4


def test_todays_fit_is_the_walk_forward_fit_of_that_session(every) -> None:
    """One definition: the snapshot's k for a session = the backtest's k for that session."""
    table = walk_forward_fits(every, 0.8)
    for row in table.iloc[::97].itertuples():
        today = fit_range_for_session(every, 0.8, session=row.start,
                                      sessions_to_expiry=row.sessions)
        assert today.k_session == row.k_session
        assert today.k(row.days) == pytest.approx(row.k)
        assert (today.scope, today.n) == (row.fit_scope, row.fit_n)
        assert (today.first_start, today.last_expiry) == (row.fit_from, row.fit_to)
        assert today.last_expiry < row.start  # no look-ahead
    with pytest.raises(InsufficientHistoryError, match="min_train=250"):
        fit_range_for_session(every, 0.8, session=every["start"].iloc[100], sessions_to_expiry=2)


def test_fit_on_an_expiry_day_ignores_the_window_settling_that_day(every) -> None:
    day = pd.Timestamp(every["expiry"].iloc[-300])
    settling = every[every["expiry"] == day]
    fit = fit_range_for_session(every, 0.8, session=day, sessions_to_expiry=5)
    assert fit.last_expiry < day
    assert len(settling) > 0


# --- bootstrap -------------------------------------------------------------------------------
def test_block_bootstrap_is_seeded_and_widens_for_shared_outcomes() -> None:
    rng = np.random.default_rng(0)
    weeks = rng.uniform(size=400) < 0.8  # one outcome per week ...
    shared = np.repeat(weeks, 5)  # ... shared by its five sessions
    labels = np.repeat(np.arange(400), 5)
    boot = block_bootstrap_interval(shared, labels, seed=3)
    assert boot == block_bootstrap_interval(shared, labels, seed=3)
    lo, hi = wilson_interval(int(shared.sum()), shared.size)
    assert (boot[1] - boot[0]) > 1.8 * (hi - lo)  # about sqrt(5) wider
    single = block_bootstrap_interval(weeks, np.arange(400), seed=3)
    lo1, hi1 = wilson_interval(int(weeks.sum()), weeks.size)
    assert (single[1] - single[0]) == pytest.approx(hi1 - lo1, rel=0.15)
    with pytest.raises(InsufficientHistoryError):
        block_bootstrap_interval([], [])


def test_tuesday_expiries_keep_their_coverage() -> None:
    """From 2025-09-02, h = 2 and 3 span a weekend; in session time the fit carries over.

    In this market weekends carry no variance (GBM per session), as nearly in NIFTY. A k per
    horizon on calendar-day moves, fitted on the Thursday years, over-covers them (0.94);
    the session-time fit holds its confidence.
    """
    nifty, vix = synthetic_market(seed=5, start="2019-01-01", end="2026-12-31")
    every = session_windows(nifty, vix)
    table = walk_forward_safe_ranges(every, 0.8, as_of="2026-12-31")
    late = table[(table["start"] >= pd.Timestamp("2025-09-02"))
                 & table["sessions"].isin([2, 3])]
    assert len(late) > 120
    assert (late["days"] > late["sessions"]).all()  # a weekend inside every one
    assert abs(late["hit"].mean() - 0.8) < 0.05
    thursday_era = every[every["expiry"] < pd.Timestamp("2025-09-02")]
    for h in (2, 3):
        k_calendar = fit_safe_range_k(thursday_era.loc[thursday_era["sessions"] == h, "z_abs"],
                                      0.8)
        rows = every[(every["start"] >= pd.Timestamp("2025-09-02")) & (every["sessions"] == h)]
        assert (rows["z_abs"] <= k_calendar).mean() > 0.9

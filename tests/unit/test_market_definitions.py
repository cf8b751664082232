"""The definitions DESIGN.md states once: VIX as of a session, market hours, the expiry weekday,
the implied move and Wilson's interval -- each against hand-computed answers, and each shared by
its users (the spike label and the spike rate count the same event)."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime

import numpy as np
import pandas as pd
import pytest

from aegis.analytics.intervals import wilson_bounds, wilson_interval
from aegis.analytics.ranges import expected_move, implied_move, implied_variance
from aegis.market import calendar as cal
from aegis.market.hours import IST, MARKET_TZ, ist_day, ist_today, session_close
from aegis.market.vix import VIX_MAX_STALE_SESSIONS, vix_on_sessions
from aegis.models import targets
from aegis.models.torch_models import wilson_lower
from aegis.rates import next_session_spike
from aegis.rates.windows import weekly_expiry_positions

SESSIONS = pd.bdate_range("2024-01-01", periods=8, name="session")  # Mon 01-01 .. Wed 01-10


# --- VIX as of a session ------------------------------------------------------------------
def test_vix_is_carried_two_sessions_and_no_further() -> None:
    assert VIX_MAX_STALE_SESSIONS == 2
    vix = pd.DataFrame({"close": [11.0, 12.0, 20.0]},
                       index=pd.DatetimeIndex(["2024-01-01", "2024-01-02", "2024-01-09"]))
    got = vix_on_sessions(vix, SESSIONS).to_numpy()
    # 01-03 and 01-04 carry 12 (1 and 2 sessions old); 01-05 and 01-08 are 3 and 4 old: unknown
    np.testing.assert_array_equal(got, [11.0, 12.0, 12.0, 12.0, np.nan, np.nan, 20.0, 20.0])


def test_a_vix_print_after_the_session_is_not_known_at_it() -> None:
    vix = pd.DataFrame({"close": [11.0, 30.0]},
                       index=pd.DatetimeIndex(["2024-01-01", "2024-01-02 12:00"]))
    got = vix_on_sessions(vix, SESSIONS[:4]).to_numpy()
    np.testing.assert_array_equal(got, [11.0, 11.0, 30.0, 30.0])


def test_a_vix_close_between_sessions_counts_one_session_old_at_the_next() -> None:
    # a Saturday special session's VIX (2024-01-06) is fresh on Monday and Tuesday, not later
    vix = pd.DataFrame({"close": [15.0, 17.0]},
                       index=pd.DatetimeIndex(["2024-01-01", "2024-01-06"]))
    got = vix_on_sessions(vix, SESSIONS).to_numpy()
    np.testing.assert_array_equal(got[5:], [17.0, 17.0, np.nan])
    assert vix_on_sessions(vix.iloc[:0], SESSIONS).isna().all()


def test_labels_features_and_rates_read_the_same_vix() -> None:
    from aegis.features.daily import build_daily_features

    n = 400
    idx = pd.bdate_range("2019-01-01", periods=n, name="session")
    rng = np.random.default_rng(4)
    close = 10_000 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    nifty = pd.DataFrame({"open": close, "high": close * 1.004, "low": close * 0.996,
                          "close": close, "volume": np.nan}, index=idx)
    vix = pd.DataFrame({"close": 15 * np.exp(np.cumsum(rng.normal(0, 0.04, n)))}, index=idx)
    vix = vix.drop(idx[[100, 101, 200, 201, 202]])  # a 2-session and a 3-session gap
    features = build_daily_features(nifty, vix)
    aligned = vix_on_sessions(vix, idx)
    np.testing.assert_array_equal(features["vix"].to_numpy(), aligned.to_numpy())
    assert np.isfinite(aligned.iloc[[100, 101, 200, 201]]).all()
    assert np.isnan(aligned.iloc[202])
    # the buyer model's label is the published rate's event, row for row
    label = targets.spike_labels(nifty, vix)["y"]
    event = next_session_spike(nifty, vix).astype("float64")
    np.testing.assert_array_equal(label.to_numpy(), event.to_numpy(na_value=np.nan))
    assert np.isnan(label.iloc[202])
    assert np.isfinite(label.iloc[101])
    stress = targets.expiry_stress_labels(nifty, vix, features)["y"]
    assert np.isnan(stress.iloc[202])
    assert np.isfinite(stress.iloc[101])


def test_spike_event_hand_computed_with_a_carried_vix() -> None:
    idx = SESSIONS[:4]
    nifty = pd.DataFrame({"close": [100.0, 101.0, 101.1, 102.0]}, index=idx)
    vix = pd.DataFrame({"close": [15.0]}, index=idx[:1])  # carried to 01-02, 01-03
    # threshold 0.15*sqrt(1/365) = 0.00785: ln(1.01) = 0.00995 yes, ln(101.1/101) no,
    # ln(102/101.1) = 0.00886 yes
    spike = next_session_spike(nifty, vix)
    assert spike.tolist()[:3] == [True, False, True]
    assert spike.isna().iloc[3]


# --- market hours -------------------------------------------------------------------------
def test_market_hours() -> None:
    assert MARKET_TZ == "Asia/Kolkata"
    close = session_close(date(2024, 6, 14))
    assert close.astimezone(UTC) == datetime(2024, 6, 14, 10, 0, tzinfo=UTC)
    assert ist_today(datetime(2024, 6, 14, 19, 0, tzinfo=UTC)) == date(2024, 6, 15)
    stamp = pd.Timestamp("2024-06-14T19:00:00Z")
    assert ist_day(stamp) == pd.Timestamp("2024-06-15")
    series = pd.Series(pd.to_datetime(["2024-06-14T18:00:00Z", "2024-06-14T18:40:00Z"]))
    assert ist_day(series).tolist() == [pd.Timestamp("2024-06-14"), pd.Timestamp("2024-06-15")]
    assert str(IST) == MARKET_TZ


# --- weekly expiry weekday ----------------------------------------------------------------
def test_expiry_weekday_rule_is_one_function() -> None:
    mondays = pd.DatetimeIndex(["2025-08-25", "2025-09-01"])
    np.testing.assert_array_equal(cal.expiry_weekdays(mondays), [cal.THURSDAY, cal.TUESDAY])
    assert list(pd.DatetimeIndex(cal.scheduled_expiries(mondays)).date) == [
        date(2025, 8, 28), date(2025, 9, 2)]
    assert cal.expiry_weekday("2025-08-29") == cal.THURSDAY
    assert cal.expiry_weekday("2025-09-05") == cal.TUESDAY
    sessions = pd.bdate_range("2025-08-18", "2025-09-12")
    expiries = sessions[weekly_expiry_positions(sessions)]
    assert list(expiries.date) == [date(2025, 8, 21), date(2025, 8, 28), date(2025, 9, 2),
                                   date(2025, 9, 9)]


# --- implied move and variance -------------------------------------------------------------
def test_implied_move_is_the_expected_move_per_point_of_spot() -> None:
    assert implied_move(0.16, 365.0) == pytest.approx(0.16)
    assert implied_move(0.146, 1.0) == pytest.approx(0.146 / math.sqrt(365))
    assert expected_move(20_000, 14.6, 7) == pytest.approx(20_000 * implied_move(0.146, 7))
    assert implied_variance(0.2, 73.0) == pytest.approx(implied_move(0.2, 73.0) ** 2)
    got = implied_move(pd.Series([0.1, np.nan]), pd.Series([365.0, 365.0]))
    assert got.iloc[0] == pytest.approx(0.1)
    assert np.isnan(got.iloc[1])


# --- Wilson ---------------------------------------------------------------------------------
def test_wilson_is_one_formula() -> None:
    lo, hi = wilson_interval(8, 10)
    assert (lo, hi) == pytest.approx((0.4902, 0.9433), abs=1e-4)  # textbook 8/10
    k, n = np.array([0.0, 8.0, 50.0]), np.array([10.0, 10.0, 60.0])
    lows, highs = wilson_bounds(k, n)
    assert lows[1] == pytest.approx(lo)
    assert highs[1] == pytest.approx(hi)
    assert lows[0] == 0.0
    assert (highs <= 1.0).all()
    assert wilson_lower(50.0, 60.0) == pytest.approx(wilson_bounds(50.0, 60.0, z=1.96)[0])

"""Windows, the walk-forward hit rate of the published range, spike rate, Wilson interval."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from aegis.analytics import fit_safe_range_k, safe_range
from aegis.errors import AnalyticsInputError, InsufficientHistoryError
from aegis.market.calendar import next_weekly_expiry
from aegis.rates import (
    historical_hit_rate,
    historical_spike_rate,
    next_session_spike,
    session_windows,
    walk_forward_safe_ranges,
    weekly_windows,
    wilson_interval,
)


def synthetic_market(
    seed: int, start: str = "2015-01-01", end: str = "2020-12-31", vix_bias: float = 1.15
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Seeded daily NIFTY/VIX frames: GBM with slowly varying vol; VIX overstates it."""
    rng = np.random.default_rng(seed)
    days = pd.bdate_range(start, end)
    holidays = rng.choice(len(days), size=len(days) // 60, replace=False)
    sessions = pd.DatetimeIndex(np.delete(days.to_numpy(), holidays), name="session")
    n = len(sessions)
    log_vol = np.log(0.16) + np.cumsum(rng.normal(0, 0.03, n)) * 0.3
    sigma = np.clip(np.exp(log_vol), 0.07, 0.6)
    ret = sigma / np.sqrt(252) * rng.standard_normal(n)
    close = 10000 * np.exp(np.cumsum(ret))
    open_ = close * np.exp(rng.normal(0, 0.002, n))
    high = np.maximum(open_, close) * np.exp(np.abs(rng.normal(0, 0.004, n)))
    low = np.minimum(open_, close) * np.exp(-np.abs(rng.normal(0, 0.004, n)))
    nifty = pd.DataFrame(
        {"open": open_, "high": high, "low": low, "close": close, "volume": np.nan},
        index=sessions,
    )
    v = sigma * 100 * vix_bias
    vix = pd.DataFrame(
        {"open": v, "high": v * 1.02, "low": v * 0.98, "close": v, "volume": np.nan},
        index=sessions,
    )
    nifty.attrs["symbol"], vix.attrs["symbol"] = "NIFTY50", "INDIAVIX"
    return nifty, vix


@pytest.fixture(scope="module")
def market() -> tuple[pd.DataFrame, pd.DataFrame]:
    return synthetic_market(seed=1)


@pytest.fixture(scope="module")
def windows(market) -> pd.DataFrame:
    return weekly_windows(*market)


@pytest.fixture(scope="module")
def every(market) -> pd.DataFrame:
    return session_windows(*market)


# --- Wilson -------------------------------------------------------------------------
def test_wilson_known_values() -> None:
    lo, hi = wilson_interval(8, 10)
    assert lo == pytest.approx(0.4902, abs=1e-4)
    assert hi == pytest.approx(0.9433, abs=1e-4)
    assert wilson_interval(0, 10)[0] == 0.0
    assert wilson_interval(0, 10)[1] == pytest.approx(0.2775, abs=1e-4)
    lo, hi = wilson_interval(720, 1000)
    assert lo < 0.72 < hi
    assert hi - lo == pytest.approx(2 * 1.959964 * np.sqrt(0.72 * 0.28 / 1000), rel=0.01)
    with pytest.raises(InsufficientHistoryError):
        wilson_interval(0, 0)


# --- windows ------------------------------------------------------------------------
def test_windows_follow_the_calendar_with_the_data_sessions(market, windows) -> None:
    nifty, _ = market
    sessions = nifty.index
    assert len(windows) > 250
    starts = pd.DatetimeIndex(windows["start"])
    expiries = pd.DatetimeIndex(windows["expiry"])
    # one window per week, chained: each start is the session right after the previous expiry
    nxt = sessions.searchsorted(expiries[:-1], side="right")
    assert (sessions[nxt] == starts[1:]).all()
    # the calendar's own rule on the data's sessions gives the same expiry (slice keeps it fast:
    # inside the slice the data decide, below it every answer is <= the start anyway)
    for start, expiry in zip(starts[::7], expiries[::7], strict=True):
        pos = sessions.get_loc(start)
        assert next_weekly_expiry(start, sessions[pos : pos + 40]) == expiry
    assert next_weekly_expiry(starts[3], sessions) == expiries[3]
    assert (expiries > starts).all()
    assert windows["days"].to_numpy() == pytest.approx((expiries - starts).days.to_numpy())


def test_holiday_moves_expiry_to_previous_session(market) -> None:
    nifty, vix = market
    thursday = pd.Timestamp("2018-06-14")
    assert thursday in nifty.index
    wins = weekly_windows(nifty.drop(thursday), vix)
    row = wins[wins["start"] <= thursday].iloc[-1]
    assert row["expiry"] == pd.Timestamp("2018-06-13")
    assert wins[wins["start"] > thursday].iloc[0]["start"] == pd.Timestamp(
        "2018-06-14"
    ) + pd.Timedelta(days=1)


def test_tuesday_expiries_from_september_2025() -> None:
    nifty, vix = synthetic_market(seed=2, start="2025-06-02", end="2025-12-31")
    wins = weekly_windows(nifty, vix)
    late = wins[wins["start"] >= pd.Timestamp("2025-09-02")]
    early = wins[wins["expiry"] <= pd.Timestamp("2025-08-28")]
    assert (pd.DatetimeIndex(early["expiry"]).day_of_week <= 3).all()
    assert (pd.DatetimeIndex(late["expiry"]).day_of_week <= 1).all()


def test_window_path_and_z(market, windows) -> None:
    nifty, vix = market
    for _, w in windows.iloc[::25].iterrows():
        path = nifty.loc[(nifty.index > w["start"]) & (nifty.index <= w["expiry"])]
        assert w["path_high"] == path["high"].max()
        assert w["path_low"] == path["low"].min()
        assert w["sessions"] == len(path)
        assert w["spot"] == nifty.loc[w["start"], "close"]
        assert w["vix"] == vix.loc[w["start"], "close"]
        em = w["spot"] * w["vix"] / 100 * np.sqrt(w["days"] / 365)
        assert w["z_abs"] == pytest.approx(abs(w["close_at_expiry"] - w["spot"]) / em)


def test_windows_skip_missing_vix(market) -> None:
    nifty, vix = market
    gap = vix.index[(vix.index >= "2017-03-01") & (vix.index < "2017-04-01")]
    wins = weekly_windows(nifty, vix.drop(gap))
    full = weekly_windows(nifty, vix)
    assert len(full) - 5 <= len(wins) < len(full)
    assert not ((wins["start"] >= "2017-03-06") & (wins["start"] < "2017-04-01")).any()


# --- hit rate -----------------------------------------------------------------------
def slow_published_range(every: pd.DataFrame, row: pd.Series, c: float, min_train: int,
                         min_horizon: int) -> tuple[float, str] | None:
    """Reference: k of the range published at row's start, refitted from scratch."""
    past = every[every["expiry"] < row["start"]]
    if len(past) < min_train:
        return None
    own = past[past["sessions"] == row["sessions"]]
    pool, scope = (own, "horizon") if len(own) >= min_horizon else (past, "pooled")
    k_session = fit_safe_range_k(pool["z_session"], c)
    return k_session * np.sqrt(365 * row["sessions"] / (252 * row["days"])), scope


def test_hit_rate_equals_slow_reference(every) -> None:
    rate = historical_hit_rate(every, 0.8, as_of="2020-12-31", min_train=250, min_horizon=52)
    table = walk_forward_safe_ranges(every, 0.8, as_of="2020-12-31")
    known = every[every["expiry"] <= pd.Timestamp("2020-12-31")]
    expected = [slow_published_range(known, w, 0.8, 250, 52) for _, w in known.iterrows()]
    evaluated = [(w, e) for (_, w), e in zip(known.iterrows(), expected, strict=True) if e]
    assert rate.n == len(table) == len(evaluated)
    for (w, (k, scope)), got in zip(evaluated[::7], table.iloc[::7].itertuples(), strict=True):
        assert got.start == w["start"]
        assert got.k == pytest.approx(k, rel=1e-12)
        assert got.fit_scope == scope
        lo, hi = safe_range(w["spot"], w["vix"], w["days"], k)
        assert got.hit == bool(lo <= w["close_at_expiry"] <= hi)
    hits = int(table["hit"].sum())
    assert rate.successes == hits
    assert rate.ci95 == wilson_interval(hits, rate.n)
    assert rate.window.from_ == pd.Timestamp(evaluated[0][0]["start"]).date()
    assert {"pooled", "horizon"} == set(table["fit_scope"])  # early rows pooled, later own
    dumped = rate.model_dump(mode="json")
    assert set(dumped["window"]) == {"from", "to"}


def test_hit_rate_covers_every_session_and_each_horizon(every) -> None:
    rate = historical_hit_rate(every, 0.8, as_of="2020-12-31", sessions_to_expiry=2)
    table = walk_forward_safe_ranges(every, 0.8, as_of="2020-12-31")
    assert rate.n == len(table) > 4 * 250  # every session, not one per week
    assert rate.ci95_block_bootstrap is not None
    assert abs(rate.value - 0.8) < 0.06
    boot, wilson = rate.ci95_block_bootstrap, rate.ci95
    assert boot[1] - boot[0] > 1.2 * (wilson[1] - wilson[0])  # overlapping ranges: wider
    assert rate.horizon is not None
    assert rate.horizon.sessions_to_expiry == 2
    assert rate.horizon.n == int((table["sessions"] == 2).sum())
    assert rate.horizon.value == pytest.approx(table.loc[table["sessions"] == 2, "hit"].mean())
    assert "overlap" in (rate.interval_note or "")
    for h, group in table.groupby("sessions"):
        if len(group) > 150:
            assert abs(group["hit"].mean() - 0.8) < 0.08, h


def test_no_look_ahead(every) -> None:
    table = walk_forward_safe_ranges(every, 0.8, as_of="2020-12-31")
    cut = 600
    changed = every.copy()
    changed.loc[cut:, "z_session"] *= 3.0  # the future becomes far wilder
    changed.loc[cut:, "close_at_expiry"] = changed.loc[cut:, "spot"] * 1.2
    table2 = walk_forward_safe_ranges(changed, 0.8, as_of="2020-12-31")
    before = table["start"] <= every.loc[cut - 1, "expiry"]
    assert before.any()
    np.testing.assert_array_equal(table.loc[before, "k"], table2.loc[before, "k"])
    assert not np.array_equal(table.loc[~before, "k"], table2.loc[~before, "k"])


def test_rates_respond_to_history_never_constant() -> None:
    values = set()
    for seed, bias in [(3, 1.15), (4, 1.0), (5, 0.8), (6, 1.4)]:
        nifty, vix = synthetic_market(seed=seed, vix_bias=bias)
        rate = historical_hit_rate(session_windows(nifty, vix), 0.8, as_of="2020-12-31")
        values.add(rate.value)
    assert len(values) == 4


def test_as_of_limits_the_sample(every) -> None:
    full = historical_hit_rate(every, 0.8, as_of="2020-12-31")
    early = historical_hit_rate(every, 0.8, as_of="2018-12-31")
    assert early.n < full.n
    assert early.window.to <= pd.Timestamp("2018-12-31").date()
    assert early.as_of == pd.Timestamp("2018-12-31").date()


def test_hit_rate_errors(every) -> None:
    with pytest.raises(InsufficientHistoryError, match="min_train=250"):
        historical_hit_rate(every, 0.8, as_of="2015-06-30")
    with pytest.raises(AnalyticsInputError, match="confidence"):
        historical_hit_rate(every, 80, as_of="2020-12-31")


# --- spikes -------------------------------------------------------------------------
def test_next_session_spike_hand_computed() -> None:
    idx = pd.DatetimeIndex(
        pd.to_datetime(["2020-01-01", "2020-01-02", "2020-01-03"]), name="session"
    )
    nifty = pd.DataFrame({"close": [100.0, 101.0, 101.1]}, index=idx)
    vix = pd.DataFrame({"close": [15.0, 15.0, 15.0]}, index=idx)
    # threshold = 0.15 * sqrt(1/365) = 0.00785; moves ln(1.01) = 0.00995, ln(101.1/101) = 0.00099
    spike = next_session_spike(nifty, vix)
    assert spike.dtype == "boolean"
    assert spike.iloc[0] == True  # noqa: E712
    assert spike.iloc[1] == False  # noqa: E712
    assert spike.isna().iloc[2]


def test_spike_rate_known_answer_and_base_rate() -> None:
    idx = pd.bdate_range("2021-01-04", periods=8, name="session")
    spikes = pd.Series([1, 0, 1, 1, 0, 0, 1, pd.NA], index=idx, dtype="boolean")
    signals = pd.Series([1, 1, 1, 0, 0, 0, 1, 1], index=idx, dtype="boolean")
    rate = historical_spike_rate(signals, spikes, as_of=idx[-1])
    # sessions 0..6 known; signals at 0,1,2,6 -> spikes 1,0,1,1
    assert rate.n == 4
    assert rate.value == pytest.approx(0.75)
    assert rate.base_rate == pytest.approx(4 / 7)
    assert rate.window.to == idx[6].date()
    # as_of the 6th session: outcome of session 5 (realised on 6) is known, session 6's is not
    earlier = historical_spike_rate(signals, spikes, as_of=idx[6])
    assert earlier.n == 3
    assert earlier.value == pytest.approx(2 / 3)
    assert earlier.base_rate == pytest.approx(3 / 6)


def test_spike_rate_changes_with_inputs(market) -> None:
    nifty, vix = market
    spikes = next_session_spike(nifty, vix)
    rng = np.random.default_rng(9)
    values = set()
    for _ in range(4):
        sig = pd.Series(rng.uniform(size=len(spikes)) < 0.2, index=spikes.index)
        values.add(historical_spike_rate(sig, spikes, as_of="2020-12-31").value)
    assert len(values) == 4
    always = pd.Series(True, index=spikes.index)
    rate = historical_spike_rate(always, spikes, as_of="2020-12-31")
    assert rate.value == rate.base_rate


def test_spike_rate_without_signals_raises(market) -> None:
    nifty, vix = market
    spikes = next_session_spike(nifty, vix)
    with pytest.raises(InsufficientHistoryError, match="BREAKOUT"):
        historical_spike_rate(pd.Series(False, index=spikes.index), spikes, as_of="2020-12-31")

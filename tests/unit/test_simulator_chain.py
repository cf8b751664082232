"""Simulated weekly option chains: expiries, prices, smile and open-interest profile."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from aegis.market.frames import CHAIN_COLUMNS, IST
from aegis.market.sources.simulator import SimulatedMarket, simulate
from aegis.market.sources.simulator.chain import RISK_FREE, black_scholes, smile_iv, strike_ladder


@pytest.fixture(scope="module")
def market() -> SimulatedMarket:
    # spans the switch from Thursday to Tuesday expiries (2025-08-28 -> 2025-09-02)
    return simulate(4, 2.0, end=date(2025, 9, 5), intraday_sessions=0, chain_sessions=12)


def _snapshots(chain: pd.DataFrame) -> list[pd.DataFrame]:
    return [g for _, g in chain.groupby("timestamp", sort=True)]


def _max_pain(snapshot: pd.DataFrame) -> float:
    """Strike minimising the intrinsic value paid to holders (DESIGN definition)."""
    calls = snapshot[snapshot["option_type"] == "CE"].set_index("strike")["oi"]
    puts = snapshot[snapshot["option_type"] == "PE"].set_index("strike")["oi"]
    strikes = calls.index.to_numpy()
    pain = [
        (calls * np.maximum(0.0, p - strikes)).sum() + (puts * np.maximum(0.0, strikes - p)).sum()
        for p in strikes
    ]
    return float(strikes[int(np.argmin(pain))])


def test_black_scholes_known_value() -> None:
    # S=K=100, T=1, sigma=0.2, r=6.5%: d1=0.425, d2=0.225, C = 100 N(d1) - 100 e^-r N(d2)
    call = black_scholes(100.0, np.array([100.0]), 1.0, np.array([0.2]), np.array([True]))[0]
    put = black_scholes(100.0, np.array([100.0]), 1.0, np.array([0.2]), np.array([False]))[0]
    assert call == pytest.approx(11.2639, abs=1e-3)  # scipy.stats.norm by hand
    assert call - put == pytest.approx(100.0 - 100.0 * np.exp(-RISK_FREE), abs=1e-9)


def test_smile_has_a_put_skew() -> None:
    strikes = np.array([22000.0, 23500.0, 24000.0, 24500.0, 26000.0])
    iv = smile_iv(0.14, 24000.0, strikes, 5 / 365)
    atm = iv[2]
    assert atm == pytest.approx(0.14, rel=0.02)
    assert iv[0] > iv[-1] > atm  # the far put wing above the far call wing
    assert iv[1] > iv[3]


def test_strike_ladder_covers_ten_percent() -> None:
    ladder = strike_ladder(24123.4)
    assert ladder[0] <= 24123.4 * 0.9
    assert ladder[-1] >= 24123.4 * 1.1
    assert set(np.diff(ladder)) == {50.0}


def test_chain_frame_is_canonical(market: SimulatedMarket) -> None:
    chain = market.option_chain
    assert list(chain.columns) == CHAIN_COLUMNS
    assert str(chain["timestamp"].dt.tz) == IST
    assert chain["expiry"].dt.tz is None
    assert (chain["expiry"] == chain["expiry"].dt.normalize()).all()
    numeric = [c for c in CHAIN_COLUMNS if c not in ("timestamp", "expiry", "option_type")]
    assert (chain[numeric].dtypes == "float64").all()
    assert chain[numeric].notna().all().all()
    assert set(chain["option_type"]) == {"CE", "PE"}
    assert (chain["timestamp"].dt.strftime("%H:%M") == "15:30").all()
    assert len(_snapshots(chain)) == 12


def test_expiry_is_the_next_weekly_after_each_session(market: SimulatedMarket) -> None:
    chain = market.option_chain
    session = chain["timestamp"].dt.tz_localize(None).dt.normalize()
    assert (chain["expiry"] > session).all()
    assert ((chain["expiry"] - session).dt.days <= 7).all()
    pairs = dict(zip(session.dt.date, chain["expiry"].dt.date, strict=True))
    assert pairs[date(2025, 8, 26)] == date(2025, 8, 28)  # Thursday rule (27th: a holiday)
    assert pairs[date(2025, 8, 28)] == date(2025, 9, 2)  # Tuesday rule from September
    assert pairs[date(2025, 9, 2)] == date(2025, 9, 9)
    assert all(d in market.nifty.index for d in session.unique())


def test_snapshot_matches_the_daily_close_and_vix(market: SimulatedMarket) -> None:
    for snap in _snapshots(market.option_chain):
        day = snap["timestamp"].iloc[0].tz_localize(None).normalize()
        spot = market.nifty.loc[day, "close"]
        assert (snap["underlying"] == spot).all()
        ladder = strike_ladder(spot)
        for side in ("CE", "PE"):
            np.testing.assert_array_equal(snap.loc[snap["option_type"] == side, "strike"], ladder)
        atm = snap.loc[(snap["strike"] - spot).abs().idxmin(), "iv"]
        assert 0.75 < atm / market.vix.loc[day, "close"] < 1.1


def test_prices_are_monotone_and_near_put_call_parity(market: SimulatedMarket) -> None:
    for snap in _snapshots(market.option_chain):
        calls = snap[snap["option_type"] == "CE"].set_index("strike")
        puts = snap[snap["option_type"] == "PE"].set_index("strike")
        assert (np.diff(calls["last_price"].to_numpy()) <= 0).all()
        assert (np.diff(puts["last_price"].to_numpy()) >= 0).all()
        spot = snap["underlying"].iloc[0]
        day = snap["timestamp"].iloc[0].tz_localize(None).normalize()
        years = (snap["expiry"].iloc[0] - day).days / 365
        strikes = calls.index.to_numpy()
        parity = spot - strikes * np.exp(-RISK_FREE * years)
        gap = calls["last_price"].to_numpy() - puts["last_price"].to_numpy() - parity
        assert np.abs(gap).max() <= 0.1 + 1e-9  # tick rounding and the 0.05 floor
        assert (snap["bid"] <= snap["last_price"]).all()
        assert (snap["ask"] >= snap["last_price"]).all()
        assert (snap["last_price"] >= 0.05).all()


def test_open_interest_profile_is_realistic(market: SimulatedMarket) -> None:
    for snap in _snapshots(market.option_chain):
        spot = snap["underlying"].iloc[0]
        calls = snap[snap["option_type"] == "CE"].set_index("strike")["oi"]
        puts = snap[snap["option_type"] == "PE"].set_index("strike")["oi"]
        assert (calls >= 0).all()
        assert (puts >= 0).all()
        # call writers above spot, put writers below
        assert np.average(calls.index, weights=calls) > spot > np.average(puts.index, weights=puts)
        assert calls.idxmax() > 0.98 * spot
        assert puts.idxmax() < 1.02 * spot
        assert calls[calls.index > spot].sum() > 2 * calls[calls.index < spot].sum()
        assert puts[puts.index < spot].sum() > 2 * puts[puts.index > spot].sum()
        # round strikes attract OI
        k = calls.index.to_numpy()
        round_500 = np.isin(k % 500, [0]) & (np.abs(k - spot) < 0.05 * spot)
        odd_50 = (k % 100 == 50) & (np.abs(k - spot) < 0.05 * spot)
        both = calls + puts
        assert both[round_500].mean() > 2 * both[odd_50].mean()
        pcr = puts.sum() / calls.sum()
        assert 0.4 < pcr < 2.5
        pain = _max_pain(snap)
        assert k[0] < pain < k[-1]
        assert abs(pain / spot - 1) < 0.04


def test_oi_change_is_the_difference_between_consecutive_snapshots(
    market: SimulatedMarket,
) -> None:
    snaps = _snapshots(market.option_chain)
    compared = 0
    for before, after in zip(snaps[:-1], snaps[1:], strict=True):
        if before["expiry"].iloc[0] != after["expiry"].iloc[0]:
            continue
        keys = ["strike", "option_type"]
        joined = after.merge(before[[*keys, "oi"]], on=keys, suffixes=("", "_before"))
        np.testing.assert_array_equal(joined["oi_change"], joined["oi"] - joined["oi_before"])
        compared += len(joined)
        assert (joined["oi_change"] > 0).any()
        assert (joined["oi_change"] < 0).any()
    assert compared > 0

"""The simulator's statistics against real NIFTY (2000-2022) and India VIX (2009-2022).

Each statistic is computed the same way on the real history and on six simulated histories of the
same span (seeds 1-6, ``end`` = the last real session). Tolerances are stated per test; they are
wide enough for one 23-year sample of a fat-tailed process and narrow enough that a Gaussian
random walk, a constant-volatility model or a VIX without premium fails them.

Measured when written (real | mean of the six seeds): annualised vol 0.226 | 0.178,
excess kurtosis 10.4 | 8.2, acf of squared returns (lags 1-5) 0.19 | 0.19, acf of |returns|
0.27 | 0.22, leverage -0.18 | -0.08, Parkinson / close-to-close 0.91 | 0.96, mean VIX 19.8 | 19.2,
mean VIX / realised vol 1.29 | 1.27, corr(VIX, realised) 0.82 | 0.79, corr(VIX, next month's
realised) 0.67 | 0.66, corr(return, VIX log change) -0.53 | -0.63. Intraday (real BANKNIFTY
1-minute bars, 2023 | three seeds): mean |return| of the first 15 minutes over midday 2.6 | 2.5-2.8,
last 15 minutes over midday 1.26 | 1.2-1.5.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from aegis.market.history import load_history
from aegis.market.sources.simulator import simulate

pytestmark = pytest.mark.realdata

SEEDS = range(1, 7)
WINDOW = 21  # sessions, the realised-volatility window matching VIX's 30 calendar days
ANNUAL = np.sqrt(252.0)


def market_statistics(nifty: pd.DataFrame, vix: pd.DataFrame) -> dict[str, float]:
    """The statistics compared, from daily NIFTY and India VIX frames (VIX over its own span)."""
    close = nifty["close"]
    returns = np.log(close).diff().dropna()
    stats: dict[str, float] = {
        "annual_vol": returns.std() * ANNUAL,
        "excess_kurtosis": returns.kurt(),
        "acf_squared_min": min((returns**2).autocorr(lag) for lag in range(1, 6)),
        "acf_squared_mean": np.mean([(returns**2).autocorr(lag) for lag in range(1, 6)]),
        "acf_abs_mean": np.mean([returns.abs().autocorr(lag) for lag in range(1, 6)]),
        "leverage": returns.corr(returns.abs().rolling(5).sum().shift(-5)),
    }
    full = nifty[(nifty["high"] > nifty["low"])]
    parkinson = np.sqrt((np.log(full["high"] / full["low"]) ** 2).mean() / (4 * np.log(2)))
    stats["parkinson_ratio"] = parkinson * ANNUAL / stats["annual_vol"]

    realised = returns.rolling(WINDOW).std() * ANNUAL * 100
    joined = pd.concat(
        {"vix": vix["close"], "rv": realised, "rv_next": realised.shift(-WINDOW), "r": returns},
        axis=1,
        sort=True,
    ).loc[vix.index[0] : vix.index[-1]]
    both = joined.dropna(subset=["vix", "rv"])
    stats["vix_mean"] = both["vix"].mean()
    stats["vix_rv_ratio"] = (both["vix"] / both["rv"]).mean()
    stats["vix_rv_corr"] = both["vix"].corr(both["rv"])
    stats["vix_rv_next_corr"] = joined["vix"].corr(joined["rv_next"])
    stats["return_vix_change_corr"] = joined["r"].corr(np.log(joined["vix"]).diff())
    return stats


@pytest.fixture(scope="module")
def real(real_data_dir: Path) -> dict[str, float]:
    history = load_history(
        sorted((real_data_dir / "history" / "nifty_daily").glob("*.csv")),
        sorted((real_data_dir / "history" / "vix_daily").glob("*.csv")),
    )
    assert history.nifty.index[0] == pd.Timestamp("2000-01-03")
    assert history.vix.index[0] == pd.Timestamp("2009-03-02")
    return market_statistics(history.nifty, history.vix)


@pytest.fixture(scope="module")
def simulated() -> pd.DataFrame:
    """One row of statistics per seed over 2000-01-03..2022-12-30, VIX from 2009-03-02."""
    rows = []
    for seed in SEEDS:
        market = simulate(seed, 23.0, end=pd.Timestamp("2022-12-30"), intraday_sessions=0,
                          chain_sessions=0)
        vix = market.vix.loc["2009-03-02":]
        rows.append(market_statistics(market.nifty, vix))
    return pd.DataFrame(rows, index=list(SEEDS))


def test_annualised_volatility(real: dict[str, float], simulated: pd.DataFrame) -> None:
    # NIFTY's 2000-2022 vol includes the 2000-2009 high-vol decade: within 30% on average
    assert 0.15 < real["annual_vol"] < 0.30
    vol = simulated["annual_vol"]
    assert abs(vol.mean() / real["annual_vol"] - 1) < 0.30
    assert vol.between(0.12, 0.32).all()


def test_fat_tails(real: dict[str, float], simulated: pd.DataFrame) -> None:
    assert real["excess_kurtosis"] > 2
    kurtosis = simulated["excess_kurtosis"]
    assert (kurtosis > 2).all()
    assert real["excess_kurtosis"] / 3 < kurtosis.median() < real["excess_kurtosis"] * 3


def test_volatility_clusters(real: dict[str, float], simulated: pd.DataFrame) -> None:
    assert real["acf_squared_min"] > 0.05
    assert (simulated["acf_squared_min"] > 0.0).all()  # positive at every lag 1-5, every seed
    assert abs(simulated["acf_squared_mean"].mean() - real["acf_squared_mean"]) < 0.10
    assert abs(simulated["acf_abs_mean"].mean() - real["acf_abs_mean"]) < 0.10


def test_leverage_effect(real: dict[str, float], simulated: pd.DataFrame) -> None:
    # a fall today raises the next week's absolute moves
    assert real["leverage"] < 0
    assert simulated["leverage"].mean() < -0.02
    assert abs(simulated["leverage"].mean() - real["leverage"]) < 0.15


def test_daily_range_is_consistent_with_returns(
    real: dict[str, float], simulated: pd.DataFrame
) -> None:
    assert abs(simulated["parkinson_ratio"].mean() - real["parkinson_ratio"]) < 0.12


def test_vix_carries_a_premium_over_realised_vol(
    real: dict[str, float], simulated: pd.DataFrame
) -> None:
    assert 1.1 < real["vix_rv_ratio"] < 1.5
    ratio = simulated["vix_rv_ratio"]
    assert abs(ratio.mean() - real["vix_rv_ratio"]) < 0.15
    assert ratio.between(1.05, 1.6).all()
    assert abs(simulated["vix_mean"].mean() / real["vix_mean"] - 1) < 0.25


def test_vix_tracks_and_leads_realised_vol(
    real: dict[str, float], simulated: pd.DataFrame
) -> None:
    assert abs(simulated["vix_rv_corr"].mean() - real["vix_rv_corr"]) < 0.12
    assert (simulated["vix_rv_corr"] > 0.6).all()
    # today's VIX predicts the next month's realised vol
    assert real["vix_rv_next_corr"] > 0.5
    assert (simulated["vix_rv_next_corr"] > 0.35).all()
    assert abs(simulated["vix_rv_next_corr"].mean() - real["vix_rv_next_corr"]) < 0.15


def test_vix_spikes_on_sell_offs(real: dict[str, float], simulated: pd.DataFrame) -> None:
    assert real["return_vix_change_corr"] < -0.3
    corr = simulated["return_vix_change_corr"]
    assert (corr < -0.3).all()
    assert abs(corr.mean() - real["return_vix_change_corr"]) < 0.2


def intraday_profile(bars: pd.DataFrame) -> dict[str, float]:
    """Mean |1-minute return| of the first and last 15 minutes relative to midday (11:45-13:00)."""
    moves = np.log(bars["close"] / bars["open"])
    by_minute = moves.abs().groupby(bars.index.strftime("%H:%M")).mean()
    midday = by_minute.loc["11:45":"13:00"].mean()
    return {
        "open_vs_midday": by_minute.loc["09:15":"09:29"].mean() / midday,
        "close_vs_midday": by_minute.loc["15:15":"15:29"].mean() / midday,
        "excess_kurtosis": moves.kurt(),
    }


def test_intraday_volatility_is_u_shaped_like_real_minutes(real_data_dir: Path) -> None:
    # the real 1-minute index file at hand is BANKNIFTY (40 sessions, 2023): same session shape
    from aegis.market.loaders import load_file

    real_bars = load_file(real_data_dir / "intraday" / "dispersion_banknifty_1min_2023.csv")
    real = intraday_profile(real_bars.frame.between_time("09:15", "15:29"))
    assert real["open_vs_midday"] > 1.5
    for seed in (1, 2, 3):
        market = simulate(seed, 1.0, end=pd.Timestamp("2023-06-01"), intraday_sessions=40,
                          chain_sessions=0)
        sim = intraday_profile(market.nifty_intraday)
        assert abs(sim["open_vs_midday"] / real["open_vs_midday"] - 1) < 0.4
        assert sim["close_vs_midday"] > 1.0
        assert abs(sim["close_vs_midday"] - real["close_vs_midday"]) < 0.4
        assert sim["excess_kurtosis"] > 5

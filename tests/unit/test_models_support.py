"""Helpers for the model tests: a small seeded market and a feature table with every column.

The feature table follows the contract of ``aegis.features.columns`` closely enough for the
models (same names, units and warm-up NaNs); it is *not* the production feature builder.
Volatility follows a mean-reverting regime and VIX overstates it, so the targets are partly
predictable, as in real data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from aegis.features.columns import FEATURE_NAMES
from aegis.features.forecast import (
    har_daily_variance,
    parkinson_daily_variance,
    structural_logits,
)


def synthetic_market(seed: int = 3, years: float = 6.0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """NIFTY and India VIX daily frames on business days (seeded)."""
    rng = np.random.default_rng(seed)
    sessions = pd.bdate_range("2010-01-04", periods=int(years * 252), name="session")
    n = len(sessions)
    log_vol = np.empty(n)
    log_vol[0] = np.log(0.16)
    for t in range(1, n):
        log_vol[t] = log_vol[t - 1] + 0.03 * (np.log(0.16) - log_vol[t - 1]) + 0.08 * rng.normal()
    vol = np.exp(log_vol)
    ret = vol / np.sqrt(252) * rng.standard_t(5, size=n) * np.sqrt(3 / 5) + 0.0003
    close = 5000 * np.exp(np.cumsum(ret))
    open_ = close * np.exp(-ret * rng.uniform(0.2, 0.8, n))
    wiggle = vol / np.sqrt(252) * np.abs(rng.normal(size=(2, n))) * 0.7
    high = np.maximum(open_, close) * np.exp(wiggle[0])
    low = np.minimum(open_, close) * np.exp(-wiggle[1])
    nifty = pd.DataFrame({"open": open_, "high": high, "low": low, "close": close,
                          "volume": np.nan}, index=sessions)
    nifty.attrs["symbol"] = "NIFTY50"
    vix_close = 100 * vol * 1.15 * np.exp(0.05 * rng.normal(size=n))
    vix = pd.DataFrame({"open": vix_close, "high": vix_close * 1.02, "low": vix_close * 0.98,
                        "close": vix_close, "volume": np.nan}, index=sessions)
    vix.attrs["symbol"] = "INDIAVIX"
    return nifty, vix


def _pct_rank(s: pd.Series, window: int) -> pd.Series:
    return s.rolling(window).apply(lambda w: 100.0 * np.mean(w <= w[-1]), raw=True)


def synthetic_features(nifty: pd.DataFrame, vix: pd.DataFrame) -> pd.DataFrame:
    """Every column of DAILY_FEATURES, point-in-time, NaN during warm-up (float64)."""
    c, h, lo = nifty["close"], nifty["high"], nifty["low"]
    v = vix["close"].reindex(nifty.index)
    r = np.log(c).diff()
    rv = r.rolling(20).std() * np.sqrt(252)
    park = np.sqrt((np.log(h / lo) ** 2).rolling(20).mean() / (4 * np.log(2)) * 252)
    ema12, ema26 = c.ewm(span=12).mean(), c.ewm(span=26).mean()
    macd = ema12 - ema26
    gain = r.clip(lower=0).ewm(alpha=1 / 14).mean()
    loss = (-r.clip(upper=0)).ewm(alpha=1 / 14).mean()
    tr = pd.concat([h - lo, (h - c.shift()).abs(), (lo - c.shift()).abs()], axis=1).max(axis=1)
    mid, sd = c.rolling(20).mean(), c.rolling(20).std()
    weekday = nifty.index.day_of_week.to_numpy()
    days = ((3 - weekday) % 7).astype("float64")
    days[days == 0] = 7.0
    f = pd.DataFrame(index=nifty.index)
    f["close"] = c
    f["log_return"] = r
    f["mom_5"] = np.log(c / c.shift(5))
    f["mom_20"] = np.log(c / c.shift(20))
    f["mom_60"] = np.log(c / c.shift(60))
    f["rv_cc_20"] = rv
    f["rv_parkinson_20"] = park
    f["rv_gk_20"] = park * 1.01
    f["rv_rs_20"] = park * 0.99
    f["rv_yz_20"] = (rv + park) / 2
    f["vix"] = v
    f["vix_change"] = np.log(v / v.shift())
    f["iv_percentile_252"] = _pct_rank(v, 252)
    vmin, vmax = v.rolling(252).min(), v.rolling(252).max()
    f["iv_rank_252"] = (v - vmin) / (vmax - vmin) * 100
    f["rv_percentile_252"] = _pct_rank(rv, 252)
    f["iv_rv_spread"] = v / 100 - rv
    f["rsi_14"] = 100 - 100 / (1 + gain / loss)
    f["atr_14_pct"] = tr.ewm(alpha=1 / 14).mean() / c
    f["bb_pctb_20"] = (c - (mid - 2 * sd)) / (4 * sd)
    f["macd_hist_pct"] = (macd - macd.ewm(span=9).mean()) / c
    f["days_to_expiry"] = days
    f["sessions_to_expiry"] = np.ceil(days * 5 / 7)
    f["expected_move_pct"] = v / 100 * np.sqrt(days / 365)
    f["vix_change_5"] = np.log(v / v.shift(5))
    f["mom_5_em"] = f["mom_5"] / (v / 100 * np.sqrt(5 / 252))
    f["mom_20_em"] = f["mom_20"] / (v / 100 * np.sqrt(20 / 252))
    har_pk = har_daily_variance(parkinson_daily_variance(nifty))
    f["rv_har_parkinson"] = np.sqrt(252 * har_pk)
    f["rv_har_cc"] = np.sqrt(252 * har_daily_variance(r**2))
    f["iv_minus_har"] = v / 100 - f["rv_har_parkinson"]
    f["weekend_days"] = f["days_to_expiry"] - f["sessions_to_expiry"]
    f["log_sessions_to_expiry"] = np.log(f["sessions_to_expiry"])
    structural = structural_logits(v, f["days_to_expiry"], f["sessions_to_expiry"], har_pk)
    f = f.join(structural)
    f.index.name = "session"
    return f[FEATURE_NAMES].astype("float64")

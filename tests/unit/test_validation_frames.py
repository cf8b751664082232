"""Hand-built canonical frames that satisfy every suite, and the proof that they do.

The factories here are imported by the other ``test_validation_*`` modules, which break one
thing at a time (the PROVENANCE.md oddities) and check that the right expectation fails.
The daily sessions are the real NSE sessions of Sep-Nov 2014, with the real 6-day closure
2014-10-01 -> 2014-10-07, and both frames hold a flat bar (O=H=L=C, as India VIX on
2009-05-18 and 2009-06-23).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from aegis.features.columns import FEATURE_NAMES
from aegis.validation import ValidationReport, validate_frames

IST = "Asia/Kolkata"
#: NSE holidays of Sep-Nov 2014 (Ganesh Chaturthi, Gandhi Jayanti, Dussehra, Bakri Id,
#: Diwali-Balipratipada, Muharram, Assembly elections, Guru Nanak Jayanti).
HOLIDAYS_2014 = ["2014-09-29", "2014-10-02", "2014-10-03", "2014-10-06", "2014-10-15",
                 "2014-10-24", "2014-11-04", "2014-11-06"]
FLAT_SESSION = pd.Timestamp("2014-10-20")


def sessions_2014() -> pd.DatetimeIndex:
    """Weekdays 2014-09-01..2014-11-28 without the NSE holidays (gap 6 days at 2014-10-07)."""
    days = pd.bdate_range("2014-09-01", "2014-11-28")
    return days.difference(pd.DatetimeIndex(HOLIDAYS_2014)).rename("session")


def ohlc_frame(sessions: pd.DatetimeIndex, start: float, vol: float, seed: int,
               volume: bool) -> pd.DataFrame:
    """A consistent OHLC random walk (low <= open, close <= high), seeded."""
    rng = np.random.default_rng(seed)
    n = len(sessions)
    close = start * np.exp(np.cumsum(rng.normal(0.0, vol, n)))
    open_ = np.r_[start, close[:-1]] * np.exp(rng.normal(0.0, vol / 4, n))
    high = np.maximum(open_, close) * np.exp(np.abs(rng.normal(0.0, vol / 2, n)))
    low = np.minimum(open_, close) * np.exp(-np.abs(rng.normal(0.0, vol / 2, n)))
    frame = pd.DataFrame(
        {"open": open_, "high": high, "low": low, "close": close,
         "volume": rng.integers(10**6, 10**8, n).astype("float64") if volume else np.nan},
        index=sessions,
    )
    return frame


def good_nifty() -> pd.DataFrame:
    """Canonical NIFTY daily frame, Sep-Nov 2014, with one flat bar."""
    frame = ohlc_frame(sessions_2014(), 7950.0, 0.008, seed=1, volume=True)
    frame.loc[FLAT_SESSION, ["open", "high", "low"]] = frame.loc[FLAT_SESSION, "close"]
    frame.attrs["symbol"] = "NIFTY50"
    return frame


def good_vix() -> pd.DataFrame:
    """Canonical India VIX daily frame (percent, no volume), same sessions, one flat bar."""
    frame = ohlc_frame(sessions_2014(), 13.5, 0.04, seed=2, volume=False)
    frame.loc[FLAT_SESSION, ["open", "high", "low"]] = frame.loc[FLAT_SESSION, "close"]
    frame.attrs["symbol"] = "INDIAVIX"
    return frame


def good_features(rows: int = 50, warmup: int = 20) -> pd.DataFrame:
    """A feature table with plausible values; the first ``warmup`` rows of slow features NaN."""
    rng = np.random.default_rng(3)
    sessions = sessions_2014()[:rows]
    u = rng.uniform(0.2, 0.8, (rows, len(FEATURE_NAMES)))
    table = pd.DataFrame(u, index=sessions, columns=FEATURE_NAMES)
    table["close"] = 8000.0 + 100 * u[:, 0]
    for col in ["log_return", "mom_5", "mom_20", "mom_60", "vix_change", "macd_hist_pct"]:
        table[col] = (table[col] - 0.5) / 50
    for col in ["iv_percentile_252", "iv_rank_252", "rv_percentile_252", "rsi_14"]:
        table[col] = 100 * table[col]
    table["vix"] = 12 + 5 * table["vix"]
    table["iv_rv_spread"] = table["vix"] / 100 - table["rv_cc_20"]
    table["atr_14_pct"] = table["atr_14_pct"] / 20
    table["days_to_expiry"] = 1.0 + np.arange(rows) % 7
    table["sessions_to_expiry"] = np.minimum(table["days_to_expiry"], 5.0)
    table["expected_move_pct"] = table["vix"] / 100 * np.sqrt(table["days_to_expiry"] / 365)
    table.loc[table.index[:1], "log_return"] = np.nan
    table.loc[table.index[:warmup], ["mom_20", "rv_cc_20", "iv_percentile_252",
                                     "rv_percentile_252", "iv_rv_spread"]] = np.nan
    return table.astype("float64")


def good_intraday() -> pd.DataFrame:
    """One session of 5-minute bars 09:15..15:25 IST (75 bars), tz-aware."""
    stamps = pd.date_range("2023-04-03 09:15", "2023-04-03 15:25", freq="5min", tz=IST,
                           name="timestamp")
    frame = ohlc_frame(pd.DatetimeIndex(stamps), 17400.0, 0.0008, seed=4, volume=True)
    frame.index.name = "timestamp"
    return frame


def good_chain() -> pd.DataFrame:
    """One long-format snapshot: strikes 17000..18000 every 50, CE falling, PE rising."""
    strikes = np.arange(17000.0, 18001.0, 50.0)
    spot = 17480.0
    stamp = pd.Timestamp("2023-06-05 11:00", tz=IST)
    expiry = pd.Timestamp("2023-06-08")
    time_value = 60.0 * np.exp(-(((strikes - spot) / 400.0) ** 2))
    rows = []
    for side, intrinsic in (("CE", np.maximum(spot - strikes, 0)),
                            ("PE", np.maximum(strikes - spot, 0))):
        price = np.round(intrinsic + time_value + 0.05, 2)
        rows.append(pd.DataFrame({
            "timestamp": stamp, "expiry": expiry, "strike": strikes, "option_type": side,
            "oi": 1000.0 * (1 + np.arange(len(strikes))), "oi_change": 10.0,
            "last_price": price, "iv": 12.0, "bid": price - 0.05, "ask": price + 0.05,
            "volume": 500.0, "underlying": spot,
        }))
    chain = pd.concat(rows, ignore_index=True)
    # far strikes without a trade: zero price, as in the real Upstox snapshot
    chain.loc[(chain["option_type"] == "CE") & (chain["strike"] <= 17050), "last_price"] = 0.0
    chain["option_type"] = chain["option_type"].astype("str")
    return chain


def failed_set(report: ValidationReport, suite: str) -> set[tuple[str, str | None]]:
    """``{(expectation_type, column)}`` of the failed expectations of ``suite``."""
    return {(f.expectation_type, f.column) for f in report.suite(suite).failed}


def test_good_frames_pass_every_suite(tmp_path: pytest.TempPathFactory) -> None:
    report = validate_frames(
        {
            "nifty_daily": good_nifty(),
            "vix_daily": good_vix(),
            "intraday_bars": good_intraday(),
            "option_chain": good_chain(),
            "features": good_features(),
        },
    )
    assert report.describe_failures() == ""
    assert report.success
    assert [s.suite for s in report.suites] == [
        "nifty_daily", "vix_daily", "intraday_bars", "option_chain", "features"
    ]
    for suite in report.suites:
        assert suite.statistics.unsuccessful_expectations == 0
        assert suite.statistics.evaluated_expectations == suite.statistics.successful_expectations
        assert suite.statistics.evaluated_expectations >= 20


def test_factories_contain_the_oddities_that_must_pass() -> None:
    nifty = good_nifty()
    for frame in (nifty, good_vix()):
        flat = frame.loc[FLAT_SESSION]
        assert flat["open"] == flat["high"] == flat["low"] == flat["close"]
    gaps = nifty.index.to_series().diff().dt.days
    assert gaps.max() == 6
    assert gaps.idxmax() == pd.Timestamp("2014-10-07")

"""The feature-table contract: names, units and meaning of every daily feature column.

The daily feature table is indexed by ``session`` (as the daily frames) and computed at the
session's close, using only data up to and including that close. Models name the columns they
use from :data:`DAILY_FEATURES`; the manifest of each model records them in order with dtype
float64.
"""

from __future__ import annotations

from typing import Final

#: column -> meaning (units). Every column is float64; warm-up rows are NaN.
DAILY_FEATURES: Final[dict[str, str]] = {
    "close": "NIFTY close (points)",
    "log_return": "ln(close_t / close_{t-1})",
    "mom_5": "ln(close_t / close_{t-5})",
    "mom_20": "ln(close_t / close_{t-20})",
    "mom_60": "ln(close_t / close_{t-60})",
    "rv_cc_20": "close-to-close realised vol, 20 sessions, annualised fraction (sqrt(252))",
    "rv_parkinson_20": "Parkinson high-low vol, 20 sessions, annualised fraction",
    "rv_gk_20": "Garman-Klass vol, 20 sessions, annualised fraction",
    "rv_rs_20": "Rogers-Satchell vol, 20 sessions, annualised fraction",
    "rv_yz_20": "Yang-Zhang vol, 20 sessions, annualised fraction",
    "vix": "India VIX close (annualised percent)",
    "vix_change": "ln(vix_t / vix_{t-1})",
    "iv_percentile_252": "percent of the last 252 sessions' VIX closes <= today's, in [0, 100]",
    "iv_rank_252": "(vix - min252) / (max252 - min252) * 100, in [0, 100]",
    "rv_percentile_252": "percentile of rv_cc_20 over the last 252 sessions, in [0, 100]",
    "iv_rv_spread": "vix/100 - rv_cc_20 (annualised fraction)",
    "rsi_14": "Wilder RSI over 14 sessions, in [0, 100]",
    "atr_14_pct": "Wilder ATR(14) / close (fraction)",
    "bb_pctb_20": "Bollinger %b, 20 sessions, 2 standard deviations",
    "macd_hist_pct": "(MACD(12,26) - signal(9)) / close",
    "days_to_expiry": "calendar days from the session to the next weekly expiry strictly after it",
    "sessions_to_expiry": "trading sessions from the session to that expiry",
    "expected_move_pct": "vix/100 * sqrt(days_to_expiry/365) (fraction of spot)",
}

FEATURE_NAMES: Final[list[str]] = list(DAILY_FEATURES)

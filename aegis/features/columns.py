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
    "vix_change_5": "ln(vix_t / vix_{t-5})",
    "mom_5_em": "mom_5 / (vix/100 * sqrt(5/252)): 5-session momentum in implied moves",
    "mom_20_em": "mom_20 / (vix/100 * sqrt(20/252)): 20-session momentum in implied moves",
    "rv_har_parkinson": "HAR forecast of daily vol from Parkinson variances, "
    "sqrt(252 * (0.2*v_1 + 0.4*v_5 + 0.4*v_22)), v_w = mean ln(H/L)^2/(4 ln 2) over w sessions "
    "(annualised fraction)",
    "rv_har_cc": "the same HAR blend of squared close-to-close log returns (annualised fraction)",
    "iv_minus_har": "vix/100 - rv_har_parkinson (annualised fraction): the premium over the "
    "realised-vol forecast",
    "weekend_days": "days_to_expiry - sessions_to_expiry: non-trading calendar days to expiry",
    "log_sessions_to_expiry": "ln(sessions_to_expiry)",
    "trap_structural_logit": "logit P(chi2_h > h * iv_var / (h * v_har)): the chance that h "
    "Gaussian sessions of HAR variance v_har realise more than the implied variance "
    "iv_var = (vix/100)^2 * days_to_expiry/365, h = sessions_to_expiry",
    "stress_structural_logit": "logit P(|N(0, h*v_har)| > sqrt(iv_var)): the chance that the "
    "move to expiry exceeds one implied expected move under the HAR variance",
}

FEATURE_NAMES: Final[list[str]] = list(DAILY_FEATURES)

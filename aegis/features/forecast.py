"""Realised-variance forecasts to the weekly expiry and what they imply for trap and stress.

A volatility seller is paid the implied variance ``iv_var = (VIX/100)^2 * D/365`` over the ``D``
calendar days to expiry, and realises the sum of the squared daily log returns of the ``h``
sessions to expiry. The HAR forecast (Corsi 2009) of one session's variance blends the mean
daily variance over the last 1, 5 and 22 sessions with fixed weights 0.2 / 0.4 / 0.4; the
Parkinson range estimator ``ln(H/L)^2 / (4 ln 2)`` is the daily variance proxy (far less noisy
than a squared return), and the close-to-close blend is published beside it.

Under ``h`` independent Gaussian sessions of variance ``v``, the realised variance is
``v * chi2_h``; so

- ``P(trap) = P(chi2_h > iv_var / v)`` (the seller is underpaid), and
- ``P(stress) = P(|N(0, h*v)| > sqrt(iv_var)) = 2 * Phi(-sqrt(iv_var / (h*v)))``.

Both are published as logits: the models calibrate them (fat tails, the variance risk premium
and the leverage effect move the truth away from the Gaussian answer). Every value at session
``t`` uses bars up to ``t`` and the calendar's count of sessions to expiry.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd

from aegis.analytics._gamma import gammaincc  # scipy.special's, without its import cost
from aegis.analytics._normal import ndtr
from aegis.analytics.ranges import implied_variance

HAR_WINDOWS: Final = (1, 5, 22)
HAR_WEIGHTS: Final = (0.2, 0.4, 0.4)
SESSIONS_PER_YEAR: Final = 252.0
LOGIT_CLIP: Final = 1e-6


def parkinson_daily_variance(bars: pd.DataFrame) -> pd.Series:
    """``ln(H/L)^2 / (4 ln 2)`` per session (daily variance, fraction^2)."""
    hl = np.log(bars["high"].astype("float64") / bars["low"].astype("float64"))
    return (hl**2 / (4.0 * np.log(2.0))).rename("parkinson_variance")


def har_daily_variance(daily_variance: pd.Series) -> pd.Series:
    """HAR blend ``sum_w weight_w * mean(daily_variance over the last w sessions)``."""
    parts = [
        weight * daily_variance.rolling(window, min_periods=window).mean()
        for window, weight in zip(HAR_WINDOWS, HAR_WEIGHTS, strict=True)
    ]
    return sum(parts[1:], parts[0]).rename("har_variance")


def _logit(p: np.ndarray) -> np.ndarray:
    q = np.clip(p, LOGIT_CLIP, 1.0 - LOGIT_CLIP)
    return np.log(q / (1.0 - q))


def structural_logits(
    vix_pct: pd.Series, days: pd.Series, sessions: pd.Series, har_variance: pd.Series
) -> pd.DataFrame:
    """Gaussian trap and stress probabilities to expiry, as logits (see the module docstring).

    Parameters
    ----------
    vix_pct : India VIX, annualised percent.  days : calendar days to expiry.
    sessions : sessions to expiry (h >= 1).  har_variance : one session's forecast variance.

    Returns
    -------
    DataFrame with ``trap_structural_logit`` and ``stress_structural_logit`` (NaN where an input
    is missing or not positive).
    """
    iv_var = implied_variance(vix_pct.to_numpy(np.float64) / 100.0, days.to_numpy(np.float64))
    h = sessions.to_numpy(np.float64)
    v = har_variance.to_numpy(np.float64)
    ok = np.isfinite(iv_var) & np.isfinite(h) & np.isfinite(v) & (h >= 1) & (v > 0)
    trap = np.full(len(h), np.nan)
    stress = np.full(len(h), np.nan)
    ratio = iv_var[ok] / v[ok]
    trap[ok] = _logit(gammaincc(h[ok] / 2.0, ratio / 2.0))  # chi2_h survival at ratio
    stress[ok] = _logit(2.0 * ndtr(-np.sqrt(ratio / h[ok])))
    return pd.DataFrame(
        {"trap_structural_logit": trap, "stress_structural_logit": stress},
        index=vix_pct.index,
    )


__all__ = ["har_daily_variance", "parkinson_daily_variance", "structural_logits"]

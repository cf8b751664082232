"""Rolling realised-volatility estimators on daily OHLC bars.

Every estimator takes a canonical daily frame (``open, high, low, close``, index points) or the
columns it needs, a ``window`` in sessions, and returns a ``pandas.Series`` on the same index:
the volatility over the ``window`` sessions ending at (and including) each session, annualised
with ``sqrt(252)``, as a *fraction* (0.15 means 15 % a year).

All estimators are point-in-time: the value at session ``t`` uses bars ``t-window+1 .. t`` (and,
for close-to-close and Yang-Zhang, the close of ``t-window``). Warm-up rows, and any window
containing a missing (NaN) input, are NaN. Formulas, with ``o = ln(O_t/C_{t-1})`` (overnight),
``c = ln(C_t/O_t)`` (open to close), ``u = ln(H_t/O_t)``, ``d = ln(L_t/O_t)``, ``n = window``:

close-to-close
    ``r_t = ln(C_t/C_{t-1})``; ``sigma^2 = sum (r - mean r)^2 / (n-1)`` (sample variance).
Parkinson (1980)
    ``sigma^2 = 1/(4 ln 2) * mean(ln(H/L)^2)``.
Garman-Klass (1980)
    ``sigma^2 = mean(0.5 ln(H/L)^2 - (2 ln 2 - 1) ln(C/O)^2)``.
Rogers-Satchell (1991)
    ``sigma^2 = mean(u (u - c) + d (d - c))`` = ``mean(ln(H/C) ln(H/O) + ln(L/C) ln(L/O))``;
    drift-independent.
Yang-Zhang (2000)
    ``sigma^2 = var(o) + k var(c) + (1 - k) sigma_RS^2`` with sample variances (ddof 1) and
    ``k = 0.34 / (1.34 + (n+1)/(n-1))``; handles opening jumps and drift.

Every estimator is scale invariant (multiplying all prices by ``c > 0`` leaves it unchanged).
Garman-Klass can, in principle, produce a negative variance on pathological bars; it is
clipped at zero before the square root (a vol cannot be imaginary).
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd

TRADING_DAYS: Final[int] = 252
"""Sessions per year used to annualise daily variances."""

_LN2: Final[float] = float(np.log(2.0))


def _check_window(window: int) -> None:
    if int(window) != window or window < 2:
        raise ValueError(f"window must be an integer >= 2 sessions; got {window!r}")


def _annualise(daily_variance: pd.Series, name: str) -> pd.Series:
    vol = np.sqrt(daily_variance.clip(lower=0.0) * TRADING_DAYS)
    return vol.astype("float64").rename(name)


def _log(a: pd.Series, b: pd.Series) -> pd.Series:
    return np.log(a.astype("float64") / b.astype("float64"))


def close_to_close_vol(close: pd.Series, window: int = 20) -> pd.Series:
    """Close-to-close realised volatility (annualised fraction).

    Parameters
    ----------
    close : Series, shape (n,)
        Closes (points), indexed by session.
    window : int
        Number of daily log returns in the window (sessions).
    """
    _check_window(window)
    returns = _log(close, close.shift(1))
    variance = returns.rolling(window, min_periods=window).var(ddof=1)
    return _annualise(variance, f"rv_cc_{window}")


def parkinson_vol(bars: pd.DataFrame, window: int = 20) -> pd.Series:
    """Parkinson high-low volatility (annualised fraction); ``bars`` needs ``high, low``."""
    _check_window(window)
    hl2 = _log(bars["high"], bars["low"]) ** 2
    variance = hl2.rolling(window, min_periods=window).mean() / (4.0 * _LN2)
    return _annualise(variance, f"rv_parkinson_{window}")


def garman_klass_vol(bars: pd.DataFrame, window: int = 20) -> pd.Series:
    """Garman-Klass volatility (annualised fraction); ``bars`` needs ``open, high, low, close``."""
    _check_window(window)
    hl2 = _log(bars["high"], bars["low"]) ** 2
    co2 = _log(bars["close"], bars["open"]) ** 2
    per_bar = 0.5 * hl2 - (2.0 * _LN2 - 1.0) * co2
    variance = per_bar.rolling(window, min_periods=window).mean()
    return _annualise(variance, f"rv_gk_{window}")


def _rogers_satchell_terms(bars: pd.DataFrame) -> pd.Series:
    """Per-bar Rogers-Satchell variance ``ln(H/C) ln(H/O) + ln(L/C) ln(L/O)`` (>= 0)."""
    hc = _log(bars["high"], bars["close"])
    ho = _log(bars["high"], bars["open"])
    lc = _log(bars["low"], bars["close"])
    lo = _log(bars["low"], bars["open"])
    return hc * ho + lc * lo


def rogers_satchell_vol(bars: pd.DataFrame, window: int = 20) -> pd.Series:
    """Rogers-Satchell volatility (annualised fraction); needs ``open, high, low, close``."""
    _check_window(window)
    variance = _rogers_satchell_terms(bars).rolling(window, min_periods=window).mean()
    return _annualise(variance, f"rv_rs_{window}")


def yang_zhang_k(window: int) -> float:
    """Yang-Zhang weight ``k = 0.34 / (1.34 + (n+1)/(n-1))`` for a window of ``n`` sessions."""
    _check_window(window)
    return 0.34 / (1.34 + (window + 1) / (window - 1))


def yang_zhang_vol(bars: pd.DataFrame, window: int = 20) -> pd.Series:
    """Yang-Zhang volatility (annualised fraction); needs ``open, high, low, close``.

    The overnight return of the window's first bar uses the close before the window, so the
    first value appears at the ``window``-th *return* (row index ``window``), as close-to-close.
    """
    _check_window(window)
    overnight = _log(bars["open"], bars["close"].shift(1))
    open_close = _log(bars["close"], bars["open"])
    var_o = overnight.rolling(window, min_periods=window).var(ddof=1)
    var_c = open_close.rolling(window, min_periods=window).var(ddof=1)
    var_rs = _rogers_satchell_terms(bars).rolling(window, min_periods=window).mean()
    k = yang_zhang_k(window)
    return _annualise(var_o + k * var_c + (1.0 - k) * var_rs, f"rv_yz_{window}")


def realised_vol_table(bars: pd.DataFrame, window: int = 20) -> pd.DataFrame:
    """All five estimators side by side: ``rv_cc, rv_parkinson, rv_gk, rv_rs, rv_yz`` + window."""
    return pd.concat(
        [
            close_to_close_vol(bars["close"], window),
            parkinson_vol(bars, window),
            garman_klass_vol(bars, window),
            rogers_satchell_vol(bars, window),
            yang_zhang_vol(bars, window),
        ],
        axis=1,
    )

"""Classic technical indicators on daily bars: RSI, ATR, Bollinger %b, MACD.

All functions are causal (the value at session ``t`` uses bars up to and including ``t``),
return ``float64`` Series on the input index, and leave warm-up rows NaN.

Wilder smoothing (RSI, ATR) is seeded with the simple mean of the first ``n`` valid inputs and
then follows ``avg_t = (avg_{t-1} * (n-1) + x_t) / n``, i.e. an exponential average with
``alpha = 1/n`` (Wilder, *New Concepts in Technical Trading Systems*, 1978). A missing input
(NaN) after the seed yields NaN on that row and leaves the running average untouched.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def _check_period(name: str, period: int, minimum: int = 1) -> None:
    if int(period) != period or period < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; got {period!r}")


def wilder_smooth(values: pd.Series, period: int) -> pd.Series:
    """Wilder's running average of ``values`` (seeded with the mean of the first ``period``)."""
    _check_period("period", period)
    x = values.to_numpy(dtype="float64")
    out = np.full(x.shape, np.nan)
    seed_sum = 0.0
    seen = 0
    avg = np.nan
    for i, v in enumerate(x.tolist()):
        if v != v:  # NaN: no update
            continue
        if seen < period:
            seed_sum += v
            seen += 1
            if seen == period:
                avg = seed_sum / period
                out[i] = avg
            continue
        avg = (avg * (period - 1) + v) / period
        out[i] = avg
    return pd.Series(out, index=values.index)


def rsi(close: pd.Series, period: int = 14) -> pd.Series:
    """Wilder's Relative Strength Index in [0, 100].

    ``RSI = 100 - 100 / (1 + avg_gain / avg_loss)`` with Wilder-smoothed gains and losses of the
    close-to-close change. ``avg_loss == 0`` gives 100 (50 when ``avg_gain`` is 0 too: a flat
    market is neither overbought nor oversold). First value at row ``period``.
    """
    _check_period("period", period)
    delta = close.astype("float64").diff()
    gain = wilder_smooth(delta.clip(lower=0.0), period)
    loss = wilder_smooth((-delta).clip(lower=0.0), period)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = 100.0 - 100.0 / (1.0 + gain / loss)
    value = value.where(loss > 0, np.where(gain > 0, 100.0, 50.0))
    value = value.where(gain.notna() & loss.notna())
    return value.rename(f"rsi_{period}")


def true_range(bars: pd.DataFrame) -> pd.Series:
    """True range ``max(H-L, |H-C_prev|, |L-C_prev|)`` (points); ``H-L`` on the first bar."""
    high = bars["high"].astype("float64")
    low = bars["low"].astype("float64")
    prev_close = bars["close"].astype("float64").shift(1)
    candidates = pd.concat(
        [high - low, (high - prev_close).abs(), (low - prev_close).abs()], axis=1
    )
    tr = candidates.max(axis=1, skipna=True)
    tr = tr.where(high.notna() & low.notna())
    return tr.rename("true_range")


def atr(bars: pd.DataFrame, period: int = 14) -> pd.Series:
    """Wilder's Average True Range (points); first value at row ``period - 1``."""
    _check_period("period", period)
    return wilder_smooth(true_range(bars), period).rename(f"atr_{period}")


def bollinger_pctb(close: pd.Series, window: int = 20, n_std: float = 2.0) -> pd.Series:
    """Bollinger %b: ``(C - lower) / (upper - lower)``; bands ``SMA +- n_std * std`` (ddof 0).

    0 at the lower band, 1 at the upper band, outside [0, 1] beyond them. When the window is flat
    (bands collapse) the close equals the middle band and %b is defined as 0.5.
    """
    _check_period("window", window, 2)
    c = close.astype("float64")
    mid = c.rolling(window, min_periods=window).mean()
    std = c.rolling(window, min_periods=window).std(ddof=0)
    width = 2.0 * n_std * std
    lower = mid - n_std * std
    with np.errstate(divide="ignore", invalid="ignore"):
        value = (c - lower) / width
    # Rolling std of a constant window may come out as a rounding residue, not exactly 0.
    flat = std <= 1e-12 * mid.abs()
    value = value.mask(flat & std.notna(), 0.5)
    return value.rename(f"bb_pctb_{window}")


def macd(close: pd.Series, fast: int = 12, slow: int = 26, signal: int = 9) -> pd.DataFrame:
    """MACD line, signal line and histogram (points).

    ``macd = EMA_fast(C) - EMA_slow(C)``, ``signal = EMA_signal(macd)``, ``hist = macd - signal``;
    EMAs with ``alpha = 2/(span+1)`` started at the first close (pandas ``adjust=False``).
    Rows before ``slow + signal - 2`` (33 for 12/26/9) are NaN: the EMAs are still warming up.
    """
    for name, value in (("fast", fast), ("slow", slow), ("signal", signal)):
        _check_period(name, value)
    if fast >= slow:
        raise ValueError(f"fast span must be shorter than slow span; got fast={fast}, slow={slow}")
    c = close.astype("float64")
    line = c.ewm(span=fast, adjust=False).mean() - c.ewm(span=slow, adjust=False).mean()
    sig = line.ewm(span=signal, adjust=False).mean()
    frame = pd.DataFrame({"macd": line, "signal": sig, "hist": line - sig})
    warm = np.arange(len(frame)) < slow + signal - 2
    return frame.mask(pd.Series(warm, index=frame.index), np.nan)

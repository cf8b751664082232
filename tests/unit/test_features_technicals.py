"""RSI, ATR, Bollinger %b and MACD: hand-computed values, slow references, properties."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aegis.features.technicals import atr, bollinger_pctb, macd, rsi, true_range, wilder_smooth


def random_close(seed: int, n: int) -> pd.Series:
    rng = np.random.default_rng(seed)
    return pd.Series(100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.015, n))))


# --- slow references -------------------------------------------------------------------
def ref_rsi(close: list[float], period: int) -> list[float]:
    out = [math.nan] * len(close)
    deltas = [close[i] - close[i - 1] for i in range(1, len(close))]
    if len(deltas) < period:
        return out
    gain = sum(max(d, 0.0) for d in deltas[:period]) / period
    loss = sum(max(-d, 0.0) for d in deltas[:period]) / period

    def value(g: float, lo: float) -> float:
        if lo == 0.0:
            return 100.0 if g > 0 else 50.0
        return 100.0 - 100.0 / (1.0 + g / lo)

    out[period] = value(gain, loss)
    for i in range(period, len(deltas)):
        d = deltas[i]
        gain = (gain * (period - 1) + max(d, 0.0)) / period
        loss = (loss * (period - 1) + max(-d, 0.0)) / period
        out[i + 1] = value(gain, loss)
    return out


def ref_ema(values: list[float], span: int) -> list[float]:
    alpha = 2.0 / (span + 1)
    out = [values[0]]
    for v in values[1:]:
        out.append(alpha * v + (1 - alpha) * out[-1])
    return out


# --- RSI -------------------------------------------------------------------------------
def test_rsi_hand_values() -> None:
    # deltas +1, -1, +2; seed gain = loss = 0.5 -> 50; then gain 1.25, loss 0.25 -> RS 5
    value = rsi(pd.Series([10.0, 11.0, 10.0, 12.0]), period=2)
    assert value.iloc[:2].isna().all()
    assert value.iloc[2] == pytest.approx(50.0)
    assert value.iloc[3] == pytest.approx(100.0 - 100.0 / 6.0)


def test_rsi_edges_rising_falling_flat() -> None:
    up = pd.Series(np.arange(1.0, 31.0))
    assert (rsi(up).dropna() == 100.0).all()
    assert (rsi(up[::-1].reset_index(drop=True)).dropna() == 0.0).all()
    assert (rsi(pd.Series([5.0] * 30)).dropna() == 50.0).all()
    assert rsi(up).first_valid_index() == 14


@pytest.mark.parametrize(("seed", "period"), [(0, 14), (1, 3), (2, 30)])
def test_rsi_matches_slow_reference(seed: int, period: int) -> None:
    close = random_close(seed, 200)
    np.testing.assert_allclose(
        rsi(close, period).to_numpy(), ref_rsi(close.tolist(), period), rtol=1e-10, atol=1e-10
    )


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.floats(0.01, 1e6, allow_nan=False), min_size=2, max_size=80),
    st.integers(1, 20),
)
def test_rsi_within_0_100(closes: list[float], period: int) -> None:
    value = rsi(pd.Series(closes), period).dropna()
    assert ((value >= 0.0) & (value <= 100.0)).all()


def test_wilder_smooth_skips_nan_after_seed() -> None:
    smooth = wilder_smooth(pd.Series([2.0, 4.0, np.nan, 6.0]), period=2)
    assert smooth.iloc[1] == 3.0
    assert np.isnan(smooth.iloc[2])
    assert smooth.iloc[3] == pytest.approx((3.0 + 6.0) / 2)


# --- ATR -------------------------------------------------------------------------------
def test_true_range_and_atr_hand_values() -> None:
    bars = pd.DataFrame(
        {
            "open": [10.0, 11.0, 12.0],
            "high": [12.0, 13.0, 12.5],
            "low": [9.0, 10.5, 8.0],
            "close": [11.0, 12.0, 9.0],
        }
    )
    np.testing.assert_allclose(true_range(bars).to_numpy(), [3.0, 2.5, 4.5])
    value = atr(bars, period=2)
    assert np.isnan(value.iloc[0])
    assert value.iloc[1] == pytest.approx(2.75)
    assert value.iloc[2] == pytest.approx((2.75 + 4.5) / 2)


def test_true_range_uses_gap_from_previous_close() -> None:
    # a gap up: the range from the previous close dominates the bar's own range
    bars = pd.DataFrame(
        {
            "open": [100.0, 120.0],
            "high": [101.0, 121.0],
            "low": [99.0, 119.0],
            "close": [100.0, 120.0],
        }
    )
    assert true_range(bars).iloc[1] == pytest.approx(21.0)


# --- Bollinger -------------------------------------------------------------------------
def test_bollinger_pctb_hand_value_and_flat_window() -> None:
    value = bollinger_pctb(pd.Series([1.0, 2.0, 3.0]), window=3)
    assert value.iloc[2] == pytest.approx(0.25 / math.sqrt(2.0 / 3.0) + 0.5)
    assert bollinger_pctb(pd.Series([7.0] * 5), window=3).iloc[2:].eq(0.5).all()


def test_bollinger_pctb_at_the_bands() -> None:
    # window 2, closes a, b: mid (a+b)/2, std |b-a|/2, band 2 std -> %b = 0.75 for the higher
    value = bollinger_pctb(pd.Series([10.0, 12.0, 8.0]), window=2)
    assert value.iloc[1] == pytest.approx(0.75)
    assert value.iloc[2] == pytest.approx(0.25)


# --- MACD ------------------------------------------------------------------------------
def test_macd_matches_slow_reference_and_warms_up() -> None:
    close = random_close(3, 120)
    frame = macd(close)
    fast, slow = ref_ema(close.tolist(), 12), ref_ema(close.tolist(), 26)
    line = [a - b for a, b in zip(fast, slow, strict=True)]
    signal = ref_ema(line, 9)
    hist = np.array([a - b for a, b in zip(line, signal, strict=True)])
    assert frame.iloc[:33].isna().all().all()
    np.testing.assert_allclose(frame["macd"].to_numpy()[33:], np.array(line)[33:], rtol=1e-10)
    np.testing.assert_allclose(frame["hist"].to_numpy()[33:], hist[33:], rtol=1e-9, atol=1e-12)


def test_macd_refuses_fast_slower_than_slow() -> None:
    with pytest.raises(ValueError, match="fast span must be shorter"):
        macd(pd.Series([1.0, 2.0]), fast=26, slow=12)

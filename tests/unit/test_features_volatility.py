"""Realised-volatility estimators: hand-computed values, a slow reference, scale invariance."""

from __future__ import annotations

import math
import statistics

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aegis.features.volatility import (
    close_to_close_vol,
    garman_klass_vol,
    parkinson_vol,
    realised_vol_table,
    rogers_satchell_vol,
    yang_zhang_k,
    yang_zhang_vol,
)


def random_bars(seed: int, n: int, start: float = 1000.0) -> pd.DataFrame:
    """Consistent OHLC bars (low <= open, close <= high) from a seeded random walk."""
    rng = np.random.default_rng(seed)
    close = start * np.exp(np.cumsum(rng.normal(0.0, 0.012, n)))
    open_ = close * np.exp(rng.normal(0.0, 0.004, n))
    high = np.maximum(open_, close) * np.exp(np.abs(rng.normal(0.0, 0.006, n)))
    low = np.minimum(open_, close) * np.exp(-np.abs(rng.normal(0.0, 0.006, n)))
    index = pd.bdate_range("2020-01-01", periods=n, name="session")
    return pd.DataFrame({"open": open_, "high": high, "low": low, "close": close}, index=index)


def bars_from(rows: list[tuple[float, float, float, float]]) -> pd.DataFrame:
    index = pd.bdate_range("2021-01-04", periods=len(rows), name="session")
    return pd.DataFrame(rows, columns=["open", "high", "low", "close"], index=index)


# --- slow references: one window at a time, plain Python ------------------------------
def ref_cc(close: list[float], window: int) -> list[float]:
    out = [math.nan] * len(close)
    for t in range(window, len(close)):
        r = [math.log(close[i] / close[i - 1]) for i in range(t - window + 1, t + 1)]
        out[t] = math.sqrt(statistics.variance(r) * 252)
    return out


def ref_range_based(bars: pd.DataFrame, window: int, kind: str) -> list[float]:
    o, h, lo, c = (bars[k].tolist() for k in ("open", "high", "low", "close"))
    out = [math.nan] * len(c)
    for t in range(window - 1, len(c)):
        terms = []
        for i in range(t - window + 1, t + 1):
            if kind == "parkinson":
                terms.append(math.log(h[i] / lo[i]) ** 2 / (4 * math.log(2)))
            elif kind == "gk":
                terms.append(
                    0.5 * math.log(h[i] / lo[i]) ** 2
                    - (2 * math.log(2) - 1) * math.log(c[i] / o[i]) ** 2
                )
            else:  # rs
                terms.append(
                    math.log(h[i] / c[i]) * math.log(h[i] / o[i])
                    + math.log(lo[i] / c[i]) * math.log(lo[i] / o[i])
                )
        out[t] = math.sqrt(max(0.0, sum(terms) / window) * 252)
    return out


def ref_yz(bars: pd.DataFrame, window: int) -> list[float]:
    o, h, lo, c = (bars[k].tolist() for k in ("open", "high", "low", "close"))
    k = 0.34 / (1.34 + (window + 1) / (window - 1))
    out = [math.nan] * len(c)
    for t in range(window, len(c)):
        span = range(t - window + 1, t + 1)
        overnight = [math.log(o[i] / c[i - 1]) for i in span]
        intraday = [math.log(c[i] / o[i]) for i in span]
        rs = (
            sum(
                math.log(h[i] / c[i]) * math.log(h[i] / o[i])
                + math.log(lo[i] / c[i]) * math.log(lo[i] / o[i])
                for i in span
            )
            / window
        )
        var = statistics.variance(overnight) + k * statistics.variance(intraday) + (1 - k) * rs
        out[t] = math.sqrt(var * 252)
    return out


# --- hand-computed values --------------------------------------------------------------
def test_close_to_close_alternating_returns() -> None:
    a = math.log(1.1)
    close = pd.Series([100.0, 110.0, 100.0, 110.0])
    vol = close_to_close_vol(close, window=2)
    # returns +a, -a, +a: any two have mean 0 and sample variance 2 a^2
    assert vol.iloc[:2].isna().all()
    assert vol.iloc[2] == pytest.approx(math.sqrt(2 * a * a * 252), rel=1e-12)
    assert vol.iloc[3] == pytest.approx(math.sqrt(2 * a * a * 252), rel=1e-12)
    assert vol.name == "rv_cc_2"


def test_parkinson_and_gk_constant_range() -> None:
    # every bar: open = close = 100, high/low = e^0.02
    bars = bars_from([(100.0, 100.0 * math.exp(0.01), 100.0 * math.exp(-0.01), 100.0)] * 3)
    park = parkinson_vol(bars, window=3)
    gk = garman_klass_vol(bars, window=3)
    assert park.iloc[:2].isna().all()
    assert gk.iloc[:2].isna().all()
    assert park.iloc[2] == pytest.approx(math.sqrt(252 * 0.0004 / (4 * math.log(2))), rel=1e-12)
    assert gk.iloc[2] == pytest.approx(math.sqrt(252 * 0.5 * 0.0004), rel=1e-12)


def test_rogers_satchell_hand_values() -> None:
    # a bar from its low to its high carries no RS variance; the second bar does
    bars = bars_from([(90.0, 110.0, 90.0, 110.0), (100.0, 110.0, 90.0, 100.0)])
    rs = rogers_satchell_vol(bars, window=2)
    per_bar = [0.0, math.log(1.1) ** 2 + math.log(0.9) ** 2]
    assert rs.iloc[1] == pytest.approx(math.sqrt(252 * sum(per_bar) / 2), rel=1e-12)


def test_yang_zhang_hand_values() -> None:
    # window 2, no intraday movement (O=H=L=C): only the overnight variance remains
    bars = bars_from([(100.0,) * 4, (110.0,) * 4, (99.0,) * 4])
    yz = yang_zhang_vol(bars, window=2)
    overnight = [math.log(110 / 100), math.log(99 / 110)]
    assert yz.iloc[:2].isna().all()
    assert yz.iloc[2] == pytest.approx(math.sqrt(252 * statistics.variance(overnight)), rel=1e-12)
    assert yang_zhang_k(20) == pytest.approx(0.34 / (1.34 + 21 / 19))


def test_flat_bars_give_zero_range_vol() -> None:
    bars = bars_from([(100.0,) * 4] * 5)
    table = realised_vol_table(bars, window=3)
    assert (table.iloc[3:] == 0.0).all().all()


def test_nan_in_window_gives_nan_until_it_leaves() -> None:
    bars = random_bars(1, 12)
    bars.iloc[5, bars.columns.get_loc("high")] = np.nan
    park = parkinson_vol(bars, window=3)
    assert park.iloc[5:8].isna().all()
    assert park.iloc[[4, 8]].notna().all()


@pytest.mark.parametrize("window", [0, 1, 2.5])
def test_bad_window_is_refused(window: float) -> None:
    with pytest.raises(ValueError, match="window must be an integer >= 2"):
        close_to_close_vol(pd.Series([1.0, 2.0, 3.0]), window=window)  # type: ignore[arg-type]


# --- slow reference on random data ------------------------------------------------------
@pytest.mark.parametrize(("seed", "window"), [(0, 5), (1, 20), (2, 2)])
def test_estimators_match_slow_reference(seed: int, window: int) -> None:
    bars = random_bars(seed, 80)
    cases = [
        (close_to_close_vol(bars["close"], window), ref_cc(bars["close"].tolist(), window)),
        (parkinson_vol(bars, window), ref_range_based(bars, window, "parkinson")),
        (garman_klass_vol(bars, window), ref_range_based(bars, window, "gk")),
        (rogers_satchell_vol(bars, window), ref_range_based(bars, window, "rs")),
        (yang_zhang_vol(bars, window), ref_yz(bars, window)),
    ]
    for fast, slow in cases:
        np.testing.assert_allclose(fast.to_numpy(), np.array(slow), rtol=1e-9, atol=1e-12)
        assert fast.index.equals(bars.index)


# --- properties ------------------------------------------------------------------------
@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    scale=st.floats(1e-3, 1e3, allow_nan=False),
    window=st.integers(2, 15),
)
def test_vol_estimators_are_scale_invariant(seed: int, scale: float, window: int) -> None:
    bars = random_bars(seed, 40)
    base = realised_vol_table(bars, window)
    scaled = realised_vol_table(bars * scale, window)
    np.testing.assert_allclose(scaled.to_numpy(), base.to_numpy(), rtol=1e-7, atol=1e-10)
    assert (base.dropna() >= 0).all().all()

"""Rolling percentile and IV rank: hand values, a slow reference, range properties."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aegis.features.percentiles import iv_rank, rolling_percentile


def ref_percentile(values: list[float], window: int) -> list[float]:
    out = [math.nan] * len(values)
    for t in range(window - 1, len(values)):
        span = values[t - window + 1 : t + 1]
        if any(math.isnan(v) for v in span):
            continue
        out[t] = 100.0 * sum(1 for v in span if v <= values[t]) / window
    return out


def test_percentile_hand_values() -> None:
    value = rolling_percentile(pd.Series([3.0, 1.0, 2.0, 2.0, 5.0], name="vix"), window=3)
    assert value.iloc[:2].isna().all()
    # [3,1,2] -> 2 of 3 <= 2; [1,2,2] -> 3 of 3 <= 2; [2,2,5] -> 3 of 3 <= 5
    np.testing.assert_allclose(value.iloc[2:].to_numpy(), [200 / 3, 100.0, 100.0])
    assert value.name == "vix_percentile_3"


def test_percentile_shorter_than_window_is_all_nan() -> None:
    assert rolling_percentile(pd.Series([1.0, 2.0]), window=5).isna().all()


def test_percentile_nan_in_window() -> None:
    value = rolling_percentile(pd.Series([1.0, np.nan, 2.0, 3.0, 4.0]), window=2)
    assert value.iloc[:3].isna().all()
    assert value.iloc[3] == 100.0


@pytest.mark.parametrize(("seed", "window"), [(0, 252), (1, 5), (2, 1)])
def test_percentile_matches_slow_reference(seed: int, window: int) -> None:
    rng = np.random.default_rng(seed)
    values = np.round(rng.normal(15.0, 4.0, 600), 1)  # rounding makes ties common
    values[rng.integers(0, 600, 3)] = np.nan
    fast = rolling_percentile(pd.Series(values), window)
    np.testing.assert_allclose(fast.to_numpy(), ref_percentile(values.tolist(), window))


def test_iv_rank_hand_values_and_flat_window() -> None:
    rank = iv_rank(pd.Series([10.0, 20.0, 15.0, 30.0], name="vix"), window=3)
    assert rank.iloc[:2].isna().all()
    assert rank.iloc[2] == pytest.approx(50.0)
    assert rank.iloc[3] == pytest.approx(100.0)
    assert iv_rank(pd.Series([12.0] * 4), window=3).iloc[2:].eq(50.0).all()


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=60),
    st.integers(1, 30),
)
def test_percentile_and_rank_within_0_100(values: list[float], window: int) -> None:
    series = pd.Series(values)
    pct = rolling_percentile(series, window).dropna()
    rank = iv_rank(series, window).dropna()
    assert ((pct >= 100.0 / window - 1e-9) & (pct <= 100.0)).all()
    assert ((rank >= 0.0) & (rank <= 100.0)).all()

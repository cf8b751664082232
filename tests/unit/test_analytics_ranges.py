"""Expected move, safe range and the empirical multiplier k."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aegis.analytics import expected_move, fit_safe_range_k, safe_range, standardised_move
from aegis.errors import AnalyticsInputError, InsufficientHistoryError


def test_expected_move_hand_computed() -> None:
    # 20000 * 0.146 * sqrt(7/365)
    assert expected_move(20000.0, 14.6, 7.0) == pytest.approx(20000 * 0.146 * math.sqrt(7 / 365))
    assert expected_move(20000.0, 14.6, 0.0) == 0.0


def test_safe_range_is_symmetric_in_points() -> None:
    lo, hi = safe_range(24000.0, 12.0, 5.0, 0.9)
    em = expected_move(24000.0, 12.0, 5.0)
    assert lo == pytest.approx(24000.0 - 0.9 * em)
    assert hi == pytest.approx(24000.0 + 0.9 * em)


def test_safe_range_vectorised() -> None:
    lo, hi = safe_range(np.array([20000.0, 21000.0]), np.array([12.0, 20.0]), 7.0, np.array([1, 2]))
    assert lo.shape == (2,)
    assert np.all(hi > lo)
    assert hi[1] - lo[1] == pytest.approx(2 * 2 * expected_move(21000.0, 20.0, 7.0))


def test_fit_k_inverted_cdf_known_answers() -> None:
    z = [0.5, 0.1, 0.9, 0.3, 0.7]  # sorted: .1 .3 .5 .7 .9
    assert fit_safe_range_k(z, 0.8) == 0.7  # ceil(4.0) = 4th value
    assert fit_safe_range_k(z, 0.81) == 0.9  # ceil(4.05) = 5th
    assert fit_safe_range_k(z, 0.2) == 0.1
    assert fit_safe_range_k(z, 0.5) == 0.5  # ceil(2.5) = 3rd


@settings(max_examples=100, deadline=None, derandomize=True)
@given(
    z=st.lists(st.floats(0.01, 5.0), min_size=1, max_size=300),
    c=st.floats(0.05, 0.95),
)
def test_fit_k_in_sample_coverage_is_the_smallest_at_least_confidence(z, c) -> None:
    k = fit_safe_range_k(z, c)
    arr = np.asarray(z)
    coverage = np.mean(arr <= k)
    assert coverage >= c - 1e-9
    smaller = arr[arr < k]
    if smaller.size:  # any smaller candidate covers less than c
        assert np.mean(arr <= smaller.max()) < c


def test_fit_k_on_normal_moves_is_the_normal_quantile() -> None:
    rng = np.random.default_rng(3)
    z = np.abs(rng.standard_normal(200_000))
    assert fit_safe_range_k(z, 0.8) == pytest.approx(1.2816, abs=0.01)


def test_standardised_move_matches_range_membership() -> None:
    rng = np.random.default_rng(11)
    spot = rng.uniform(8000, 25000, 500)
    vix = rng.uniform(9, 40, 500)
    days = rng.integers(1, 9, 500).astype(float)
    close = spot * np.exp(rng.normal(0, 0.03, 500))
    z = standardised_move(spot, vix, days, close)
    k = fit_safe_range_k(z, 0.8)
    lo, hi = safe_range(spot, vix, days, k)
    inside = (close >= lo) & (close <= hi)
    np.testing.assert_array_equal(inside, z <= k)
    assert inside.mean() == pytest.approx(0.8)


def test_errors() -> None:
    with pytest.raises(AnalyticsInputError, match="confidence"):
        fit_safe_range_k([1.0], 1.0)
    with pytest.raises(InsufficientHistoryError):
        fit_safe_range_k([], 0.8)
    with pytest.raises(AnalyticsInputError, match="vix_pct"):
        expected_move(20000.0, -1.0, 7.0)
    with pytest.raises(AnalyticsInputError, match="k"):
        safe_range(20000.0, 12.0, 7.0, 0.0)

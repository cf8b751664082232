"""Touch and close-beyond probabilities: known identities and seeded Monte Carlo to 3 decimals."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aegis.analytics import close_beyond_probability, touch_probability
from aegis.errors import AnalyticsInputError


def monte_carlo(
    spot: float, strike: float, sigma: float, days: float, drift: float, *, seed: int
) -> tuple[float, float, float]:
    """(touch, close_beyond, standard error of touch) from exact GBM log-increments.

    Touch uses the Brownian-bridge crossing probability between grid points, which is exact
    for Brownian motion with constant drift, so the estimate is unbiased on any grid.
    """
    rng = np.random.default_rng(seed)
    t = days / 365.0
    steps, paths, chunks = 8, 500_000, 4
    dt = t / steps
    nu = drift - 0.5 * sigma**2
    b = np.log(strike / spot)
    up = b > 0
    touch_sum = touch_sq = beyond_sum = 0.0
    for _ in range(chunks):
        x = np.zeros(paths)
        survive = np.ones(paths)  # probability of not having touched so far, given the path
        for _ in range(steps):
            x_next = x + nu * dt + sigma * np.sqrt(dt) * rng.standard_normal(paths)
            gap0 = (b - x) if up else (x - b)
            gap1 = (b - x_next) if up else (x_next - b)
            inside = (gap0 > 0) & (gap1 > 0)
            cross = np.where(inside, np.exp(-2.0 * gap0 * gap1 / (sigma**2 * dt)), 1.0)
            survive *= 1.0 - cross
            x = x_next
        touched = 1.0 - survive
        touch_sum += touched.sum()
        touch_sq += (touched**2).sum()
        beyond_sum += ((x >= b) if up else (x <= b)).sum()
    n = paths * chunks
    mean = touch_sum / n
    se = float(np.sqrt((touch_sq / n - mean**2) / n))
    return float(mean), float(beyond_sum / n), se


@pytest.mark.parametrize(
    ("spot", "strike", "sigma", "days", "drift"),
    [
        (20000.0, 20400.0, 0.15, 7.0, 0.0),  # above spot, driftless (the DESIGN baseline)
        (20000.0, 19500.0, 0.25, 10.0, 0.30),  # below spot, drift away from the strike
        (18000.0, 19000.0, 0.40, 30.0, -0.50),  # above spot, drift away
        (22000.0, 21000.0, 0.20, 21.0, -0.80),  # below spot, drift towards the strike
    ],
)
def test_matches_monte_carlo_to_three_decimals(spot, strike, sigma, days, drift) -> None:
    touch_mc, beyond_mc, se = monte_carlo(spot, strike, sigma, days, drift, seed=20240611)
    assert se < 3.5e-4  # the Monte Carlo itself resolves the third decimal
    assert touch_probability(spot, strike, sigma, days, drift) == pytest.approx(touch_mc, abs=1e-3)
    assert close_beyond_probability(spot, strike, sigma, days, drift) == pytest.approx(
        beyond_mc, abs=1e-3
    )


def test_reflection_principle_zero_log_drift_is_twice_close_beyond() -> None:
    sigma = 0.18
    drift = sigma**2 / 2  # log drift nu = 0
    strikes = np.array([17000.0, 18500.0, 21500.0, 23000.0])
    touch = touch_probability(20000.0, strikes, sigma, 14.0, drift)
    beyond = close_beyond_probability(20000.0, strikes, sigma, 14.0, drift)
    np.testing.assert_allclose(touch, 2 * beyond, rtol=1e-12)


def test_known_value_close_beyond() -> None:
    # driftless GBM: P(S_T >= K) = N((ln(S/K) - sigma^2 T / 2) / (sigma sqrt T))
    from scipy.stats import norm

    s, k, sig, d = 20000.0, 20500.0, 0.2, 7.0
    t = d / 365
    expected = norm.cdf((np.log(s / k) - 0.5 * sig**2 * t) / (sig * np.sqrt(t)))
    assert close_beyond_probability(s, k, sig, d) == pytest.approx(expected, rel=1e-12)


def test_edge_cases() -> None:
    assert touch_probability(20000.0, 20000.0, 0.15, 7.0) == 1.0
    assert touch_probability(20000.0, 20100.0, 0.15, 0.0) == 0.0
    assert close_beyond_probability(20000.0, 19900.0, 0.15, 0.0) == 0.0
    # far strikes: finite, no overflow warnings from exp(2 nu b / sigma^2)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        far = touch_probability(20000.0, [100.0, 1e6], 0.05, 7.0, drift=5.0)
    assert np.all(far >= 0.0)
    assert np.all(far < 1e-12)


def test_vectorised_equals_scalar_calls() -> None:
    strikes = np.linspace(18000, 22000, 9)
    days = np.array([1.0, 3, 5, 7, 9, 11, 13, 15, 17])
    vec = touch_probability(20000.0, strikes, 0.16, days, 0.05)
    one = [touch_probability(20000.0, k, 0.16, d, 0.05) for k, d in zip(strikes, days, strict=True)]
    np.testing.assert_allclose(vec, one)
    assert isinstance(one[0], float)


@pytest.mark.parametrize(
    ("kwargs", "word"),
    [
        ({"sigma": 0.0}, "sigma"),
        ({"days": -1.0}, "days"),
        ({"strike": -5.0}, "strike"),
        ({"spot": float("nan")}, "spot"),
    ],
)
def test_bad_inputs_raise_named_error(kwargs, word) -> None:
    args = {"spot": 20000.0, "strike": 20500.0, "sigma": 0.15, "days": 7.0} | kwargs
    with pytest.raises(AnalyticsInputError, match=word):
        touch_probability(**args)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(
    strike=st.floats(5000, 40000),
    sigma=st.floats(0.03, 1.0),
    days=st.floats(0.5, 60),
    drift=st.floats(-1.0, 1.0),
)
def test_touch_dominates_close_beyond_and_is_a_probability(strike, sigma, days, drift) -> None:
    touch = touch_probability(20000.0, strike, sigma, days, drift)
    beyond = close_beyond_probability(20000.0, strike, sigma, days, drift)
    assert 0.0 <= beyond <= touch + 1e-12 <= 1.0 + 1e-12


@settings(max_examples=100, deadline=None, derandomize=True)
@given(dist=st.floats(0.001, 0.2), sigma=st.floats(0.05, 0.6), days=st.floats(1, 40))
def test_touch_grows_with_vol_and_time_and_shrinks_with_distance(dist, sigma, days) -> None:
    k = 20000.0 * (1 + dist)
    base = touch_probability(20000.0, k, sigma, days)
    assert touch_probability(20000.0, k, sigma * 1.2, days) >= base - 1e-12
    assert touch_probability(20000.0, k, sigma, days * 1.2) >= base - 1e-12
    assert touch_probability(20000.0, k * 1.01, sigma, days) <= base + 1e-12

"""The scipy-free normal CDF of the snapshot path against scipy.special (the oracle, tests only)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import special

from aegis.analytics._normal import LOG_TAIL, log_ndtr, ndtr

GRID = np.concatenate([np.linspace(-40, 40, 8001), [-1e3, -1e6, -1e150, 0.0, 1e-300, 8.3, 40.0]])


def test_ndtr_matches_scipy_to_a_few_ulps() -> None:
    np.testing.assert_allclose(ndtr(GRID), special.ndtr(GRID), rtol=1e-13, atol=1e-300)


def test_log_ndtr_matches_scipy_in_the_body_and_the_far_tail() -> None:
    np.testing.assert_allclose(log_ndtr(GRID), special.log_ndtr(GRID), rtol=1e-13, atol=1e-300)
    edge = np.array([LOG_TAIL - 1e-9, LOG_TAIL, LOG_TAIL + 1e-9])
    np.testing.assert_allclose(log_ndtr(edge), special.log_ndtr(edge), rtol=1e-13)


def test_shapes_scalars_and_nan_pass_through() -> None:
    assert ndtr(0.0).shape == ()
    assert float(ndtr(0.0)) == 0.5
    got = log_ndtr(np.array([[np.nan, -50.0], [1.0, 2.0]]))
    assert got.shape == (2, 2)
    assert np.isnan(got[0, 0])


@pytest.mark.parametrize("x", [-37.5, -8.0, -1.0, 3.0])
def test_probability_module_uses_the_same_values(x: float) -> None:
    from aegis.analytics import close_beyond_probability

    # close beyond with zero drift: N((-|b| - sigma^2 T/2) / (sigma sqrt T)), strike above spot
    sigma, days = 0.2, 365.0
    b = (x + 0.5 * sigma) * -sigma if x < 0 else 0.1  # some positive log-moneyness
    b = abs(b)
    strike = 100.0 * np.exp(b)
    expected = special.ndtr((-b - 0.5 * sigma**2) / sigma)
    assert close_beyond_probability(100.0, strike, sigma, days) == pytest.approx(expected,
                                                                                rel=1e-12)

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


def test_gammaincc_matches_scipy() -> None:
    from aegis.analytics._gamma import gammaincc

    a = np.array([0.5, 1.0, 1.5, 2.5, 0.37, 5.0, 12.5, 40.0, 0.01, 100.0])
    x = np.concatenate([[0.0, 1e-12, 1e-3], np.linspace(0.05, 60, 300), [200.0, 1e3]])
    aa, xx = np.meshgrid(a, x)
    np.testing.assert_allclose(gammaincc(aa, xx), special.gammaincc(aa, xx), rtol=1e-11,
                               atol=1e-300)
    assert np.isnan(gammaincc(np.nan, 1.0))
    assert float(gammaincc(2.0, np.inf)) == 0.0
    with pytest.raises(Exception, match="a > 0"):
        gammaincc(0.0, 1.0)


def test_the_structural_trap_is_the_chi_square_survival() -> None:
    import pandas as pd

    from aegis.features.forecast import structural_logits

    rng = np.random.default_rng(5)
    n = 400
    vix = pd.Series(rng.uniform(9, 40, n))
    sessions = pd.Series(rng.integers(1, 6, n).astype(float) + rng.uniform(0, 1, n))
    days = sessions * 1.4
    har = pd.Series(rng.uniform(2e-5, 4e-4, n))
    got = structural_logits(vix, days, sessions, har)
    from aegis.analytics.ranges import implied_variance

    ratio = implied_variance(vix.to_numpy() / 100, days.to_numpy()) / har.to_numpy()
    expected = special.gammaincc(sessions.to_numpy() / 2, ratio / 2)
    p = 1 / (1 + np.exp(-got["trap_structural_logit"].to_numpy()))
    clip = 1e-6
    np.testing.assert_allclose(p, np.clip(expected, clip, 1 - clip), rtol=1e-9, atol=1e-12)


def test_gammaincc_of_an_element_does_not_depend_on_its_neighbours() -> None:
    from aegis.analytics._gamma import gammaincc

    a = np.array([0.5, 2.5, 3.0, 40.0, 1.2])
    x = np.array([0.3, 7.0, 1e3, 39.0, 1.1])
    together = gammaincc(a, x)
    for i in range(len(a)):
        assert gammaincc(a[i:i + 1], x[i:i + 1])[0] == together[i]

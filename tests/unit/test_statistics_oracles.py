"""The hand-written statistics on the hot path against maintained libraries (oracles, tests only):
Wilson's interval against scipy, Brier and the reliability bins against scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from sklearn.calibration import calibration_curve
from sklearn.metrics import brier_score_loss

from aegis.analytics.calibration import brier, expected_calibration_error, reliability_bins
from aegis.analytics.intervals import wilson_interval

Z = float(stats.norm.ppf(0.975))


@pytest.mark.parametrize(("k", "n"), [(0, 1), (1, 1), (0, 20), (7, 20), (20, 20), (512, 1000),
                                       (1, 3476), (2545, 3476)])
def test_wilson_matches_scipy(k: int, n: int) -> None:
    lo, hi = stats.binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    assert wilson_interval(k, n, z=Z) == pytest.approx((lo, hi), abs=1e-12)


def _forecasts(seed: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    p = rng.beta(2.0, 5.0, n)
    y = (rng.random(n) < p ** 0.8).astype(float)  # miscalibrated on purpose
    return p, y


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_brier_matches_scikit_learn(seed: int) -> None:
    p, y = _forecasts(seed, 5000)
    assert brier(p, y) == pytest.approx(brier_score_loss(y, p), rel=1e-13)


@pytest.mark.parametrize("seed", [3, 4])
def test_reliability_bins_and_ece_match_scikit_learn(seed: int) -> None:
    p, y = _forecasts(seed, 5000)  # continuous p: no forecast sits exactly on a bin edge
    table = reliability_bins(p, y, bins=10)
    filled = table[table["count"] > 0]
    observed, predicted = calibration_curve(y, p, n_bins=10, strategy="uniform")
    np.testing.assert_allclose(filled["observed_frequency"], observed, rtol=1e-12)
    np.testing.assert_allclose(filled["mean_predicted"], predicted, rtol=1e-12)
    counts = np.histogram(p, bins=np.linspace(0, 1, 11))[0]
    assert table["count"].tolist() == counts.tolist()
    nonempty = counts[counts > 0] / len(p)
    assert expected_calibration_error(p, y, bins=10) == pytest.approx(
        float(np.sum(nonempty * np.abs(observed - predicted))), rel=1e-12)

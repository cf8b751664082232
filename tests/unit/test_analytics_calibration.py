"""Brier, log loss, ECE and reliability bins: hand-computed cases and reference implementations."""

from __future__ import annotations

import numpy as np
import pytest

from aegis.analytics.calibration import (
    brier,
    expected_calibration_error,
    log_loss,
    reliability_bins,
)
from aegis.errors import AnalyticsInputError

P = [0.1, 0.9, 0.8, 0.3]
Y = [0, 1, 0, 1]


def test_hand_computed() -> None:
    assert brier(P, Y) == pytest.approx((0.01 + 0.01 + 0.64 + 0.49) / 4)
    assert expected_calibration_error(P, Y) == pytest.approx((0.1 + 0.1 + 0.8 + 0.7) / 4)
    expected_ll = -(np.log(0.9) + np.log(0.9) + np.log(0.2) + np.log(0.3)) / 4
    assert log_loss(P, Y) == pytest.approx(expected_ll)


def test_against_sklearn_and_slow_ece() -> None:
    from sklearn.metrics import brier_score_loss
    from sklearn.metrics import log_loss as sk_log_loss

    rng = np.random.default_rng(42)
    p = rng.uniform(0, 1, 5000)
    y = (rng.uniform(0, 1, 5000) < p**1.3).astype(int)
    assert brier(p, y) == pytest.approx(brier_score_loss(y, p))
    assert log_loss(p, y) == pytest.approx(sk_log_loss(y, p))

    slow = 0.0
    for j in range(10):
        lo, hi = j / 10, (j + 1) / 10
        mask = (p >= lo) & ((p < hi) if j < 9 else (p <= hi))
        if mask.any():
            slow += mask.mean() * abs(y[mask].mean() - p[mask].mean())
    assert expected_calibration_error(p, y) == pytest.approx(slow)


def test_reliability_bins_shape_and_edges() -> None:
    table = reliability_bins([0.0, 0.05, 0.5, 1.0], [0, 0, 1, 1])
    assert list(table.columns) == [
        "bin_lower", "bin_upper", "count", "mean_predicted", "observed_frequency"
    ]
    assert len(table) == 10
    assert table["count"].tolist() == [2, 0, 0, 0, 0, 1, 0, 0, 0, 1]  # 1.0 in the last bin
    assert np.isnan(table.loc[1, "mean_predicted"])
    assert table.loc[9, "observed_frequency"] == 1.0


def test_perfectly_calibrated_has_small_ece() -> None:
    rng = np.random.default_rng(0)
    p = rng.uniform(0, 1, 200_000)
    y = rng.uniform(0, 1, 200_000) < p
    assert expected_calibration_error(p, y) < 0.005
    assert expected_calibration_error(np.full(1000, 0.9), np.zeros(1000)) == pytest.approx(0.9)


def test_bad_inputs() -> None:
    with pytest.raises(AnalyticsInputError, match="lengths"):
        brier([0.1], [0, 1])
    with pytest.raises(AnalyticsInputError, match="0 or 1"):
        brier([0.1, 0.2], [0, 2])
    with pytest.raises(AnalyticsInputError, match="p:"):
        brier([1.1], [1])
    with pytest.raises(AnalyticsInputError, match="at least one"):
        log_loss([], [])

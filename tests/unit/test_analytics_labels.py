"""Trap/stress labels at their cut points and the two baselines."""

from __future__ import annotations

import numpy as np
import pytest

from aegis.analytics import stress_baseline, stress_label, trap_baseline, trap_label
from aegis.errors import AnalyticsInputError


@pytest.mark.parametrize(
    ("p", "label"),
    [
        (0.0, "LOW"),
        (0.3299, "LOW"),
        (0.33, "MEDIUM"),
        (0.6599, "MEDIUM"),
        (0.66, "HIGH"),
        (1.0, "HIGH"),
    ],
)
def test_trap_label_cuts(p, label) -> None:
    assert trap_label(p, (0.33, 0.66)) == label


@pytest.mark.parametrize(
    ("p", "label"),
    [(0.0, "CALM"), (0.3299, "CALM"), (0.33, "CAUTION"), (0.5999, "CAUTION"), (0.60, "STRESS")],
)
def test_stress_label_cuts(p, label) -> None:
    assert stress_label(p, (0.33, 0.60)) == label


def test_climatology_is_the_middle_class() -> None:
    """A constant score carries no information: no cuts, the middle class, whatever the value."""
    assert trap_label(0.9, None) == "MEDIUM"
    assert stress_label(0.01, None) == "CAUTION"


def test_cuts_must_be_ordered_probabilities() -> None:
    with pytest.raises(AnalyticsInputError, match="cuts"):
        trap_label(0.5, (0.7, 0.2))


def test_labels_reject_non_probabilities() -> None:
    with pytest.raises(AnalyticsInputError, match="trap score"):
        trap_label(1.2, (0.3, 0.6))
    with pytest.raises(AnalyticsInputError, match="stress"):
        stress_label(float("nan"), None)


def test_trap_baseline_percent_units() -> None:
    assert trap_baseline(80.0, 20.0) == pytest.approx(0.8)  # (80-20)/2/100 + 0.5
    assert trap_baseline(50.0, 50.0) == pytest.approx(0.5)
    assert trap_baseline(0.0, 100.0) == pytest.approx(0.0)
    np.testing.assert_allclose(trap_baseline([90.0, 10.0], [10.0, 90.0]), [0.9, 0.1])
    with pytest.raises(AnalyticsInputError, match=r"\[0.0, 100.0\]"):
        trap_baseline(120.0, 10.0)


def test_trap_baseline_moves_with_inputs() -> None:
    # the old system's frozen 0.95 came from a constant feature path; different inputs differ
    values = {trap_baseline(iv, rv) for iv, rv in [(95, 5), (60, 40), (30, 70)]}
    assert len(values) == 3


def test_stress_baseline() -> None:
    assert stress_baseline(0.5, 0.25) == pytest.approx(0.4)
    np.testing.assert_allclose(stress_baseline([1.0, 0.0], [1.0, 0.0]), [1.0, 0.0])
    with pytest.raises(AnalyticsInputError, match="normalised_vol"):
        stress_baseline(0.5, 1.5)

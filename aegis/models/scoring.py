"""Scores of a model beside its baseline: Brier, log loss, ECE and reliability bins."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from aegis.analytics import brier, expected_calibration_error, log_loss, reliability_bins

RELIABILITY_BINS = 10


def score(p: NDArray[np.float64], y: NDArray[np.float64]) -> dict[str, Any]:
    """``{n, brier, log_loss, ece, reliability}`` of probabilities ``p`` against 0/1 ``y``.

    ``reliability`` is a list of the 10 equal-width bins (``bin_lower, bin_upper, count,
    mean_predicted, observed_frequency``; NaN frequencies of empty bins become None).
    """
    pp = np.clip(np.asarray(p, dtype=np.float64), 0.0, 1.0)
    table = reliability_bins(pp, y, RELIABILITY_BINS)
    bins = [
        {k: (None if isinstance(v, float) and not np.isfinite(v) else v)
         for k, v in row.items()}
        for row in table.astype(object).to_dict(orient="records")
    ]
    for row in bins:
        row["count"] = int(row["count"] or 0)
    return {
        "n": int(len(pp)),
        "brier": brier(pp, y),
        "log_loss": log_loss(pp, y),
        "ece": expected_calibration_error(pp, y, RELIABILITY_BINS),
        "reliability": bins,
    }


def score_pair(
    p_model: NDArray[np.float64], p_baseline: NDArray[np.float64], y: NDArray[np.float64]
) -> dict[str, dict[str, Any]]:
    """``{"model": score(p_model, y), "baseline": score(p_baseline, y)}``."""
    return {"model": score(p_model, y), "baseline": score(p_baseline, y)}

"""Scores of probability forecasts against 0/1 outcomes: Brier, log loss, ECE, reliability.

All functions take ``p`` (forecast probabilities in [0, 1]) and ``y`` (outcomes, 0/1 or bool) of
the same length n >= 1 and raise :class:`~aegis.errors.AnalyticsInputError` otherwise.
Bins are equal-width on [0, 1]: bin ``j`` is ``[j/B, (j+1)/B)``, the last one closed at 1.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from aegis.analytics._checks import as_float_array, require_in_range
from aegis.errors import AnalyticsInputError

LOG_LOSS_EPS = 1e-15


def _pair(p: ArrayLike, y: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    pp = as_float_array(p, "p").ravel()
    yy = as_float_array(y, "y").ravel()
    if pp.size != yy.size:
        raise AnalyticsInputError(f"p and y: expected equal lengths; found {pp.size} and {yy.size}")
    if pp.size == 0:
        raise AnalyticsInputError("p and y: expected at least one forecast; found none")
    require_in_range(pp, "p", 0.0, 1.0)
    if not np.all((yy == 0.0) | (yy == 1.0)):
        bad = yy[(yy != 0.0) & (yy != 1.0)]
        raise AnalyticsInputError(f"y: expected outcomes 0 or 1; found {bad[:3].tolist()}")
    return pp, yy


def brier(p: ArrayLike, y: ArrayLike) -> float:
    """Mean squared error of the probabilities, ``mean((p - y)^2)``; 0 is perfect, lower better."""
    pp, yy = _pair(p, y)
    return float(np.mean((pp - yy) ** 2))


def log_loss(p: ArrayLike, y: ArrayLike) -> float:
    """Mean negative log-likelihood in nats; ``p`` clipped to ``[1e-15, 1 - 1e-15]``."""
    pp, yy = _pair(p, y)
    pc = np.clip(pp, LOG_LOSS_EPS, 1.0 - LOG_LOSS_EPS)
    return float(-np.mean(yy * np.log(pc) + (1.0 - yy) * np.log1p(-pc)))


def _bin_index(pp: NDArray[np.float64], bins: int) -> NDArray[np.intp]:
    if bins < 1:
        raise AnalyticsInputError(f"bins: expected >= 1; found {bins}")
    return np.minimum((pp * bins).astype(np.intp), bins - 1)


def reliability_bins(p: ArrayLike, y: ArrayLike, bins: int = 10) -> pd.DataFrame:
    """Per equal-width bin: count, mean forecast and observed frequency.

    Returns
    -------
    DataFrame, shape (bins, 5)
        Columns ``bin_lower, bin_upper, count`` (int), ``mean_predicted, observed_frequency``
        (NaN for empty bins). The data of a reliability diagram.
    """
    pp, yy = _pair(p, y)
    idx = _bin_index(pp, bins)
    count = np.bincount(idx, minlength=bins)
    sum_p = np.bincount(idx, weights=pp, minlength=bins)
    sum_y = np.bincount(idx, weights=yy, minlength=bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_p = np.where(count > 0, sum_p / np.maximum(count, 1), np.nan)
        freq = np.where(count > 0, sum_y / np.maximum(count, 1), np.nan)
    edges = np.linspace(0.0, 1.0, bins + 1)
    return pd.DataFrame(
        {
            "bin_lower": edges[:-1],
            "bin_upper": edges[1:],
            "count": count.astype(np.int64),
            "mean_predicted": mean_p,
            "observed_frequency": freq,
        }
    )


def expected_calibration_error(p: ArrayLike, y: ArrayLike, bins: int = 10) -> float:
    """``sum_b (n_b / n) * |observed_frequency_b - mean_predicted_b|`` over equal-width bins."""
    table = reliability_bins(p, y, bins)
    filled = table[table["count"] > 0]
    weights = filled["count"].to_numpy() / float(table["count"].sum())
    gaps = np.abs(filled["observed_frequency"].to_numpy() - filled["mean_predicted"].to_numpy())
    return float(np.sum(weights * gaps))


__all__ = ["brier", "expected_calibration_error", "log_loss", "reliability_bins"]

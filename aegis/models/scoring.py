"""Scores of walk-forward probabilities: Brier, log loss, ECE and reliability bins.

:class:`Score` is the one definition of a score's shape: the training side builds it here; the
challenger record (:mod:`aegis.pipeline.records`) carries its :class:`ScoreSummary` and the
manifest reader (:mod:`aegis.registry.manifest`) reads it back through a subclass of it.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field

RELIABILITY_BINS = 10


class ReliabilityBin(BaseModel):
    """One equal-width bin of a reliability diagram (probabilities in [0, 1])."""

    model_config = ConfigDict(frozen=True)

    bin_lower: float
    bin_upper: float
    count: int = Field(ge=0)
    mean_predicted: float | None = Field(description="None when the bin is empty.")
    observed_frequency: float | None = Field(description="None when the bin is empty.")


class ScoreSummary(BaseModel):
    """The scalars of a score: rows scored, Brier, log loss and ECE (10 equal-width bins)."""

    model_config = ConfigDict(frozen=True)

    n: int = Field(ge=0)
    brier: float
    log_loss: float
    ece: float


class Score(ScoreSummary):
    """A score with its reliability diagram (:data:`RELIABILITY_BINS` bins)."""

    reliability: list[ReliabilityBin]

    def summary(self) -> ScoreSummary:
        """The scalars alone (what the challenger record carries)."""
        return ScoreSummary(n=self.n, brier=self.brier, log_loss=self.log_loss, ece=self.ece)


def score(p: NDArray[np.float64], y: NDArray[np.float64]) -> Score:
    """The :class:`Score` of probabilities ``p`` (clipped to [0, 1]) against 0/1 ``y``.

    ``reliability`` holds the 10 equal-width bins; an empty bin's mean forecast and observed
    frequency are None (they are NaN in :func:`aegis.analytics.reliability_bins`).
    """
    from aegis.analytics import brier, expected_calibration_error, log_loss, reliability_bins

    pp = np.clip(np.asarray(p, dtype=np.float64), 0.0, 1.0)
    table = reliability_bins(pp, y, RELIABILITY_BINS)

    def finite(value: float) -> float | None:
        return float(value) if np.isfinite(value) else None

    bins = [ReliabilityBin(bin_lower=float(lo), bin_upper=float(hi), count=int(count),
                           mean_predicted=finite(mean), observed_frequency=finite(freq))
            for lo, hi, count, mean, freq in table.itertuples(index=False, name=None)]
    return Score(n=int(len(pp)), brier=float(brier(pp, y)), log_loss=float(log_loss(pp, y)),
                 ece=float(expected_calibration_error(pp, y, RELIABILITY_BINS)),
                 reliability=bins)


__all__ = ["RELIABILITY_BINS", "ReliabilityBin", "Score", "ScoreSummary", "score"]

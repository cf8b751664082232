"""The typed result of an empirical rate, its Wilson interval and a block-bootstrap interval."""

from __future__ import annotations

import math
from datetime import date
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike
from pydantic import AliasChoices, BaseModel, ConfigDict, Field, model_validator

from aegis.analytics.intervals import Z95, wilson_interval
from aegis.errors import InsufficientHistoryError

BOOTSTRAP_DRAWS = 2000
"""Resamples of a block bootstrap interval."""


def block_bootstrap_interval(
    successes: ArrayLike, blocks: ArrayLike, *, seed: int = 0, draws: int = BOOTSTRAP_DRAWS
) -> tuple[float, float]:
    """95% percentile interval of a rate, resampling whole blocks of correlated trials.

    Why: trials that share an outcome (the ranges published on every session of one expiry
    week all settle on that week's close) are not independent, so Wilson's interval, which
    assumes they are, is too narrow. Blocks are drawn with replacement (as many as there are)
    and the rate of each resample is ``sum(successes) / sum(trials)`` over the drawn blocks.

    Parameters
    ----------
    successes : array of bool, shape (n,)
        One entry per trial.
    blocks : array, shape (n,)
        Block label of each trial (e.g. its expiry date).
    seed : int
        Seed of the resampling (the interval is reproducible).
    draws : int
        Number of resamples, >= 100.
    """
    y = np.asarray(successes, dtype=np.float64).ravel()
    labels = np.asarray(blocks).ravel()
    if y.size < 1 or y.size != labels.size:
        raise InsufficientHistoryError(
            f"block_bootstrap_interval: expected >= 1 trial and one block label per trial; "
            f"found {y.size} trials and {labels.size} labels")
    if draws < 100:
        raise InsufficientHistoryError(f"block_bootstrap_interval: draws >= 100; found {draws}")
    _, code = np.unique(labels, return_inverse=True)
    hits = np.bincount(code, weights=y)
    trials = np.bincount(code).astype(np.float64)
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, hits.size, size=(draws, hits.size))
    rates = hits[picks].sum(axis=1) / trials[picks].sum(axis=1)
    lo, hi = np.quantile(rates, [0.025, 0.975])
    return float(lo), float(hi)


class RateWindow(BaseModel):
    """The span of history a rate was measured on (first window start, last outcome date)."""

    model_config = ConfigDict(frozen=True, validate_by_name=True, serialize_by_alias=True)

    from_: date = Field(
        validation_alias=AliasChoices("from", "from_"),
        serialization_alias="from",
        description="First session of the first evaluated window.",
    )
    to: date = Field(description="Last session whose outcome entered the rate.")


class EmpiricalRate(BaseModel):
    """A rate measured walk-forward on history: never a constant, always with its sample size."""

    model_config = ConfigDict(frozen=True, validate_by_name=True, serialize_by_alias=True)

    kind: Literal["hit", "spike"] = Field(description="Safe-range hit rate or buyer spike rate.")
    value: float = Field(ge=0.0, le=1.0, description="Observed fraction, in [0, 1].")
    n: int = Field(ge=1, description="Number of windows (hit) or BREAKOUT signals (spike).")
    successes: int = Field(ge=0, description="Hits, or signals followed by a spike.")
    ci95: tuple[float, float] = Field(description="Wilson 95% interval of value.")
    window: RateWindow
    as_of: date = Field(description="Data time: no outcome after this date was used.")
    confidence: float | None = Field(default=None, description="Safe-range confidence (hit).")
    sessions_to_expiry: int | None = Field(
        default=None, ge=1, description="Horizon the rate is restricted to (hit); None: all."
    )
    ci95_block_bootstrap: tuple[float, float] | None = Field(
        default=None, description="95% block-bootstrap interval (blocks: expiry weeks)."
    )
    interval_note: str | None = Field(
        default=None, description="Why and how the intervals differ (overlapping windows)."
    )
    horizon: EmpiricalRate | None = Field(
        default=None, description="The same rate for today's horizon only (hit)."
    )
    base_rate: float | None = Field(
        default=None, ge=0.0, le=1.0, description="Unconditional spike frequency (spike)."
    )
    method: str | None = Field(
        default=None, description="Which signals were counted (spike: the BREAKOUTs the product "
        "published, or, when it published none, the walk-forward model's own, said so).")

    @model_validator(mode="after")
    def _consistent(self) -> EmpiricalRate:
        if self.successes > self.n or not math.isclose(self.value, self.successes / self.n):
            raise ValueError(f"value {self.value} != successes/n = {self.successes}/{self.n}")
        lo, hi = self.ci95
        if not 0.0 <= lo <= self.value <= hi <= 1.0:
            raise ValueError(f"ci95 {self.ci95} must bracket value {self.value} inside [0, 1]")
        if self.window.from_ > self.window.to:
            raise ValueError(f"window from {self.window.from_} is after to {self.window.to}")
        if self.kind == "spike" and self.base_rate is None:
            raise ValueError("a spike rate carries its base_rate")
        if self.kind == "hit" and self.confidence is None:
            raise ValueError("a hit rate carries its confidence")
        if self.ci95_block_bootstrap is not None:
            blo, bhi = self.ci95_block_bootstrap
            if not 0.0 <= blo <= bhi <= 1.0:
                raise ValueError(f"ci95_block_bootstrap {self.ci95_block_bootstrap} not in [0, 1]")
        return self


__all__ = [
    "BOOTSTRAP_DRAWS",
    "Z95",
    "EmpiricalRate",
    "RateWindow",
    "block_bootstrap_interval",
    "wilson_interval",
]

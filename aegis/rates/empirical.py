"""The typed result of an empirical rate and its Wilson score interval."""

from __future__ import annotations

import math
from datetime import date
from typing import Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, model_validator

from aegis.errors import InsufficientHistoryError

Z95: float = 1.959964
"""Two-sided 95% standard-normal quantile."""


def wilson_interval(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for ``k`` successes in ``n`` trials.

    ``(p + z^2/2n -+ z sqrt(p(1-p)/n + z^2/4n^2)) / (1 + z^2/n)`` with ``p = k/n``; unlike the
    normal (Wald) interval it stays inside [0, 1] and is sensible for small ``n`` and ``p`` near
    0 or 1.

    Parameters
    ----------
    k : int
        Successes, ``0 <= k <= n``.
    n : int
        Trials, ``n >= 1``.
    z : float
        Standard-normal quantile; the default gives a 95% interval.
    """
    if n < 1:
        raise InsufficientHistoryError(f"wilson_interval: expected n >= 1 trials; found n={n}")
    if not 0 <= k <= n:
        raise InsufficientHistoryError(f"wilson_interval: expected 0 <= k <= n={n}; found k={k}")
    p = k / n
    z2 = z * z
    denom = 1.0 + z2 / n
    centre = (p + z2 / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


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
    k_latest: float | None = Field(
        default=None, description="k fitted on every window ended by as_of (hit): today's k."
    )
    base_rate: float | None = Field(
        default=None, ge=0.0, le=1.0, description="Unconditional spike frequency (spike)."
    )

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
        if self.kind == "hit" and (self.k_latest is None or self.confidence is None):
            raise ValueError("a hit rate carries confidence and k_latest")
        return self


__all__ = ["Z95", "EmpiricalRate", "RateWindow", "wilson_interval"]

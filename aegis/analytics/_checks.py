"""Input checks shared by the analytics formulas (named errors with the bad value)."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from aegis.errors import AnalyticsInputError


def as_float_array(value: Any, name: str) -> NDArray[np.float64]:
    """``value`` as a float64 array; raise if any element is NaN or infinite."""
    arr = np.asarray(value, dtype=np.float64)
    if not np.all(np.isfinite(arr)):
        raise AnalyticsInputError(f"{name}: expected finite numbers; found {_sample(arr)}")
    return arr


def require_positive(arr: NDArray[np.float64], name: str) -> None:
    if np.any(arr <= 0):
        raise AnalyticsInputError(f"{name}: expected > 0; found {_sample(arr[arr <= 0])}")


def require_non_negative(arr: NDArray[np.float64], name: str) -> None:
    if np.any(arr < 0):
        raise AnalyticsInputError(f"{name}: expected >= 0; found {_sample(arr[arr < 0])}")


def require_in_range(arr: NDArray[np.float64], name: str, lo: float, hi: float) -> None:
    bad = (arr < lo) | (arr > hi)
    if np.any(bad):
        raise AnalyticsInputError(
            f"{name}: expected values in [{lo}, {hi}]; found {_sample(arr[bad])}"
        )


def scalar_or_array(arr: NDArray[np.float64]) -> float | NDArray[np.float64]:
    """A Python float for 0-d results (scalar inputs), else the array."""
    return float(arr) if arr.ndim == 0 else arr


def _sample(arr: NDArray[np.float64]) -> str:
    flat = np.ravel(arr)
    head = ", ".join(repr(float(x)) for x in flat[:3])
    more = f" (and {flat.size - 3} more)" if flat.size > 3 else ""
    return f"[{head}]{more}"

"""Labels of the trap and stress scores, and the baselines used when no model is available.

Units: scores and probabilities are fractions in [0, 1]. Percentile inputs of
:func:`trap_baseline` are in **percent**, [0, 100], as the feature table publishes them
(``iv_percentile_252``, ``rv_percentile_252``).
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike

from aegis.analytics._checks import as_float_array, require_in_range, scalar_or_array
from aegis.errors import AnalyticsInputError

TrapLabel = Literal["LOW", "MEDIUM", "HIGH"]
StressLabel = Literal["CALM", "CAUTION", "STRESS"]

Cuts = tuple[float, float] | None
"""``(low, high)`` class thresholds chosen from history (the model's manifest), or None when the
published score is climatology: a constant carries no information, so it is the middle class."""


def _probability(p: float, name: str) -> float:
    value = float(as_float_array(p, name))
    require_in_range(np.asarray(value), name, 0.0, 1.0)
    return value


def _classify(p: float, cuts: Cuts, name: str, classes: tuple[str, str, str]) -> str:
    value = _probability(p, name)
    if cuts is None:
        return classes[1]
    low, high = cuts
    if not 0.0 <= low <= high <= 1.0:
        raise AnalyticsInputError(f"{name} cuts: expected 0 <= low <= high <= 1; found {cuts}")
    if value < low:
        return classes[0]
    return classes[1] if value < high else classes[2]


def trap_label(p: float, cuts: Cuts) -> TrapLabel:
    """``LOW`` below ``cuts[0]``, ``MEDIUM`` below ``cuts[1]``, else ``HIGH``."""
    return _classify(p, cuts, "trap score", ("LOW", "MEDIUM", "HIGH"))  # type: ignore[return-value]


def stress_label(p: float, cuts: Cuts) -> StressLabel:
    """``CALM`` below ``cuts[0]``, ``CAUTION`` below ``cuts[1]``, else ``STRESS``."""
    return _classify(p, cuts, "expiry stress score",  # type: ignore[return-value]
                     ("CALM", "CAUTION", "STRESS"))


def trap_baseline(iv_percentile: ArrayLike, rv_percentile: ArrayLike) -> Any:
    """Volatility-trap baseline ``clip((iv - rv) / 2 / 100 + 0.5, 0, 1)``.

    Parameters
    ----------
    iv_percentile, rv_percentile : float or array
        Percentiles in **percent**, [0, 100] (e.g. ``iv_percentile_252``). Fractions would be
        silently wrong, so values outside [0, 100] raise.

    Returns
    -------
    float or ndarray
        Score in [0, 1]: 0.5 when implied and realised volatility sit at the same percentile,
        towards 1 when implied volatility is rich relative to realised.
    """
    iv = as_float_array(iv_percentile, "iv_percentile")
    rv = as_float_array(rv_percentile, "rv_percentile")
    require_in_range(iv, "iv_percentile", 0.0, 100.0)
    require_in_range(rv, "rv_percentile", 0.0, 100.0)
    return scalar_or_array(np.clip((iv - rv) / 2.0 / 100.0 + 0.5, 0.0, 1.0))


def stress_baseline(trap: ArrayLike, normalised_vol: ArrayLike) -> Any:
    """Expiry-stress baseline ``0.6 * trap + 0.4 * normalised_vol``, in [0, 1].

    Parameters
    ----------
    trap : float or array
        Trap score in [0, 1] (model or :func:`trap_baseline`).
    normalised_vol : float or array
        Volatility level scaled to [0, 1] by the caller (e.g. ``iv_percentile_252 / 100``).
    """
    t = as_float_array(trap, "trap")
    v = as_float_array(normalised_vol, "normalised_vol")
    require_in_range(t, "trap", 0.0, 1.0)
    require_in_range(v, "normalised_vol", 0.0, 1.0)
    return scalar_or_array(0.6 * t + 0.4 * v)


__all__ = [
    "Cuts",
    "StressLabel",
    "TrapLabel",
    "stress_baseline",
    "stress_label",
    "trap_baseline",
    "trap_label",
]

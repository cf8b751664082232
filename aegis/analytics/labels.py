"""Labels of the trap and stress scores, and the baselines used when no model is available.

Units: scores and probabilities are fractions in [0, 1]. Percentile inputs of
:func:`trap_baseline` are in **percent**, [0, 100], as the feature table publishes them
(``iv_percentile_252``, ``rv_percentile_252``).
"""

from __future__ import annotations

from typing import Any, Final, Literal

import numpy as np
from numpy.typing import ArrayLike

from aegis.analytics._checks import as_float_array, require_in_range, scalar_or_array

TrapLabel = Literal["LOW", "MEDIUM", "HIGH"]
StressLabel = Literal["CALM", "CAUTION", "STRESS"]

TRAP_CUTS: Final = (0.33, 0.66)
"""LOW < 0.33 <= MEDIUM < 0.66 <= HIGH."""
STRESS_CUTS: Final = (0.33, 0.60)
"""CALM < 0.33 <= CAUTION < 0.60 <= STRESS."""


def _probability(p: float, name: str) -> float:
    value = float(as_float_array(p, name))
    require_in_range(np.asarray(value), name, 0.0, 1.0)
    return value


def trap_label(p: float) -> TrapLabel:
    """``LOW`` below 0.33, ``MEDIUM`` below 0.66, else ``HIGH`` (``p`` a probability)."""
    value = _probability(p, "trap score")
    if value < TRAP_CUTS[0]:
        return "LOW"
    return "MEDIUM" if value < TRAP_CUTS[1] else "HIGH"


def stress_label(p: float) -> StressLabel:
    """``CALM`` below 0.33, ``CAUTION`` below 0.60, else ``STRESS`` (``p`` a probability)."""
    value = _probability(p, "expiry stress score")
    if value < STRESS_CUTS[0]:
        return "CALM"
    return "CAUTION" if value < STRESS_CUTS[1] else "STRESS"


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
    "STRESS_CUTS",
    "TRAP_CUTS",
    "StressLabel",
    "TrapLabel",
    "stress_baseline",
    "stress_label",
    "trap_baseline",
    "trap_label",
]

"""Wilson's score interval for a binomial proportion: the one implementation.

Every published rate (hit and spike rates, the backtest's coverage and spike rate), the live
coverage check of the ledger monitor and the BREAKOUT threshold search use it.
``(p + z^2/2n -+ z sqrt(p(1-p)/n + z^2/4n^2)) / (1 + z^2/n)`` with ``p = k/n``; unlike the
normal (Wald) interval it stays inside [0, 1] and is sensible for small ``n`` and ``p`` near 0
or 1.
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np
from numpy.typing import ArrayLike

from aegis.errors import InsufficientHistoryError

Z95: Final = 1.959964
"""Two-sided 95% standard-normal quantile."""


def wilson_bounds(successes: ArrayLike, trials: ArrayLike, z: float = Z95) -> tuple[Any, Any]:
    """Lower and upper Wilson bounds, vectorised and unchecked (``trials > 0``).

    Parameters
    ----------
    successes : float or array
        Successes ``k`` (a float is allowed: a coverage fraction times ``n``).
    trials : float or array
        Trials ``n``, > 0.
    z : float
        Standard-normal quantile; the default gives a 95% interval.

    Returns
    -------
    (lower, upper) : floats or arrays (broadcast), clipped to [0, 1].
    """
    k = np.asarray(successes, dtype=np.float64)
    n = np.asarray(trials, dtype=np.float64)
    p = k / n
    z2 = z * z
    denom = 1.0 + z2 / n
    centre = (p + z2 / (2 * n)) / denom
    half = z * np.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denom
    lower, upper = np.maximum(0.0, centre - half), np.minimum(1.0, centre + half)
    if lower.ndim == 0:
        return float(lower), float(upper)
    return lower, upper


def wilson_interval(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for ``k`` successes in ``n`` trials, checked.

    Parameters
    ----------
    k : int
        Successes, ``0 <= k <= n``.
    n : int
        Trials, ``n >= 1``.
    z : float
        Standard-normal quantile; the default gives a 95% interval.

    Raises
    ------
    InsufficientHistoryError
        ``n < 1`` or ``k`` outside ``[0, n]``.
    """
    if n < 1:
        raise InsufficientHistoryError(f"wilson_interval: expected n >= 1 trials; found n={n}")
    if not 0 <= k <= n:
        raise InsufficientHistoryError(f"wilson_interval: expected 0 <= k <= n={n}; found k={k}")
    lower, upper = wilson_bounds(k, n, z)
    return float(lower), float(upper)


__all__ = ["Z95", "wilson_bounds", "wilson_interval"]

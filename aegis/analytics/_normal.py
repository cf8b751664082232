"""The standard normal CDF and its logarithm on numpy arrays, without scipy.

``ndtr(x) = erfc(-x/sqrt(2)) / 2`` through :func:`math.erfc` (accurate in the far tails,
where ``1 + erf`` would cancel); ``log_ndtr`` uses ``log1p(-ndtr(-x))`` above 0 and switches
to the asymptotic series of the Mills ratio below :data:`LOG_TAIL`, where ``erfc`` would
underflow. ``import scipy.special`` costs a quarter of a second per process, and these two
functions are all the snapshot needs of it; ``tests/unit/test_analytics_normal.py`` checks them
against scipy (the oracle, in tests only).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

_erfc = np.frompyfunc(math.erfc, 1, 1)
_SQRT_HALF = math.sqrt(0.5)
_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)
LOG_TAIL = -20.0
"""Below this ``x``, ``log_ndtr`` uses the asymptotic series (erfc(14.1) ~ 1e-88: far from
underflow, and the series' first omitted term is below 1e-17 there)."""


def ndtr(x: ArrayLike) -> NDArray[np.float64]:
    """``P(Z <= x)`` for a standard normal ``Z``, element-wise (float64 array)."""
    arr = np.asarray(x, dtype=np.float64)
    return np.asarray(0.5 * _erfc(-arr * _SQRT_HALF), dtype=np.float64)


def log_ndtr(x: ArrayLike) -> NDArray[np.float64]:
    """``log P(Z <= x)``, accurate where ``P`` itself underflows (x down to -1e150)."""
    arr = np.asarray(x, dtype=np.float64)
    out = np.empty(arr.shape, dtype=np.float64)
    tail = arr < LOG_TAIL
    upper = arr > 0.0  # log(1 - N(-x)) through log1p: no cancellation near 0
    body = ~tail & ~upper & ~np.isnan(arr)
    out[body] = np.log(ndtr(arr[body]))
    out[upper] = np.log1p(-ndtr(-arr[upper]))
    out[np.isnan(arr)] = np.nan
    t = arr[tail]
    if t.size:
        # log N(t) = -t^2/2 - log(-t) - log sqrt(2 pi) + log(1 - 1/t^2 + 3/t^4 - 15/t^6 + ...)
        inv2 = 1.0 / (t * t)
        series = 1.0 + inv2 * (-1.0 + inv2 * (3.0 + inv2 * (-15.0 + inv2 * (105.0 - 945.0 * inv2))))
        out[tail] = -0.5 * t * t - np.log(-t) - _LOG_SQRT_2PI + np.log(series)
    return out


__all__ = ["log_ndtr", "ndtr"]

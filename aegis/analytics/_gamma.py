"""The regularised upper incomplete gamma function ``Q(a, x)`` on numpy arrays, without scipy.

``Q(a, x) = Gamma(a, x) / Gamma(a)``, the chi-square survival ``P(chi2_k > t) = Q(k/2, t/2)``
the structural trap probability needs (:mod:`aegis.features.forecast`). The series of ``P = 1 -
Q`` where ``x < a + 1`` and the continued fraction of ``Q`` (modified Lentz) elsewhere, both
vectorised over the arrays and iterated until every element has converged to
:data:`TOLERANCE` (Numerical Recipes' ``gammq``). ``import scipy.special`` costs a quarter of a
second per process and this is all the snapshot needs of it;
``tests/unit/test_analytics_normal.py`` checks it against scipy (the oracle, in tests only).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

from aegis.errors import AnalyticsInputError

TOLERANCE = 1e-15
MAX_ITERATIONS = 2000
_TINY = 1e-300
_lgamma = np.frompyfunc(math.lgamma, 1, 1)


def _prefactor(a: NDArray[np.float64], x: NDArray[np.float64]) -> NDArray[np.float64]:
    """``exp(-x + a log x - lgamma(a))``."""
    log_gamma = np.asarray(_lgamma(a), dtype=np.float64)
    return np.asarray(np.exp(-x + a * np.log(x) - log_gamma), dtype=np.float64)


def _lower_series(a: NDArray[np.float64], x: NDArray[np.float64]) -> NDArray[np.float64]:
    """``P(a, x)`` by its power series (converges fast for ``x < a + 1``).

    Each element stops at its own convergence, so its value never depends on the other
    elements of the array (a feature at ``t`` must not move when later rows are added)."""
    term = 1.0 / a
    total = term.copy()
    ap = a.copy()
    active = np.ones(a.shape, dtype=bool)
    for _ in range(MAX_ITERATIONS):
        ap = np.where(active, ap + 1.0, ap)
        term = np.where(active, term * x / ap, term)
        total = np.where(active, total + term, total)
        active &= ~(np.abs(term) < np.abs(total) * TOLERANCE)
        if not active.any():
            break
    return total * _prefactor(a, x)


def _upper_fraction(a: NDArray[np.float64], x: NDArray[np.float64]) -> NDArray[np.float64]:
    """``Q(a, x)`` by its continued fraction (modified Lentz; for ``x >= a + 1``), each element
    to its own convergence."""
    b = x + 1.0 - a
    c = np.full_like(x, 1.0 / _TINY)
    d = 1.0 / b
    h = d.copy()
    active = np.ones(a.shape, dtype=bool)
    for i in range(1, MAX_ITERATIONS):
        an = -i * (i - a)
        b_next = b + 2.0
        d_next = an * d + b_next
        d_next = np.where(np.abs(d_next) < _TINY, _TINY, d_next)
        c_next = b_next + an / c
        c_next = np.where(np.abs(c_next) < _TINY, _TINY, c_next)
        d_next = 1.0 / d_next
        delta = d_next * c_next
        b = np.where(active, b_next, b)
        c = np.where(active, c_next, c)
        d = np.where(active, d_next, d)
        h = np.where(active, h * delta, h)
        active &= ~(np.abs(delta - 1.0) < TOLERANCE)
        if not active.any():
            break
    return _prefactor(a, x) * h


def gammaincc(a: ArrayLike, x: ArrayLike) -> NDArray[np.float64]:
    """``Q(a, x)`` element-wise for ``a > 0``, ``x >= 0`` (NaN in, NaN out).

    Raises
    ------
    AnalyticsInputError
        An ``a <= 0`` or an ``x < 0`` (the allowed ranges and the first bad value named).
    """
    aa, xx = np.broadcast_arrays(np.asarray(a, dtype=np.float64), np.asarray(x, dtype=np.float64))
    out = np.full(aa.shape, np.nan)
    valid = np.isfinite(aa) & ~np.isnan(xx)
    if np.any(aa[valid] <= 0):
        raise AnalyticsInputError(f"gammaincc: expected a > 0; found {aa[valid & (aa <= 0)][0]}")
    if np.any(xx[valid] < 0):
        raise AnalyticsInputError(f"gammaincc: expected x >= 0; found {xx[valid & (xx < 0)][0]}")
    zero = valid & (xx == 0)
    out[zero] = 1.0
    big = valid & np.isposinf(xx)
    out[big] = 0.0
    series = valid & ~zero & ~big & (xx < aa + 1.0)
    fraction = valid & ~zero & ~big & (xx >= aa + 1.0)
    if np.any(series):
        out[series] = 1.0 - _lower_series(aa[series], xx[series])
    if np.any(fraction):
        out[fraction] = _upper_fraction(aa[fraction], xx[fraction])
    return np.clip(out, 0.0, 1.0)


__all__ = ["gammaincc"]

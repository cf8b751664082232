"""Touch and close-beyond probabilities of a strike under geometric Brownian motion.

Model: ``dS/S = mu dt + sigma dW`` with ``mu`` = ``drift`` (annualised, fraction per year) and
``sigma`` annualised (fraction, e.g. VIX/100); time ``T = days / 365``. The log-price
``X_t = ln(S_t/S_0)`` is a Brownian motion with drift ``nu = mu - sigma^2/2``; the strike sits at
``b = ln(K/S_0)``. "Driftless GBM" (the DESIGN baseline) is ``drift=0``: the price is a
martingale and ``nu = -sigma^2/2``.

Touch (first passage, reflection principle for Brownian motion with drift), for ``b > 0``::

    s = sigma sqrt(T)
    P(max_{t<=T} X_t >= b) = N((-b + nu T)/s) + exp(2 nu b / sigma^2) N((-b - nu T)/s)

and symmetrically for ``b < 0`` (minimum below ``b``). With ``nu = 0`` it is exactly twice the
close-beyond probability. Close beyond: ``P(X_T >= b)`` for a strike above spot, ``P(X_T <= b)``
for one below. A strike equal to spot counts as above (touched already, probability 1).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from aegis.analytics._checks import (
    as_float_array,
    require_non_negative,
    require_positive,
    scalar_or_array,
)
from aegis.analytics._normal import log_ndtr, ndtr  # scipy.special's, without its import cost
from aegis.analytics.ranges import DAYS_PER_YEAR

_Arrays = tuple[
    NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.float64],
    NDArray[np.float64], NDArray[np.bool_],
]


def _prepare(
    spot: ArrayLike, strike: ArrayLike, sigma: ArrayLike, days: ArrayLike, drift: ArrayLike
) -> _Arrays:
    """Broadcast, check, and return ``(b, eta, nu*T, sigma*sqrt(T), nu/sigma^2, T == 0)``."""
    s = as_float_array(spot, "spot")
    k = as_float_array(strike, "strike")
    vol = as_float_array(sigma, "sigma")
    d = as_float_array(days, "days")
    mu = as_float_array(drift, "drift")
    require_positive(s, "spot")
    require_positive(k, "strike")
    require_positive(vol, "sigma")
    require_non_negative(d, "days")
    s, k, vol, d, mu = np.broadcast_arrays(s, k, vol, d, mu)
    t = d / DAYS_PER_YEAR
    b = np.log(k / s)
    eta = np.where(b >= 0.0, 1.0, -1.0)
    nu = mu - 0.5 * vol**2
    expired = t == 0.0
    sd = vol * np.sqrt(np.where(expired, 1.0, t))  # placeholder 1 where T == 0; masked later
    return b, eta, nu * t, sd, nu / vol**2, expired


def close_beyond_probability(
    spot: ArrayLike, strike: ArrayLike, sigma: ArrayLike, days: ArrayLike, drift: ArrayLike = 0.0
) -> Any:
    """Probability that the expiry close lies beyond ``strike`` on the far side from spot.

    Parameters
    ----------
    spot, strike : float or array
        Index points, > 0.
    sigma : float or array
        Annualised volatility as a fraction (VIX/100), > 0.
    days : float or array
        Calendar days to the expiry close, >= 0 (``T = days/365``).
    drift : float or array, default 0.0
        Annualised arithmetic drift ``mu`` of the GBM (fraction per year).

    Returns
    -------
    float or ndarray
        ``P(S_T >= K)`` for ``K >= S``, ``P(S_T <= K)`` for ``K < S``; in [0, 1].
    """
    b, eta, nu_t, sd, _, expired = _prepare(spot, strike, sigma, days, drift)
    p = ndtr((-np.abs(b) + eta * nu_t) / sd)
    p = np.where(expired, (b == 0.0).astype(np.float64), p)
    return scalar_or_array(np.clip(p, 0.0, 1.0))


def touch_probability(
    spot: ArrayLike, strike: ArrayLike, sigma: ArrayLike, days: ArrayLike, drift: ArrayLike = 0.0
) -> Any:
    """Probability that the index touches ``strike`` at any time before the expiry close.

    Continuous monitoring (the daily high/low of the real path); arguments and units as in
    :func:`close_beyond_probability`. Always >= the close-beyond probability of the same strike.

    Returns
    -------
    float or ndarray
        First-passage probability in [0, 1]; 1 for a strike at spot.
    """
    b, eta, nu_t, sd, nu_over_var, expired = _prepare(spot, strike, sigma, days, drift)
    abs_b = np.abs(b)
    direct = ndtr((-abs_b + eta * nu_t) / sd)
    # exp(2 nu b / sigma^2) * N(.) in log space: the exponential overflows where N(.) underflows
    reflected = np.exp(2.0 * nu_over_var * b + log_ndtr((-abs_b - eta * nu_t) / sd))
    p = direct + reflected
    p = np.where(expired, (b == 0.0).astype(np.float64), p)
    p = np.where(b == 0.0, 1.0, p)
    return scalar_or_array(np.clip(p, 0.0, 1.0))


__all__ = ["close_beyond_probability", "touch_probability"]

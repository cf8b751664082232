"""Expected move and the safe range with its empirically fitted multiplier ``k``.

Notation (DESIGN.md): spot ``S`` in index points, India VIX ``V`` in annualised percent,
``sigma = V / 100``, ``D`` calendar days to the expiry close, ``EM = S * sigma * sqrt(D / 365)``.
The safe range at confidence ``c`` is ``[S - k*EM, S + k*EM]``; ``k`` is the empirical
``c``-quantile of past standardised absolute moves (see :func:`fit_safe_range_k`).

``k`` is fitted per horizon (trading sessions to expiry) on moves measured in *session time*,
``|S_exp - S| / (S * sigma * sqrt(h/252))``, then converted to the multiplier of the
calendar-day ``EM`` with :func:`session_to_calendar_k`. Why: a weekend or a holiday adds
calendar days to ``D`` but little variance, so the calendar-standardised move of a window that
spans one is smaller; by session time, the windows with ``h`` sessions left are comparable
whichever weekday the expiry falls on (Thursday until 2025-08-28, Tuesday after) and however
many holidays the week holds.
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
from aegis.errors import AnalyticsInputError, InsufficientHistoryError

DAYS_PER_YEAR: float = 365.0
SESSIONS_PER_YEAR: float = 252.0


def implied_move(sigma: Any, days: Any) -> Any:
    """``sigma * sqrt(D/365)``: the VIX-implied one-sigma log move over ``D`` calendar days.

    DESIGN.md's expected move as a fraction of spot (``EM / S``). The one formula behind the
    feature ``expected_move_pct``, the expiry-stress band, the one-day spike threshold
    (``days=1``), the breach moneyness scale and :func:`expected_move`. Unlike
    :func:`expected_move` it does not check its inputs: on whole tables the VIX is unknown on
    some sessions, and NaN propagates to exactly those rows.

    Parameters
    ----------
    sigma : float, ndarray or Series
        Annualised implied volatility as a fraction (``VIX / 100``).
    days : float, ndarray or Series
        Calendar days to the expiry close (1 for "one VIX-implied day").

    Returns
    -------
    Same kind as the inputs (broadcast), a dimensionless fraction.
    """
    return sigma * np.sqrt(days / DAYS_PER_YEAR)


def implied_variance(sigma: Any, days: Any) -> Any:
    """``sigma^2 * D/365``: the variance to the expiry that the premium pays for (fraction^2).

    The square of :func:`implied_move`, written as the product so that the trap label and the
    structural trap feature compare realised variance to the same number. NaN propagates.
    """
    return sigma**2 * days / DAYS_PER_YEAR


def expected_move(spot: ArrayLike, vix_pct: ArrayLike, days: ArrayLike) -> Any:
    """One-standard-deviation move to expiry implied by India VIX, in index points.

    Parameters
    ----------
    spot : float or array
        Spot in index points, > 0.
    vix_pct : float or array
        India VIX in annualised percent (e.g. 13.2), > 0.
    days : float or array
        Calendar days from now to the expiry close, >= 0.

    Returns
    -------
    float or ndarray
        ``spot * vix_pct/100 * sqrt(days/365)``, broadcast over the inputs.
    """
    s = as_float_array(spot, "spot")
    v = as_float_array(vix_pct, "vix_pct")
    d = as_float_array(days, "days")
    require_positive(s, "spot")
    require_positive(v, "vix_pct")
    require_non_negative(d, "days")
    return scalar_or_array(s * np.asarray(implied_move(v / 100.0, d)))


def safe_range(
    spot: ArrayLike, vix_pct: ArrayLike, days: ArrayLike, k: ArrayLike
) -> tuple[Any, Any]:
    """The safe range ``(S - k*EM, S + k*EM)`` in index points.

    ``k`` (> 0, dimensionless) comes from :func:`fit_safe_range_k`; the other arguments are as
    in :func:`expected_move`. Vectorised: arrays broadcast and two arrays are returned.
    """
    kk = as_float_array(k, "k")
    require_positive(kk, "k")
    em = np.asarray(expected_move(spot, vix_pct, days), dtype=np.float64)
    s = np.asarray(spot, dtype=np.float64)
    return scalar_or_array(s - kk * em), scalar_or_array(s + kk * em)


def standardised_move(
    spot: ArrayLike, vix_pct: ArrayLike, days: ArrayLike, close_at_expiry: ArrayLike
) -> Any:
    """``|S_exp - S| / EM``: the move to expiry in units of the VIX-implied expected move.

    The expiry close lies inside ``safe_range(..., k)`` exactly when this is ``<= k``, so the
    ``c``-quantile of past values is the ``k`` with in-sample coverage ``c``. (It equals
    ``|exp(r) - 1| / (sigma*sqrt(D/365))`` with ``r = ln(S_exp/S)``; for weekly moves it differs
    from the log form ``|r| / (sigma*sqrt(D/365))`` by under 1%.) ``days`` must be > 0.
    """
    d = as_float_array(days, "days")
    require_positive(d, "days")
    em = np.asarray(expected_move(spot, vix_pct, d), dtype=np.float64)
    close = as_float_array(close_at_expiry, "close_at_expiry")
    return scalar_or_array(np.abs(close - np.asarray(spot, dtype=np.float64)) / em)


def fit_safe_range_k(z_abs: ArrayLike, confidence: float) -> float:
    """The multiplier ``k`` whose in-sample coverage of past windows is ``confidence``.

    Estimator: the empirical quantile with the inverted-CDF rule (Hyndman & Fan type 1), i.e.
    the order statistic ``z_(m)`` with ``m = ceil(confidence * n)`` of the ``n`` sorted values.
    It is the smallest ``k`` with ``#{z_i <= k} / n >= confidence``, so the in-sample coverage
    is ``ceil(c*n)/n`` -- equal to ``c`` whenever ``c*n`` is whole, and above it by less than
    ``1/n`` otherwise. No interpolation: interpolating would cover fewer than ``c*n`` windows.

    Parameters
    ----------
    z_abs : array, shape (n,)
        Standardised absolute moves of past windows, e.g. :func:`standardised_move`
        (``|S_exp - S| / EM``) or ``|ln(S_exp/S)| / (sigma*sqrt(D/365))``; finite, >= 0.
    confidence : float
        Target coverage in (0, 1), e.g. 0.80.

    Returns
    -------
    float
        ``k`` (dimensionless, > 0).
    """
    if not 0.0 < confidence < 1.0:
        raise AnalyticsInputError(f"confidence: expected a value in (0, 1); found {confidence!r}")
    z = as_float_array(z_abs, "z_abs").ravel()
    if z.size == 0:
        raise InsufficientHistoryError(
            "fit_safe_range_k: expected at least one past window; found 0"
        )
    require_non_negative(z, "z_abs")
    k = float(quantile_inverted_cdf(np.sort(z), confidence))
    if k <= 0.0:
        raise InsufficientHistoryError(
            f"fit_safe_range_k: the {confidence} quantile of {z.size} moves is 0 (flat history)"
        )
    return k


def calendar_to_session_scale(days: ArrayLike, sessions: ArrayLike) -> Any:
    """``sqrt((D/365) / (h/252))``: multiply a calendar-standardised move by it for session time.

    ``z_session = z_calendar * scale`` where ``z_calendar = |S_exp - S| / EM`` (``EM`` on ``D``
    calendar days) and ``z_session = |S_exp - S| / (S * sigma * sqrt(h/252))`` (``h`` trading
    sessions). Both arguments > 0; dimensionless result, broadcast over the inputs.
    """
    d = as_float_array(days, "days")
    h = as_float_array(sessions, "sessions")
    require_positive(d, "days")
    require_positive(h, "sessions")
    return scalar_or_array(np.sqrt((d / DAYS_PER_YEAR) / (h / SESSIONS_PER_YEAR)))


def session_to_calendar_k(k_session: ArrayLike, days: ArrayLike, sessions: ArrayLike) -> Any:
    """The multiplier of the calendar-day ``EM`` equal to ``k_session`` in session time.

    ``k * S*sigma*sqrt(D/365) == k_session * S*sigma*sqrt(h/252)``, so
    ``k = k_session / calendar_to_session_scale(D, h)``: the published range
    ``[S - k*EM, S + k*EM]`` is the session-time fit expressed on the DESIGN.md expected move.
    """
    ks = as_float_array(k_session, "k_session")
    require_positive(ks, "k_session")
    return scalar_or_array(ks / np.asarray(calendar_to_session_scale(days, sessions)))


def quantile_inverted_cdf(sorted_z: NDArray[np.float64], confidence: float) -> float:
    """``sorted_z[ceil(confidence * n) - 1]``: the type-1 quantile of an already sorted array."""
    n = sorted_z.size
    m = int(np.ceil(confidence * n - 1e-12))  # guard 0.8*5 = 4.000000000000001
    return float(sorted_z[min(max(m, 1), n) - 1])


__all__ = [
    "DAYS_PER_YEAR",
    "SESSIONS_PER_YEAR",
    "calendar_to_session_scale",
    "expected_move",
    "fit_safe_range_k",
    "implied_move",
    "implied_variance",
    "quantile_inverted_cdf",
    "safe_range",
    "session_to_calendar_k",
    "standardised_move",
]

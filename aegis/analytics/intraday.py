"""Trap and stress probabilities for the expiry's last session, where no daily model applies.

Within the expiry day's session the time left is a fraction of one session: no close-to-close
window is that short, so the trap and stress models (fitted at closes) do not publish. The
structural formulas of :mod:`aegis.features.forecast` do, on the remaining stretch:

- the variance left is ``v_rem = v * share`` (``v`` the HAR forecast of one session's variance,
  ``share`` the part of a session still ahead, ``minutes left/375 * (1 - g)``);
- the premium pays for ``iv_var = sigma^2 * D/365`` (``D`` calendar days to the close);
- trap: the realised variance of the ``m`` one-minute returns left, ``v_rem/m * chi2_m``,
  exceeds ``iv_var``: ``P = Q(m/2, m * iv_var / (2 v_rem))`` (regularised upper gamma);
- stress: ``|N(0, v_rem)| > sqrt(iv_var)``: ``P = 2 * Phi(-sqrt(iv_var / v_rem))``.

Gaussian returns of constant variance: the formulas ignore intraday volatility clustering and
fat tails (published with formula provenance, calibration not measured).
"""

from __future__ import annotations

import math

from aegis.errors import AnalyticsInputError


def intraday_event_probabilities(*, sigma: float, days: float, session_variance: float,
                                 share: float, minutes: float) -> tuple[float, float]:
    """``(P(trap), P(stress))`` for the rest of the expiry session (module docstring).

    Parameters
    ----------
    sigma : annualised implied volatility, fraction (> 0).  days : calendar days to the close.
    session_variance : one session's forecast variance, fraction^2 (> 0).
    share : sessions of variance left (0 < share <= 1).  minutes : trading minutes left (> 0).
    """
    for name, value in (("sigma", sigma), ("session_variance", session_variance),
                        ("share", share), ("minutes", minutes), ("days", days)):
        if not (math.isfinite(value) and value > 0):
            raise AnalyticsInputError(f"{name}: expected a finite value > 0; found {value!r}")
    from scipy.special import gammaincc  # the expiry session's path only

    v_rem = session_variance * share
    iv_var = sigma**2 * days / 365.0
    m = max(round(minutes), 1)
    trap = float(gammaincc(m / 2.0, m * iv_var / (2.0 * v_rem)))
    stress = float(math.erfc(math.sqrt(iv_var / v_rem) / math.sqrt(2.0)))
    return min(max(trap, 0.0), 1.0), min(max(stress, 0.0), 1.0)


__all__ = ["intraday_event_probabilities"]

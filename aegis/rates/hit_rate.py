"""Historical hit rate of the safe range, walk-forward over past weekly windows.

For each window, ``k`` is fitted (:func:`aegis.analytics.ranges.fit_safe_range_k`) only on
windows whose expiry came strictly before the window's start -- the data known at the start --
and the window is a hit when its expiry close lies inside ``[S - k*EM, S + k*EM]``. Only
windows whose expiry is on or before ``as_of`` count (their outcome is known).
"""

from __future__ import annotations

import bisect
from datetime import date

import numpy as np
import pandas as pd

from aegis.analytics.ranges import fit_safe_range_k, safe_range
from aegis.errors import AnalyticsInputError, InsufficientHistoryError
from aegis.rates.empirical import EmpiricalRate, RateWindow, wilson_interval

MIN_TRAIN_WINDOWS = 52
"""Default minimum number of ended windows before a window is evaluated (one year)."""


def walk_forward_safe_ranges(
    windows: pd.DataFrame,
    confidence: float,
    *,
    as_of: date | pd.Timestamp | str,
    min_train: int = MIN_TRAIN_WINDOWS,
) -> pd.DataFrame:
    """Per evaluated window: the walk-forward ``k``, the safe range and whether it held.

    Parameters
    ----------
    windows : DataFrame
        Output of :func:`aegis.rates.windows.weekly_windows` (any windows with ``start``,
        ``expiry``, ``spot``, ``vix``, ``days``, ``close_at_expiry``, ``z_abs`` will do, also
        overlapping ones).
    confidence : float
        Safe-range confidence in (0, 1).
    as_of : date-like
        Data time; windows expiring after it are ignored.
    min_train : int
        Windows that ended before a window's start needed to evaluate it (>= 1).

    Returns
    -------
    DataFrame
        The evaluated rows of ``windows`` (sorted by start) plus ``n_train``, ``k``, ``lower``,
        ``upper`` (points) and ``hit`` (bool).
    """
    if not 0.0 < confidence < 1.0:
        raise AnalyticsInputError(f"confidence: expected a value in (0, 1); found {confidence!r}")
    if min_train < 1:
        raise AnalyticsInputError(f"min_train: expected >= 1; found {min_train}")
    cutoff = pd.Timestamp(as_of).normalize()
    known = windows[pd.to_datetime(windows["expiry"]) <= cutoff].sort_values("start")
    known = known.reset_index(drop=True)
    by_end = known.sort_values("expiry")
    end_times = by_end["expiry"].to_numpy(dtype="datetime64[ns]")
    end_z = by_end["z_abs"].to_numpy(dtype=np.float64)
    start_times = known["start"].to_numpy(dtype="datetime64[ns]")
    n_train = np.searchsorted(end_times, start_times, side="left")  # expiry < start

    pool: list[float] = []  # z of ended windows, kept sorted
    k = np.full(len(known), np.nan)
    # type-1 quantile rank of m values, as in quantile_inverted_cdf: ceil(c*m) (1-based)
    rank = np.clip(np.ceil(confidence * n_train - 1e-12).astype(np.intp), 1, None)
    taken = 0
    for i, m in enumerate(n_train.tolist()):
        while taken < m:
            bisect.insort(pool, float(end_z[taken]))
            taken += 1
        if m >= min_train:
            k[i] = pool[rank[i] - 1]
    evaluated = known.assign(n_train=n_train, k=k)[~np.isnan(k)].reset_index(drop=True)
    if len(evaluated):
        lower, upper = safe_range(
            evaluated["spot"].to_numpy(), evaluated["vix"].to_numpy(),
            evaluated["days"].to_numpy(), evaluated["k"].to_numpy(),
        )
    else:
        lower = upper = np.empty(0)
    close = evaluated["close_at_expiry"].to_numpy()
    return evaluated.assign(
        lower=lower, upper=upper, hit=(close >= lower) & (close <= upper)
    )


def historical_hit_rate(
    windows: pd.DataFrame,
    confidence: float,
    *,
    as_of: date | pd.Timestamp | str,
    min_train: int = MIN_TRAIN_WINDOWS,
) -> EmpiricalRate:
    """Fraction of past weekly windows whose expiry close fell inside the walk-forward safe range.

    Arguments as in :func:`walk_forward_safe_ranges`. ``k_latest`` is ``k`` fitted on every
    window ended by ``as_of``: the multiplier for today's safe range.

    Raises
    ------
    InsufficientHistoryError
        When no window has ``min_train`` ended windows before it.
    """
    table = walk_forward_safe_ranges(windows, confidence, as_of=as_of, min_train=min_train)
    if table.empty:
        ended = int((pd.to_datetime(windows["expiry"]) <= pd.Timestamp(as_of)).sum())
        raise InsufficientHistoryError(
            f"historical hit rate as of {pd.Timestamp(as_of).date()}: expected more than "
            f"min_train={min_train} ended weekly windows; found {ended}"
        )
    cutoff = pd.Timestamp(as_of).normalize()
    ended_z = windows.loc[pd.to_datetime(windows["expiry"]) <= cutoff, "z_abs"].to_numpy()
    hits = int(table["hit"].sum())
    n = len(table)
    return EmpiricalRate(
        kind="hit",
        value=hits / n,
        n=n,
        successes=hits,
        ci95=wilson_interval(hits, n),
        window=RateWindow(
            from_=pd.Timestamp(table["start"].min()).date(),
            to=pd.Timestamp(table["expiry"].max()).date(),
        ),
        as_of=cutoff.date(),
        confidence=confidence,
        k_latest=fit_safe_range_k(ended_z, confidence),
    )


__all__ = ["MIN_TRAIN_WINDOWS", "historical_hit_rate", "walk_forward_safe_ranges"]

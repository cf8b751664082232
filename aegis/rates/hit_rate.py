"""Historical hit rate of the safe range as published, walk-forward over every session.

Every past session ``t`` published a range with ``k`` from :mod:`aegis.rates.range_fit` --
fitted only on windows whose expiry came strictly before ``t``, for ``t``'s horizon -- and the
range is a hit when the close of its expiry (the next weekly expiry strictly after ``t``) lies
inside ``[S - k*EM, S + k*EM]``. Only ranges whose expiry is on or before ``as_of`` count
(their outcome is known). The rate is given over all sessions and for one horizon beside it.

The ranges of one expiry week overlap (they all settle on that week's close), so they are not
independent trials: beside Wilson's interval the rate carries a block-bootstrap interval that
resamples whole expiry weeks (seeded), and a note saying which one is wider.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from aegis.analytics.ranges import safe_range
from aegis.errors import InsufficientHistoryError
from aegis.rates.empirical import (
    EmpiricalRate,
    RateWindow,
    block_bootstrap_interval,
    wilson_interval,
)
from aegis.rates.range_fit import MIN_HORIZON_WINDOWS, MIN_TRAIN_WINDOWS, walk_forward_fits

MATERIALLY_WIDER = 1.25
"""The bootstrap interval is called materially wider than Wilson's above this width ratio."""


def walk_forward_safe_ranges(
    windows: pd.DataFrame,
    confidence: float,
    *,
    as_of: date | pd.Timestamp | str,
    min_train: int = MIN_TRAIN_WINDOWS,
    min_horizon: int = MIN_HORIZON_WINDOWS,
) -> pd.DataFrame:
    """Per evaluated window: the published ``k``, the safe range and whether it held.

    Parameters
    ----------
    windows : DataFrame
        :func:`aegis.rates.windows.session_windows` (or its weekly subset).
    confidence : float
        Safe-range confidence in (0, 1).
    as_of : date-like
        Data time; windows expiring after it are ignored (also as training data).
    min_train, min_horizon : int
        As in :func:`aegis.rates.range_fit.walk_forward_fits`.

    Returns
    -------
    DataFrame
        The evaluated rows (sorted by start) with the columns of
        :func:`~aegis.rates.range_fit.walk_forward_fits` plus ``lower``, ``upper`` (points) and
        ``hit`` (bool).
    """
    cutoff = pd.Timestamp(as_of).normalize()
    known = windows[pd.to_datetime(windows["expiry"]) <= cutoff]
    table = walk_forward_fits(known, confidence, min_train=min_train, min_horizon=min_horizon)
    if len(table):
        lower, upper = safe_range(table["spot"].to_numpy(), table["vix"].to_numpy(),
                                  table["days"].to_numpy(), table["k"].to_numpy())
    else:
        lower = upper = np.empty(0)
    close = table["close_at_expiry"].to_numpy()
    return table.assign(lower=lower, upper=upper, hit=(close >= lower) & (close <= upper))


def rate_of(
    table: pd.DataFrame, confidence: float, as_of: pd.Timestamp, *, seed: int = 0,
    sessions_to_expiry: int | None = None,
) -> EmpiricalRate:
    """The hit rate of evaluated rows of :func:`walk_forward_safe_ranges` (``n >= 1``)."""
    hits = int(table["hit"].sum())
    n = len(table)
    wilson = wilson_interval(hits, n)
    boot = block_bootstrap_interval(table["hit"].to_numpy(), table["expiry"].to_numpy(),
                                    seed=seed)
    weeks = int(pd.Series(table["expiry"]).nunique())
    ratio = (boot[1] - boot[0]) / max(wilson[1] - wilson[0], 1e-12)
    verdict = ("materially wider than Wilson's: read it, not Wilson's"
               if ratio > MATERIALLY_WIDER else "not materially wider than Wilson's")
    if weeks < n:
        note = (f"{n} ranges settle on {weeks} expiry closes: ranges published in the same "
                f"expiry week overlap and share their outcome, so they are not independent. "
                f"Wilson's interval assumes they are; the block bootstrap (expiry weeks "
                f"resampled, seed {seed}) does not, and is {ratio:.2f}x as wide: {verdict}.")
    else:
        note = (f"one range per expiry week ({n}): no two share an outcome; the block "
                f"bootstrap (seed {seed}) is {ratio:.2f}x as wide as Wilson's: {verdict}.")
    return EmpiricalRate(
        kind="hit", value=hits / n, n=n, successes=hits, ci95=wilson,
        ci95_block_bootstrap=boot, interval_note=note,
        window=RateWindow(from_=pd.Timestamp(table["start"].min()).date(),
                          to=pd.Timestamp(table["expiry"].max()).date()),
        as_of=as_of.date(), confidence=confidence, sessions_to_expiry=sessions_to_expiry,
    )


def historical_hit_rate(
    windows: pd.DataFrame,
    confidence: float,
    *,
    as_of: date | pd.Timestamp | str,
    sessions_to_expiry: int | None = None,
    min_train: int = MIN_TRAIN_WINDOWS,
    min_horizon: int = MIN_HORIZON_WINDOWS,
    seed: int = 0,
) -> EmpiricalRate:
    """Fraction of past sessions' published ranges whose expiry close fell inside them.

    Arguments as in :func:`walk_forward_safe_ranges`; ``windows`` should be
    :func:`aegis.rates.windows.session_windows` (every session). With ``sessions_to_expiry``
    (today's horizon) the result carries ``horizon``: the same rate over the past ranges of
    that horizon only (absent when none has been evaluated yet). ``seed`` seeds the block
    bootstrap.

    Raises
    ------
    InsufficientHistoryError
        When no window has ``min_train`` ended windows before it.
    """
    overall, horizons = hit_rates_by_horizon(
        windows, confidence, as_of=as_of, min_train=min_train, min_horizon=min_horizon,
        seed=seed, horizons=None if sessions_to_expiry is None else [int(sessions_to_expiry)])
    return with_horizon(overall, horizons, sessions_to_expiry)


def with_horizon(overall: EmpiricalRate, horizons: dict[int, EmpiricalRate],
                 sessions_to_expiry: int | None) -> EmpiricalRate:
    """``overall`` carrying the rate of ``sessions_to_expiry`` as its ``horizon`` (unchanged
    when that horizon has no evaluated range or none is asked)."""
    if sessions_to_expiry is None or int(sessions_to_expiry) not in horizons:
        return overall
    return overall.model_copy(update={"horizon": horizons[int(sessions_to_expiry)]})


def hit_rates_by_horizon(
    windows: pd.DataFrame,
    confidence: float,
    *,
    as_of: date | pd.Timestamp | str,
    min_train: int = MIN_TRAIN_WINDOWS,
    min_horizon: int = MIN_HORIZON_WINDOWS,
    seed: int = 0,
    horizons: list[int] | None = None,
) -> tuple[EmpiricalRate, dict[int, EmpiricalRate]]:
    """The overall hit rate and the rate of each horizon, from one walk-forward table.

    ``horizons`` limits the per-horizon rates to those (default: every horizon with an
    evaluated range). What the nightly retrain writes to ``rates.json`` for the 30-minute
    snapshots to read (:func:`historical_hit_rate` gives one horizon of it).

    Raises
    ------
    InsufficientHistoryError
        When no window has ``min_train`` ended windows before it.
    """
    cutoff = pd.Timestamp(as_of).normalize()
    table = walk_forward_safe_ranges(windows, confidence, as_of=cutoff, min_train=min_train,
                                     min_horizon=min_horizon)
    if table.empty:
        ended = int((pd.to_datetime(windows["expiry"]) <= cutoff).sum())
        raise InsufficientHistoryError(
            f"historical hit rate as of {cutoff.date()}: expected more than "
            f"min_train={min_train} ended windows; found {ended}")
    overall = rate_of(table, confidence, cutoff, seed=seed)
    wanted = sorted({int(h) for h in table["sessions"]}) if horizons is None else horizons
    out: dict[int, EmpiricalRate] = {}
    for h in wanted:
        same = table[table["sessions"] == h]
        if len(same):
            out[h] = rate_of(same, confidence, cutoff, seed=seed, sessions_to_expiry=h)
    return overall, out


__all__ = ["MATERIALLY_WIDER", "historical_hit_rate", "hit_rates_by_horizon", "rate_of",
           "walk_forward_safe_ranges", "with_horizon"]

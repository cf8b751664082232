"""India VIX as known at each session: the one staleness rule every feature, label and rate uses.

DESIGN.md's ``sigma = V/100`` is the VIX *known at t*: the last India VIX close stamped on or
before session ``t`` (a print after ``t`` is never used for ``t``). When the VIX file lacks a
session (the real 2009-2022 history misses 2022-11-01 and 2022-11-02; NSE publishes VIX on
special sessions NIFTY's file may lack, e.g. 2020-02-01), the last close is carried forward --
but only for :data:`VIX_MAX_STALE_SESSIONS` sessions. Why a limit, and why 2:

- India VIX moves about 2.6 % a session (median absolute log change, 2009-2022); after two
  sessions a carried close is still a fair estimate of the implied volatility the market
  priced, and the real history's only gap (two sessions) is bridged, so the feature table
  stays complete after its warm-up (``tests/realdata``).
- Beyond that the number is no longer "the VIX at t" but a guess: a stale feed (the live source
  stopped updating) must not silently publish an old volatility, nor label or count an event
  against it. Past the limit the VIX is unknown (NaN): features of that row are NaN, labels and
  rates skip it, and inference refuses to publish without a VIX (law 1: no silent fallback).

The age of a close is counted in the given ``sessions``: a close on session ``s`` is ``k``
sessions old on the ``k``-th session after ``s``; a close stamped between two sessions (a
special session, an intraday print) is 1 session old on the next session.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd

VIX_MAX_STALE_SESSIONS: Final = 2
"""A VIX close is used for at most this many sessions after the one it was printed on."""


def vix_on_sessions(
    vix: pd.DataFrame, sessions: pd.DatetimeIndex, *, max_stale: int = VIX_MAX_STALE_SESSIONS
) -> pd.Series:
    """India VIX close (annualised percent) known at each session, stale at most ``max_stale``.

    Parameters
    ----------
    vix : DataFrame
        Canonical daily India VIX frame with a ``close`` column (percent), indexed by date or
        timestamp (sorted); NaN closes count as missing.
    sessions : DatetimeIndex
        Increasing session dates (tz-naive, midnight) to align on.
    max_stale : int
        Sessions a close may be carried forward (the module docstring says why 2).

    Returns
    -------
    Series, float64, indexed by ``sessions``, name ``vix``
        The last close stamped on or before each session if it is at most ``max_stale``
        sessions old; NaN otherwise (before the first close, or a longer gap).
    """
    idx = pd.DatetimeIndex(sessions)
    known = vix["close"].astype("float64").dropna()
    out = np.full(len(idx), np.nan)
    if len(known) and len(idx):
        stamps = pd.DatetimeIndex(known.index).to_numpy("datetime64[ns]")
        days = idx.to_numpy("datetime64[ns]")
        last = np.searchsorted(stamps, days, side="right") - 1  # last close on or before t
        has = last >= 0
        printed_on = np.searchsorted(days, stamps[np.clip(last, 0, None)], side="right")
        age = np.arange(1, len(idx) + 1) - printed_on  # sessions in (print, t]
        usable = has & (age <= max_stale)
        out[usable] = known.to_numpy()[last[usable]]
    return pd.Series(out, index=idx, name="vix", dtype="float64")


__all__ = ["VIX_MAX_STALE_SESSIONS", "vix_on_sessions"]

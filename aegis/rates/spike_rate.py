"""Historical spike rate of the buyer signal.

Spike (DESIGN.md): the next session's ``|ln(C_{t+1}/C_t)|`` exceeds ``sigma_t * sqrt(1/365)``
with ``sigma_t = VIX_t / 100``; defined once, in :func:`aegis.models.targets.next_session_spike`
(re-exported here), which the buyer model's labels also call. The spike rate is the fraction of
past BREAKOUT signals followed by a spike; beside it, the base rate is the unconditional spike
frequency over the same sessions.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from aegis.errors import AnalyticsInputError, InsufficientHistoryError
from aegis.models.targets import next_session_spike
from aegis.rates.empirical import EmpiricalRate, RateWindow, wilson_interval


def _as_boolean(series: pd.Series, name: str) -> pd.Series:
    try:
        return series.astype("boolean")
    except (TypeError, ValueError) as exc:
        raise AnalyticsInputError(
            f"{name}: expected booleans (True/False/NA) indexed by session; found dtype "
            f"{series.dtype}"
        ) from exc


def historical_spike_rate(
    signals: pd.Series, spikes: pd.Series, *, as_of: date | pd.Timestamp | str
) -> EmpiricalRate:
    """Fraction of past BREAKOUT signals followed by a spike, with the base rate beside it.

    Parameters
    ----------
    signals : Series of bool, indexed by session
        True where BREAKOUT was signalled at that session's close (walk-forward signals);
        NA where no signal was issued.
    spikes : Series of bool, indexed by session
        :func:`next_session_spike`; the outcome of session ``t`` is realised at ``t+1``.
    as_of : date-like
        Data time: session ``t`` counts only if its next session (in ``spikes``) is <= as_of.

    Raises
    ------
    InsufficientHistoryError
        When no BREAKOUT signal has a known outcome.
    """
    sig = _as_boolean(signals, "signals")
    out = _as_boolean(spikes, "spikes")
    cutoff = pd.Timestamp(as_of).normalize()
    outcome_day = pd.Series(out.index[1:].append(pd.DatetimeIndex([pd.NaT])), index=out.index)
    known = out.notna() & (outcome_day <= cutoff)
    out = out[known.to_numpy()]
    sig = sig.reindex(out.index)
    sig = sig[sig.notna()]
    out = out.reindex(sig.index)
    if out.empty:
        raise InsufficientHistoryError(
            f"historical spike rate as of {cutoff.date()}: expected sessions with both a signal"
            " and a known next-session outcome; found none"
        )
    fired = sig.to_numpy(dtype=bool)
    outcome = out.to_numpy(dtype=bool)
    n = int(fired.sum())
    if n == 0:
        raise InsufficientHistoryError(
            f"historical spike rate as of {cutoff.date()}: expected at least one BREAKOUT "
            f"signal among {len(fired)} sessions; found none"
        )
    successes = int(outcome[fired].sum())
    return EmpiricalRate(
        kind="spike",
        value=successes / n,
        n=n,
        successes=successes,
        ci95=wilson_interval(successes, n),
        window=RateWindow(from_=out.index.min().date(), to=out.index.max().date()),
        as_of=cutoff.date(),
        base_rate=float(outcome.mean()),
    )


__all__ = ["historical_spike_rate", "next_session_spike"]

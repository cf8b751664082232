"""Labels from the daily frames (forward-looking: training and evaluation only).

Every label frame is indexed by ``session`` and carries ``y`` (1.0/0.0, NaN where the future
is not yet known) and ``label_end`` (the session whose close settles the label). Walk-forward
training purges every row whose ``label_end`` is not strictly before the block being predicted.

The weekly expiry of session t is ``t + days_to_expiry`` calendar days (the feature table's
``days_to_expiry``, the next weekly expiry strictly after t); when that day is not in the data,
the last session on or before it settles the label (a holiday moves the expiry earlier).

``sigma_t = VIX_t / 100`` is the India VIX known at t by the one rule of
:func:`aegis.market.vix.vix_on_sessions` (the last close on or before t, carried at most 2
sessions), the rule the feature table and the published rates use, so that the event a model
learns is the event the published numbers count. The spike event itself is defined once, in
:func:`next_session_spike`: the buyer model's labels and the historical spike rate both call it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from aegis.analytics.ranges import implied_move, implied_variance
from aegis.market.vix import vix_on_sessions
from aegis.models.specs import BREACH_OFFSETS


@dataclass(frozen=True)
class _Aligned:
    sessions: pd.DatetimeIndex
    close: np.ndarray
    high: np.ndarray
    low: np.ndarray
    sigma: np.ndarray  # VIX/100 at each session (annualised fraction)
    days: np.ndarray  # calendar days to the next weekly expiry
    expiry_pos: np.ndarray  # position of the expiry session, -1 when unknown


def _align(nifty: pd.DataFrame, vix: pd.DataFrame, features: pd.DataFrame) -> _Aligned:
    sessions = pd.DatetimeIndex(nifty.index)
    close = nifty["close"].to_numpy(dtype="float64")
    sigma = vix_on_sessions(vix, sessions).to_numpy() / 100.0
    days = features["days_to_expiry"].reindex(sessions).to_numpy(dtype="float64")
    n = len(sessions)
    expiry_pos = np.full(n, -1, dtype=np.int64)
    ok = np.isfinite(days)
    if n:
        expiry_dates = sessions[ok] + pd.to_timedelta(days[ok], unit="D")
        pos = np.searchsorted(sessions.values, expiry_dates.values, side="right") - 1
        known = np.asarray(expiry_dates <= sessions[-1]) & (pos > np.flatnonzero(ok))
        expiry_pos[np.flatnonzero(ok)[known]] = pos[known]
    return _Aligned(
        sessions=sessions,
        close=close,
        high=nifty["high"].to_numpy(dtype="float64"),
        low=nifty["low"].to_numpy(dtype="float64"),
        sigma=sigma,
        days=days,
        expiry_pos=expiry_pos,
    )


def _frame(sessions: pd.DatetimeIndex, y: np.ndarray, end_pos: np.ndarray) -> pd.DataFrame:
    known = (end_pos >= 0) & np.isfinite(y)
    label_end = np.full(len(sessions), np.datetime64("NaT"), dtype="datetime64[ns]")
    label_end[known] = sessions.values[end_pos[known]]
    out = pd.DataFrame({"y": np.where(known, y, np.nan), "label_end": label_end},
                       index=sessions)
    out.index.name = "session"
    return out


def _next_session_pos(n: int) -> np.ndarray:
    pos = np.arange(1, n + 1, dtype=np.int64)
    pos[-1:] = -1
    return pos


def trap_labels(nifty: pd.DataFrame, vix: pd.DataFrame, features: pd.DataFrame) -> pd.DataFrame:
    """1 when the variance realised from t to the next expiry exceeds the variance paid for.

    Realised variance: the sum of the squared close-to-close log returns of the sessions after
    t up to and including the expiry session (a fraction^2, not annualised). Paid for: the
    implied variance over the calendar days to the expiry, ``sigma^2 * D/365`` with
    ``sigma = VIX_t/100`` (VIX is annualised over calendar days). The seller is underpaid when
    the first exceeds the second.
    """
    a = _align(nifty, vix, features)
    log_close = np.log(a.close)
    r2 = np.concatenate([[0.0], np.diff(log_close) ** 2])
    cum = np.cumsum(np.nan_to_num(r2))
    y = np.full(len(a.sessions), np.nan)
    idx = np.flatnonzero(a.expiry_pos >= 0)
    end = a.expiry_pos[idx]
    realised = cum[end] - cum[idx]
    implied = implied_variance(a.sigma[idx], a.days[idx])
    y[idx] = np.where(np.isfinite(implied), (realised > implied).astype("float64"), np.nan)
    return _frame(a.sessions, y, a.expiry_pos)


def expiry_stress_labels(
    nifty: pd.DataFrame, vix: pd.DataFrame, features: pd.DataFrame
) -> pd.DataFrame:
    """1 when ``|ln(S_expiry/S_t)| > sigma*sqrt(D/365)`` (D calendar days to the expiry)."""
    a = _align(nifty, vix, features)
    y = np.full(len(a.sessions), np.nan)
    idx = np.flatnonzero(a.expiry_pos >= 0)
    move = np.abs(np.log(a.close[a.expiry_pos[idx]] / a.close[idx]))
    band = implied_move(a.sigma[idx], a.days[idx])
    y[idx] = np.where(np.isfinite(band), (move > band).astype("float64"), np.nan)
    return _frame(a.sessions, y, a.expiry_pos)


def direction_labels(nifty: pd.DataFrame) -> pd.DataFrame:
    """1 when the next session's close is above today's; NaN on the last session."""
    close = nifty["close"].to_numpy(dtype="float64")
    n = len(close)
    y = np.full(n, np.nan)
    if n > 1:
        y[:-1] = (close[1:] > close[:-1]).astype("float64")
    return _frame(pd.DatetimeIndex(nifty.index), y, _next_session_pos(n))


def next_session_spike(nifty: pd.DataFrame, vix: pd.DataFrame) -> pd.Series:
    """The spike event (DESIGN.md): does session ``t+1`` move more than one VIX-implied day?

    ``|ln(C_{t+1}/C_t)| > sigma_t * sqrt(1/365)`` with ``sigma_t`` the VIX known at ``t``
    (:func:`aegis.market.vix.vix_on_sessions`) over 100: about 0.83 of a trading-day sigma,
    roughly the breakeven of a one-day ATM straddle. The one definition of the event: the buyer
    model learns :func:`spike_labels` and the historical spike rate counts this series.

    Parameters
    ----------
    nifty, vix : DataFrame
        Canonical daily frames (``close`` in points; VIX ``close`` in annualised percent),
        NIFTY indexed by session.

    Returns
    -------
    Series, dtype ``boolean`` (nullable), indexed by session, name ``spike``
        ``<NA>`` on the last session (outcome unknown) and where VIX at ``t`` is unknown.
    """
    close = nifty["close"].astype("float64")
    move = np.abs(np.log(close.shift(-1) / close))
    sigma = vix_on_sessions(vix, pd.DatetimeIndex(close.index)) / 100.0
    threshold = implied_move(sigma, 1.0)
    spike = pd.Series(move > threshold, dtype="boolean", name="spike")
    spike[move.isna() | threshold.isna()] = pd.NA
    return spike


def spike_labels(nifty: pd.DataFrame, vix: pd.DataFrame) -> pd.DataFrame:
    """:func:`next_session_spike` as a label frame (``y`` 1.0/0.0/NaN, settled at ``t+1``)."""
    sessions = pd.DatetimeIndex(nifty.index)
    spike = next_session_spike(nifty, vix)
    y = spike.astype("float64").to_numpy(na_value=np.nan)
    return _frame(sessions, y, _next_session_pos(len(sessions)))


def breach_labels(
    nifty: pd.DataFrame,
    vix: pd.DataFrame,
    features: pd.DataFrame,
    offsets: tuple[float, ...] = BREACH_OFFSETS,
) -> pd.DataFrame:
    """Touch and close-beyond outcomes for strikes at ``spot*(1+offset)``, one row per event.

    Returns a long frame with columns ``session, offset, strike, spot, sigma, days, event``
    (``"touch"`` or ``"close"``), ``y`` and ``label_end``; only sessions whose expiry is known.
    A strike above spot is touched when a later daily high up to the expiry reaches it and
    closed beyond when the expiry close is at or above it (mirror image below spot).
    """
    a = _align(nifty, vix, features)
    idx = np.flatnonzero((a.expiry_pos >= 0) & np.isfinite(a.sigma) & np.isfinite(a.days))
    end = a.expiry_pos[idx]
    span = end - idx
    max_high = np.full(len(idx), -np.inf)
    min_low = np.full(len(idx), np.inf)
    for j in range(1, int(span.max(initial=0)) + 1):
        inside = span >= j
        pos = np.minimum(idx + j, len(a.sessions) - 1)
        max_high = np.where(inside, np.fmax(max_high, a.high[pos]), max_high)
        min_low = np.where(inside, np.fmin(min_low, a.low[pos]), min_low)
    spot = a.close[idx]
    settle = a.close[end]
    frames = []
    for offset in offsets:
        strike = spot * (1.0 + offset)
        upper = offset > 0
        touched = max_high >= strike if upper else min_low <= strike
        beyond = settle >= strike if upper else settle <= strike
        for event, hit in (("touch", touched), ("close", beyond)):
            frames.append(pd.DataFrame({
                "session": a.sessions[idx],
                "offset": offset,
                "strike": strike,
                "spot": spot,
                "sigma": a.sigma[idx],
                "days": a.days[idx],
                "event": event,
                "y": hit.astype("float64"),
                "label_end": a.sessions[end],
            }))
    if not frames:
        raise ValueError("breach_labels needs at least one strike offset")
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values(["session", "event", "offset"], kind="stable").reset_index(drop=True)

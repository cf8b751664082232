"""The safe-range multiplier ``k``, fitted per horizon walk-forward: the one definition.

The snapshot, the nightly rates and the backtest all take ``k`` from here, so the range the
backtest scores is the range the snapshot publishes.

Rule, for a range published at the close of session ``t`` with ``h`` sessions to its expiry
(the next weekly expiry strictly after ``t``; on an expiry day, next week's):

1. The past windows are those of :func:`aegis.rates.windows.session_windows` whose expiry is
   strictly before ``t`` (their outcome was known at ``t``). None is fitted on dates.
2. If at least ``min_horizon`` of them have ``h`` sessions to expiry, ``k_session`` is the
   ``confidence`` quantile (inverted CDF, :func:`aegis.analytics.ranges.quantile_inverted_cdf`)
   of their session-time moves ``z_session``: scope ``"horizon"``.
3. Otherwise (early history; rare horizons such as 6-session holiday weeks) the quantile of all
   past windows, every horizon pooled: scope ``"pooled"``, and the reason is published.
4. The published multiplier of the calendar-day expected move is
   ``k = session_to_calendar_k(k_session, D, h)``, ``D`` the range's calendar days to expiry.

Session time makes a horizon comparable across weekdays: ``h = 2`` is Tuesday -> Thursday
(2 days) until 2025-08-28 and Friday -> Tuesday (4 days, a weekend) after; measured in
calendar days the second has a smaller standardised move and would get too wide a range.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
import pandas as pd

from aegis.analytics.ranges import session_to_calendar_k
from aegis.errors import AnalyticsInputError, InsufficientHistoryError

MIN_TRAIN_WINDOWS = 250
"""Past windows (all horizons, about one year of sessions) before any range is fitted."""

MIN_HORIZON_WINDOWS = 52
"""Past windows of one horizon (about one year of weeks) before it gets its own ``k``."""

Scope = Literal["horizon", "pooled"]
_NO_TIME = np.iinfo(np.int64).max


@dataclass(frozen=True)
class RangeFit:
    """``k`` for one horizon and the windows it was fitted on (the range's provenance)."""

    sessions_to_expiry: int
    confidence: float
    k_session: float
    scope: Scope
    n: int
    first_start: pd.Timestamp
    last_expiry: pd.Timestamp
    method: str
    horizon: float | None = None
    """Fractional sessions of variance left (:func:`fit_range_for_horizon`); None at a close."""

    def k(self, days: float) -> float:
        """Multiplier of the expected move on ``days`` calendar days (> 0) to the expiry."""
        return float(session_to_calendar_k(self.k_session, days, self.sessions_to_expiry))


@dataclass
class _Pool:
    z: list[float] = field(default_factory=list)  # kept sorted
    first_start: int = _NO_TIME  # ns since the epoch
    last_expiry: int = -_NO_TIME

    def add(self, z: float, start: int, expiry: int) -> None:
        bisect.insort(self.z, z)
        self.first_start = min(self.first_start, start)
        self.last_expiry = max(self.last_expiry, expiry)

    def quantile(self, confidence: float) -> float:
        m = int(np.ceil(confidence * len(self.z) - 1e-12))  # type-1 rank, 1-based
        return self.z[min(max(m, 1), len(self.z)) - 1]


class HorizonPools:
    """The session-time moves of ended windows, per horizon and pooled; fits :class:`RangeFit`.

    Feed windows with :meth:`add` in the order their outcomes become known; :meth:`fit` then
    applies the rule of this module to the windows added so far.
    """

    def __init__(self, confidence: float, min_horizon: int = MIN_HORIZON_WINDOWS) -> None:
        if not 0.0 < confidence < 1.0:
            raise AnalyticsInputError(
                f"confidence: expected a value in (0, 1); found {confidence!r}")
        if min_horizon < 1:
            raise AnalyticsInputError(f"min_horizon: expected >= 1; found {min_horizon}")
        self.confidence = confidence
        self.min_horizon = min_horizon
        self.pooled = _Pool()
        self.by_horizon: dict[int, _Pool] = {}

    def __len__(self) -> int:
        return len(self.pooled.z)

    def add(self, sessions: int, z_session: float, start: pd.Timestamp | int,
            expiry: pd.Timestamp | int) -> None:
        """Add one ended window (``sessions`` = its horizon, ``z_session`` its move)."""
        t0, t1 = _ns(start), _ns(expiry)
        self.pooled.add(z_session, t0, t1)
        self.by_horizon.setdefault(int(sessions), _Pool()).add(z_session, t0, t1)

    def _choose(self, sessions: int) -> tuple[_Pool, Scope, float]:
        """(pool used, scope, k_session): the rule of this module, shared by every caller."""
        h = int(sessions)
        if h < 1:
            raise AnalyticsInputError(f"sessions_to_expiry: expected >= 1; found {sessions}")
        if not self.pooled.z:
            raise InsufficientHistoryError("safe range: no ended window to fit k on")
        own = self.by_horizon.get(h)
        scope: Scope
        if own is not None and len(own.z) >= self.min_horizon:
            pool, scope = own, "horizon"
        else:
            pool, scope = self.pooled, "pooled"
        k_session = pool.quantile(self.confidence)
        if k_session <= 0.0:
            raise InsufficientHistoryError(f"safe range: the {self.confidence} quantile of "
                                           f"{len(pool.z)} moves is 0 (flat history)")
        return pool, scope, k_session

    def fit(self, sessions: int) -> RangeFit:
        """``k`` for a range with ``sessions`` sessions to its expiry, from the windows added."""
        pool, scope, k_session = self._choose(sessions)
        h, c = int(sessions), self.confidence
        if scope == "horizon":
            method = (f"{c:g} quantile of the session-time moves of the {len(pool.z)} past "
                      f"windows with {h} sessions to expiry")
        else:
            own = len(self.by_horizon.get(h, _Pool()).z)
            method = (f"pooled over all horizons: only {own} past windows with {h} "
                      f"sessions to expiry (< {self.min_horizon}); {c:g} quantile of the "
                      f"session-time moves of all {len(pool.z)} past windows")
        return RangeFit(sessions_to_expiry=h, confidence=c, k_session=k_session,
                        scope=scope, n=len(pool.z), first_start=pd.Timestamp(pool.first_start),
                        last_expiry=pd.Timestamp(pool.last_expiry), method=method)


def _ns(t: pd.Timestamp | int) -> int:
    return t if isinstance(t, int) else int(pd.Timestamp(t).value)


def _check(min_train: int) -> None:
    if min_train < 1:
        raise AnalyticsInputError(f"min_train: expected >= 1; found {min_train}")


def fit_range_for_session(
    windows: pd.DataFrame,
    confidence: float,
    *,
    session: pd.Timestamp | str,
    sessions_to_expiry: int,
    min_train: int = MIN_TRAIN_WINDOWS,
    min_horizon: int = MIN_HORIZON_WINDOWS,
) -> RangeFit:
    """The fit for a range published at the close of ``session`` (today's ``k``).

    Parameters
    ----------
    windows : DataFrame
        :func:`aegis.rates.windows.session_windows` (``start, expiry, sessions, z_session``).
    confidence : float
        Target coverage in (0, 1).
    session : date-like
        The session the range is published on; windows expiring on or after it are ignored.
    sessions_to_expiry : int
        Its horizon ``h`` (the feature table's ``sessions_to_expiry``), >= 1.

    Raises
    ------
    InsufficientHistoryError
        Fewer than ``min_train`` windows ended before ``session``.
    """
    return _pools_before(windows, confidence, session, min_train, min_horizon).fit(
        sessions_to_expiry)


def _pools_before(windows: pd.DataFrame, confidence: float, session: pd.Timestamp | str,
                  min_train: int, min_horizon: int) -> HorizonPools:
    """The windows ended before ``session``, pooled (raises with fewer than ``min_train``)."""
    _check(min_train)
    t = pd.Timestamp(session).normalize()
    past = windows[pd.to_datetime(windows["expiry"]) < t]
    if len(past) < min_train:
        raise InsufficientHistoryError(
            f"safe range for {t.date()}: expected >= min_train={min_train} windows ended "
            f"before it; found {len(past)}")
    pools = HorizonPools(confidence, min_horizon)
    past = past.sort_values("expiry")
    for args in zip(past["sessions"].tolist(), past["z_session"].tolist(),
                    past["start"].to_numpy("datetime64[ns]").view(np.int64).tolist(),
                    past["expiry"].to_numpy("datetime64[ns]").view(np.int64).tolist(),
                    strict=True):
        pools.add(*args)
    return pools


def fit_range_for_horizon(
    windows: pd.DataFrame,
    confidence: float,
    *,
    session: pd.Timestamp | str,
    horizon: float,
    min_train: int = MIN_TRAIN_WINDOWS,
    min_horizon: int = MIN_HORIZON_WINDOWS,
) -> RangeFit:
    """``k`` for a fractional horizon (sessions of variance left, ``tau * 252``) within a session.

    The windows are of closes (whole sessions). For a whole ``horizon`` this is
    :func:`fit_range_for_session`; between two whole horizons ``k_session`` is interpolated
    linearly in ``horizon`` between their fits; below one session (the expiry day's session in
    progress) no close-to-close window is that short, so the one-session fit is carried to the
    fraction left (the standardised move of the last session's remainder is taken to be
    distributed as the whole last session's). ``method`` says which, and ``RangeFit.horizon``
    holds ``horizon``; the published multiplier of ``S * sigma * sqrt(tau)`` is ``k_session``.
    """
    if not np.isfinite(horizon) or horizon <= 0:
        raise AnalyticsInputError(f"horizon: expected sessions left > 0; found {horizon!r}")
    pools = _pools_before(windows, confidence, session, min_train, min_horizon)
    return interpolate_fits(pools.fit, confidence, horizon)


def whole_horizon_fits(
    windows: pd.DataFrame,
    confidence: float,
    *,
    session: pd.Timestamp | str,
    horizons: list[int],
    min_train: int = MIN_TRAIN_WINDOWS,
    min_horizon: int = MIN_HORIZON_WINDOWS,
) -> dict[int, RangeFit]:
    """:func:`fit_range_for_session` for each of ``horizons`` (the windows pooled once): what
    the nightly retrain writes for the next day's snapshots to interpolate between."""
    pools = _pools_before(windows, confidence, session, min_train, min_horizon)
    return {int(h): pools.fit(int(h)) for h in horizons}


def bracketing_horizons(horizon: float) -> tuple[int, int]:
    """The whole horizons (>= 1) whose fits :func:`interpolate_fits` uses for ``horizon``."""
    return max(int(np.floor(horizon + 1e-9)), 1), max(int(np.ceil(horizon - 1e-9)), 1)


def interpolate_fits(fit_of: Callable[[int], RangeFit], confidence: float, horizon: float
                     ) -> RangeFit:
    """The fit for a fractional ``horizon`` from the whole-horizon fits ``fit_of(h)`` (the rule
    of :func:`fit_range_for_horizon`, whatever computed the whole-horizon fits)."""
    lo, hi = bracketing_horizons(horizon)
    fit_lo = fit_of(lo)
    if horizon < 1:
        method = (f"{horizon:.3f} sessions of variance left (< 1): no close-to-close window is "
                  "that short; the 1-session fit is carried to the fraction left "
                  f"({fit_lo.method})")
        return replace(fit_lo, horizon=horizon, method=method)
    if lo == hi:
        return replace(fit_lo, horizon=horizon)
    fit_hi = fit_of(hi)
    w = horizon - lo
    k_session = (1 - w) * fit_lo.k_session + w * fit_hi.k_session
    scope: Scope = "horizon" if fit_lo.scope == fit_hi.scope == "horizon" else "pooled"
    method = (f"interpolated at {horizon:.3f} sessions of variance left between the {lo}-session "
              f"fit (k {fit_lo.k_session:.4f}: {fit_lo.method}) and the {hi}-session fit "
              f"(k {fit_hi.k_session:.4f}: {fit_hi.method})")
    return RangeFit(sessions_to_expiry=hi, confidence=confidence, k_session=float(k_session),
                    scope=scope, n=max(fit_lo.n, fit_hi.n),
                    first_start=min(fit_lo.first_start, fit_hi.first_start),
                    last_expiry=max(fit_lo.last_expiry, fit_hi.last_expiry), method=method,
                    horizon=horizon)


def walk_forward_fits(
    windows: pd.DataFrame,
    confidence: float,
    *,
    min_train: int = MIN_TRAIN_WINDOWS,
    min_horizon: int = MIN_HORIZON_WINDOWS,
) -> pd.DataFrame:
    """:func:`fit_range_for_session` for the start of every window, in one pass.

    Returns
    -------
    DataFrame
        The rows of ``windows`` (sorted by start) with at least ``min_train`` windows ended
        before their start, plus ``n_train`` (those windows), ``k_session``, ``k`` (on the
        row's ``days``), ``fit_scope``, ``fit_n``, ``fit_from``, ``fit_to``.
    """
    _check(min_train)
    rows = windows.sort_values("start").reset_index(drop=True)
    by_end = windows.sort_values("expiry")
    end_times = by_end["expiry"].to_numpy(dtype="datetime64[ns]")
    ended = list(zip(by_end["sessions"].tolist(), by_end["z_session"].tolist(),
                     by_end["start"].to_numpy("datetime64[ns]").view(np.int64).tolist(),
                     end_times.view(np.int64).tolist(), strict=True))
    n_train = np.searchsorted(end_times, rows["start"].to_numpy("datetime64[ns]"), side="left")
    pools = HorizonPools(confidence, min_horizon)
    keep: list[int] = []
    fits: list[tuple[float, str, int, int, int]] = []
    taken = 0
    for i, (m, h) in enumerate(zip(n_train.tolist(), rows["sessions"].tolist(), strict=True)):
        while taken < m:
            pools.add(*ended[taken])
            taken += 1
        if m >= min_train:
            pool, scope, k_session = pools._choose(h)
            keep.append(i)
            fits.append((k_session, scope, len(pool.z), pool.first_start, pool.last_expiry))
    out = rows.iloc[keep].assign(n_train=n_train[keep]).reset_index(drop=True)
    k_s = np.array([f[0] for f in fits], dtype=np.float64)
    return out.assign(
        k_session=k_s,
        k=(np.asarray(session_to_calendar_k(k_s, out["days"], out["sessions"]))
           if len(out) else np.empty(0)),
        fit_scope=[f[1] for f in fits],
        fit_n=np.array([f[2] for f in fits], dtype=np.int64),
        fit_from=pd.to_datetime(np.array([f[3] for f in fits], dtype=np.int64)),
        fit_to=pd.to_datetime(np.array([f[4] for f in fits], dtype=np.int64)),
    )


__all__ = [
    "MIN_HORIZON_WINDOWS",
    "MIN_TRAIN_WINDOWS",
    "HorizonPools",
    "RangeFit",
    "bracketing_horizons",
    "fit_range_for_horizon",
    "fit_range_for_session",
    "interpolate_fits",
    "walk_forward_fits",
    "whole_horizon_fits",
]

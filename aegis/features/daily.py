"""The daily feature table: one row per NIFTY session, the columns of ``DAILY_FEATURES``.

Every value at session ``t`` is computed at ``t``'s close from NIFTY bars up to ``t`` and the
India VIX closes on or before ``t``. The one piece of "future" knowledge is the exchange
calendar (which days are sessions, hence when the weekly expiry falls), which NSE publishes a
year ahead; it moves only ``days_to_expiry``, ``sessions_to_expiry`` and ``expected_move_pct``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from aegis.analytics.ranges import implied_move
from aegis.errors import CalendarError
from aegis.features._inputs import require_columns, require_positive, require_session_index
from aegis.features.columns import FEATURE_NAMES
from aegis.features.forecast import (
    har_daily_variance,
    parkinson_daily_variance,
    structural_logits,
)
from aegis.features.percentiles import iv_rank, rolling_percentile
from aegis.features.technicals import atr, bollinger_pctb, macd, rsi
from aegis.features.volatility import (
    close_to_close_vol,
    garman_klass_vol,
    parkinson_vol,
    rogers_satchell_vol,
    yang_zhang_vol,
)
from aegis.market.vix import vix_on_sessions

NextExpiry = Callable[..., pd.Timestamp]
"""``next_weekly_expiry(day, sessions=...) -> Timestamp``, strictly after ``day``."""

RV_WINDOW = 20
PERCENTILE_WINDOW = 252
#: Calendar days of the exchange calendar appended after the last known session, so that the
#: last sessions still have a next weekly expiry to count towards.
CALENDAR_TAIL_DAYS = 31
_LOOK_BACK = np.timedelta64(21, "D")
_LOOK_AHEAD = np.timedelta64(42, "D")


def build_daily_features(
    nifty: pd.DataFrame,
    vix: pd.DataFrame,
    *,
    sessions: pd.DatetimeIndex | None = None,
) -> pd.DataFrame:
    """Build the daily feature table on the NIFTY sessions.

    Parameters
    ----------
    nifty : DataFrame
        Canonical daily NIFTY frame (``open, high, low, close`` in points), indexed by
        ``session``. Prices must be positive; NaN (unknown) propagates to the affected rows.
    vix : DataFrame
        Canonical daily India VIX frame (``close`` in annualised percent). Aligned by
        :func:`aegis.market.vix.vix_on_sessions`: each NIFTY session takes the last VIX close
        on or before it, carried at most 2 sessions; NaN before the first close or past that.
    sessions : DatetimeIndex, optional
        The trading calendar used for the weekly expiry and ``sessions_to_expiry``. Default: the
        NIFTY sessions themselves. In both cases the NIFTY sessions are included and the
        calendar is extended past its last day by the exchange calendar's sessions.

    Returns
    -------
    DataFrame, shape (len(nifty), len(DAILY_FEATURES))
        Exactly the columns of :data:`aegis.features.columns.DAILY_FEATURES` in order, float64,
        indexed by ``session``; warm-up rows are NaN.

    Raises
    ------
    FeatureInputError
        A frame lacks a column, is not indexed by unique increasing session dates, or holds a
        non-positive price.
    """
    require_columns(nifty, ["open", "high", "low", "close"], "NIFTY daily frame")
    require_session_index(nifty, "NIFTY daily frame")
    require_positive(nifty, ["open", "high", "low", "close"], "NIFTY daily frame")
    require_columns(vix, ["close"], "India VIX daily frame")
    require_session_index(vix, "India VIX daily frame")
    require_positive(vix, ["close"], "India VIX daily frame")

    bars = nifty[["open", "high", "low", "close"]].astype("float64")
    close = bars["close"]
    out: dict[str, pd.Series] = {"close": close}
    out["log_return"] = np.log(close / close.shift(1))
    for lag in (5, 20, 60):
        out[f"mom_{lag}"] = np.log(close / close.shift(lag))

    rv_cc = close_to_close_vol(close, RV_WINDOW)
    out["rv_cc_20"] = rv_cc
    out["rv_parkinson_20"] = parkinson_vol(bars, RV_WINDOW)
    out["rv_gk_20"] = garman_klass_vol(bars, RV_WINDOW)
    out["rv_rs_20"] = rogers_satchell_vol(bars, RV_WINDOW)
    out["rv_yz_20"] = yang_zhang_vol(bars, RV_WINDOW)

    vix_close = vix_on_sessions(vix, pd.DatetimeIndex(bars.index))
    out["vix"] = vix_close
    out["vix_change"] = np.log(vix_close / vix_close.shift(1))
    out["iv_percentile_252"] = rolling_percentile(vix_close, PERCENTILE_WINDOW)
    out["iv_rank_252"] = iv_rank(vix_close, PERCENTILE_WINDOW)
    out["rv_percentile_252"] = rolling_percentile(rv_cc, PERCENTILE_WINDOW)
    out["iv_rv_spread"] = vix_close / 100.0 - rv_cc

    out["rsi_14"] = rsi(close, 14)
    out["atr_14_pct"] = atr(bars, 14) / close
    out["bb_pctb_20"] = bollinger_pctb(close, 20, 2.0)
    out["macd_hist_pct"] = macd(close, 12, 26, 9)["hist"] / close

    expiry = expiry_table(bars.index, sessions)
    out["days_to_expiry"] = expiry["days_to_expiry"]
    out["sessions_to_expiry"] = expiry["sessions_to_expiry"]
    out["expected_move_pct"] = implied_move(vix_close / 100.0, expiry["days_to_expiry"])

    sigma = vix_close / 100.0
    out["vix_change_5"] = np.log(vix_close / vix_close.shift(5))
    out["mom_5_em"] = out["mom_5"] / (sigma * np.sqrt(5 / 252.0))
    out["mom_20_em"] = out["mom_20"] / (sigma * np.sqrt(20 / 252.0))
    har_pk = har_daily_variance(parkinson_daily_variance(bars))
    out["rv_har_parkinson"] = np.sqrt(252.0 * har_pk)
    out["rv_har_cc"] = np.sqrt(252.0 * har_daily_variance(out["log_return"] ** 2))
    out["iv_minus_har"] = sigma - out["rv_har_parkinson"]
    out["weekend_days"] = expiry["days_to_expiry"] - expiry["sessions_to_expiry"]
    out["log_sessions_to_expiry"] = np.log(expiry["sessions_to_expiry"].where(
        expiry["sessions_to_expiry"] >= 1))
    structural = structural_logits(vix_close, expiry["days_to_expiry"],
                                   expiry["sessions_to_expiry"], har_pk)
    out["trap_structural_logit"] = structural["trap_structural_logit"]
    out["stress_structural_logit"] = structural["stress_structural_logit"]

    table = pd.DataFrame(
        {name: out[name].to_numpy(dtype="float64") for name in FEATURE_NAMES},
        index=pd.DatetimeIndex(bars.index, name="session"),
    )
    return table


def trading_calendar(
    days: pd.DatetimeIndex, sessions: pd.DatetimeIndex | None = None
) -> pd.DatetimeIndex:
    """The calendar for expiry arithmetic: ``sessions`` (or ``days``) + ``days`` + the exchange
    calendar's sessions of the :data:`CALENDAR_TAIL_DAYS` after them.

    The tail is NSE's calendar (holidays included; past its known span a weekday assumption
    that :func:`aegis.market.calendar.expiry_determination` reports), never a weekday guess:
    data ending 2023-03-24 must count to the 2023-03-29 expiry (03-30 was a holiday).
    """
    from aegis.market.calendar import sessions as exchange_sessions

    base = days if sessions is None else pd.DatetimeIndex(sessions).normalize().union(days)
    if len(base) == 0:
        return pd.DatetimeIndex([], name="session")
    tail = exchange_sessions(
        base[-1] + pd.Timedelta(days=1), base[-1] + pd.Timedelta(days=CALENDAR_TAIL_DAYS)
    )
    return base.union(tail).rename("session")


def expiry_table(
    days: pd.DatetimeIndex,
    sessions: pd.DatetimeIndex | None = None,
    *,
    next_expiry: NextExpiry | None = None,
) -> pd.DataFrame:
    """Next weekly expiry strictly after each day, with calendar days and sessions to it.

    Calls :func:`aegis.market.calendar.next_weekly_expiry` once per expiry week: every day in
    ``[d, next_weekly_expiry(d))`` shares that expiry, so the loop jumps from expiry to expiry.
    ``sessions_to_expiry`` counts calendar sessions ``s`` with ``day < s <= expiry``.
    ``next_expiry`` replaces the calendar function (same signature), e.g. in tests.
    """
    calendar = trading_calendar(days, sessions)
    cal = calendar.to_numpy(dtype="datetime64[ns]")
    values = days.to_numpy(dtype="datetime64[ns]")
    expiries = np.empty(values.shape, dtype="datetime64[ns]")
    if next_expiry is None:
        from aegis.market.calendar import next_weekly_expiries

        expiries = next_weekly_expiries(days, sessions=calendar).to_numpy("datetime64[ns]")
    i = len(values) if next_expiry is None else 0
    while i < len(values) and next_expiry is not None:
        day = pd.Timestamp(values[i])
        # The calendar function reads the sessions it is given in full on every call; hand it
        # only the stretch an expiry search can reach (a back-step over holidays, 4 weeks on).
        lo, hi = np.searchsorted(cal, [values[i] - _LOOK_BACK, values[i] + _LOOK_AHEAD])
        expiry = pd.Timestamp(next_expiry(day, sessions=calendar[lo:hi])).normalize()
        if expiry <= day:
            raise CalendarError(
                f"next_weekly_expiry({day.date()}): expected a date after it; got {expiry.date()}"
            )
        j = int(np.searchsorted(values, expiry.to_datetime64(), side="left"))
        expiries[i:j] = expiry.to_datetime64()
        i = j
    counted = np.searchsorted(cal, expiries, side="right") - np.searchsorted(cal, values, "right")
    days_to = (expiries - values) / np.timedelta64(1, "D")
    return pd.DataFrame(
        {
            "expiry": expiries,
            "days_to_expiry": days_to.astype("float64"),
            "sessions_to_expiry": counted.astype("float64"),
        },
        index=days,
    )

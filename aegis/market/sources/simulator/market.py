"""The seeded market simulator: NIFTY daily and 1-minute bars, India VIX, weekly option chains.

One call, :func:`simulate`, returns every series in the canonical frames of
:mod:`aegis.market.frames`. A seed is one fixed market history from :data:`ORIGIN` (1980) on:
any request -- any ``years``, ``end``, number of intraday or chain sessions -- returns a window
of it, so two requests agree on every day, minute and snapshot they share (:mod:`.streams`
explains how). Re-running with a later ``end`` and upserting into the store inserts the new
days and leaves the old ones unchanged.

The engine (:mod:`.daily`) is a GJR-GARCH with skewed Student-t shocks, a slow long-run
volatility factor and rare crisis episodes; India VIX is its 30-day variance forecast times a
mean-reverting risk premium. NIFTY and India VIX minutes (:mod:`.intraday`) are bridges between
the daily open and close that reproduce the daily bar exactly; chains (:mod:`.chain`) are
Black-Scholes on a skewed smile around VIX with a round-strike OI profile.

The moment (``now``) cuts the market without changing it: a session whose 15:30 IST close is
after ``now`` has no daily bar yet, only the minute bars finished by then and a chain snapshot
taken at ``now``; the values of everything returned are the same whatever ``now`` is, so the
30-minute runs of a session add bars and never revise them.

Sessions and weekly expiries are the NSE calendar's (:mod:`aegis.market.calendar`): holidays
where the calendar knows them, weekdays outside its span.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import Final

import numpy as np
import pandas as pd

from aegis.errors import SimulatorInputError
from aegis.market import calendar as nse
from aegis.market.frames import INDIAVIX, IST, NIFTY, OHLC
from aegis.market.sources.simulator.chain import close_moments, option_chain
from aegis.market.sources.simulator.daily import (
    DailyParams,
    DailyPaths,
    daily_extremes,
    simulate_daily,
)
from aegis.market.sources.simulator.intraday import (
    BARS_PER_SESSION,
    FIRST_BAR,
    intraday_frame,
    minute_log_bars,
    minute_volumes,
    pin_to_daily,
)
from aegis.market.sources.simulator.streams import (
    INTRADAY_KEY,
    VIX_INTRADAY_KEY,
    Streams,
    day_generator,
)

#: The simulated history of every seed starts here; a request reaching further back is refused.
ORIGIN: Final = pd.Timestamp("1980-01-01")
#: Price and volume are anchored on the last session on or before this day: NIFTY closes at
#: ANCHOR_LEVEL * exp(N(0, ANCHOR_LEVEL_SD)) there and volume grows VOLUME_GROWTH a year through it.
ANCHOR: Final = pd.Timestamp("2026-01-01")
ANCHOR_LEVEL: Final = 25_000.0
ANCHOR_LEVEL_SD: Final = 0.08
ANCHOR_VOLUME: Final = 2.5e8
VOLUME_GROWTH: Final = 0.10
MAX_YEARS: Final = 60.0

SERIES_NAMES: Final = ("nifty_daily", "vix_daily", "nifty_intraday", "vix_intraday",
                       "option_chain")


@dataclass(frozen=True)
class SimulatedMarket:
    """Every simulated series, in canonical frames, as known at the simulation's moment.

    Attributes
    ----------
    nifty : DataFrame
        Daily NIFTY 50 OHLCV of the closed sessions, indexed by ``session``;
        ``attrs["symbol"] == "NIFTY50"``.
    vix : DataFrame
        Daily India VIX OHLC (annualised percent), volume NaN; ``attrs["symbol"] == "INDIAVIX"``.
    nifty_intraday, vix_intraday : DataFrame
        1-minute NIFTY and India VIX bars (bar start 09:15..15:29 Asia/Kolkata) of the last
        sessions; for a session in progress at the moment, only the bars finished by then.
    option_chain : DataFrame
        Long chain snapshots at the close of the last sessions (next weekly expiry), and one
        at the moment (floored to the minute) for a session in progress (the expiry on or
        after that day).
    seed : int
        The seed that produced them.
    moment : Timestamp or None
        The moment the market was cut at (tz-aware IST), or None for a history of closed
        sessions through ``end``.
    """

    nifty: pd.DataFrame
    vix: pd.DataFrame
    nifty_intraday: pd.DataFrame
    vix_intraday: pd.DataFrame
    option_chain: pd.DataFrame
    seed: int = field(default=0)
    moment: pd.Timestamp | None = None

    def series(self) -> dict[str, pd.DataFrame]:
        """The frames under their store series names (``nifty_daily``, ``vix_daily``, ...)."""
        frames = (self.nifty, self.vix, self.nifty_intraday, self.vix_intraday,
                  self.option_chain)
        return dict(zip(SERIES_NAMES, frames, strict=True))


def default_end(today: date | None = None) -> pd.Timestamp:
    """The last weekday on or before ``today`` (default: the machine's date)."""
    day = pd.Timestamp(today or date.today()).normalize()
    while day.weekday() >= 5:
        day -= pd.Timedelta(days=1)
    return day


def _check_inputs(seed: int, years: float, intraday_sessions: int, chain_sessions: int) -> None:
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise SimulatorInputError(f"seed: expected an integer >= 0; found {seed!r}")
    if not np.isfinite(years) or not 0 < years <= MAX_YEARS:
        raise SimulatorInputError(f"years: expected 0 < years <= {MAX_YEARS:g}; found {years!r}")
    counts = {"intraday_sessions": intraday_sessions, "chain_sessions": chain_sessions}
    for name, value in counts.items():
        if value < 0:
            raise SimulatorInputError(f"{name}: expected an integer >= 0; found {value!r}")


def _moment(now: datetime | pd.Timestamp) -> pd.Timestamp:
    """``now`` in IST; a naive moment is read as IST (the market's wall clock)."""
    ts = pd.Timestamp(now)
    return ts.tz_localize(IST) if ts.tzinfo is None else ts.tz_convert(IST)


def minutes_done(moment: pd.Timestamp, session: pd.Timestamp) -> int:
    """Whole 1-minute bars of ``session`` finished at ``moment`` (0 .. 375).

    A bar labelled 09:59 covers 09:59-10:00: at 10:00 it is finished, at 09:59:30 it is not.
    """
    start = (pd.Timestamp(session).normalize() + FIRST_BAR).tz_localize(IST)
    done = (moment - start) // pd.Timedelta(minutes=1)
    return int(min(max(done, 0), BARS_PER_SESSION))


def simulate(
    seed: int,
    years: float,
    *,
    end: date | pd.Timestamp | None = None,
    now: datetime | pd.Timestamp | None = None,
    intraday_sessions: int = 20,
    chain_sessions: int = 10,
    params: DailyParams | None = None,
) -> SimulatedMarket:
    """Simulate ``years`` of NIFTY-like market data ending at ``end``, as known at ``now``.

    Parameters
    ----------
    seed
        Seed (>= 0); the same seed and arguments give identical frames.
    years
        Span in calendar years (0 < years <= 60) counted back from the last day; the span may
        not start before :data:`ORIGIN`.
    end
        Last calendar day (inclusive); default the IST date of ``now`` (without ``now``: the
        last weekday on or before the machine's date).
    now
        The moment (aware; naive is read as IST). Nothing after it exists: a session whose
        15:30 IST close is after ``now`` has no daily bar, only the 1-minute bars finished by
        then (09:15 .. the minute before ``now``) and a chain snapshot at ``now`` floored to
        the minute. Without ``now`` every session through ``end`` is closed (a history).
        The bars do not depend on ``now``: a 10:00 and an 11:00 run agree on every bar before
        10:00.
    intraday_sessions
        How many of the last sessions (a session in progress counts) get 1-minute bars.
    chain_sessions
        How many of the last sessions (a session in progress counts) get a chain snapshot.
    params
        Engine parameters (default :class:`~.daily.DailyParams`).

    Raises
    ------
    SimulatorInputError
        On a negative seed or session count, ``years`` outside (0, 60], a span starting before
        :data:`ORIGIN` or with fewer than two closed sessions.
    """
    _check_inputs(seed, years, intraday_sessions, chain_sessions)
    moment = None if now is None else _moment(now)
    today = None if moment is None else moment.tz_localize(None).normalize()
    if end is not None:
        last_day = pd.Timestamp(end).normalize()
        last_day = last_day if today is None else min(last_day, today)
    else:
        last_day = default_end() if today is None else today
    first_day = last_day - pd.Timedelta(days=round(years * 365.25))
    if first_day < ORIGIN:
        raise SimulatorInputError(
            f"years: the simulated history starts {ORIGIN.date()}; {years:g} years before "
            f"{last_day.date()} is {first_day.date()}"
        )
    every = _sessions_through(max(last_day, ANCHOR))
    lo, hi = every.searchsorted(first_day), every.searchsorted(last_day, side="right")
    live = 0  # finished bars of a session still in progress at the moment
    if moment is not None and hi > lo and every[hi - 1] == today:
        live = minutes_done(moment, today)
        if live < BARS_PER_SESSION:
            hi -= 1  # today has not closed: no daily bar
    if hi - lo < 2:
        raise SimulatorInputError(
            f"years: expected a span with at least two sessions (closed ones); {first_day.date()}.."
            f"{last_day.date()} has {hi - lo}"
        )
    history = _full_history(int(seed), every, params or DailyParams())
    window = slice(lo, hi)
    sessions = every[window]
    nifty = _nifty_daily(sessions, history, window)
    vix = _vix_daily(sessions, history.paths, window)
    # the sessions with data: the closed ones and the one in progress (bars finished by now)
    top = hi + (1 if 0 < live < BARS_PER_SESSION else 0)

    k = min(int(intraday_sessions), top - lo)
    minutes = _intraday(int(seed), history, slice(top - k, top), every[top - k : top])
    if k:
        nifty = _align_daily_with_minutes(nifty, minutes[0])
        vix = _align_daily_with_minutes(vix, minutes[1])
    if top > hi:
        minutes = (_cut(minutes[0], moment), _cut(minutes[1], moment))

    c = min(int(chain_sessions), top - lo)
    chain = (_chain(int(seed), history, every, slice(top - c, top), moment if top > hi else None)
             if c else _chain_empty())
    return SimulatedMarket(nifty, vix, minutes[0], minutes[1], chain, seed=int(seed),
                           moment=moment)


def _cut(frame: pd.DataFrame, moment: pd.Timestamp | None) -> pd.DataFrame:
    """The bars finished at ``moment`` (bar start + 1 minute <= moment)."""
    if moment is None:
        return frame
    out = frame[frame.index + pd.Timedelta(minutes=1) <= moment]
    out.attrs = dict(frame.attrs)
    return out


@lru_cache(maxsize=4)
def _sessions_through(last: pd.Timestamp) -> pd.DatetimeIndex:
    """NSE sessions from :data:`ORIGIN` to ``last`` (cached: the calendar is slow to build)."""
    return nse.sessions(ORIGIN, last)


@dataclass(frozen=True)
class _History:
    """A seed's daily history from :data:`ORIGIN`: log paths, extremes, level shift, volume."""

    paths: DailyPaths
    log_high: np.ndarray
    log_low: np.ndarray
    shift: float
    volume: np.ndarray
    vix_session_var: float

    def price(self, log_price: np.ndarray) -> np.ndarray:
        """Index points rounded to 0.01."""
        return np.round(np.exp(log_price + self.shift), 2)


def _full_history(seed: int, every: pd.DatetimeIndex, params: DailyParams) -> _History:
    streams = Streams(seed)
    paths = simulate_daily(streams, len(every), params)
    log_high, log_low = daily_extremes(streams, paths)
    anchor = max(int(every.searchsorted(ANCHOR, side="right")) - 1, 0)
    level = np.log(ANCHOR_LEVEL) + ANCHOR_LEVEL_SD * streams("level").standard_normal()
    years_after = (every - ANCHOR).days.to_numpy() / 365.25
    volume = np.round(
        np.exp(paths.volume_log + np.log(ANCHOR_VOLUME) + VOLUME_GROWTH * years_after)
    )
    return _History(paths, log_high, log_low, float(level - paths.log_close[anchor]), volume,
                    params.vix_intraday_vol**2)


def _nifty_daily(sessions: pd.DatetimeIndex, history: _History, window: slice) -> pd.DataFrame:
    paths = history.paths
    frame = pd.DataFrame(
        {
            "open": history.price(paths.log_open[window]),
            "high": history.price(history.log_high[window]),
            "low": history.price(history.log_low[window]),
            "close": history.price(paths.log_close[window]),
            "volume": history.volume[window].astype("float64"),
        },
        index=pd.DatetimeIndex(sessions, name="session"),
    )
    frame.attrs["symbol"] = NIFTY
    return frame


def _vix_daily(sessions: pd.DatetimeIndex, paths: DailyPaths, window: slice) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "open": np.round(paths.vix_open[window], 4),
            "high": np.round(paths.vix_high[window], 4),
            "low": np.round(paths.vix_low[window], 4),
            "close": np.round(paths.vix_close[window], 4),
            "volume": np.full(len(sessions), np.nan),
        },
        index=pd.DatetimeIndex(sessions, name="session"),
    )
    frame.attrs["symbol"] = INDIAVIX
    return frame


def _intraday(
    seed: int, history: _History, window: slice, days: pd.DatetimeIndex
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """NIFTY and India VIX minute bars of the sessions in ``window`` (every minute of each).

    Each reproduces its daily bar: NIFTY rounded to 0.01 like the daily series, India VIX to
    4 decimals (its first open, highest high, lowest low and last close are the daily ones).
    """
    paths = history.paths
    rngs = [day_generator(seed, INTRADAY_KEY, day) for day in days]
    log_bars = minute_log_bars(
        rngs,
        paths.log_open[window],
        paths.log_close[window],
        paths.session_var[window],
        history.log_high[window],
        history.log_low[window],
    )
    opens, high, low, close = (history.price(b) for b in log_bars)
    volume = minute_volumes(rngs, history.volume[window])
    nifty = intraday_frame(days, (opens, high, low, close), volume, NIFTY)

    daily = [np.round(a[window], 4) for a in (paths.vix_open, paths.vix_high, paths.vix_low,
                                                paths.vix_close)]
    vix_rngs = [day_generator(seed, VIX_INTRADAY_KEY, day) for day in days]
    var = np.full(len(days), history.vix_session_var)
    logs = [np.log(a) for a in daily]
    vix_bars = [np.round(np.exp(b), 4) for b in minute_log_bars(
        vix_rngs, logs[0], logs[3], var, logs[1], logs[2])]
    v_open, v_high, v_low, v_close = pin_to_daily(vix_bars, *daily)
    vix = intraday_frame(days, (v_open, v_high, v_low, v_close), np.full(v_open.shape, np.nan),
                         INDIAVIX)
    return nifty, vix


def _chain(seed: int, history: _History, every: pd.DatetimeIndex, window: slice,
           moment: pd.Timestamp | None) -> pd.DataFrame:
    """Snapshots of the sessions in ``window``; the session before warms up ``oi_change``.

    With ``moment``, the window's last session is in progress: its snapshot is taken at the
    moment (floored to the minute), on its last finished minute bars, for the expiry on or
    after that day (on an expiry day, the series expiring at 15:30).
    """
    start = window.start if window.start is not None else 0
    warm = slice(max(start - 1, 0), window.stop)
    days = every[warm]
    spots = history.price(history.paths.log_close[warm])
    vix = np.round(history.paths.vix_close[warm], 4)
    expiries = [nse.next_weekly_expiry(day) for day in days]
    moments = close_moments(days)
    if moment is not None:
        today = days[-1]
        nifty_bars, vix_bars = _intraday(seed, history, slice(warm.stop - 1, warm.stop),
                                         days[-1:])
        nifty_bars, vix_bars = _cut(nifty_bars, moment), _cut(vix_bars, moment)
        spots[-1] = nifty_bars["close"].iloc[-1]
        vix[-1] = vix_bars["close"].iloc[-1]
        expiries[-1] = nse.next_weekly_expiry(today - pd.Timedelta(days=1))
        stamps = list(moments)
        stamps[-1] = moment.floor("min")
        moments = pd.DatetimeIndex(stamps)
    return option_chain(
        seed,
        days,
        spots,
        vix,
        pd.DatetimeIndex(expiries),
        warm_up=start > 0,
        moments=moments,
    )


def _chain_empty() -> pd.DataFrame:
    return option_chain(0, pd.DatetimeIndex([]), np.array([]), np.array([]), pd.DatetimeIndex([]))


def _align_daily_with_minutes(daily: pd.DataFrame, intraday: pd.DataFrame) -> pd.DataFrame:
    """Daily O/H/L/C/volume of the closed intraday sessions read from their minutes.

    The minutes are built to reproduce the daily bars, so this changes nothing but guarantees
    the agreement bit for bit.
    """
    day = intraday.index.tz_localize(None).normalize()
    grouped = intraday.groupby(day)
    built = pd.DataFrame(
        {
            "open": grouped["open"].first(),
            "high": grouped["high"].max(),
            "low": grouped["low"].min(),
            "close": grouped["close"].last(),
            "volume": grouped["volume"].sum(),
        }
    )
    built = built[built.index.isin(daily.index)]
    out = daily.copy()
    out.loc[built.index, OHLC] = built[OHLC].to_numpy()
    if daily["volume"].notna().any():
        out.loc[built.index, "volume"] = built["volume"].to_numpy()
    out.attrs["symbol"] = daily.attrs["symbol"]
    return out

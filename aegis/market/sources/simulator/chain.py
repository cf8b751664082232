"""Weekly NIFTY option-chain snapshots: Black-Scholes prices on a skewed smile, realistic OI.

Each snapshot is taken at a session's close for the next weekly expiry after it, or during
the session (the simulator's moment) for the expiry on or after that day. The ATM
implied volatility follows India VIX (weekly ATM IV runs a little under the 30-day VIX); the
smile is quadratic in standardised moneyness with a put skew. Open interest concentrates at
round strikes (500s, then 100s), calls are written above spot and puts below, and it builds up
as expiry nears; the per-strike pattern of one expiry persists from day to day, so ``oi_change``
between consecutive snapshots is a plausible mix of additions and unwinding.

Units: prices in rupees (index points), IV in annualised percent, OI and volume in contracts.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd
from scipy.special import ndtr

from aegis.market.frames import CHAIN_COLUMNS, IST
from aegis.market.hours import CLOSE_AFTER_MIDNIGHT
from aegis.market.sources.simulator.streams import (
    CHAIN_KEY,
    EXPIRY_KEY,
    day_generator,
    hashed_normal,
)

STRIKE_STEP: Final = 50.0
STRIKE_SPAN: Final = 0.10
TICK: Final = 0.05
RISK_FREE: Final = 0.065
SNAPSHOT_TIME: Final = pd.Timedelta(CLOSE_AFTER_MIDNIGHT)
SMILE_SKEW: Final = -0.07
SMILE_CURVATURE: Final = 0.025
SMILE_CLIP: Final = 5.0
PEAK_OI: Final = 60_000.0


def black_scholes(
    spot: float, strike: np.ndarray, years: float, vol: np.ndarray, is_call: np.ndarray
) -> np.ndarray:
    """European option prices (no dividends, rate :data:`RISK_FREE`), same shape as ``strike``.

    ``years`` is the time to expiry (calendar days / 365); ``vol`` annualised fractions.
    """
    sd = vol * np.sqrt(years)
    discount = np.exp(-RISK_FREE * years)
    d1 = (np.log(spot / strike) + (RISK_FREE + vol * vol / 2.0) * years) / sd
    d2 = d1 - sd
    call = spot * ndtr(d1) - strike * discount * ndtr(d2)
    put = strike * discount * ndtr(-d2) - spot * ndtr(-d1)
    return np.where(is_call, call, put)


def smile_iv(atm_iv: float, spot: float, strike: np.ndarray, years: float) -> np.ndarray:
    """Implied volatility per strike: ``atm * (1 + skew*m + curvature*m^2)``.

    ``m = ln(K/F) / (atm * sqrt(T))`` is the moneyness in standard deviations, clipped to
    +-:data:`SMILE_CLIP` so the far wings flatten. Puts (m < 0) are dearer than calls.
    """
    forward = spot * np.exp(RISK_FREE * years)
    m = np.clip(np.log(strike / forward) / (atm_iv * np.sqrt(years)), -SMILE_CLIP, SMILE_CLIP)
    return atm_iv * (1.0 + SMILE_SKEW * m + SMILE_CURVATURE * m * m)


def to_tick(price: np.ndarray) -> np.ndarray:
    """Round to the 0.05 tick."""
    return np.round(np.round(np.asarray(price) / TICK) * TICK, 2)


def strike_ladder(spot: float) -> np.ndarray:
    """Strikes every 50 points covering ``spot`` +-10%."""
    low = np.floor(spot * (1.0 - STRIKE_SPAN) / STRIKE_STEP) * STRIKE_STEP
    high = np.ceil(spot * (1.0 + STRIKE_SPAN) / STRIKE_STEP) * STRIKE_STEP
    return np.arange(low, high + STRIKE_STEP / 2, STRIKE_STEP)


def roundness(strike: np.ndarray) -> np.ndarray:
    """Attraction of a strike for open interest: 500s most, then 100s, then the rest."""
    k = np.round(strike).astype(np.int64)
    return 1.0 + 1.5 * (k % 100 == 0) + 3.0 * (k % 500 == 0)


def oi_shape(strike: np.ndarray, spot: float, is_call: np.ndarray) -> np.ndarray:
    """Relative OI by strike: calls peak ~2% above spot, puts ~2% below; ITM sides thin out."""
    x = np.log(strike / spot)
    side = np.where(is_call, x, -x)  # > 0 out of the money
    centre = 0.02
    width = np.where(side >= centre, 0.035, 0.015)
    return 0.03 + np.exp(-0.5 * ((side - centre) / width) ** 2)


def build_up(days: np.ndarray | float) -> np.ndarray:
    """Share of the final OI already open ``days`` calendar days before expiry."""
    return 1.0 / (1.0 + np.asarray(days, dtype=float) / 7.0)


def expiry_pattern(
    seed: int, expiry: pd.Timestamp, strike: np.ndarray, is_call: np.ndarray
) -> np.ndarray:
    """Per-strike OI multiplier of one expiry: the same for a strike on every snapshot.

    Lognormal strike noise (sd 0.35) times the expiry's overall scale (sd 0.25) and, for puts,
    its put/call tilt (sd 0.15); a pure function of (seed, expiry, strike, side).
    """
    day = pd.Timestamp(expiry).toordinal()
    side = np.where(is_call, 0, 1)
    per_strike = np.exp(0.35 * hashed_normal(seed, EXPIRY_KEY, day, np.round(strike), side))
    scale = float(np.exp(0.25 * hashed_normal(seed, EXPIRY_KEY + 1, day)))
    put_tilt = float(np.exp(0.15 * hashed_normal(seed, EXPIRY_KEY + 2, day)))
    return per_strike * scale * np.where(is_call, 1.0, put_tilt)


def option_chain(
    seed: int,
    sessions: pd.DatetimeIndex,
    spots: np.ndarray,
    vix: np.ndarray,
    expiries: pd.DatetimeIndex,
    *,
    warm_up: bool = False,
    moments: pd.DatetimeIndex | None = None,
) -> pd.DataFrame:
    """Snapshots of the weekly chain, one per session, in the canonical long format.

    Parameters
    ----------
    seed
        The simulation seed; each snapshot draws from a generator keyed by it and its moment
        (:func:`snapshot_generator`).
    sessions
        Snapshot sessions (tz-naive dates), increasing.
    spots, vix
        NIFTY and India VIX (percent) at each snapshot: the close, or the last minute bar for
        a snapshot taken during the session.
    expiries
        The expiry each snapshot lists (its close, 15:30 IST, after the snapshot).
    warm_up
        The first session only provides the previous OI for the second's ``oi_change`` and is
        left out of the result.
    moments
        When each snapshot was taken (tz-aware IST); default each session's 15:30 close. The
        time to expiry is calendar time from the moment to the expiry's close.
    """
    if len(sessions) <= int(warm_up):
        return _empty_chain()
    if moments is None:
        moments = close_moments(sessions)
    parts: list[pd.DataFrame] = []
    previous: pd.DataFrame | None = None
    prev_moment: pd.Timestamp | None = None
    for moment, spot, vix_close, expiry in zip(moments, spots, vix, expiries, strict=True):
        days = (close_moments(pd.DatetimeIndex([expiry]))[0] - moment) / pd.Timedelta(days=1)
        gap = ((moment - prev_moment) / pd.Timedelta(days=1) if prev_moment is not None
               else 1.0)
        rng = snapshot_generator(seed, moment)
        frame = _snapshot(rng, seed, moment, float(spot), float(vix_close), expiry,
                          float(days), float(gap))
        if previous is not None and previous["expiry"].iloc[0] == frame["expiry"].iloc[0]:
            frame = _observed_change(frame, previous)
        previous, prev_moment = frame, moment
        parts.append(frame)
    if warm_up:
        parts = parts[1:]
    return pd.concat(parts, ignore_index=True)[CHAIN_COLUMNS]


def close_moments(sessions: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """The 15:30 IST close of each session (tz-aware)."""
    return (pd.DatetimeIndex(sessions).normalize() + SNAPSHOT_TIME).tz_localize(IST)


def snapshot_generator(seed: int, moment: pd.Timestamp) -> np.random.Generator:
    """The generator of the snapshot taken at ``moment``: a pure function of seed and moment.

    A close snapshot (15:30) draws from the session's chain generator; one taken during the
    session from a generator keyed by its minute too, so a replay at the same moment gives the
    same chain whatever else was asked.
    """
    local = pd.Timestamp(moment).tz_convert(IST)
    day = local.tz_localize(None).normalize()
    minute = int((local.tz_localize(None) - day) / pd.Timedelta(minutes=1))
    if minute == int(SNAPSHOT_TIME / pd.Timedelta(minutes=1)):
        return day_generator(seed, CHAIN_KEY, day)
    return np.random.default_rng([int(seed), CHAIN_KEY, day.toordinal(), minute])


def _observed_change(frame: pd.DataFrame, previous: pd.DataFrame) -> pd.DataFrame:
    """``oi_change`` as ``oi`` minus the previous snapshot's, where that strike was listed."""
    keys = ["strike", "option_type"]
    prior = frame[keys].merge(previous[[*keys, "oi"]], on=keys, how="left")["oi"].to_numpy()
    out = frame.copy()
    out["oi_change"] = np.where(np.isnan(prior), frame["oi_change"], frame["oi"] - prior)
    return out


def _snapshot(
    rng: np.random.Generator,
    seed: int,
    moment: pd.Timestamp,
    spot: float,
    vix_close: float,
    expiry: pd.Timestamp,
    days: float,
    gap: float,
) -> pd.DataFrame:
    """One snapshot at ``moment``, ``days`` (calendar, fractional) before the expiry's close;
    ``oi_change`` estimated from the build-up (replaced when a prior snapshot exists)."""
    ladder = strike_ladder(spot)
    strike = np.concatenate([ladder, ladder])
    is_call = np.repeat([True, False], len(ladder))
    years = days / 365.0
    atm_iv = vix_close / 100.0 * 0.92 * float(np.exp(0.04 * rng.standard_normal()))
    iv = smile_iv(atm_iv, spot, strike, years)
    price = np.maximum(to_tick(black_scholes(spot, strike, years, iv, is_call)), TICK)

    daily = np.exp(0.10 * rng.standard_normal(len(strike)))
    pattern = expiry_pattern(seed, expiry, strike, is_call)
    weight = oi_shape(strike, spot, is_call) * roundness(strike) * pattern
    oi = np.round(PEAK_OI * build_up(days) * weight * daily)
    earlier = np.round(oi * build_up(days + gap) / build_up(days))
    moneyness = np.log(strike / spot) / (atm_iv * np.sqrt(years))
    turnover = (0.3 + 2.5 * np.exp(-0.5 * moneyness**2)) * (1.0 + 2.0 / days)
    volume = np.round(oi * turnover * np.exp(0.3 * rng.standard_normal(len(strike))))
    half = TICK * (1.0 + np.floor(price * 0.002 / TICK) + rng.integers(0, 2, len(strike)))
    count = len(strike)
    timestamp = pd.DatetimeIndex([moment] * count).tz_convert(IST).as_unit("ns")
    return pd.DataFrame(
        {
            "timestamp": timestamp,
            "expiry": pd.DatetimeIndex(np.full(count, np.datetime64(expiry.normalize(), "ns"))),
            "strike": strike,
            "option_type": np.where(is_call, "CE", "PE"),
            "oi": oi,
            "oi_change": oi - earlier,
            "last_price": price,
            "iv": np.round(iv * 100.0, 2),
            "bid": np.maximum(to_tick(price - half), 0.0),
            "ask": to_tick(price + half),
            "volume": volume,
            "underlying": np.full(count, spot),
        }
    )


def _empty_chain() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "timestamp": pd.DatetimeIndex([], tz=IST),
            "expiry": pd.DatetimeIndex([]).as_unit("ns"),
            "strike": pd.Series(dtype="float64"),
            "option_type": pd.Series(dtype="object"),
            **{
                c: pd.Series(dtype="float64")
                for c in ["oi", "oi_change", "last_price", "iv", "bid", "ask", "volume"]
            },
            "underlying": pd.Series(dtype="float64"),
        }
    )[CHAIN_COLUMNS]

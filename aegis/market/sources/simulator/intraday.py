"""One-minute NIFTY bars that reproduce given daily opens, highs, lows and closes.

Each session is a Brownian bridge in log price from the daily open to the daily close, with
Student-t minute shocks and a U-shaped variance profile (busy open, quiet lunch, busy close). A
bar opens at the previous bar's close; its high and low are the extremes of a bridge within the
minute. The part of the path above the open/close band is then stretched or squeezed so that
its highest high lands on the daily high (and likewise below, onto the daily low): the daily
bars built from the minutes equal the daily series exactly, whichever sessions get minutes.

Every session draws from its own generator keyed by the seed and its date, so a session's
minutes do not depend on which other sessions were asked for.

Bars are labelled by their start: 09:15, 09:16, ... 15:29 Asia/Kolkata (375 bars a session).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import numpy as np
import pandas as pd

from aegis.market.frames import IST
from aegis.market.hours import OPEN_AFTER_MIDNIGHT
from aegis.market.sources.simulator.daily import extremes_from_uniforms, standard_t

BARS_PER_SESSION: Final = 375
FIRST_BAR: Final = pd.Timedelta(OPEN_AFTER_MIDNIGHT)
MINUTE_T_DF: Final = 4.0
MAX_SHOCK: Final = 8.0  # minute innovations clipped to +-8 standard deviations


def variance_profile() -> np.ndarray:
    """Share of a session's variance in each minute (length 375, sums to one): a U shape."""
    minute = np.arange(BARS_PER_SESSION, dtype=float)
    to_close = BARS_PER_SESSION - 1 - minute
    shape = 1.0 + 10.0 * np.exp(-minute / 12.0) + 0.5 * np.exp(-to_close / 25.0)
    return shape / shape.sum()


def volume_profile() -> np.ndarray:
    """Share of a session's volume in each minute (length 375, sums to one): a U shape."""
    minute = np.arange(BARS_PER_SESSION, dtype=float)
    to_close = BARS_PER_SESSION - 1 - minute
    shape = 1.0 + 1.8 * np.exp(-minute / 25.0) + 1.2 * np.exp(-to_close / 20.0)
    return shape / shape.sum()


def _stack(rows: list[np.ndarray], shape: tuple[int, ...]) -> np.ndarray:
    return np.stack(rows) if rows else np.empty((0, *shape))


def _bridge_bars(
    rngs: Sequence[np.random.Generator], move: np.ndarray, session_var: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Relative (to the open) log open/high/low/close of every minute, a bridge 0 -> ``move``."""
    weights = variance_profile()
    bars = BARS_PER_SESSION
    draws = _stack([np.clip(standard_t(r, MINUTE_T_DF, bars), -MAX_SHOCK, MAX_SHOCK)
                    for r in rngs], (bars,))
    uniforms = _stack([1.0 - r.random((bars, 2)) for r in rngs], (bars, 2))
    minute_var = session_var[:, None] * weights[None, :]
    shocks = draws * np.sqrt(minute_var)
    # pin the walk to the target: remove the miss in proportion to each minute's variance
    steps = shocks - (shocks.sum(axis=1) - move)[:, None] * weights[None, :]
    close = np.cumsum(steps, axis=1)
    close[:, -1] = move
    opens = np.concatenate([np.zeros((len(move), 1)), close[:, :-1]], axis=1)
    up, down = extremes_from_uniforms(
        uniforms[..., 0].ravel(), uniforms[..., 1].ravel(), (close - opens).ravel(),
        minute_var.ravel(),
    )
    return opens, opens + up.reshape(opens.shape), opens + down.reshape(opens.shape), close


def _fit_band(x: np.ndarray, top: np.ndarray, bottom: np.ndarray, up: np.ndarray,
              down: np.ndarray) -> np.ndarray:
    """Monotone map: values above ``top`` scaled by ``up``, below ``bottom`` by ``down``."""
    below = np.where(x < bottom, bottom + (x - bottom) * down, x)
    return np.where(x > top, top + (x - top) * up, below)


def minute_log_bars(
    rngs: Sequence[np.random.Generator],
    log_open: np.ndarray,
    log_close: np.ndarray,
    session_var: np.ndarray,
    log_high: np.ndarray,
    log_low: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Log open, high, low and close of every minute, each of shape ``(sessions, 375)``.

    Parameters
    ----------
    rngs
        One generator per session.
    log_open, log_close, log_high, log_low
        The sessions' daily log prices; the first minute opens at ``log_open``, the last closes
        at ``log_close``, the highest high is ``log_high`` and the lowest low ``log_low``.
    session_var
        Variance of the open-to-close log return of each session.
    """
    move = log_close - log_open
    opens, high, low, close = _bridge_bars(rngs, move, session_var)
    top = np.maximum(move, 0.0)[:, None]
    bottom = np.minimum(move, 0.0)[:, None]
    path_top, path_bottom = high.max(axis=1, keepdims=True), low.min(axis=1, keepdims=True)
    target_top = (log_high - log_open)[:, None]
    target_bottom = (log_low - log_open)[:, None]
    room_up, room_down = path_top - top, path_bottom - bottom
    up = np.where(room_up > 0, (target_top - top) / np.where(room_up > 0, room_up, 1.0), 1.0)
    down = np.where(room_down < 0,
                    (target_bottom - bottom) / np.where(room_down < 0, room_down, -1.0), 1.0)
    hi, lo = log_high[:, None], log_low[:, None]
    fitted = [np.clip(log_open[:, None] + _fit_band(x, top, bottom, up, down), lo, hi)
              for x in (opens, high, low, close)]
    opens, high, low, close = fitted
    rows = np.arange(len(move))
    high[rows, np.argmax(high, axis=1)] = log_high
    low[rows, np.argmin(low, axis=1)] = log_low
    if len(move):
        opens[:, 0] = log_open
        close[:, -1] = log_close
    return opens, high, low, close


def pin_to_daily(
    bars: list[np.ndarray], daily_open: np.ndarray, daily_high: np.ndarray,
    daily_low: np.ndarray, daily_close: np.ndarray,
) -> list[np.ndarray]:
    """Rounded minute open/high/low/close arrays ``(sessions, 375)`` made to equal the daily
    bars exactly: first open, last close, highest high and lowest low set to the daily
    values, every price clipped into the daily range (rounding could leave it by a tick)."""
    lo, hi = daily_low[:, None], daily_high[:, None]
    opens, high, low, close = (np.clip(b, lo, hi) for b in bars)
    rows = np.arange(len(daily_open))
    if len(rows):
        opens[:, 0] = daily_open
        close[:, -1] = daily_close
        high[rows, np.argmax(high, axis=1)] = daily_high
        low[rows, np.argmin(low, axis=1)] = daily_low
    return [opens, high, low, close]


def minute_volumes(rngs: Sequence[np.random.Generator], daily_volume: np.ndarray) -> np.ndarray:
    """Whole-share volume of every minute, shape ``(sessions, 375)``, summing to ``daily_volume``.

    U-shaped with lognormal noise; the rounding remainder goes to the last minute.
    """
    noise = _stack([np.exp(0.35 * r.standard_normal(BARS_PER_SESSION)) for r in rngs],
                   (BARS_PER_SESSION,))
    share = volume_profile()[None, :] * noise
    share /= share.sum(axis=1, keepdims=True)
    volume = np.round(daily_volume[:, None] * share)
    volume[:, -1] += daily_volume - volume.sum(axis=1)
    return volume


def minute_timestamps(sessions: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """Bar-start timestamps (tz ``Asia/Kolkata``) of every minute of ``sessions``, in order."""
    days = pd.DatetimeIndex(sessions).normalize().as_unit("ns").values
    offsets = (FIRST_BAR + pd.to_timedelta(np.arange(BARS_PER_SESSION), unit="min")).as_unit("ns")
    stamps = (days[:, None] + offsets.values[None, :]).ravel()
    return pd.DatetimeIndex(stamps, name="timestamp").tz_localize(IST)


def intraday_frame(
    sessions: pd.DatetimeIndex,
    prices: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    volume: np.ndarray,
    symbol: str,
) -> pd.DataFrame:
    """The canonical intraday frame from ``(sessions, 375)`` arrays of open/high/low/close.

    Highs and lows are widened to cover the bar's open and close after rounding.
    """
    opens, high, low, close = prices
    high = np.maximum(high, np.maximum(opens, close))
    low = np.minimum(low, np.minimum(opens, close))
    frame = pd.DataFrame(
        {
            "open": opens.ravel(),
            "high": high.ravel(),
            "low": low.ravel(),
            "close": close.ravel(),
            "volume": volume.ravel().astype("float64"),
        },
        index=minute_timestamps(sessions),
    )
    frame.attrs["symbol"] = symbol
    return frame

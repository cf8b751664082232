"""The market at the moment of a snapshot: spot and India VIX now, the inputs of the moment.

Pure (frames and a moment in, a typed value out). During a session the last bars before ``t``
give spot and India VIX, never a previous close while today's bars exist; today's session so
far becomes a provisional daily bar so the models read inputs of the moment (the daily feature
table holds closed sessions only); the horizon from ``t`` to the expiry close is the continuous
time-left input (:func:`aegis.features.moment.horizon_inputs`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd

from aegis.errors import FeatureInputError, SnapshotError
from aegis.features.moment import (
    GapShare,
    bars_before,
    horizon_inputs,
    overnight_share,
    provisional_bar,
    with_provisional,
)
from aegis.market.hours import IST, session_close
from aegis.market.moment import Moment


@dataclass(frozen=True)
class MarketNow:
    """What the snapshot of ``moment`` reads of the market.

    Attributes
    ----------
    spot, vix : NIFTY points and India VIX (annualised percent) now.
    spot_at, vix_at : when those values were observed (a bar's end, or a session's close).
    spot_source, vix_source : which bar or close, in words (the provenance).
    base : the features of the moment read as a close: the last validated close, or today's
        session so far as a provisional bar (``provisional``), the inputs of direction and buyer.
    sequence : the feature rows the direction model's window ends with (``base`` last).
    horizon : ``base`` with the time-left inputs of the moment (trap, stress, breach).
    gap : the overnight-gap share ``g`` of ``tau``.
    bars : today's NIFTY bars before ``t`` (empty when none).  bars_day : their session.
    inputs_note : what the models' inputs are, in words (published with their provenance).
    """

    moment: Moment
    spot: float
    spot_at: datetime
    spot_source: str
    vix: float
    vix_at: datetime
    vix_source: str
    base: pd.Series
    sequence: pd.DataFrame
    horizon: pd.Series
    gap: GapShare
    bars: pd.DataFrame
    bars_day: date | None
    provisional: bool
    inputs_note: str
    notes: list[str] = field(default_factory=list)
    unusable: str | None = None
    """Why today's bars could not be used (then spot and the inputs are the last close's)."""

    @property
    def tau(self) -> float:
        """Trading time to the expiry close, years of 252 sessions."""
        return self.moment.tau(self.gap.value)

    @property
    def horizon_sessions(self) -> float:
        """Sessions of variance left to the expiry close (``tau * 252``)."""
        return self.moment.horizon(self.gap.value)


def _bar_length(bars: pd.DataFrame) -> timedelta:
    """The bars' spacing (1 or 5 minutes ...): the median step, 1 minute for a single bar."""
    if len(bars) < 2:
        return timedelta(minutes=1)
    steps = np.diff(pd.DatetimeIndex(bars.index).asi8)
    return timedelta(microseconds=float(np.median(steps)) / 1000.0)


def _last_bar(bars: pd.DataFrame, at: datetime, series: str) -> tuple[float, datetime, str]:
    start = pd.Timestamp(bars.index[-1]).tz_convert(IST)
    length = _bar_length(bars)
    minutes = int(length.total_seconds() // 60)
    end = min(start.to_pydatetime() + length, at)
    return (float(bars["close"].iloc[-1]), end,
            f"{series} {minutes}-minute bar {start.isoformat(timespec='minutes')} (close), the "
            f"last before {at.astimezone(IST):%H:%M} IST")


def market_now(features: pd.DataFrame, nifty: pd.DataFrame, vix: pd.DataFrame,
               nifty_bars: pd.DataFrame | None, vix_bars: pd.DataFrame | None,
               moment: Moment, *, window: int) -> MarketNow:
    """The market of ``moment`` from the validated features, daily frames and today's bars.

    ``window`` is the direction model's sequence length (rows of ``sequence``).

    Raises
    ------
    SnapshotError
        No India VIX at all (a snapshot without it cannot be honest).
    """
    at = moment.at
    closed = pd.Timestamp(features.index[-1]).date()
    gap = overnight_share(nifty)
    notes: list[str] = []
    day = moment.today if moment.today_is_session else None
    bars = bars_before(nifty_bars if day is not None else None, day or closed, at)
    provisional = day is not None and day > closed and not bars.empty
    if day is not None and day > closed and bars.empty and moment.state != "pre_open":
        notes.append(f"no NIFTY bars of today's session {day} before "
                     f"{at.astimezone(IST):%H:%M} IST in the store: spot is the {closed} close")
    if closed < moment.last_closed and not provisional:
        notes.append(f"the validated daily features end {closed}; the last closed session is "
                     f"{moment.last_closed}")
    if provisional and day is not None:
        spot, spot_at, spot_source = _last_bar(bars, at, "NIFTY")
        vbars = bars_before(vix_bars, day, at)
        if not vbars.empty:
            vix_now, vix_at, vix_source = _last_bar(vbars, at, "India VIX")
            vix_frame = with_provisional(vix, provisional_bar(vbars, day))
        else:
            vix_now = float(features["vix"].iloc[-1])
            vix_at = session_close(closed)
            vix_source = f"India VIX close of {closed} (no India VIX bars of today yet)"
            notes.append(f"no India VIX bars of today's session {day}: VIX is the {closed} close")
            vix_frame = vix
        from aegis.features.daily import build_daily_features

        try:
            table = build_daily_features(with_provisional(nifty, provisional_bar(bars, day)),
                                         vix_frame)
        except FeatureInputError as exc:
            unusable = (f"today's bars ({len(bars)} before {at.astimezone(IST):%H:%M} IST) "
                        f"cannot be read as a provisional daily bar: {exc}")
            closed_view = market_now(features, nifty, vix, None, None, moment, window=window)
            return replace(closed_view, unusable=unusable,
                           notes=[*closed_view.notes, unusable])
        base = table.iloc[-1].copy()
        base["vix"] = vix_now
        first = pd.Timestamp(bars.index[0]).tz_convert(IST)
        inputs_note = (f"inputs of the moment: today's session so far as a provisional daily "
                       f"bar ({first:%H:%M}-{spot_at.astimezone(IST):%H:%M} IST, {len(bars)} "
                       f"bars), India VIX {vix_now:g} ({vix_source})")
        sequence = pd.concat([features.iloc[-(window - 1):], base.to_frame().T])
    else:
        base = features.iloc[-1].copy()
        spot, spot_at = float(base["close"]), session_close(closed)
        spot_source = f"NIFTY daily close of {closed}"
        vix_now = float(base["vix"])
        vix_at, vix_source = spot_at, f"India VIX daily close of {closed}"
        inputs_note = (f"inputs of the {closed} close: no session has traded since"
                       if not notes else f"inputs of the {closed} close ({'; '.join(notes)})")
        sequence = features.iloc[-window:]
    if not np.isfinite(vix_now) or vix_now <= 0:
        raise SnapshotError(f"no India VIX for {closed}: cannot publish a snapshot")
    return MarketNow(
        moment=moment, spot=spot, spot_at=spot_at, spot_source=spot_source, vix=vix_now,
        vix_at=vix_at, vix_source=vix_source, base=base, sequence=sequence,
        horizon=horizon_inputs(base, moment, gap.value, vix_now), gap=gap,
        bars=bars if provisional else bars.iloc[0:0], bars_day=day if provisional else None,
        provisional=provisional, inputs_note=inputs_note, notes=notes)


__all__ = ["MarketNow", "market_now"]

"""The simulator as a :class:`~aegis.market.sources.base.MarketSource`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pandas as pd

from aegis.market.sources.base import MarketFrames
from aegis.market.sources.simulator.market import simulate


@dataclass(frozen=True)
class SimulatorSource:
    """``years`` of the seed's fixed history as known at the moment ``now``.

    ``now`` (aware; the edge passes ``Settings.now()``) cuts the market: the sessions closed by
    then get their daily bars, the session in progress only its 1-minute NIFTY and India VIX
    bars finished by then and a chain snapshot at ``now`` (floored to the minute); nothing
    after ``now`` is returned. ``end`` (a day, inclusive) limits the history further; without
    ``now`` every session through ``end`` is taken as closed.

    A fetch for the same seed and moment gives the same frames, and a later moment the same
    values for everything both have, so re-ingesting changes nothing in the store and a later
    run adds only what happened since.
    """

    seed: int
    years: float
    end: pd.Timestamp | None = None
    now: datetime | None = None
    name: str = "simulator"

    def fetch(self) -> MarketFrames:
        """Daily NIFTY and VIX, the last sessions' minute bars of both and their chains."""
        market = simulate(self.seed, self.years, end=self.end, now=self.now)
        notes: dict[str, object] = {"seed": self.seed}
        if market.moment is not None:
            notes["moment"] = market.moment.isoformat()
        return MarketFrames.from_series(market.series(), notes=notes)

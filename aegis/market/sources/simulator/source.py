"""The simulator as a :class:`~aegis.market.sources.base.MarketSource`."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from aegis.market.sources.base import MarketFrames
from aegis.market.sources.simulator.market import simulate


@dataclass(frozen=True)
class SimulatorSource:
    """``years`` of the seed's fixed history ending at ``end`` (a past close, inclusive).

    A fetch for the same seed and ``end`` gives the same frames, so re-ingesting a logical date
    changes nothing in the store; a later ``end`` adds only the new sessions.
    """

    seed: int
    years: float
    end: pd.Timestamp
    name: str = "simulator"

    def fetch(self) -> MarketFrames:
        """Daily NIFTY and VIX, the last sessions' minute bars and their chain snapshots."""
        market = simulate(self.seed, self.years, end=self.end)
        return MarketFrames.from_series(market.series(), notes={"seed": self.seed})

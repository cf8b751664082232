"""The seeded market simulator (:mod:`.market`) and its source adapter (:mod:`.source`).

:mod:`.streams` keys the random draws, :mod:`.daily` is the engine, :mod:`.intraday` the
minute bars and :mod:`.chain` the weekly option chains.
"""

from aegis.market.sources.simulator.daily import DailyParams
from aegis.market.sources.simulator.market import (
    ORIGIN,
    SERIES_NAMES,
    SimulatedMarket,
    default_end,
    simulate,
)
from aegis.market.sources.simulator.source import SimulatorSource

__all__ = ["ORIGIN", "SERIES_NAMES", "DailyParams", "SimulatedMarket", "SimulatorSource",
           "default_end", "simulate"]

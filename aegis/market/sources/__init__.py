"""Market-data sources behind one protocol (:class:`MarketSource` -> :class:`MarketFrames`).

- :mod:`.simulator`: the seeded simulator (a subpackage: engine, minutes, chains);
- :mod:`.history`: a folder (or a list) of market-data files in any supported format;
- :mod:`.live`: Yahoo's chart API and NSE's option-chain JSON.

Each source is built with its parameters passed in (from the settings, at the edge); the one
ingestion path (:func:`aegis.market.ingest.ingest_source`) stores what any of them returns.
"""

from aegis.market.sources.base import SERIES, FileProvenance, MarketFrames, MarketSource

__all__ = ["SERIES", "FileProvenance", "MarketFrames", "MarketSource"]

"""Market data: sources -> canonical frames (see :mod:`aegis.market.frames`)."""

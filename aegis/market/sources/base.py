"""What every market-data source returns, and the protocol a source follows.

A source (the seeded simulator, a folder of files, the live Yahoo/NSE feeds) is anything with a
``name`` and a ``fetch()`` that returns :class:`MarketFrames`: the canonical frames of
:mod:`aegis.market.frames` under their store series names, plus where each row came from when a
source reads files. Ingestion (:func:`aegis.market.ingest.ingest_source`) upserts whatever a
source returns; it never asks which source it is.

Sources are built at the edge (``aegis.pipeline.data.market_source`` from the settings, the
``aegis data ingest`` command from its arguments) with every parameter they need: no source
reads settings or the environment itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, Final, Protocol, runtime_checkable

import pandas as pd

from aegis.errors import StoreError

if TYPE_CHECKING:
    from aegis.market.loaders import LoadResult
    from aegis.market.merge import Conflict

#: Store series a source may return, in the order they are upserted.
SERIES: Final = ("nifty_daily", "vix_daily", "nifty_intraday", "vix_intraday",
                 "option_chain", "option_bars", "contract_master")


@dataclass
class FileProvenance:
    """What a file source read: each file's load result, files skipped (and why), conflicts.

    ``explicit`` holds the paths named directly (not found in a folder): nothing stored from
    such a file is an error the caller reports; a skipped file from a folder is only listed.
    """

    loaded: list[LoadResult] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    explicit: set[str] = field(default_factory=set)
    conflicts: list[Conflict] = field(default_factory=list)


@dataclass(frozen=True)
class MarketFrames:
    """One fetch of a source: canonical frames by series (``None``: the source has none).

    Attributes
    ----------
    nifty_daily, vix_daily : DataFrame or None
        Daily OHLCV indexed by ``session`` (VIX in annualised percent, volume NaN).
    nifty_intraday, vix_intraday : DataFrame or None
        Minute bars indexed by ``timestamp`` (bar start, Asia/Kolkata).
    option_chain : DataFrame or None
        Long chain snapshots (:data:`aegis.market.frames.CHAIN_COLUMNS`), one row per
        timestamp, expiry, strike and side.
    option_bars, contract_master : DataFrame or None
        Per-contract bars and the contract list (file sources only).
    files : dict of str to Series
        Per series, the file each row came from (aligned with the frame's rows); recorded with
        the store's revision. Empty for sources that do not read files.
    provenance : FileProvenance or None
        The files read, skipped and conflicting (file sources only).
    notes : dict
        Small JSON-able facts about the fetch (the simulator's seed, ``live: True``).
    """

    nifty_daily: pd.DataFrame | None = None
    vix_daily: pd.DataFrame | None = None
    nifty_intraday: pd.DataFrame | None = None
    vix_intraday: pd.DataFrame | None = None
    option_chain: pd.DataFrame | None = None
    option_bars: pd.DataFrame | None = None
    contract_master: pd.DataFrame | None = None
    files: dict[str, pd.Series] = field(default_factory=dict)
    provenance: FileProvenance | None = None
    notes: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_series(cls, frames: dict[str, pd.DataFrame], **extra: Any) -> MarketFrames:
        """Build from frames keyed by series name (unknown names are refused).

        Raises
        ------
        StoreError
            A name that is not one of :data:`SERIES`.
        """
        unknown = sorted(set(frames) - set(SERIES))
        if unknown:
            raise StoreError(f"source frames: expected series among {SERIES}; got {unknown}")
        return cls(**frames, **extra)

    def series(self) -> dict[str, pd.DataFrame]:
        """The frames the source returned, by store series name, in :data:`SERIES` order."""
        names = {f.name for f in fields(self)}
        return {name: frame for name in SERIES if name in names
                and (frame := getattr(self, name)) is not None}


@runtime_checkable
class MarketSource(Protocol):
    """A market-data source: a name for reports and one fetch of canonical frames."""

    @property
    def name(self) -> str:
        """``simulator``, ``history`` or ``live`` (the ``AEGIS_SOURCE`` values)."""
        ...

    def fetch(self) -> MarketFrames:
        """Every frame the source has now (a network or file failure raises a named error)."""
        ...

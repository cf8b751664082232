"""The ``market_context`` block: option-chain and intraday features beside the forecasts.

These are observations of the market, not forecasts: each number is a formula of the chain or of
the session's bars (:mod:`aegis.features.chain`, :mod:`aegis.features.intraday`, whose
definitions the field descriptions repeat). Each sub-block says whether it is ``available``;
when it is not, every value is ``null`` and ``reason`` says why (no chain ingested, a chain of an
earlier session, no bars for the snapshot's session, ...). A value that cannot be computed in an
available block (an IV-less chain has no ATM IV) is ``null`` with its reason in ``null_reasons``:
NaN is never published as a number. An unavailable sub-block does not make the snapshot
``degraded`` by itself; a chain that cannot be used already degrades ``max_pain`` and ``pcr``.
"""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from pydantic import AwareDatetime, Field, model_validator

from aegis.features.chain import CHAIN_FEATURES
from aegis.features.intraday import INTRADAY_FEATURES
from aegis.market.hours import IST
from aegis.snapshot.provenance import FormulaProvenance, Probability, SnapshotModel


class _ContextBlock(SnapshotModel):
    """Availability, reasons and provenance shared by both sub-blocks."""

    VALUES: ClassVar[tuple[str, ...]] = ()
    """The published values (``null`` when unavailable, or with a ``null_reasons`` entry)."""
    ANCHORS: ClassVar[tuple[str, ...]] = ()
    """What the values are of (required exactly when the block is available)."""

    available: bool = Field(description="False when the block could not be computed for this "
                                         "snapshot; then every value is null and reason says why.")
    reason: str | None = Field(default=None, min_length=1,
                               description="Why the block is unavailable (null when available).")
    null_reasons: dict[str, str] = Field(
        default_factory=dict,
        description="In an available block, why each value published as null is null.")
    provenance: FormulaProvenance | None = Field(
        default=None, description="The formulas (null exactly when the block is unavailable).")

    @model_validator(mode="after")
    def _reasons(self) -> _ContextBlock:
        name = type(self).__name__
        nulls = {v for v in self.VALUES if getattr(self, v) is None}
        if not self.available:
            published = [v for v in (*self.VALUES, *self.ANCHORS) if getattr(self, v) is not None]
            if not self.reason:
                raise ValueError(f"{name} unavailable: a reason is required")
            if published or self.null_reasons or self.provenance is not None:
                raise ValueError(f"{name} unavailable but publishes {published or 'reasons'}; "
                                 "expected every value, null_reasons and provenance empty")
            return self
        if self.reason is not None:
            raise ValueError(f"{name} available: reason must be null (found {self.reason!r})")
        missing = [a for a in (*self.ANCHORS, "provenance") if getattr(self, a) is None]
        if missing:
            raise ValueError(f"{name} available: {missing} required")
        unexplained = sorted(nulls - set(self.null_reasons))
        if unexplained:
            raise ValueError(f"{name}: values null without a null_reasons entry: {unexplained}")
        stray = sorted(set(self.null_reasons) - nulls)
        if stray:
            raise ValueError(f"{name}: null_reasons for values that are not null: {stray}; "
                             f"expected some of {sorted(nulls)}")
        return self


class ChainContext(_ContextBlock):
    """Features of the latest option chain, for the snapshot's expiry (``expiry.date``)."""

    VALUES: ClassVar[tuple[str, ...]] = ("pcr", "max_pain_distance", "oi_concentration_call",
                                         "oi_concentration_put", "atm_iv", "skew")
    ANCHORS: ClassVar[tuple[str, ...]] = ("expiry", "timestamp")

    expiry: dt.date | None = Field(default=None, description="The expiry the chain rows are of.")
    timestamp: AwareDatetime | None = Field(default=None,
                                            description="When the chain snapshot was taken.")
    pcr: float | None = Field(default=None, ge=0.0, description=CHAIN_FEATURES["pcr"])
    max_pain_distance: float | None = Field(
        default=None, description=CHAIN_FEATURES["max_pain_distance"] + "; spot = the snapshot's")
    oi_concentration_call: Probability | None = Field(
        default=None, description=CHAIN_FEATURES["oi_concentration_call"])
    oi_concentration_put: Probability | None = Field(
        default=None, description=CHAIN_FEATURES["oi_concentration_put"])
    atm_iv: float | None = Field(default=None, gt=0.0, description=CHAIN_FEATURES["atm_iv"])
    skew: float | None = Field(default=None, description=CHAIN_FEATURES["skew"])


class IntradayContext(_ContextBlock):
    """Features of the snapshot's session from its intraday bars (as of the last bar)."""

    VALUES: ClassVar[tuple[str, ...]] = ("intraday_rv", "opening_range_position",
                                         "vwap_distance", "vwap_volume_weighted")
    ANCHORS: ClassVar[tuple[str, ...]] = ("session", "last_bar", "bars")

    session: dt.date | None = Field(default=None, description="The session the bars are of.")
    last_bar: AwareDatetime | None = Field(
        default=None, description="Start of the session's last bar: the features are as of it.")
    bars: int | None = Field(default=None, ge=1, description=INTRADAY_FEATURES["bars"])
    intraday_rv: float | None = Field(default=None, ge=0.0,
                                      description=INTRADAY_FEATURES["intraday_rv"])
    opening_range_position: float | None = Field(
        default=None, description=INTRADAY_FEATURES["opening_range_position"])
    vwap_distance: float | None = Field(default=None,
                                        description=INTRADAY_FEATURES["vwap_distance"])
    vwap_volume_weighted: bool | None = Field(
        default=None, description="True when the VWAP was volume-weighted, false when it is "
                                  "the TWAP of the typical price (the bars carry no volume).")

    @model_validator(mode="after")
    def _last_bar_in_session(self) -> IntradayContext:
        if self.last_bar is not None and self.session is not None:
            if self.last_bar.astimezone(IST).date() != self.session:
                raise ValueError(f"intraday last_bar {self.last_bar.isoformat()} is not in "
                                 f"session {self.session}")
        return self


class MarketContext(SnapshotModel):
    """Option-chain and intraday features of the snapshot, each available or not with a reason."""

    chain: ChainContext
    intraday: IntradayContext


__all__ = ["ChainContext", "IntradayContext", "MarketContext"]

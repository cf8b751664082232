"""``aegismatrix.json``: the snapshot the trader reads (schema version 1.0.0).

Top-level scalars the old dashboard read (``spot``, ``vix``, ``max_pain``, ``pcr``) stay plain
numbers; their provenance is in the top-level ``provenance`` map. Blocks (``trap``,
``expiry_stress``, ...) keep their old keys (``trap.score``, ``trap.label``) and carry
``provenance`` and, for probabilities, ``calibration`` beside them. ``market_context`` (the
chain's and the session's features, :mod:`aegis.snapshot.context`) is optional, so documents
written before it existed still read. See docs/snapshot.md.

Degradation law (checked on every construction and read): ``status`` is ``"degraded"`` exactly
when ``degraded_reasons`` is non-empty; every number with ``baseline`` provenance and every
block published as ``null`` needs a reason naming its field.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import datetime
from typing import Final, Literal

from pydantic import AwareDatetime, Field, model_validator

from aegis.analytics.ranges import calendar_to_session_scale, implied_move
from aegis.snapshot.blocks import (
    Breach,
    BuyerSignal,
    Direction,
    Expiry,
    ExpiryStress,
    HitRate,
    SafeRange,
    SpikeRate,
    Trap,
)
from aegis.snapshot.context import MarketContext
from aegis.snapshot.provenance import DegradedReason, Provenance, SnapshotModel

SCHEMA_VERSION: Final = "1.0.0"

NULLABLE_FIELDS: Final = (
    "max_pain",
    "pcr",
    "direction",
    "safe_range",
    "trap",
    "expiry_stress",
    "buyer_signal",
    "historical_hit_rate",
    "historical_spike_rate",
)
"""Published fields that may be ``null`` -- only with a degraded reason naming them."""

PUBLISHED_FIELDS: Final = ("spot", "vix", "expiry", "breach_probabilities", *NULLABLE_FIELDS,
                           "market_context")


class ScalarProvenance(SnapshotModel):
    """Provenance of the top-level plain numbers (``null`` exactly when the number is)."""

    spot: Provenance
    vix: Provenance
    max_pain: Provenance | None = None
    pcr: Provenance | None = None
    expiry: Provenance


class Snapshot(SnapshotModel):
    """One published snapshot of AegisMatrix."""

    schema_version: Literal["1.0.0"] = SCHEMA_VERSION
    status: Literal["ok", "degraded"]
    degraded_reasons: list[DegradedReason] = Field(default_factory=list)
    generated_at: AwareDatetime = Field(description="When the snapshot was computed.")
    as_of: AwareDatetime = Field(description="Time of the latest market data used.")
    spot: float = Field(gt=0.0, description="NIFTY 50 spot, index points.")
    vix: float = Field(gt=0.0, description="India VIX, annualised percent.")
    expiry: Expiry
    session_state: Literal["pre_open", "open", "closed", "holiday"] | None = Field(
        default=None, description="NSE's session at generated_at (the moment), IST.")
    moment: str | None = Field(
        default=None, description="The moment in words: '2023-03-29 14:15 IST (open), 75 "
        "trading minutes to the 15:30 close of the 2023-03-29 expiry'.")
    max_pain: float | None = Field(default=None, gt=0.0, description="Max-pain strike, points.")
    pcr: float | None = Field(default=None, ge=0.0, description="Put/call OI ratio, one expiry.")
    provenance: ScalarProvenance
    direction: Direction | None = None
    safe_range: SafeRange | None = None
    trap: Trap | None = None
    expiry_stress: ExpiryStress | None = None
    breach_probabilities: list[Breach] = Field(default_factory=list)
    buyer_signal: BuyerSignal | None = None
    historical_hit_rate: HitRate | None = None
    historical_spike_rate: SpikeRate | None = None
    market_context: MarketContext | None = Field(
        default=None, description="Option-chain and intraday features of this snapshot, each "
        "sub-block available or not with its reason; absent in documents written before it.")

    def iter_provenance(self) -> Iterator[tuple[str, Provenance]]:
        """``(field, provenance)`` of every published number, field as in ``PUBLISHED_FIELDS``."""
        for name in ("spot", "vix", "max_pain", "pcr", "expiry"):
            prov = getattr(self.provenance, name)
            if prov is not None:
                yield name, prov
        for name in ("direction", "safe_range", "trap", "expiry_stress", "buyer_signal",
                     "historical_hit_rate", "historical_spike_rate"):
            block = getattr(self, name)
            if block is not None:
                yield name, block.provenance
        for breach in self.breach_probabilities:
            yield "breach_probabilities", breach.provenance
        if self.market_context is not None:
            for block in (self.market_context.chain, self.market_context.intraday):
                if block.provenance is not None:
                    yield "market_context", block.provenance

    @model_validator(mode="after")
    def _degradation_law(self) -> Snapshot:
        reasons = {r.field for r in self.degraded_reasons}
        unknown = sorted(reasons - set(PUBLISHED_FIELDS))
        if unknown:
            raise ValueError(f"degraded_reasons name unknown fields {unknown}; "
                             f"expected some of {list(PUBLISHED_FIELDS)}")
        baseline = {name for name, prov in self.iter_provenance() if prov.kind == "baseline"}
        missing = sorted(baseline - reasons)
        if missing:
            raise ValueError(f"baseline provenance without a degraded reason: {missing}")
        nulls = {name for name in NULLABLE_FIELDS if getattr(self, name) is None}
        if not self.breach_probabilities:
            nulls.add("breach_probabilities")
        missing = sorted(nulls - reasons)
        if missing:
            raise ValueError(f"fields published empty or null without a degraded reason: {missing}")
        expected = "degraded" if self.degraded_reasons else "ok"
        if self.status != expected:
            raise ValueError(f"status {self.status!r} but expected {expected!r} "
                             f"({len(self.degraded_reasons)} degraded reasons)")
        return self

    @model_validator(mode="after")
    def _cross_checks(self) -> Snapshot:
        for name in ("max_pain", "pcr"):
            if (getattr(self, name) is None) != (getattr(self.provenance, name) is None):
                raise ValueError(f"{name} and provenance.{name} must be null together")
        if self.as_of > self.generated_at:
            raise ValueError(f"as_of {self.as_of} is after generated_at {self.generated_at}")
        if self.expiry.date < self.as_of.date():
            raise ValueError(f"expiry {self.expiry.date} is before as_of {self.as_of.date()}")
        sr = self.safe_range
        if sr is not None:
            if not math.isclose((sr.lower + sr.upper) / 2, self.spot, rel_tol=1e-6):
                raise ValueError("safe range must be centred on spot")
            tau = self.expiry.trading_time_years
            if tau is not None:
                em = self.spot * self.vix / 100 * math.sqrt(tau)
                formula = "spot * vix/100 * sqrt(tau)"
            else:
                em = self.spot * float(implied_move(self.vix / 100, self.expiry.days))
                formula = "spot * vix/100 * sqrt(days/365)"
            if not math.isclose(sr.expected_move, em, rel_tol=1e-6, abs_tol=1e-9):
                raise ValueError(f"safe_range.expected_move {sr.expected_move} != "
                                 f"{formula} = {em}")
            self._check_range_horizon(sr)
        for b in self.breach_probabilities:
            if not math.isclose(b.distance_pct, (b.strike / self.spot - 1) * 100, abs_tol=1e-6):
                raise ValueError(f"strike {b.strike}: distance_pct must be (strike/spot - 1)*100")
        if self.market_context is not None:
            self._check_context(self.market_context)
        return self

    def _check_context(self, context: MarketContext) -> None:
        """The chain features are of this expiry and of the chain max pain and PCR came from."""
        chain, intraday = context.chain, context.intraday
        if chain.available:
            if chain.expiry != self.expiry.date:
                raise ValueError(f"market_context.chain.expiry {chain.expiry} != expiry.date "
                                 f"{self.expiry.date}")
            if self.max_pain is None or self.pcr is None:
                raise ValueError("market_context.chain is available: max_pain and pcr, of the "
                                 "same chain, must be published")
            distance = (self.max_pain - self.spot) / self.spot
            if chain.max_pain_distance is None or not math.isclose(
                    chain.max_pain_distance, distance, rel_tol=1e-9, abs_tol=1e-12):
                raise ValueError(f"market_context.chain.max_pain_distance "
                                 f"{chain.max_pain_distance} != (max_pain - spot) / spot")
            if chain.pcr is None or not math.isclose(chain.pcr, self.pcr, rel_tol=1e-9):
                raise ValueError(f"market_context.chain.pcr {chain.pcr} != pcr {self.pcr}")
            if chain.timestamp is not None and chain.timestamp > self.generated_at:
                raise ValueError(f"market_context.chain.timestamp {chain.timestamp} is after "
                                 f"generated_at {self.generated_at}")
        if intraday.last_bar is not None and intraday.last_bar > self.as_of:
            raise ValueError(f"market_context.intraday.last_bar {intraday.last_bar} is after "
                             f"as_of {self.as_of}")


    def _check_range_horizon(self, sr: SafeRange) -> None:
        """The range's horizon is the expiry's; ``k`` is ``k_session`` on calendar days."""
        if sr.sessions_to_expiry is not None and sr.sessions_to_expiry != self.expiry.sessions:
            raise ValueError(f"safe_range.sessions_to_expiry {sr.sessions_to_expiry} != "
                             f"expiry.sessions {self.expiry.sessions}")
        if self.expiry.trading_time_years is not None:
            if sr.k_session is not None and not math.isclose(sr.k, sr.k_session, rel_tol=1e-9):
                raise ValueError(f"safe_range.k {sr.k} != k_session {sr.k_session}: on the "
                                 "trading-time expected move they are one multiplier")
            return
        if sr.k_session is not None and sr.sessions_to_expiry and self.expiry.days > 0:
            scale = calendar_to_session_scale(self.expiry.days, sr.sessions_to_expiry)
            k = sr.k_session / float(scale)
            if not math.isclose(sr.k, k, rel_tol=1e-6):
                raise ValueError(f"safe_range.k {sr.k} != k_session * sqrt(365 h / (252 D)) = {k}")


def now_utc() -> datetime:
    """Aware current time (UTC), for ``generated_at``."""
    from datetime import UTC

    return datetime.now(UTC)


__all__ = ["NULLABLE_FIELDS", "PUBLISHED_FIELDS", "SCHEMA_VERSION", "ScalarProvenance", "Snapshot",
           "now_utc"]

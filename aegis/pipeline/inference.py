"""Inference stage: validated features + verified champions -> aegismatrix.json.

Every number says where it came from. When the last retrain's gate found no model that beats
climatology (and none was ever promoted), climatology is published with ``empirical``
provenance and the gate's reason: an honest answer, not a degradation. When a champion cannot
be loaded or its inputs are not usable, climatology stands in as the named baseline *with the
reason* and the snapshot's status becomes ``degraded`` (DESIGN.md, law 1).
This module imports onnxruntime (through the registry), numpy and pandas -- not scikit-learn,
torch or Great Expectations.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from aegis.config import Settings, get_settings
from aegis.errors import SnapshotError
from aegis.market.store import MarketStore
from aegis.pipeline.builder import InferenceInputs
from aegis.pipeline.champions import Champions
from aegis.pipeline.data import load_daily, read_validated_features
from aegis.pipeline.forecasts import ForecastBlocks
from aegis.pipeline.paths import gate_log_path, rates_path
from aegis.pipeline.ranges import RangeBlocks

if TYPE_CHECKING:  # the blocks are imported where they are built (the stage's import cost)
    from aegis.snapshot import Expiry, MarketContext, ScalarProvenance, Snapshot

STRIKE_STEP = 50.0


def load_inputs(settings: Settings) -> InferenceInputs:
    """Read what a snapshot needs: validated features, daily frames, bars, chain, rates."""
    features = read_validated_features(settings)
    if features.empty:
        raise SnapshotError("the validated feature table is empty")
    nifty, vix = load_daily(settings)
    store = MarketStore(settings.resolved_data_dir)
    names = store.names()
    intraday = store.read("nifty_intraday") if "nifty_intraday" in names else None
    vix_intraday = store.read("vix_intraday") if "vix_intraday" in names else None
    chain = None
    if "option_chain" in names:
        full = store.read("option_chain")
        chain = full[full["timestamp"] == full["timestamp"].max()]
    path = rates_path(settings)
    rates = json.loads(path.read_text(encoding="utf-8")) if path.exists() else None
    return InferenceInputs(features=features, nifty=nifty, vix=vix, intraday=intraday,
                           vix_intraday=vix_intraday, chain=chain, rates=rates, rates_path=path,
                           confidence=settings.safe_range_confidence, seed=settings.seed)


class SnapshotBuilder(ForecastBlocks, RangeBlocks):
    """Assembles one snapshot from its inputs (no I/O): the probabilities
    (:class:`~aegis.pipeline.forecasts.ForecastBlocks`), the range and rates
    (:class:`~aegis.pipeline.ranges.RangeBlocks`) and, here, the chain's numbers, the expiry
    and the top-level provenance."""

    def chain_numbers(self, expiry: pd.Timestamp) -> tuple[
            list[float], MarketContext, float | None, float | None]:
        """(strikes, market_context, max pain, PCR) from the chain of ``expiry``."""
        from aegis.models.specs import BREACH_OFFSETS
        from aegis.pipeline.context import chain_context, chain_features, intraday_context
        from aegis.snapshot import MarketContext

        spot = self.market.spot
        chain, chain_reason = self.chain(expiry)
        features, chain_reason = chain_features(chain, chain_reason, spot=spot, expiry=expiry)
        if chain is None:
            strikes = sorted({round(spot * (1 + s * o) / STRIKE_STEP) * STRIKE_STEP
                              for o in BREACH_OFFSETS if o > 0 for s in (-1, 1)})
        else:
            listed = np.sort(chain["strike"].unique())
            strikes = [float(k) for k in listed if abs(k / spot - 1) <= max(BREACH_OFFSETS)]
        if features is None:
            mp = pc = None
            for field in ("max_pain", "pcr"):
                self.degrade(field, chain_reason)
        else:
            mp, pc = features["max_pain"], features["pcr"]
        bars = self.market.bars
        day = pd.Timestamp(self.market.bars_day or self.session)
        context = MarketContext(
            chain=chain_context(chain, features, chain_reason, expiry=expiry),
            intraday=intraday_context(bars if len(bars) else self.inputs.intraday, day))
        return strikes, context, mp, pc

    def expiry_block(self) -> Expiry:
        from aegis.snapshot import Expiry

        m, moment = self.market, self.moment
        return Expiry(date=moment.expiry, days=moment.days, sessions=moment.sessions,
                      close_at=moment.expiry_close, minutes_left=moment.minutes_left,
                      trading_time_years=m.tau, horizon_sessions=m.horizon_sessions,
                      overnight_gap_share=m.gap.value, overnight_gap_method=m.gap.method)

    def scalar_provenance(self, mp: float | None, pc: float | None) -> ScalarProvenance:
        from aegis.snapshot import FormulaProvenance, ScalarProvenance

        m, note = self.market, self.moment.determination
        return ScalarProvenance(
            spot=FormulaProvenance(name="market_data", expression=m.spot_source),
            vix=FormulaProvenance(name="market_data", expression=m.vix_source),
            expiry=FormulaProvenance(
                name="weekly_expiry",
                expression="the first weekly expiry whose 15:30 IST close is after the moment: "
                           "Thu until 2025-08-28, Tue from 2025-09-02; holiday -> previous "
                           f"session; calendar: {note['calendar']}"),
            max_pain=None if mp is None else FormulaProvenance(
                name="max_pain", expression="argmin_P sum OI_call*max(0,P-K)+OI_put*max(0,K-P)"),
            pcr=None if pc is None else FormulaProvenance(
                name="pcr", expression="total put OI / total call OI, one expiry"),
        )



def build_snapshot(settings: Settings, now: datetime | None = None) -> Snapshot:
    """The snapshot for the latest validated session: load the inputs and champions, assemble."""
    champions = Champions.load(settings.resolved_models_dir, gate_log_path(settings))
    return assemble_snapshot(load_inputs(settings), champions, now or settings.now())


def assemble_snapshot(inputs: InferenceInputs, champions: Champions, now: datetime
                      ) -> Snapshot:
    """The snapshot of ``inputs`` with ``champions`` at the moment ``now`` (aware): pure, no I/O.

    Every number is of the moment: spot and India VIX are the last bars before ``now`` while
    today's bars exist, the expiry is the exchange calendar's first whose close is after
    ``now``, and the range, breach, trap and stress are for the time left to that close
    (:class:`~aegis.market.moment.Moment`). A block that fails its own checks degrades that
    field with the reason; the rest publishes. Raises
    :class:`~aegis.errors.SnapshotError` when no snapshot can be honest (no VIX, market data
    stamped after ``now``).
    """
    from aegis.snapshot import DegradedReason, Snapshot

    b = SnapshotBuilder(inputs, champions, now)
    m, moment = b.market, b.moment
    if m.unusable is not None:
        b.degrade("spot", f"{m.unusable}: spot, India VIX and the model inputs are the last "
                          "close's")
    expiry_day = pd.Timestamp(moment.expiry)
    safe, hit = b.guarded("safe_range", b.safe_range), b.guarded("historical_hit_rate", b.hit_rate)
    strikes, chain_block, mp, pc = b.chain_numbers(expiry_day)
    if moment.determination["assumed"]:
        b.degrade("expiry", moment.determination["reason"])
    # every block before the status: building one may degrade its field
    pair = b.guarded("trap", b.trap_and_stress)
    trap, stress = (None, None) if pair is None else pair
    if pair is None:
        b.degrade("expiry_stress", "built with trap: see the trap reason")
    direction = b.guarded("direction", b.direction)
    breach = b.guarded("breach_probabilities", lambda: b.breach(strikes)) or []
    buyer = b.guarded("buyer_signal", b.buyer)
    spike = b.guarded("historical_spike_rate", b.spike_rate)
    return Snapshot(
        status="degraded" if b.reasons else "ok",
        degraded_reasons=[DegradedReason(**r) for r in b.reasons],
        generated_at=now, as_of=max(m.spot_at, m.vix_at), spot=m.spot, vix=m.vix,
        expiry=b.expiry_block(), session_state=moment.state, moment=moment.describe(),
        max_pain=mp, pcr=pc, provenance=b.scalar_provenance(mp, pc),
        safe_range=safe, historical_hit_rate=hit, market_context=chain_block,
        direction=direction, trap=trap, expiry_stress=stress, breach_probabilities=breach,
        buyer_signal=buyer, historical_spike_rate=spike,
    )


def infer(out: Path | str | None = None, moment: str | None = None) -> dict[str, Any]:
    """Build the snapshot and publish it with its ledger rows as one unit.

    ``moment`` (ISO 8601 with its offset) is the moment the snapshot is of: the 30-minute
    DAG passes its ingest run's slot, so a replayed or late run publishes the numbers of its
    slot; default :meth:`Settings.now` (``AEGIS_CLOCK`` or the system clock). A promotion
    interrupted by a crash is completed or rolled back first, so the champions read are one
    whole set (never half of a promotion); a publish interrupted by a crash is finished
    first, so no published snapshot lacks its ledger rows (:mod:`aegis.pipeline.publish`).
    The previous snapshot survives any failure.
    """
    from aegis.ledger.store import ledger_path
    from aegis.pipeline.publish import publish_snapshot, recover_publish
    from aegis.registry.store import StoreConfig, recover_store

    settings = get_settings()
    recover_store(StoreConfig.from_settings(settings))
    ledger_file = ledger_path(settings.resolved_data_dir)
    recovered = recover_publish(ledger_file)
    snapshot = build_snapshot(settings, datetime.fromisoformat(moment) if moment else None)
    path = Path(out) if out is not None else settings.snapshot_path
    published = publish_snapshot(snapshot, path, ledger_file)
    return {"path": str(path), "status": snapshot.status, "ledger": published["ledger"],
            "recovered": recovered or published["recovered"],
            "degraded_reasons": [r.model_dump() for r in snapshot.degraded_reasons],
            "as_of": snapshot.as_of.isoformat()}


__all__ = ["Champions", "InferenceInputs", "SnapshotBuilder", "assemble_snapshot",
           "build_snapshot", "infer", "load_inputs"]

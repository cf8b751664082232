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
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from aegis.config import Settings, get_settings
from aegis.errors import ModelError, SnapshotError
from aegis.market.hours import IST, session_close
from aegis.market.store import MarketStore
from aegis.pipeline.champions import (
    Champions,
    calibration_of,
    climatology_calibration,
    model_provenance,
)
from aegis.pipeline.data import load_daily, read_validated_features
from aegis.pipeline.paths import gate_log_path, rates_path

if TYPE_CHECKING:  # the blocks are imported where they are built (the stage's import cost)
    from collections.abc import Callable

    from numpy.typing import NDArray

    from aegis.models.climatology import Climatology
    from aegis.registry.artifacts import OnnxModel
    from aegis.snapshot import (
        Breach,
        BuyerSignal,
        Direction,
        ExpiryStress,
        Snapshot,
        SpikeRate,
        Trap,
    )
    from aegis.snapshot.provenance import Calibration, Provenance

STRIKE_STEP = 50.0


@dataclass(frozen=True)
class InferenceInputs:
    """What one snapshot is computed from, read from the stores by :func:`load_inputs`.

    Attributes
    ----------
    features : the validated daily feature table.  nifty, vix : the daily frames.
    intraday : NIFTY 1-minute bars (``nifty_intraday``), or None.
    chain : the latest option-chain snapshot (every expiry it lists), or None.
    rates : the nightly ``rates.json`` (hit and spike rates), or None; ``rates_path`` is where.
    confidence : safe-range confidence.  seed : the block-bootstrap seed.
    """

    features: pd.DataFrame
    nifty: pd.DataFrame
    vix: pd.DataFrame
    intraday: pd.DataFrame | None
    chain: pd.DataFrame | None
    rates: dict[str, Any] | None
    rates_path: Path
    confidence: float
    seed: int


def load_inputs(settings: Settings) -> InferenceInputs:
    """Read what a snapshot needs: validated features, daily frames, bars, chain, rates."""
    features = read_validated_features(settings)
    if features.empty:
        raise SnapshotError("the validated feature table is empty")
    nifty, vix = load_daily(settings)
    store = MarketStore(settings.resolved_data_dir)
    names = store.names()
    intraday = store.read("nifty_intraday") if "nifty_intraday" in names else None
    chain = None
    if "option_chain" in names:
        full = store.read("option_chain")
        chain = full[full["timestamp"] == full["timestamp"].max()]
    path = rates_path(settings)
    rates = json.loads(path.read_text(encoding="utf-8")) if path.exists() else None
    return InferenceInputs(features=features, nifty=nifty, vix=vix, intraday=intraday,
                           chain=chain, rates=rates, rates_path=path,
                           confidence=settings.safe_range_confidence, seed=settings.seed)


class SnapshotBuilder:
    """Assembles one snapshot from its inputs (no I/O); collects degraded reasons as it goes."""

    def __init__(self, inputs: InferenceInputs, champions: Champions, now: datetime) -> None:
        self.inputs = inputs
        self.now = now
        self.reasons: list[dict[str, str]] = []
        self.champions = champions
        self.features = inputs.features
        self.nifty, self.vix = inputs.nifty, inputs.vix
        self.row = self.features.iloc[-1]
        self.session = pd.Timestamp(self.features.index[-1])
        self._climatology: dict[str, Any] = {}

    def degrade(self, field: str, reason: str) -> None:
        self.reasons.append({"field": field, "reason": reason})

    # --- model-or-baseline probabilities ------------------------------------------------
    def _model_probability(self, name: str, inputs: Callable[[], NDArray[np.floating[Any]]]
                           ) -> tuple[float | None, OnnxModel | None, str]:
        """(p, model, reason): p from the champion, or None with the reason it was not used."""
        model = self.champions.get(name)
        if model is None:
            return None, None, f"champion {name!r} unavailable ({self.champions.errors[name]})"
        try:
            x = inputs()
            return float(model.predict_proba(x)[0]), model, ""
        except ModelError as exc:
            return None, model, f"{name} {model.version} could not score today's inputs: {exc}"

    def climatology(self, name: str) -> Climatology:
        """The event frequency of everything settled, as the nightly retrain wrote it
        (``climatology.json`` beside ``rates.json``); recomputed from the history only when
        that file cannot give it, the reason then in ``Climatology.note`` (cached per model)."""
        from aegis.pipeline.nightly import NightlyClimatology
        from aegis.pipeline.paths import CLIMATOLOGY_FILE

        source = self._climatology.get("")
        if not isinstance(source, NightlyClimatology):
            source = NightlyClimatology(self.inputs.rates_path.with_name(CLIMATOLOGY_FILE),
                                        self.nifty, self.vix, self.features)
            self._climatology[""] = source
        return source.get(name)

    def _fallback(self, name: str, field: str, why: str) -> tuple[Provenance, Calibration]:
        """(provenance, calibration) of the climatology forecast published instead of a model.

        An honest answer (``empirical``, not degraded) when the last retrain's gate found no
        model that beats climatology and none was ever promoted; otherwise something broke:
        the field is degraded and climatology stands in as the named baseline.
        """
        from aegis.snapshot import BaselineProvenance, DateWindow, EmpiricalProvenance

        clim = self.climatology(name)
        refusal = self.champions.refused.get(name)
        if refusal is not None:
            prov = EmpiricalProvenance(
                name="climatology", n=clim.n, window=DateWindow(from_=clim.first, to=clim.last),
                reason=f"no model beat climatology at the last retrain "
                       f"({refusal.trained_at}): {refusal.reason}{clim.note}")
            return prov, climatology_calibration(refusal)
        self.degrade(field, why)
        return (BaselineProvenance(name="climatology", reason=why + clim.note),
                calibration_of(None, why))

    def _score(self, name: str, field: str, inputs: Callable[[], NDArray[np.floating[Any]]]
               ) -> tuple[float, Provenance, Calibration, OnnxModel | None]:
        """(score, provenance, calibration, champion): the champion's, or climatology's."""
        p, model, why = self._model_probability(name, inputs)
        if p is None or model is None:  # both or neither: a probability comes from a model
            prov, cal = self._fallback(name, field, why)
            return self.climatology(name).value, prov, cal, None
        return p, model_provenance(model), calibration_of(model, why), model

    @staticmethod
    def _cuts(model: OnnxModel | None) -> tuple[float, float] | None:
        if model is None:
            return None
        cuts: tuple[float, float] | None = model.typed.metrics.label_cuts
        return cuts

    def trap_and_stress(self) -> tuple[Trap, ExpiryStress]:
        from aegis.analytics import stress_label, trap_label
        from aegis.models.inputs import row_inputs
        from aegis.snapshot import ExpiryStress, Trap

        today = self.features.iloc[[-1]]
        score, prov, cal, model = self._score("trap", "trap",
                                              lambda: row_inputs("trap", today))
        cuts = self._cuts(model)
        trap = Trap(score=score, label=trap_label(score, cuts), label_cuts=cuts,
                    provenance=prov, calibration=cal)
        score, prov, cal, model = self._score("expiry_stress", "expiry_stress",
                                              lambda: row_inputs("expiry_stress", today))
        cuts = self._cuts(model)
        stress = ExpiryStress(score=score, label=stress_label(score, cuts), label_cuts=cuts,
                              provenance=prov, calibration=cal)
        return trap, stress

    def direction(self) -> Direction:
        from aegis.models.inputs import sequence_inputs
        from aegis.models.specs import MODEL_SPECS
        from aegis.snapshot import Direction

        window = MODEL_SPECS["direction"].window
        tail = self.features.iloc[-window:]
        p, prov, cal, _ = self._score(
            "direction", "direction", lambda: sequence_inputs("direction", tail)[0][-1:])
        return Direction(label="UP" if p >= 0.5 else "DOWN", probability_up=p,
                         confidence=max(p, 1.0 - p), provenance=prov, calibration=cal)

    def buyer(self) -> BuyerSignal:
        from aegis.models.inputs import row_inputs
        from aegis.snapshot import BuyerSignal

        today = self.features.iloc[[-1]]
        p, prov, cal, model = self._score("buyer", "buyer_signal",
                                          lambda: row_inputs("buyer", today))
        threshold = None if model is None else model.threshold
        if model is not None and threshold is None:
            why = f"buyer {model.version} has no BREAKOUT threshold in its manifest"
            prov, cal = self._fallback("buyer", "buyer_signal", why)
            p = self.climatology("buyer").value
        # without a model there is no BREAKOUT: climatology never passes a threshold of 1
        threshold = 1.0 if threshold is None else float(threshold)
        return BuyerSignal(signal="BREAKOUT" if p >= threshold else "WAIT",
                           spike_probability=p, threshold=threshold, provenance=prov,
                           calibration=cal)

    def breach(self, spot: float, sigma: float, days: float, strikes: list[float]
               ) -> list[Breach]:
        from aegis.models.inputs import breach_inputs
        from aegis.models.specs import MODEL_SPECS
        from aegis.snapshot import Breach, BreachCalibration

        k = np.asarray(strikes, dtype=float)
        n = len(k)
        daily = np.tile(self.row[list(MODEL_SPECS["breach"].features)].to_numpy(float), (n, 1))
        model = self.champions.get("breach")
        why = ""
        if model is None:
            why = f"champion 'breach' unavailable ({self.champions.errors['breach']})"
        else:
            try:
                args = (np.full(n, spot), k, np.full(n, sigma), np.full(n, days))
                touch = model.predict_proba(breach_inputs(*args, np.zeros(n, bool), daily))
                close = model.predict_proba(breach_inputs(*args, np.ones(n, bool), daily))
            except ModelError as exc:
                why = f"breach {model.version} could not score today's inputs: {exc}"
        if why or model is None:  # model is None always comes with its reason in why
            prov, cal = self._fallback("breach", "breach_probabilities", why)
            clim = self.climatology("breach")
            touch, close = clim.breach(spot, k, "touch"), clim.breach(spot, k, "close")
            calibration = BreachCalibration(touch=cal, close_beyond=cal)
        else:
            prov = model_provenance(model)
            calibration = BreachCalibration(touch=calibration_of(model, why, "touch"),
                                            close_beyond=calibration_of(model, why, "close"))
        return [
            Breach(strike=float(s), side="above" if s > spot else "below",
                   touch=float(np.clip(t, 0, 1)), close_beyond=float(np.clip(c, 0, 1)),
                   distance_pct=(float(s) / spot - 1) * 100, provenance=prov,
                   calibration=calibration)
            for s, t, c in zip(k, touch, close, strict=True)
        ]

    # --- market, chain, rates -------------------------------------------------------------
    def spot_and_time(self) -> tuple[float, datetime, str]:
        """Latest spot: the last intraday bar if newer than the daily close, else the close."""
        close_time = session_close(self.session.date())
        spot, as_of, source = float(self.row["close"]), close_time, "NIFTY daily close"
        bars = self.inputs.intraday
        if bars is not None and len(bars):
            last = pd.Timestamp(bars.index[-1])
            if last.tz_convert(IST).date() >= self.session.date() and last > pd.Timestamp(as_of):
                spot, as_of = float(bars["close"].iloc[-1]), last.to_pydatetime()
                source = "NIFTY intraday bar close"
        if as_of > self.now:
            raise SnapshotError(
                f"the latest market data ({source}, {as_of.isoformat()}) is stamped in the "
                "future: refusing to publish a snapshot for a close that has not happened")
        return spot, as_of, source

    def chain(self, expiry: pd.Timestamp) -> tuple[pd.DataFrame | None, str]:
        """(rows, reason): the latest chain's rows of ``expiry``, or None and why not.

        The chain must list ``expiry`` and be taken on the snapshot's session or later: the
        open interest of an earlier session is stale (max pain, PCR and the chain features
        would describe positions that have since moved).
        """
        from aegis.market.hours import ist_day

        latest = self.inputs.chain
        if latest is None or latest.empty:
            return None, "no option chain in the store"
        taken = pd.Timestamp(latest["timestamp"].max())
        if ist_day(taken) < self.session.normalize():
            return None, (f"the latest option chain was taken {taken.isoformat()}, before the "
                          f"snapshot's session {self.session.date()}: its open interest is stale")
        expiries = pd.to_datetime(latest["expiry"]).dt.normalize()
        if (expiries == expiry).any():
            return latest[expiries == expiry], ""
        return None, (f"the latest option chain ({taken.isoformat()}) lists no "
                      f"contracts for the {expiry.date()} expiry")

    def spike_rate(self) -> SpikeRate | None:
        from aegis.rates.empirical import EmpiricalRate
        from aegis.snapshot import spike_rate_block

        data = self.inputs.rates
        if data is None:
            self.degrade("historical_spike_rate",
                         f"no recomputed rates at {self.inputs.rates_path}: the nightly "
                         "retrain has not run yet")
            return None
        if "spike" not in data:
            self.degrade("historical_spike_rate", data.get("spike_error", "not computed"))
            return None
        return spike_rate_block(EmpiricalRate.model_validate(data["spike"]))


def build_snapshot(settings: Settings, now: datetime | None = None) -> Snapshot:
    """The snapshot for the latest validated session: load the inputs and champions, assemble."""
    champions = Champions.load(settings.resolved_models_dir, gate_log_path(settings))
    return assemble_snapshot(load_inputs(settings), champions, now or settings.now())


def assemble_snapshot(inputs: InferenceInputs, champions: Champions, now: datetime
                      ) -> Snapshot:
    """The snapshot of ``inputs`` with ``champions`` at time ``now`` (UTC): pure, no I/O.

    ``market_context`` holds the chain features of the chain max pain and PCR come from and
    the intraday features of the snapshot's session (each unavailable with a reason otherwise).
    Raises :class:`~aegis.errors.SnapshotError` when no snapshot can be honest (no VIX,
    market data stamped after ``now``).
    """
    from aegis.analytics import expected_move, safe_range
    from aegis.market.calendar import expiry_determination
    from aegis.models.specs import BREACH_OFFSETS
    from aegis.pipeline.context import chain_context, chain_features, intraday_context
    from aegis.rates import fit_range_for_session, historical_hit_rate, session_windows
    from aegis.snapshot import (
        DateWindow,
        DegradedReason,
        EmpiricalProvenance,
        Expiry,
        FormulaProvenance,
        MarketContext,
        SafeRange,
        ScalarProvenance,
        Snapshot,
        hit_rate_block,
    )

    b = SnapshotBuilder(inputs, champions, now)
    spot, as_of, spot_source = b.spot_and_time()
    vix = float(b.row["vix"])
    if not np.isfinite(vix) or vix <= 0:
        raise SnapshotError(f"no India VIX for {b.session.date()}: cannot publish a snapshot")
    days, n_sessions = float(b.row["days_to_expiry"]), int(b.row["sessions_to_expiry"])
    expiry_day = (b.session + pd.Timedelta(days=days)).normalize()
    sigma = vix / 100.0

    confidence = inputs.confidence
    windows = session_windows(b.nifty, b.vix)  # one per session, to the expiry after it
    fit = fit_range_for_session(windows, confidence, session=b.session,
                                sessions_to_expiry=n_sessions)
    k = fit.k(days)
    lower, upper = safe_range(spot, vix, days, k)
    safe = SafeRange(
        lower=float(lower), upper=float(upper), confidence=confidence, k=k,
        expected_move=float(expected_move(spot, vix, days)), sessions_to_expiry=n_sessions,
        k_session=fit.k_session, fit_scope=fit.scope,
        provenance=EmpiricalProvenance(
            n=fit.n, window=DateWindow(from_=fit.first_start.date(), to=fit.last_expiry.date()),
            method=fit.method),
    )
    hit = historical_hit_rate(windows, confidence, as_of=b.session,
                              sessions_to_expiry=n_sessions, seed=inputs.seed)
    horizon_reason = None if hit.horizon is not None else (
        f"no past range with {n_sessions} sessions to expiry has been scored yet")

    chain, chain_reason = b.chain(expiry_day)
    features, chain_reason = chain_features(chain, chain_reason, spot=spot, expiry=expiry_day)
    if chain is None:
        strikes = sorted({round(spot * (1 + s * o) / STRIKE_STEP) * STRIKE_STEP
                          for o in BREACH_OFFSETS if o > 0 for s in (-1, 1)})
    else:
        listed = np.sort(chain["strike"].unique())
        strikes = [float(k) for k in listed if abs(k / spot - 1) <= max(BREACH_OFFSETS)]
    if features is None:
        mp = pc = None
        for field in ("max_pain", "pcr"):
            b.degrade(field, chain_reason)
    else:
        mp, pc = features["max_pain"], features["pcr"]
    context = MarketContext(
        chain=chain_context(chain, features, chain_reason, expiry=expiry_day),
        intraday=intraday_context(inputs.intraday, b.session))
    trap, stress = b.trap_and_stress()
    expiry_note = expiry_determination(b.session, inclusive=False)
    if expiry_note["assumed"]:
        b.degrade("expiry", expiry_note["reason"])
    # every block before the status: building one may degrade its field
    direction = b.direction()
    breach = b.breach(spot, sigma, days, strikes)
    buyer, spike = b.buyer(), b.spike_rate()
    return Snapshot(
        status="degraded" if b.reasons else "ok",
        degraded_reasons=[DegradedReason(**r) for r in b.reasons],
        generated_at=now,
        as_of=as_of,
        spot=spot,
        vix=vix,
        expiry=Expiry(date=expiry_day.date(), days=days, sessions=n_sessions),
        max_pain=mp,
        pcr=pc,
        provenance=ScalarProvenance(
            spot=FormulaProvenance(name="market_data", expression=spot_source),
            vix=FormulaProvenance(name="market_data", expression="India VIX daily close"),
            expiry=FormulaProvenance(name="weekly_expiry",
                                     expression="Thu until 2025-08-28, Tue from 2025-09-02; "
                                                "holiday -> previous session; calendar: "
                                                + expiry_note["calendar"]),
            max_pain=None if mp is None else FormulaProvenance(
                name="max_pain", expression="argmin_P sum OI_call*max(0,P-K)+OI_put*max(0,K-P)"),
            pcr=None if pc is None else FormulaProvenance(
                name="pcr", expression="total put OI / total call OI, one expiry"),
        ),
        safe_range=safe,
        historical_hit_rate=hit_rate_block(hit, horizon_reason),
        market_context=context,
        direction=direction, trap=trap, expiry_stress=stress, breach_probabilities=breach,
        buyer_signal=buyer, historical_spike_rate=spike,
    )


def infer(out: Path | str | None = None) -> dict[str, Any]:
    """Build the snapshot and publish it atomically (the previous one survives any failure).

    A promotion interrupted by a crash is completed or rolled back first, so the champions
    read are one whole set (never half of a promotion).
    """
    from aegis.ledger import append_snapshot, ledger_path
    from aegis.registry.store import StoreConfig, recover_store
    from aegis.snapshot import write_snapshot

    settings = get_settings()
    recover_store(StoreConfig.from_settings(settings))
    snapshot = build_snapshot(settings)
    path = Path(out) if out is not None else settings.snapshot_path
    write_snapshot(snapshot, path)
    ledger = append_snapshot(ledger_path(settings.resolved_data_dir), snapshot)
    return {"path": str(path), "status": snapshot.status, "ledger": ledger,
            "degraded_reasons": [r.model_dump() for r in snapshot.degraded_reasons],
            "as_of": snapshot.as_of.isoformat()}


__all__ = ["Champions", "InferenceInputs", "assemble_snapshot", "build_snapshot", "infer",
           "load_inputs"]

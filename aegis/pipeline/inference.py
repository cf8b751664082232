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
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from aegis.config import Settings, get_settings
from aegis.errors import ModelError, SnapshotError
from aegis.market.hours import IST, session_close
from aegis.market.store import MarketStore
from aegis.pipeline.data import load_daily, read_validated_features
from aegis.pipeline.paths import gate_log_path, rates_path

STRIKE_STEP = 50.0


def _calibration(model: Any | None, reason: str, event: str | None = None) -> Any:
    """Walk-forward calibration from the champion's manifest (never invented)."""
    from aegis.snapshot import Calibration

    if model is None:
        return Calibration(reason=f"not measured: {reason}")
    metrics = model.manifest.get("metrics", {})
    if event is not None:
        metrics = metrics.get("by_event", {}).get(event, {})
    m, b, c = metrics.get("model"), metrics.get("baseline"), metrics.get("climatology")
    if not m or not b:
        return Calibration(reason=f"the manifest of {model.name} {model.version} has no "
                                  f"walk-forward metrics{' for ' + event if event else ''}")
    extra = {} if not c else {"brier_climatology": c["brier"],
                              "bss_climatology": 1.0 - m["brier"] / c["brier"]}
    return Calibration(brier=m["brier"], brier_baseline=b["brier"], ece=m["ece"], n=m["n"],
                       **extra)


def _climatology_calibration(decision: dict[str, Any]) -> Any:
    """Calibration of the climatology forecast, from the gate's walk-forward folds."""
    from aegis.snapshot import Calibration

    return Calibration(brier=decision["climatology_brier"],
                       brier_baseline=decision["baseline_brier"],
                       ece=decision["climatology_ece"], n=decision["n"],
                       brier_climatology=decision["climatology_brier"], bss_climatology=0.0)


class _Champions:
    """Loads each champion once; remembers why one could not be used."""

    def __init__(self, models_dir: Path, gate_log: Path | None = None) -> None:
        self.models_dir = models_dir
        self.gate_log = gate_log
        self.loaded: dict[str, Any] = {}
        self.errors: dict[str, str] = {}
        self.refused: dict[str, dict[str, Any]] = {}

    def get(self, name: str) -> Any | None:
        from aegis.registry.artifacts import load_champion

        if name not in self.loaded and name not in self.errors:
            try:
                self.loaded[name] = load_champion(name, self.models_dir)
            except ModelError as exc:
                refusal = self.refusal(name)
                if refusal is not None and "climatology_brier" in refusal:
                    self.refused[name] = refusal  # the gate tested it against climatology
                self.errors[name] = f"{type(exc).__name__}: {exc}{self._gate_note(refusal)}"
        return self.loaded.get(name)

    def refusal(self, name: str) -> dict[str, Any] | None:
        """The last gate decision when it refused ``name`` and no champion was ever promoted."""
        from aegis.registry.artifacts import read_registry

        path = self.gate_log
        if path is None or not path.exists():
            return None
        try:
            champions = read_registry(self.models_dir)["champions"]
        except ModelError:
            return None  # a malformed registry: load_champion's own error says so
        if name in champions:
            return None  # a champion exists and broke: that is a failure, not a verdict
        decision = json.loads(path.read_text(encoding="utf-8")).get(name)
        if not decision or decision.get("promote"):
            return None
        return dict(decision)

    @staticmethod
    def _gate_note(decision: dict[str, Any] | None) -> str:
        if decision is None:
            return ""
        return f"; last retrain ({decision['trained_at']}): {decision['reason']}"


def _provenance(model: Any) -> Any:
    from aegis.snapshot import ModelProvenance

    return ModelProvenance(name=model.name, version=model.version)


class SnapshotBuilder:
    """Assembles one snapshot; collects degraded reasons as it goes."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.reasons: list[dict[str, str]] = []
        self.champions = _Champions(settings.resolved_models_dir, gate_log_path(settings))
        self.features = read_validated_features(settings)
        if self.features.empty:
            raise SnapshotError("the validated feature table is empty")
        self.nifty, self.vix = load_daily(settings)
        self.store = MarketStore(settings.resolved_data_dir)
        self.row = self.features.iloc[-1]
        self.session = pd.Timestamp(self.features.index[-1])
        self._climatology: dict[str, Any] = {}

    def degrade(self, field: str, reason: str) -> None:
        self.reasons.append({"field": field, "reason": reason})

    # --- model-or-baseline probabilities ------------------------------------------------
    def _model_probability(self, name: str, inputs: Any) -> tuple[float | None, Any, str]:
        """(p, model, reason): p from the champion, or None with the reason it was not used."""
        model = self.champions.get(name)
        if model is None:
            return None, None, f"champion {name!r} unavailable ({self.champions.errors[name]})"
        try:
            x = inputs()
            return float(model.predict_proba(x)[0]), model, ""
        except ModelError as exc:
            return None, model, f"{name} {model.version} could not score today's inputs: {exc}"

    def climatology(self, name: str) -> Any:
        """The event frequency of everything settled (cached per model)."""
        from aegis.models.climatology import climatology

        if name not in self._climatology:
            self._climatology[name] = climatology(name, self.nifty, self.vix, self.features)
        return self._climatology[name]

    def _fallback(self, name: str, field: str, why: str) -> tuple[Any, Any]:
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
                       f"({refusal['trained_at']}): {refusal['reason']}")
            return prov, _climatology_calibration(refusal)
        self.degrade(field, why)
        return BaselineProvenance(name="climatology", reason=why), _calibration(None, why)

    def _score(self, name: str, field: str, inputs: Any) -> tuple[float, Any, Any, Any]:
        """(score, provenance, calibration, champion): the champion's, or climatology's."""
        p, model, why = self._model_probability(name, inputs)
        if p is None:
            prov, cal = self._fallback(name, field, why)
            return self.climatology(name).value, prov, cal, None
        return p, _provenance(model), _calibration(model, why), model

    @staticmethod
    def _cuts(model: Any | None) -> tuple[float, float] | None:
        if model is None:
            return None
        cuts = model.manifest.get("metrics", {}).get("label_cuts")
        return None if cuts is None else (float(cuts[0]), float(cuts[1]))

    def trap_and_stress(self) -> tuple[Any, Any]:
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

    def direction(self) -> Any:
        from aegis.models.inputs import sequence_inputs
        from aegis.models.specs import MODEL_SPECS
        from aegis.snapshot import Direction

        window = MODEL_SPECS["direction"].window
        tail = self.features.iloc[-window:]
        p, prov, cal, _ = self._score(
            "direction", "direction", lambda: sequence_inputs("direction", tail)[0][-1:])
        return Direction(label="UP" if p >= 0.5 else "DOWN", probability_up=p,
                         confidence=max(p, 1.0 - p), provenance=prov, calibration=cal)

    def buyer(self) -> Any:
        from aegis.models.inputs import row_inputs
        from aegis.snapshot import BuyerSignal

        today = self.features.iloc[[-1]]
        p, prov, cal, model = self._score("buyer", "buyer_signal",
                                          lambda: row_inputs("buyer", today))
        if model is not None and model.threshold is None:
            why = f"buyer {model.version} has no BREAKOUT threshold in its manifest"
            prov, cal = self._fallback("buyer", "buyer_signal", why)
            p, model = self.climatology("buyer").value, None
        # without a model there is no BREAKOUT: climatology never passes a threshold of 1
        threshold = 1.0 if model is None else float(model.threshold)
        return BuyerSignal(signal="BREAKOUT" if p >= threshold else "WAIT",
                           spike_probability=p, threshold=threshold, provenance=prov,
                           calibration=cal)

    def breach(self, spot: float, sigma: float, days: float, strikes: list[float]) -> list[Any]:
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
        if why:
            prov, cal = self._fallback("breach", "breach_probabilities", why)
            clim = self.climatology("breach")
            touch, close = clim.breach(spot, k, "touch"), clim.breach(spot, k, "close")
            calibration = BreachCalibration(touch=cal, close_beyond=cal)
        else:
            prov = _provenance(model)
            calibration = BreachCalibration(touch=_calibration(model, why, "touch"),
                                            close_beyond=_calibration(model, why, "close"))
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
        if "nifty_intraday" in self.store.names():
            bars = self.store.read("nifty_intraday")
            last = pd.Timestamp(bars.index[-1])
            if last.tz_convert(IST).date() >= self.session.date() and last > pd.Timestamp(as_of):
                spot, as_of = float(bars["close"].iloc[-1]), last.to_pydatetime()
                source = "NIFTY intraday bar close"
        if as_of > datetime.now(UTC):
            raise SnapshotError(
                f"the latest market data ({source}, {as_of.isoformat()}) is stamped in the "
                "future: refusing to publish a snapshot for a close that has not happened")
        return spot, as_of, source

    def chain(self, expiry: pd.Timestamp) -> tuple[pd.DataFrame | None, str]:
        if "option_chain" not in self.store.names():
            return None, "no option chain in the store"
        chain = self.store.read("option_chain")
        latest = chain[chain["timestamp"] == chain["timestamp"].max()]
        expiries = pd.to_datetime(latest["expiry"]).dt.normalize()
        if (expiries == expiry).any():
            return latest[expiries == expiry], ""
        return None, (f"the latest option chain ({latest['timestamp'].max()}) lists no "
                      f"contracts for the {expiry.date()} expiry")

    def spike_rate(self) -> Any:
        from aegis.rates.empirical import EmpiricalRate
        from aegis.snapshot import spike_rate_block

        path = rates_path(self.settings)
        if not path.exists():
            self.degrade("historical_spike_rate",
                         f"no recomputed rates at {path}: the nightly retrain has not run yet")
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
        if "spike" not in data:
            self.degrade("historical_spike_rate", data.get("spike_error", "not computed"))
            return None
        return spike_rate_block(EmpiricalRate.model_validate(data["spike"]))


def build_snapshot(settings: Settings) -> Any:
    """The snapshot for the latest validated session (pure apart from reading the stores)."""
    from aegis.analytics import expected_move, max_pain, pcr, safe_range
    from aegis.market.calendar import expiry_determination
    from aegis.models.specs import BREACH_OFFSETS
    from aegis.rates import fit_range_for_session, historical_hit_rate, session_windows
    from aegis.snapshot import (
        DateWindow,
        DegradedReason,
        EmpiricalProvenance,
        Expiry,
        FormulaProvenance,
        SafeRange,
        ScalarProvenance,
        Snapshot,
        hit_rate_block,
        now_utc,
    )

    b = SnapshotBuilder(settings)
    spot, as_of, spot_source = b.spot_and_time()
    vix = float(b.row["vix"])
    if not np.isfinite(vix) or vix <= 0:
        raise SnapshotError(f"no India VIX for {b.session.date()}: cannot publish a snapshot")
    days, n_sessions = float(b.row["days_to_expiry"]), int(b.row["sessions_to_expiry"])
    expiry_day = (b.session + pd.Timedelta(days=days)).normalize()
    sigma = vix / 100.0

    confidence = settings.safe_range_confidence
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
                              sessions_to_expiry=n_sessions, seed=settings.seed)
    horizon_reason = None if hit.horizon is not None else (
        f"no past range with {n_sessions} sessions to expiry has been scored yet")

    chain, chain_reason = b.chain(expiry_day)
    if chain is None:
        strikes = sorted({round(spot * (1 + s * o) / STRIKE_STEP) * STRIKE_STEP
                          for o in BREACH_OFFSETS if o > 0 for s in (-1, 1)})
        mp = pc = None
        for field in ("max_pain", "pcr"):
            b.degrade(field, chain_reason)
    else:
        listed = np.sort(chain["strike"].unique())
        strikes = [float(k) for k in listed if abs(k / spot - 1) <= max(BREACH_OFFSETS)]
        mp, pc = float(max_pain(chain)), float(pcr(chain))
    trap, stress = b.trap_and_stress()
    expiry_note = expiry_determination(b.session, inclusive=False)
    if expiry_note["assumed"]:
        b.degrade("expiry", expiry_note["reason"])
    blocks = {
        "direction": b.direction(), "trap": trap, "expiry_stress": stress,
        "breach_probabilities": b.breach(spot, sigma, days, strikes),
        "buyer_signal": b.buyer(), "historical_spike_rate": b.spike_rate(),
    }
    return Snapshot(
        status="degraded" if b.reasons else "ok",
        degraded_reasons=[DegradedReason(**r) for r in b.reasons],
        generated_at=now_utc(),
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
        **blocks,
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


def model_health() -> dict[str, Any]:
    """Load every champion as inference would; raise naming each one that is not sound."""
    from aegis.errors import ArtifactMissingError
    from aegis.models.specs import MODEL_SPECS
    from aegis.registry.artifacts import read_registry, verify_all
    from aegis.registry.store import StoreConfig, recover_store

    settings = get_settings()
    recover_store(StoreConfig.from_settings(settings))
    models_dir = settings.resolved_models_dir
    results = verify_all(models_dir)
    champions = set(read_registry(models_dir)["champions"])
    missing = sorted(set(MODEL_SPECS) - champions)
    refused = _Champions(models_dir, gate_log_path(settings))
    climatology = {name: decision["reason"] for name in missing
                   if (decision := refused.refusal(name)) and "climatology_brier" in decision}
    bad = [f"{r.name} ({r.version}): {r.reason}" for r in results if not r.ok]
    bad += [f"{name}: no champion in {models_dir / 'registry.json'}"
            for name in missing if name not in climatology]
    if bad:
        raise ArtifactMissingError("unhealthy champions: " + "; ".join(bad))
    return {"healthy": sorted(r.name for r in results),
            "versions": {r.name: r.version for r in results},
            # no model beat climatology: published as climatology, honestly; not a failure
            "climatology": climatology}


__all__ = ["build_snapshot", "infer", "model_health"]

"""Inference stage: validated features + verified champions -> aegismatrix.json.

Every number says where it came from. When a champion cannot be loaded or its inputs are not
usable, the number is published from its baseline *with the reason* and the snapshot's status
becomes ``degraded`` (DESIGN.md, law 1); nothing is substituted silently.
This module imports onnxruntime (through the registry), numpy and pandas -- not scikit-learn,
torch or Great Expectations.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from aegis.config import Settings, get_settings
from aegis.errors import ModelError, SnapshotError
from aegis.market.store import MarketStore
from aegis.pipeline.data import load_daily, read_validated_features
from aegis.pipeline.paths import gate_log_path, rates_path

IST = ZoneInfo("Asia/Kolkata")
BREACH_OFFSETS = (0.01, 0.02, 0.03, 0.04, 0.05)
STRIKE_STEP = 50.0


def _calibration(model: Any | None, reason: str, event: str | None = None) -> Any:
    """Walk-forward calibration from the champion's manifest (never invented)."""
    from aegis.snapshot import Calibration

    if model is None:
        return Calibration(reason=f"not measured: {reason}")
    metrics = model.manifest.get("metrics", {})
    if event is not None:
        metrics = metrics.get("by_event", {}).get(event, {})
    m, b = metrics.get("model"), metrics.get("baseline")
    if not m or not b:
        return Calibration(reason=f"the manifest of {model.name} {model.version} has no "
                                  f"walk-forward metrics{' for ' + event if event else ''}")
    return Calibration(brier=m["brier"], brier_baseline=b["brier"], ece=m["ece"], n=m["n"])


class _Champions:
    """Loads each champion once; remembers why one could not be used."""

    def __init__(self, models_dir: Path, gate_log: Path | None = None) -> None:
        self.models_dir = models_dir
        self.gate_log = gate_log
        self.loaded: dict[str, Any] = {}
        self.errors: dict[str, str] = {}

    def get(self, name: str) -> Any | None:
        from aegis.registry.artifacts import load_champion

        if name not in self.loaded and name not in self.errors:
            try:
                self.loaded[name] = load_champion(name, self.models_dir)
            except ModelError as exc:
                self.errors[name] = f"{type(exc).__name__}: {exc}{self._gate_note(name)}"
        return self.loaded.get(name)

    def _gate_note(self, name: str) -> str:
        """Why the last retrain did not promote ``name``, when that is why it is missing."""
        path = self.gate_log
        if path is None or not path.exists():
            return ""
        decision = json.loads(path.read_text(encoding="utf-8")).get(name)
        if not decision or decision.get("promote"):
            return ""
        return f"; last retrain ({decision['trained_at']}): {decision['reason']}"


def _provenance(model: Any) -> Any:
    from aegis.snapshot import ModelProvenance

    return ModelProvenance(name=model.name, version=model.version)


def _baseline(name: str, reason: str) -> Any:
    from aegis.snapshot import BaselineProvenance

    return BaselineProvenance(name=name, reason=reason)


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

    def _score(self, name: str, field: str, baseline: tuple[str, float],
               inputs: Any) -> tuple[float, Any, Any]:
        """(score, provenance, calibration): the champion's, or the named baseline's with why."""
        p, model, why = self._model_probability(name, inputs)
        if p is None:
            self.degrade(field, why)
            return baseline[1], _baseline(baseline[0], why), _calibration(None, why)
        return p, _provenance(model), _calibration(model, why)

    def trap_and_stress(self) -> tuple[Any, Any]:
        from aegis.analytics import stress_baseline, stress_label, trap_baseline, trap_label
        from aegis.models.inputs import row_inputs
        from aegis.snapshot import ExpiryStress, Trap

        today = self.features.iloc[[-1]]
        iv_pct, rv_pct = self.row["iv_percentile_252"], self.row["rv_percentile_252"]
        trap_base = float(trap_baseline(iv_pct, rv_pct))
        score, prov, cal = self._score("trap", "trap", ("trap_baseline", trap_base),
                                       lambda: row_inputs("trap", today))
        trap = Trap(score=score, label=trap_label(score), provenance=prov, calibration=cal)
        stress_base = float(stress_baseline(trap_base, iv_pct / 100.0))
        score, prov, cal = self._score("expiry_stress", "expiry_stress",
                                       ("stress_baseline", stress_base),
                                       lambda: row_inputs("expiry_stress", today))
        stress = ExpiryStress(score=score, label=stress_label(score), provenance=prov,
                              calibration=cal)
        return trap, stress

    def direction(self) -> Any:
        from aegis.models.inputs import sequence_inputs
        from aegis.models.specs import MODEL_SPECS
        from aegis.snapshot import Direction

        window = MODEL_SPECS["direction"].window
        tail = self.features.iloc[-window:]
        p, model, why = self._model_probability(
            "direction", lambda: sequence_inputs("direction", tail)[0][-1:])
        if p is None:
            self.degrade("direction", why)
            closes = self.nifty["close"].to_numpy(dtype=float)
            p = float(np.mean(closes[1:] > closes[:-1]))
            prov = _baseline("up_day_frequency", why)
            model = None
        else:
            prov = _provenance(model)
        return Direction(label="UP" if p >= 0.5 else "DOWN", probability_up=p,
                         confidence=max(p, 1.0 - p), provenance=prov,
                         calibration=_calibration(model, why))

    def buyer(self) -> Any:
        from aegis.models.inputs import row_inputs
        from aegis.rates.spike_rate import next_session_spike
        from aegis.snapshot import BuyerSignal

        today = self.features.iloc[[-1]]
        p, model, why = self._model_probability("buyer", lambda: row_inputs("buyer", today))
        if p is None or model.threshold is None:
            why = why or f"buyer {model.version} has no BREAKOUT threshold in its manifest"
            self.degrade("buyer_signal", why)
            spikes = next_session_spike(self.nifty, self.vix).dropna()
            p = float(spikes.astype(float).mean())
            threshold = 0.5
            prov = _baseline("spike_base_rate", f"{why}; threshold 0.5 stands in")
            model = None
        else:
            threshold = float(model.threshold)
            prov = _provenance(model)
        return BuyerSignal(signal="BREAKOUT" if p >= threshold else "WAIT",
                           spike_probability=p, threshold=threshold, provenance=prov,
                           calibration=_calibration(model, why))

    def breach(self, spot: float, sigma: float, days: float, strikes: list[float]) -> list[Any]:
        from aegis.analytics import close_beyond_probability, touch_probability
        from aegis.models.inputs import breach_inputs
        from aegis.models.specs import MODEL_SPECS
        from aegis.snapshot import Breach, BreachCalibration

        k = np.asarray(strikes, dtype=float)
        n = len(k)
        daily = np.tile(self.row[list(MODEL_SPECS["breach"].features)].to_numpy(float), (n, 1))
        base_touch = np.asarray(touch_probability(spot, k, sigma, days), dtype=float)
        base_close = np.asarray(close_beyond_probability(spot, k, sigma, days), dtype=float)
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
            self.degrade("breach_probabilities", why)
            touch, close = base_touch, base_close
            prov = _baseline("gbm_reflection", why)
            model = None
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
        close_time = datetime.combine(self.session.date(), time(15, 30), IST)
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
    from aegis.rates import historical_hit_rate, weekly_windows
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

    hit = historical_hit_rate(weekly_windows(b.nifty, b.vix), settings.safe_range_confidence,
                              as_of=b.session)
    assert hit.k_latest is not None  # a hit rate always carries today's k
    lower, upper = safe_range(spot, vix, days, hit.k_latest)
    em = float(expected_move(spot, vix, days))
    safe = SafeRange(
        lower=float(lower), upper=float(upper), confidence=settings.safe_range_confidence,
        k=float(hit.k_latest), expected_move=em,
        provenance=EmpiricalProvenance(n=hit.n, window=DateWindow(from_=hit.window.from_,
                                                                   to=hit.window.to)),
    )

    chain, chain_reason = b.chain(expiry_day)
    if chain is None:
        strikes = sorted({round(spot * (1 + s * o) / STRIKE_STEP) * STRIKE_STEP
                          for o in BREACH_OFFSETS for s in (-1, 1)})
        mp = pc = None
        for field in ("max_pain", "pcr"):
            b.degrade(field, chain_reason)
    else:
        listed = np.sort(chain["strike"].unique())
        strikes = [float(k) for k in listed if abs(k / spot - 1) <= max(BREACH_OFFSETS)]
        mp, pc = float(max_pain(chain)), float(pcr(chain))
    trap, stress = b.trap_and_stress()
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
                                                "holiday -> previous session"),
            max_pain=None if mp is None else FormulaProvenance(
                name="max_pain", expression="argmin_P sum OI_call*max(0,P-K)+OI_put*max(0,K-P)"),
            pcr=None if pc is None else FormulaProvenance(
                name="pcr", expression="total put OI / total call OI, one expiry"),
        ),
        safe_range=safe,
        historical_hit_rate=hit_rate_block(hit),
        **blocks,
    )


def infer(out: Path | str | None = None) -> dict[str, Any]:
    """Build the snapshot and publish it atomically (the previous one survives any failure)."""
    from aegis.snapshot import write_snapshot

    settings = get_settings()
    snapshot = build_snapshot(settings)
    path = Path(out) if out is not None else settings.snapshot_path
    write_snapshot(snapshot, path)
    return {"path": str(path), "status": snapshot.status,
            "degraded_reasons": [r.model_dump() for r in snapshot.degraded_reasons],
            "as_of": snapshot.as_of.isoformat()}


def model_health() -> dict[str, Any]:
    """Load every champion as inference would; raise naming each one that is not sound."""
    from aegis.errors import ArtifactMissingError
    from aegis.models.specs import MODEL_SPECS
    from aegis.registry.artifacts import read_registry, verify_all

    models_dir = get_settings().resolved_models_dir
    results = verify_all(models_dir)
    champions = set(read_registry(models_dir)["champions"])
    missing = sorted(set(MODEL_SPECS) - champions)
    bad = [f"{r.name} ({r.version}): {r.reason}" for r in results if not r.ok]
    bad += [f"{name}: no champion in {models_dir / 'registry.json'}" for name in missing]
    if bad:
        raise ArtifactMissingError("unhealthy champions: " + "; ".join(bad))
    return {"healthy": sorted(r.name for r in results),
            "versions": {r.name: r.version for r in results}}


__all__ = ["build_snapshot", "infer", "model_health"]

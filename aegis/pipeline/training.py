"""Nightly retrain stages: train challengers, gate and publish them, recompute the rates.

In Airflow each model trains in its own mapped task (own process), so a challenger is handed
on as a written ONNX *version* (``models/<name>/versions/<v>/``, not yet champion) plus its
gate decision in ``<home>/challengers/<name>.json``; ``promote_and_push`` promotes the winners,
``dvc push``es and commits ``models.dvc`` in one transaction. No Python object is pickled.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from aegis.config import get_settings
from aegis.errors import ModelStoreError
from aegis.pipeline.data import load_daily, read_validated_features
from aegis.pipeline.paths import challengers_dir, gate_log_path, rates_path, write_text_atomic

#: Years of complete features the buyer model trains on before its first walk-forward signal.
SPIKE_WARMUP_YEARS = 5


def _add_event_metrics(trained: Any) -> None:
    """Breach: score touch and close-beyond apart over the folds (they are published apart)."""
    from aegis.models.training import fold_summary

    pred = trained.fold_predictions
    if trained.name != "breach" or pred is None or "event" not in pred:
        return
    trained.metrics["by_event"] = {
        event: fold_summary(pred[pred["event"] == event])
        for event in ("touch", "close")
        if (pred["event"] == event).any()
    }


def train_model(name: str) -> dict[str, Any]:
    """Train challenger ``name`` on the validated features, gate it, write it as a version."""
    from aegis.models.gate import gate
    from aegis.models.training import train_model as fit
    from aegis.registry.defender import defending_champion
    from aegis.registry.writer import write_version

    settings = get_settings()
    nifty, vix = load_daily(settings)
    features = read_validated_features(settings)
    started = datetime.now(UTC)
    params = settings.params()
    trained = fit(name, nifty, vix, features, seed=settings.seed, params=params)
    _add_event_metrics(trained)
    champion, note = defending_champion(name, settings.resolved_models_dir)
    decision = gate(name, trained.fold_predictions, trained.fold.X, champion,
                    champion_note=note or "no champion yet", params=params.gate,
                    seed=settings.seed)
    trained.metrics["gate"] = decision.model_dump(mode="json", exclude={"folds"})
    folder = write_version(trained, settings.resolved_models_dir)
    record = {
        "name": name, "version": folder.name, "decision": decision.model_dump(mode="json"),
        "trained_at": started.isoformat(timespec="seconds"),
        "seconds": round((datetime.now(UTC) - started).total_seconds(), 2),
        "metrics": {k: {m: v for m, v in trained.metrics[k].items() if m != "reliability"}
                    for k in ("model", "baseline", "climatology")},
    }
    write_text_atomic(challengers_dir(settings) / f"{name}.json", json.dumps(record, indent=2))
    return record


def train(names: list[str] | None = None) -> dict[str, Any]:
    """Train every model (or ``names``) in this process; returns the per-model records."""
    from aegis.models.specs import MODEL_SPECS

    return {name: train_model(name) for name in (names or list(MODEL_SPECS))}


def promote_and_push(push: bool = True) -> dict[str, Any]:
    """Promote every challenger the gate accepted; ``dvc push`` and commit ``models.dvc``.

    One transaction: if the remote is down the registry, the champions and ``models.dvc`` stay
    exactly as they were (:class:`~aegis.errors.RemoteUnavailableError` is raised).
    """
    from aegis.registry.store import StoreConfig, transaction
    from aegis.registry.writer import promote

    settings = get_settings()
    folder = challengers_dir(settings)
    records = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.json"))]
    if not records:
        raise ModelStoreError(f"no challengers in {folder}: run the training tasks first")
    winners = [r for r in records if r["decision"]["promote"]]
    summary = {r["name"]: {"promoted": r["decision"]["promote"], "version": r["version"],
                           "reason": r["decision"]["reason"]} for r in records}
    cfg = StoreConfig.from_settings(settings)

    def change() -> str:
        for r in winners:
            promote(r["name"], r["version"], cfg.models_dir, reason=r["decision"]["reason"])
        return "models: promote " + ", ".join(f"{r['name']} {r['version']}" for r in winners)

    commit = None
    if winners:
        if push:
            commit = transaction(cfg, [r["name"] for r in winners], change)
        else:
            change()
    decided = {r["name"]: {**r["decision"], "version": r["version"], "trained_at": r["trained_at"]}
               for r in records}
    write_text_atomic(gate_log_path(settings), json.dumps(decided, indent=2))
    for path in folder.glob("*.json"):
        path.unlink()
    return {"models": summary, "commit": commit, "pushed": bool(winners and push)}


def recompute_rates() -> dict[str, Any]:
    """Historical hit and spike rates, walk-forward, as of the last validated session.

    The spike rate needs past BREAKOUT signals: the buyer model is refitted yearly on data
    before each year (walk-forward) over the history after its first five years.
    """
    import pandas as pd

    from aegis.errors import InsufficientHistoryError, TrainingDataError
    from aegis.models.walkforward import walk_forward_predictions
    from aegis.rates import historical_hit_rate, historical_spike_rate, session_windows
    from aegis.rates.spike_rate import next_session_spike

    settings = get_settings()
    nifty, vix = load_daily(settings)
    features = read_validated_features(settings)
    as_of = pd.Timestamp(features.index[-1])
    out: dict[str, Any] = {"as_of": as_of.date().isoformat(),
                           "computed_at": datetime.now(UTC).isoformat(timespec="seconds")}
    today_h = features["sessions_to_expiry"].iloc[-1]
    hit = historical_hit_rate(session_windows(nifty, vix), settings.safe_range_confidence,
                              as_of=as_of, seed=settings.seed,
                              sessions_to_expiry=int(today_h) if today_h >= 1 else None)
    out["hit"] = hit.model_dump(mode="json", by_alias=True)
    complete = features.dropna()
    first = (pd.Timestamp(complete.index[0]) + pd.DateOffset(years=SPIKE_WARMUP_YEARS)
             if len(complete) else as_of + pd.Timedelta(days=1))
    try:
        if first > as_of:
            raise InsufficientHistoryError(
                f"historical spike rate: the buyer model needs {SPIKE_WARMUP_YEARS} years of "
                f"complete features before its first walk-forward signal; the history has "
                f"{len(complete)} complete sessions up to {as_of.date()}")
        pred = walk_forward_predictions("buyer", nifty, vix, features, first, as_of,
                                        seed=settings.seed, params=settings.params())
        signals = pd.Series(pred["signal"].to_numpy(bool), index=pd.DatetimeIndex(pred["session"]))
        spike = historical_spike_rate(signals, next_session_spike(nifty, vix), as_of=as_of)
        out["spike"] = spike.model_dump(mode="json", by_alias=True)
    except (InsufficientHistoryError, TrainingDataError) as exc:
        out["spike_error"] = f"{type(exc).__name__}: {exc}"
    write_text_atomic(rates_path(settings), json.dumps(out, indent=2))
    return {k: (v if not isinstance(v, dict) else {"value": v["value"], "n": v["n"]})
            for k, v in out.items()}


__all__ = ["promote_and_push", "recompute_rates", "train", "train_model"]

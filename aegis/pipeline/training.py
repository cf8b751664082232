"""Nightly retrain stages: train challengers, gate and publish them, recompute the rates.

In Airflow each model trains in its own mapped task (own process), so a challenger is handed
on as a written ONNX *version* (in ``<parent of models>/.models.txn/challengers/<name>/``, not in
the store) plus its gate decision in ``<home>/challengers/<name>.json`` (a
:class:`~aegis.pipeline.records.ChallengerRecord`); ``promote_and_push`` moves the winners into
the store, ``dvc push``es and commits ``models.dvc`` in one crash-safe transaction, and writes
the gate log (:class:`~aegis.pipeline.records.GateLog`). No Python object is pickled.
:func:`retrain` runs the same stages in one process (``aegis train``), so the CLI and the DAG
train, gate and publish identically.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aegis.atomic import write_text_atomic
from aegis.config import Settings, get_settings
from aegis.errors import ConfigurationError, ModelStoreError
from aegis.pipeline.data import load_daily, read_validated_features
from aegis.pipeline.paths import challengers_dir, gate_log_path, rates_path

if TYPE_CHECKING:
    from collections.abc import Callable

    from aegis.models.metrics import FoldSummary
    from aegis.models.training import TrainedModel

#: Years of complete features the buyer model trains on before its first walk-forward signal.
SPIKE_WARMUP_YEARS = 5


def event_metrics(trained: TrainedModel) -> dict[str, FoldSummary] | None:
    """Breach: touch and close-beyond scored apart over the folds (they are published apart);
    None for the other models."""
    from aegis.models.training import fold_summary

    pred = trained.fold_predictions
    if trained.name != "breach" or pred is None or "event" not in pred:
        return None
    return {event: fold_summary(pred[pred["event"] == event])
            for event in ("touch", "close") if (pred["event"] == event).any()}


def challenger_root(settings: Settings, name: str) -> Path:
    """Where challenger ``name`` is written: beside the store (same filesystem, so promotion
    renames it in), outside the DVC-tracked folder (a refused challenger never enters it)."""
    from aegis.registry.journal import journal_dir

    return journal_dir(settings.resolved_models_dir.resolve()) / "challengers" / name


def train_model(name: str, seed: int | None = None) -> dict[str, Any]:
    """Train challenger ``name`` on the validated features, gate it, write it as a version.

    Returns its :class:`~aegis.pipeline.records.ChallengerRecord` as JSON (the XCom), the
    record also written to ``<home>/challengers/<name>.json``.
    """
    import shutil

    from aegis.models.gate import gate
    from aegis.models.training import train_model as fit
    from aegis.pipeline.records import ChallengerRecord, ChallengerScores, write_challenger
    from aegis.registry.defender import defending_champion
    from aegis.registry.store import StoreConfig, recover_store
    from aegis.registry.writer import write_version

    settings = get_settings()
    recover_store(StoreConfig.from_settings(settings))  # gate against a whole champion set
    nifty, vix = load_daily(settings)
    features = read_validated_features(settings)
    started = datetime.now(UTC)
    params = settings.params()
    seed = settings.seed if seed is None else seed
    trained = fit(name, nifty, vix, features, seed=seed, params=params)
    champion, note = defending_champion(name, settings.resolved_models_dir)
    decision = gate(name, trained.fold_predictions, trained.fold.X, champion,
                    champion_note=note or "no champion yet", params=params.gate, seed=seed)
    trained.metrics = trained.metrics.model_copy(update={
        "by_event": event_metrics(trained), "gate": decision.verdict()})
    root = challenger_root(settings, name)
    shutil.rmtree(root, ignore_errors=True)  # the previous run's refused challenger
    folder = write_version(trained, settings.resolved_models_dir, root=root)
    m = trained.metrics
    record = ChallengerRecord(
        name=name, version=folder.name, folder=folder, decision=decision,
        trained_at=started.isoformat(timespec="seconds"),
        seconds=round((datetime.now(UTC) - started).total_seconds(), 2), seed=trained.seed,
        metrics=ChallengerScores(model=m.model.summary(), baseline=m.baseline.summary(),
                                 climatology=m.climatology.summary()))
    write_challenger(challengers_dir(settings), record)
    return record.model_dump(mode="json")


def models_to_train(requested: list[str] | None = None) -> list[str]:
    """``requested`` in the house order (every model when empty or None).

    Raises :class:`~aegis.errors.ConfigurationError` naming any unknown name and the known ones
    (the DAG's ``models`` param and ``aegis train --model`` both come through here).
    """
    from aegis.models.specs import MODEL_NAMES

    if not requested:
        return list(MODEL_NAMES)
    unknown = sorted(set(requested) - set(MODEL_NAMES))
    if unknown:
        raise ConfigurationError(
            f"models to train: unknown {unknown}; expected some of {list(MODEL_NAMES)}")
    return [name for name in MODEL_NAMES if name in requested]


def train(names: list[str] | None = None, seed: int | None = None,
          progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Train every model (or ``names``) in this process; returns the per-model records.

    ``progress`` (e.g. the CLI's echo) hears ``training <name> (i/n)`` before each model and
    its gate decision after it, so a retrain of minutes is never silent.
    """
    say = progress or (lambda _line: None)
    names = models_to_train(names)
    out = {}
    for i, name in enumerate(names, 1):
        say(f"training {name} ({i}/{len(names)}) ...")
        out[name] = train_model(name, seed)
        decision = out[name]["decision"]
        say(f"  {name}: {out[name]['seconds']:.1f} s, "
            f"{'promote' if decision['promote'] else 'keep'}: {decision['reason']}")
    return out


def promote_and_push(push: bool = True) -> dict[str, Any]:
    """Promote every challenger the gate accepted; ``dvc push`` and commit ``models.dvc``.

    One crash-safe transaction (:func:`aegis.registry.store.transaction`): if the remote is
    down, or the process is killed before the push completed, the registry, the champions and
    ``models.dvc`` stay (or are recovered to) exactly what they were, and the challengers stay
    staged for a retry (:class:`~aegis.errors.RemoteUnavailableError` is raised).
    """
    from aegis.pipeline.records import GateLogEntry, read_challenger, write_gate_log
    from aegis.registry.publish import publish_versions
    from aegis.registry.store import StoreConfig

    settings = get_settings()
    folder = challengers_dir(settings)
    paths = sorted(folder.glob("*.json"))
    records = [read_challenger(p) for p in paths]  # a malformed one: named error, nothing moves
    if not records:
        raise ModelStoreError(f"no challengers in {folder}: run the training tasks first")
    winners = {r.name: (r.folder, r.decision.reason) for r in records if r.decision.promote}
    summary = {r.name: {"promoted": r.decision.promote, "version": r.version,
                        "folder": str(r.folder), "reason": r.decision.reason}
               for r in records}
    cfg = StoreConfig.from_settings(settings)
    result = publish_versions(winners, cfg, push=push, settings=settings)
    write_gate_log(gate_log_path(settings),
                   merged_gate_log(gate_log_path(settings), [GateLogEntry.of(r) for r in records]))
    for path in paths:
        path.unlink()
    return {"models": summary, "commit": result.commit, "pushed": result.pushed}


def merged_gate_log(path: Path, entries: list[Any]) -> Any:
    """The gate log at ``path`` with ``entries`` (this retrain's decisions) replacing theirs.

    A partial retrain (``aegis train --model buyer``) decides for its models only: the other
    models' last decisions stay, or inference would no longer know that the gate refused them
    (and publish a degraded fallback instead of climatology). A gate log that cannot be read
    raises (:class:`~aegis.errors.GateLogFormatError`, naming the file): the decisions it
    holds are not silently dropped.
    """
    from aegis.pipeline.records import GateLog, read_gate_log

    kept = dict(read_gate_log(path).root)
    kept.update({entry.name: entry for entry in entries})
    return GateLog(kept)


def push_promotions(remote: dict[str, str | None] | None) -> dict[str, Any]:
    """Push the store repository's promotion commits to the git remote, when one is configured.

    ``remote`` holds ``url`` (or a remote name such as ``origin``; empty: the repository's
    ``origin``), ``username``, ``password`` and ``branch`` (from an Airflow connection in the
    DAG); ``None`` means none is configured, and the result says so plainly.
    """
    from aegis.registry import gitops
    from aegis.registry.store import StoreConfig

    cfg = StoreConfig.from_settings(get_settings())
    if not (cfg.repo_root / ".git").exists():
        return {"pushed": False, "reason": f"{cfg.repo_root} is not a git repository"}
    if remote is None:
        head = gitops.run(cfg.repo_root, "rev-parse", "--short", "HEAD").strip()
        return {"pushed": False, "reason": "no git remote configured: the promotion commits "
                f"(HEAD {head}) stay in {cfg.repo_root}"}
    target = gitops.GitRemote(url=remote.get("url") or "origin", username=remote.get("username"),
                              password=remote.get("password"), branch=remote.get("branch"))
    return {"pushed": True, **gitops.push_commits(cfg.repo_root, target)}


#: The stages of one retrain, in order: the nightly DAG's tasks and ``aegis train``.
RETRAIN_STAGES = ("build_features", "validate", "train", "promote_and_push", "recompute_rates")


def retrain(seed: int | None = None, push: bool = True, rates: bool = True,
            names: list[str] | None = None, run_id: str | None = None,
            progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """The nightly retrain in this process: the same stage functions the DAG's tasks call.

    store -> features -> GX gate (a failed validation raises and nothing is trained) -> train
    each model -> gate -> promote + ``dvc push`` + commit -> rates. Returns each stage's result.
    ``run_id`` keys the staged feature table (default a fresh id).
    """
    from aegis.pipeline.data import build_features, validate

    say = progress or (lambda _line: None)
    chosen = models_to_train(names)  # an unknown name stops here, before any work
    say("building features from the market store ...")
    staged = build_features(run_id)
    say(f"validating {staged.get('rows', '?')} sessions (Great Expectations) ...")
    out: dict[str, Any] = {"build_features": staged, "validate": validate(staged["run_id"])}
    out["train"] = train(chosen, seed, progress=say)
    say("gating and publishing the challengers" + (" (dvc push)" if push else "") + " ...")
    out["promote_and_push"] = promote_and_push(push=push)
    if rates:
        say("recomputing the historical hit and spike rates ...")
        out["recompute_rates"] = recompute_rates()
    return out


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


__all__ = ["RETRAIN_STAGES", "merged_gate_log", "models_to_train", "promote_and_push",
           "push_promotions",
           "recompute_rates", "retrain", "train", "train_model"]

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

    import pandas as pd

    from aegis.models.gate import GateDecision
    from aegis.models.metrics import FoldSummary
    from aegis.models.publishing import PublishingState
    from aegis.models.training import TrainedModel
    from aegis.params import Params
    from aegis.rates.empirical import EmpiricalRate
    from aegis.registry.store import S3Access

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
    state = publishing_state(settings, name, trained, decision)
    root = challenger_root(settings, name)
    shutil.rmtree(root, ignore_errors=True)  # the previous run's refused challenger
    folder = write_version(trained, settings.resolved_models_dir, root=root)
    m = trained.metrics
    record = ChallengerRecord(
        name=name, version=folder.name, folder=folder, decision=decision,
        trained_at=started.isoformat(timespec="seconds"),
        seconds=round((datetime.now(UTC) - started).total_seconds(), 2), seed=trained.seed,
        metrics=ChallengerScores(model=m.model.summary(), baseline=m.baseline.summary(),
                                 climatology=m.climatology.summary()),
        publishing=state)
    write_challenger(challengers_dir(settings), record)
    return record.model_dump(mode="json")


def publishing_state(settings: Settings, name: str, trained: TrainedModel,
                     decision: GateDecision) -> PublishingState:
    """What ``name`` publishes from tomorrow on (:func:`aegis.pipeline.publishing.nightly_state`,
    carrying the state of the last night from ``publishing.json``)."""
    from aegis.pipeline.publishing import nightly_state, publishing_path, read_publishing

    if trained.fold_predictions is None:
        raise ModelStoreError(f"{name}: the trained model carries no walk-forward predictions")
    previous = read_publishing(publishing_path(gate_log_path(settings))).get(name)
    return nightly_state(name, trained.fold_predictions, decision, settings.params(), previous)


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


def promote_and_push(push: bool = True, s3: S3Access | None = None) -> dict[str, Any]:
    """Promote every challenger the gate accepted; ``dvc push`` and commit ``models.dvc``.

    ``s3``: the remote's S3 access from the edge (the Airflow task reads the connection
    ``aegis_s3``), used in memory for this transaction only; None: the settings' own.

    One crash-safe transaction (:func:`aegis.registry.store.transaction`): if the remote is
    down, or the process is killed before the push completed, the registry, the champions and
    ``models.dvc`` stay (or are recovered to) exactly what they were, and the challengers stay
    staged for a retry (:class:`~aegis.errors.RemoteUnavailableError` is raised).
    """
    from aegis.pipeline.publishing import publishing_path, write_publishing
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
    cfg = StoreConfig.from_settings(settings).with_access(s3)
    result = publish_versions(winners, cfg, push=push, settings=settings)
    write_gate_log(gate_log_path(settings),
                   merged_gate_log(gate_log_path(settings), [GateLogEntry.of(r) for r in records]))
    write_publishing(publishing_path(gate_log_path(settings)),
                     {r.name: r.publishing for r in records if r.publishing is not None})
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


def published_spike_rate(pred: pd.DataFrame, spikes: pd.Series, as_of: pd.Timestamp, *,
                         seed: int, params: Params) -> EmpiricalRate:
    """The spike rate after the BREAKOUTs the product would have published.

    The live publishing rules are replayed over the buyer's walk-forward predictions
    (:func:`aegis.models.replay.replay_published`: gate, demotion, evidence weight); a
    BREAKOUT counts when the model was published that day and its published probability
    reached the threshold. When the product never published one, the walk-forward model's own
    signals are counted and ``method`` says that they are not the product's record.
    """
    import pandas as pd

    from aegis.models.replay import replay_published
    from aegis.rates import historical_spike_rate
    from aegis.rates.backtest import published_signals

    start = pd.Timestamp(pred["fold"].min())
    shown, _ = replay_published("buyer", pred, start, seed=seed, params=params)
    sessions = pd.DatetimeIndex(shown["session"])
    fired = published_signals(shown)
    if fired.any():
        rate = historical_spike_rate(pd.Series(fired, index=sessions), spikes, as_of=as_of)
        return rate.model_copy(update={"method": (
            "BREAKOUTs as published: the live rules (gate, demotion, evidence weight) replayed "
            "day by day on the walk-forward predictions")})
    model = pd.Series(shown["signal"].to_numpy(bool), index=sessions)
    rate = historical_spike_rate(model, spikes, as_of=as_of)
    return rate.model_copy(update={"method": (
        "no BREAKOUT was published on any replayed day (buyer published as climatology, "
        f"WAIT): these are the walk-forward model's own {rate.n} signals, not the product's "
        "record")})


def recompute_rates() -> dict[str, Any]:
    """Historical hit and spike rates, walk-forward, as of the last validated session; then
    every model's climatology (``climatology.json``, :mod:`aegis.pipeline.nightly`).

    The spike rate needs past BREAKOUT signals: the buyer model is refitted yearly on data
    before each year (walk-forward) over the history after its first five years.
    """
    import pandas as pd

    from aegis.errors import InsufficientHistoryError, TrainingDataError
    from aegis.models.walkforward import walk_forward_predictions
    from aegis.pipeline.nightly import hit_rate_entries, range_fit_entries
    from aegis.rates import session_windows
    from aegis.rates.spike_rate import next_session_spike

    settings = get_settings()
    nifty, vix = load_daily(settings)
    features = read_validated_features(settings)
    as_of = pd.Timestamp(features.index[-1])
    out: dict[str, Any] = {"as_of": as_of.date().isoformat(),
                           "computed_at": datetime.now(UTC).isoformat(timespec="seconds")}
    today_h = features["sessions_to_expiry"].iloc[-1]
    # every horizon too, for the 30-minute snapshots of the next day (aegis.pipeline.nightly)
    windows = session_windows(nifty, vix)
    out.update(hit_rate_entries(windows, as_of, confidence=settings.safe_range_confidence,
                                seed=settings.seed,
                                sessions_to_expiry=int(today_h) if today_h >= 1 else None))
    out.update(range_fit_entries(windows, as_of, confidence=settings.safe_range_confidence))
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
        spike = published_spike_rate(pred, next_session_spike(nifty, vix), as_of,
                                     seed=settings.seed, params=settings.params())
        out["spike"] = spike.model_dump(mode="json", by_alias=True)
    except (InsufficientHistoryError, TrainingDataError) as exc:
        out["spike_error"] = f"{type(exc).__name__}: {exc}"
    write_text_atomic(rates_path(settings), json.dumps(out, indent=2))
    summary = {k: (v if not isinstance(v, dict) else {"value": v["value"], "n": v["n"]})
               for k, v in out.items()
               if k not in ("hit_inputs", "hit_by_horizon", "range_inputs", "range_fits")}
    summary["hit_horizons"] = sorted(int(h) for h in out["hit_by_horizon"])
    # the other nightly quantity inference reads: climatology.json beside rates.json
    from aegis.pipeline.nightly import recompute_climatology

    summary["climatology"] = recompute_climatology(settings)
    return summary


__all__ = ["RETRAIN_STAGES", "merged_gate_log", "models_to_train", "promote_and_push",
           "push_promotions",
           "recompute_rates", "retrain", "train", "train_model"]

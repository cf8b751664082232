"""Gate, write and publish challengers; roll a champion back. One transaction per call."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from aegis.models.gate import GateDecision, gate
from aegis.models.training import TrainedModel
from aegis.registry.defender import defending_champion
from aegis.registry.store import StoreConfig, transaction
from aegis.registry.writer import promote, rollback, write_version


@dataclass(frozen=True)
class PublishResult:
    """Gate decisions, the versions promoted (name -> version) and the git commit (or None)."""

    decisions: list[GateDecision]
    promoted: dict[str, str]
    commit: str | None


def publish(trained: Mapping[str, TrainedModel], cfg: StoreConfig, *,
            push: bool = True) -> PublishResult:
    """Gate every challenger; write, promote, ``dvc push`` and commit the winners.

    With ``push=False`` the winners are written and promoted locally only (no DVC, no git).
    Raises :class:`~aegis.errors.RemoteUnavailableError` when the remote cannot be reached;
    then the store is exactly as before.
    """
    decisions = []
    for model in trained.values():
        champion, note = defending_champion(model.name, cfg.models_dir)
        decisions.append(gate(model.name, model.fold_predictions, model.fold.X, champion,
                              champion_note=note or "no champion yet", seed=model.seed))
    winners = [trained[d.name] for d in decisions if d.promote]
    promoted: dict[str, str] = {}
    reasons = {d.name: d.reason for d in decisions}

    def change() -> str:
        for model in winners:
            folder = write_version(model, cfg.models_dir)
            promote(model.name, folder.name, cfg.models_dir, reason=reasons[model.name])
            promoted[model.name] = folder.name
        return "models: promote " + ", ".join(f"{k} {v}" for k, v in promoted.items())

    if not winners:
        return PublishResult(decisions, {}, None)
    if not push:
        change()
        return PublishResult(decisions, promoted, None)
    commit = transaction(cfg, [m.name for m in winners], change)
    return PublishResult(decisions, promoted, commit)


def publish_rollback(name: str, cfg: StoreConfig) -> tuple[str, str | None]:
    """Roll ``name`` back to its previous version, push and commit; returns (version, commit)."""
    restored: list[str] = []

    def change() -> str:
        restored.append(rollback(name, cfg.models_dir))
        return f"models: roll back {name} to {restored[0]}"

    commit = transaction(cfg, [name], change)
    return restored[0], commit

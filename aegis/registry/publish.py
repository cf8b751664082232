"""Publish gated challengers and roll champions back: one crash-safe transaction per call.

The CLI (``aegis train``, ``aegis models rollback``) and the nightly DAG (``promote_and_push``)
both end here, so a promotion is the same wherever it starts: plan it from the store as it is
(:mod:`aegis.registry.writer`), apply it through the journal, ``dvc push``, commit
``models.dvc`` and the metrics files (:func:`aegis.registry.store.transaction`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from aegis.config import Settings
from aegis.registry.journal import StoreChange
from aegis.registry.store import StoreConfig, transaction
from aegis.registry.writer import apply_local, plan_promotion, plan_rollback


@dataclass(frozen=True)
class PublishResult:
    """The versions made champion (name -> version) and the git commit (or None)."""

    promoted: dict[str, str]
    commit: str | None
    pushed: bool


def publish_versions(winners: dict[str, tuple[Path, str]], cfg: StoreConfig, *,
                     push: bool = True, settings: Settings | None = None) -> PublishResult:
    """Make each ``name -> (version folder, reason)`` champion, all or nothing.

    With ``push=False`` the store changes locally only (no DVC, no git). Raises
    :class:`~aegis.errors.RemoteUnavailableError` when the remote cannot be reached; then the
    store, ``models.dvc`` and the challengers are exactly as before.
    """
    if not winners:
        return PublishResult({}, None, False)
    metrics_dir = cfg.metrics_dir if push else None
    summary: dict[str, str] = {}

    def plan() -> StoreChange:
        change = plan_promotion(cfg.models_dir, winners, metrics_dir=metrics_dir)
        summary.update(change.summary)
        return change

    if not push:
        apply_local(cfg.models_dir, plan())
        return PublishResult(summary, None, False)
    commit = transaction(cfg, plan, settings=settings)
    return PublishResult(summary, commit, True)


def publish_rollback(name: str, cfg: StoreConfig, *, push: bool = True,
                     settings: Settings | None = None) -> tuple[str, str | None]:
    """Roll ``name`` back to its previous version (pushed and committed); (version, commit)."""
    summary: dict[str, str] = {}

    def plan() -> StoreChange:
        change = plan_rollback(name, cfg.models_dir,
                               metrics_dir=cfg.metrics_dir if push else None)
        summary.update(change.summary)
        return change

    if not push:
        apply_local(cfg.models_dir, plan())
        return summary[name], None
    commit = transaction(cfg, plan, settings=settings)
    return summary[name], commit

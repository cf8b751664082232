"""``aegis models list``: every model, as champion or as published climatology, and why.

One row per model of :data:`aegis.models.specs.MODEL_NAMES`, read from the model store
(``registry.json`` and each champion's manifest), the last retrain's gate log (``gate.json``)
and the nightly publishing decisions (``publishing.json``):

- ``published``: ``model`` (the champion, shrunk by ``evidence_weight``), ``climatology`` (the
  gate refused it or the live test demoted it: ``reason`` says which), ``unreadable`` (a
  champion whose registry entry or manifest cannot be read: ``problem``), or ``none`` (never
  trained).
- ``champion``: version, promotion time, training span and walk-forward scores with the skill
  against climatology, or None.
- ``latest_challenger``: the last retrain's decision on this model (version, when, promoted or
  not, the gate's reason), beside the champion.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from aegis.config import Settings
from aegis.errors import GateLogFormatError, ModelError
from aegis.pipeline.paths import gate_log_path

if TYPE_CHECKING:
    from aegis.pipeline.publishing import PublishingLog
    from aegis.pipeline.records import GateLog
    from aegis.registry.manifest import Registry


def _champion(name: str, models_dir: Path, registry: Any) -> tuple[dict[str, Any] | None,
                                                                    str | None]:
    """(champion fields, problem) of ``name``; (None, None) when it has no champion."""
    from aegis.registry.artifacts import MANIFEST_FILE
    from aegis.registry.manifest import parse_manifest

    if registry is None or name not in registry.champions:
        return None, None
    try:
        entry = registry.entry(name, models_dir / "registry.json")
        path = models_dir / name / MANIFEST_FILE
        if not path.exists():
            raise FileNotFoundError(f"{path}: manifest missing")
        manifest, _ = parse_manifest(path)
    except (ModelError, FileNotFoundError) as exc:
        return None, f"{type(exc).__name__}: {exc}"
    m = manifest.metrics
    model = m.model.brier if m.model else None
    clim = m.climatology.brier if m.climatology else None
    return {
        "version": entry.version, "promoted_at": entry.promoted_at, "previous": entry.history,
        "span": manifest.training_data.span or None,
        "brier": model, "brier_baseline": m.baseline.brier if m.baseline else None,
        "brier_climatology": clim,
        "bss_climatology": (1.0 - model / clim) if model is not None and clim else None,
        "ece": m.model.ece if m.model else None, "threshold": manifest.threshold,
    }, None


def list_models(settings: Settings) -> dict[str, Any]:
    """The listing document (``models_dir``, ``empty``, ``models``, and ``champions``: the rows
    that have one, as before)."""
    from aegis.models.specs import MODEL_NAMES
    from aegis.pipeline.publishing import publishing_path, read_publishing
    from aegis.pipeline.records import read_gate_log
    from aegis.registry.artifacts import typed_registry

    models_dir = settings.resolved_models_dir
    problems: list[str] = []
    registry: Registry | None = None
    try:
        registry = typed_registry(models_dir)
    except ModelError as exc:
        problems.append(f"{type(exc).__name__}: {exc}")
    log_path = gate_log_path(settings)
    gate_log: GateLog | None = None
    publishing: PublishingLog | None = None
    try:
        gate_log = read_gate_log(log_path)
        publishing = read_publishing(publishing_path(log_path))
    except GateLogFormatError as exc:
        problems.append(f"{type(exc).__name__}: {exc}")
    rows = []
    for name in MODEL_NAMES:
        champion, problem = _champion(name, models_dir, registry)
        decision = gate_log.get(name) if gate_log is not None else None
        state = publishing.get(name) if publishing is not None else None
        row: dict[str, Any] = {"name": name, "champion": champion, "problem": problem,
                               "evidence_weight": None, "demoted_on": None}
        if problem is not None:
            row.update(published="unreadable", reason=problem)
        elif state is not None and champion is not None:
            row.update(published=state.published, reason=state.reason,
                       evidence_weight=state.weight if state.published == "model" else None,
                       demoted_on=state.demoted_on, decided_on=state.as_of)
        elif champion is not None:
            row.update(published="model", evidence_weight=1.0,
                       reason="no nightly publishing decision yet: published unshrunk")
        elif decision is not None:
            row.update(published="climatology",
                       reason=f"refused by the gate at the last retrain: {decision.reason}")
        else:
            row.update(published="none", reason="no champion and no gate decision yet: run "
                                                "`aegis train` (the nightly retrain)")
        row["latest_challenger"] = None if decision is None else {
            "version": decision.version, "trained_at": decision.trained_at,
            "promoted": decision.promote, "reason": decision.reason}
        rows.append(row)
    empty = all(r["champion"] is None and r["latest_challenger"] is None for r in rows)
    champions = [{"name": r["name"], **r["champion"]} for r in rows if r["champion"]]
    return {"models_dir": str(models_dir), "gate_log": str(log_path), "empty": empty,
            "problems": problems, "models": rows, "champions": champions}


__all__ = ["list_models"]

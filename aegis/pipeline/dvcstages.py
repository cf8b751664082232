"""The DVC stages of the training path: ``features -> validate -> train -> gate``.

``dvc repro`` runs ``aegis pipeline stage NAME --record dvc/NAME.json`` for each stage of the
project's ``dvc.yaml`` (:mod:`aegis.registry.dvcfiles`); each stage calls the same function the
nightly DAG's task calls and writes its result as a *record*, the stage's DVC output and the
next stage's dependency. Records drop what changes on every run without changing the outcome
(timestamps, absolute paths, version ids), so an unchanged history and unchanged params leave
``train`` and ``gate`` up to date. The gate stage promotes into ``models/`` locally (no
``dvc push`` inside ``dvc repro``, which holds the repository lock) and writes
``metrics/gate.json``: per model the last gate's numbers, for ``dvc metrics show/diff`` and
``dvc exp show``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aegis.errors import ConfigurationError

RUN_ID = "dvc-repro"
"""The run id the features and validate stages stage and publish under."""
VOLATILE = frozenset({"validated_at", "computed_at", "trained_at", "created_at", "path",
                      "folder", "report", "version", "commit", "champion_version"})
"""Keys left out of a record: they differ between two runs with the same outcome."""
STAGE_NAMES = ("features", "validate", "train", "gate")
GATE_FIELDS = ("challenger_brier", "baseline_brier", "climatology_brier", "bss_climatology",
               "p_value", "n")


def stable(value: Any) -> Any:
    """``value`` without the :data:`VOLATILE` keys, at any depth."""
    if isinstance(value, dict):
        return {k: stable(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [stable(v) for v in value]
    return value


def gate_metrics(gate_log: dict[str, Any]) -> dict[str, Any]:
    """Per model: ``promoted`` (1/0) and the gate's numbers (:data:`GATE_FIELDS`)."""
    return {name: {"promoted": int(bool(entry["promote"])),
                   **{k: entry[k] for k in GATE_FIELDS if k in entry}}
            for name, entry in sorted(gate_log.items())}


def write_champion_metrics(models_dir: Path) -> list[Path]:
    """Rewrite ``metrics/<name>.json`` beside ``models_dir`` from each champion's manifest, as
    a pushed promotion does (``aegis models push`` then commits them with ``models.dvc``)."""
    from aegis.atomic import write_text_atomic
    from aegis.registry.artifacts import MANIFEST_FILE, read_registry
    from aegis.registry.dvcfiles import metrics_file, write_missing_metrics
    from aegis.registry.writer import champion_metrics

    written = []
    for name in sorted(read_registry(models_dir).get("champions", {})):
        manifest = json.loads((models_dir / name / MANIFEST_FILE).read_text(encoding="utf-8"))
        path = metrics_file(models_dir.parent, name)
        write_text_atomic(path, json.dumps(champion_metrics(manifest), indent=2,
                                           allow_nan=False) + "\n")
        written.append(path)
    return written + write_missing_metrics(models_dir.parent)


def run_stage(name: str) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """(record, metrics or None) of stage ``name``, after running it.

    Raises
    ------
    ConfigurationError
        ``name`` is not one of :data:`STAGE_NAMES`.
    """
    from aegis import pipeline

    if name == "features":
        return stable(pipeline.build_features(run_id=RUN_ID)), None
    if name == "validate":
        return stable(pipeline.validate(run_id=RUN_ID)), None
    if name == "train":
        return stable(pipeline.train()), None
    if name == "gate":
        from aegis.config import get_settings
        from aegis.pipeline.paths import gate_log_path
        from aegis.pipeline.records import read_gate_log

        settings = get_settings()
        result = pipeline.promote_and_push(push=False)
        log = read_gate_log(gate_log_path(settings))
        metrics = gate_metrics(log.model_dump(mode="json"))
        write_champion_metrics(settings.resolved_models_dir.resolve())
        return stable(result), metrics
    raise ConfigurationError(f"DVC stage {name!r}: expected one of {list(STAGE_NAMES)}")


__all__ = ["RUN_ID", "STAGE_NAMES", "gate_metrics", "run_stage", "stable"]

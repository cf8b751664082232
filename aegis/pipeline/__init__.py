"""Stage functions the CLI and the Airflow DAGs both call.

Each stage reads its inputs from the store and the settings, does one thing, writes its
outputs atomically and returns a small JSON-able dict (an XCom in Airflow, a summary on the
CLI). Heavy imports live inside the functions, and each stage's module is imported when the
stage is first asked for (``from aegis.pipeline import infer`` loads the inference path only,
not training's or model health's modules).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aegis.pipeline.data import build_features, ingest, validate
    from aegis.pipeline.health import (
        calendar_health,
        model_health,
        snapshot_health,
        track_record_health,
    )
    from aegis.pipeline.inference import infer
    from aegis.pipeline.retention import prune_stage as prune
    from aegis.pipeline.training import (
        models_to_train,
        promote_and_push,
        push_promotions,
        recompute_rates,
        retrain,
        train,
        train_model,
    )

_STAGES: dict[str, tuple[str, str]] = {
    "build_features": ("data", "build_features"),
    "ingest": ("data", "ingest"),
    "validate": ("data", "validate"),
    "calendar_health": ("health", "calendar_health"),
    "model_health": ("health", "model_health"),
    "snapshot_health": ("health", "snapshot_health"),
    "track_record_health": ("health", "track_record_health"),
    "infer": ("inference", "infer"),
    "prune": ("retention", "prune_stage"),
    "models_to_train": ("training", "models_to_train"),
    "promote_and_push": ("training", "promote_and_push"),
    "push_promotions": ("training", "push_promotions"),
    "recompute_rates": ("training", "recompute_rates"),
    "retrain": ("training", "retrain"),
    "train": ("training", "train"),
    "train_model": ("training", "train_model"),
}


def __getattr__(name: str) -> Any:
    """The stage ``name``, importing its module on first use (then cached on this module)."""
    if name not in _STAGES:
        raise AttributeError(f"module 'aegis.pipeline' has no attribute {name!r}")
    module, attr = _STAGES[name]
    value = getattr(import_module(f"aegis.pipeline.{module}"), attr)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_STAGES])


__all__ = [
    "build_features",
    "calendar_health",
    "infer",
    "ingest",
    "model_health",
    "models_to_train",
    "promote_and_push",
    "prune",
    "push_promotions",
    "recompute_rates",
    "snapshot_health",
    "track_record_health",
    "retrain",
    "train",
    "train_model",
    "validate",
]

"""Stage functions the CLI and the Airflow DAGs both call.

Each stage reads its inputs from the store and the settings, does one thing, writes its
outputs atomically and returns a small JSON-able dict (an XCom in Airflow, a summary on the
CLI). Heavy imports live inside the functions.
"""

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

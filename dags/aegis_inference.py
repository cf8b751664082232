"""
### aegis_inference

Scheduled on the ``aegis_features`` Asset: runs after every successful validation in
``aegis_market_ingest``. Verifies the champions in the model store, computes one snapshot and
publishes ``aegismatrix.json`` atomically (temp file + rename), then updates the
``aegis_snapshot`` Asset.

**No silent fallback.** ``verify_models`` loads every champion exactly as inference does and turns
red naming each unsound model. ``publish_snapshot`` runs anyway (trigger rule ``all_done``): a
model that cannot be used is replaced by its baseline *with provenance*, and the snapshot says
``status: "degraded"`` with the reasons, which the AegisMatrix page shows in a red banner. The
model-health DAG requests the retrain.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aegis_common import DEFAULT_ARGS, FEATURES_ASSET, SNAPSHOT_ASSET
from airflow.sdk import TriggerRule, dag, task


@dag(
    dag_id=Path(__file__).stem,
    schedule=FEATURES_ASSET,
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    doc_md=__doc__,
    tags=["aegis", "inference"],
)
def aegis_inference() -> None:
    """Wire: verify_models -> publish_snapshot."""

    @task
    def verify_models() -> dict[str, Any]:
        """Load every champion as inference would; raises a ModelError naming each unsound one."""
        from aegis import pipeline

        return pipeline.model_health()

    @task(outlets=[SNAPSHOT_ASSET], trigger_rule=TriggerRule.ALL_DONE)
    def publish_snapshot() -> dict[str, Any]:
        """Compute the snapshot and write aegismatrix.json atomically."""
        from aegis import pipeline

        return pipeline.infer()

    verify_models() >> publish_snapshot()


aegis_inference()

"""
### aegis_inference

Scheduled on the ``aegis_features`` Asset **or** the ``aegis_models`` Asset: runs after every
successful validation in ``aegis_market_ingest``, and after every retrain that promotes (so a new
champion refreshes the snapshot at once, not at the next ingest). Verifies the champions in the
model store, computes one snapshot and publishes ``aegismatrix.json`` atomically (temp file +
rename), then updates the ``aegis_snapshot`` Asset.

**No silent fallback.** ``verify_models`` loads every champion exactly as inference does and turns
red naming each unsound model. ``publish_snapshot`` runs anyway (trigger rule ``all_done``): a
model that cannot be used is replaced by its baseline *with provenance*, and the snapshot says
``status: "degraded"`` with the reasons, which the AegisMatrix page shows in a red banner. The
model-health DAG requests the retrain. Each published snapshot is appended to the forecast
ledger (``aegis.ledger``), which the model-health DAG scores.

**Deadline.** A run not finished 10 minutes after it was queued e-mails the operator; with the
20-minute deadline of ``aegis_market_ingest`` the ingest -> snapshot chain is held to its
30-minute slot.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from aegis_common import (
    DEFAULT_ARGS,
    FEATURES_ASSET,
    MODELS_ASSET,
    SNAPSHOT_ASSET,
    deadline_alert,
)
from airflow.sdk import DeadlineReference, TriggerRule, dag, task

PUBLISH_DEADLINE = timedelta(minutes=10)


def slot_moment(context: dict[str, Any]) -> str | None:
    """The moment to publish for: the slot (``extra["moment"]``) of the ingest run whose
    features event triggered this run -- the latest when several did -- so a late or replayed
    run publishes its slot's numbers; None (the clock) when a promotion or an operator did."""
    events = (context.get("triggering_asset_events") or {}).get(FEATURES_ASSET, [])
    moments = [str(e.extra["moment"]) for e in events if (e.extra or {}).get("moment")]
    return max(moments) if moments else None


@dag(
    dag_id=Path(__file__).stem,
    schedule=(FEATURES_ASSET | MODELS_ASSET),
    catchup=False,
    deadline=deadline_alert(
        DeadlineReference.DAGRUN_QUEUED_AT, PUBLISH_DEADLINE,
        "aegis_inference has not published aegismatrix.json 10 minutes after it was queued: "
        "the page shows an older snapshot."),
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
    def publish_snapshot(**context: Any) -> dict[str, Any]:
        """Compute the snapshot of the slot that validated the features; write it atomically."""
        from aegis import pipeline

        return pipeline.infer(moment=slot_moment(context))

    verify_models() >> publish_snapshot()


aegis_inference()

"""
### aegis_nightly_retrain

02:00 Asia/Kolkata every day (and on demand: ``aegis_model_health`` triggers it when a champion
is unsound). Builds the training set from the market store, validates it, trains each model in
its own mapped task, then ``promote_and_push`` gates each challenger against the champion and the
baseline on walk-forward metrics, writes the winners' ONNX artifacts and manifests, runs
``dvc add`` + ``dvc push`` to the S3 remote and commits ``models.dvc`` (crash-safe: a kill at any
step leaves the old champions or the new ones); ``push_promotion_commit`` pushes that commit to
the git remote of the Airflow connection ``aegis_git`` (host: the repository URL, or empty for the
checkout's ``origin``; login/password: a user and token; extra ``{"branch": "main"}``), and says
plainly in its log when no such connection is configured; finally the historical hit and spike
rates are recomputed walk-forward (with every model's climatology, ``climatology.json``) and the
retention prunes what is older than ``AEGIS_RETENTION_DAYS``. ``aegis train`` runs the same
stage functions in one process.
Triggered with ``{"models": ["trap"]}`` it retrains only those models (the others' champions
stay as they are).

**Retries.** An unreachable S3 endpoint is retried with exponential backoff and then fails; the
push is all-or-nothing, so no half-written version is published and the previous champions stay
in force. A failed validation or a model that cannot be built fails at once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aegis_common import (
    DEFAULT_ARGS,
    MARKET_TZ,
    MODELS_ASSET,
    TRAINING_POOL,
    data_docs_on_failure,
    logged,
    model_store_access,
    time_schedule,
)
from airflow.sdk import CronTriggerTimetable, Param, dag, task

GIT_CONNECTION = "aegis_git"
"""Airflow connection naming the git remote the promotion commits are pushed to."""


@dag(
    dag_id=Path(__file__).stem,
    schedule=time_schedule(CronTriggerTimetable("0 2 * * *", timezone=MARKET_TZ)),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    params={
        "models": Param(
            [], type="array", items={"type": "string"},
            description="Models to retrain (e.g. [\"trap\"]); empty: every model. Unknown "
                        "names fail the run with the list of known ones."),
    },
    doc_md=__doc__,
    tags=["aegis", "training"],
)
def aegis_nightly_retrain() -> None:
    """Wire: training set -> validate -> train (mapped) -> promote + push -> git push -> rates
    -> prune."""

    @task
    @logged("training_set_staged")
    def build_training_set(**context: Any) -> dict[str, Any]:
        """Rebuild the point-in-time features the models train on, staged under this run."""
        from aegis import pipeline

        return pipeline.build_features(run_id=context["run_id"])

    @task
    @logged("training_set_validated")
    def validate_training_set(**context: Any) -> dict[str, Any]:
        """Run the Great Expectations Checkpoints on this run's training set."""
        from aegis import pipeline

        with data_docs_on_failure():
            return pipeline.validate(run_id=context["run_id"])

    @task
    @logged("models_listed")
    def list_models(**context: Any) -> list[str]:
        """The model names to train, one mapped task each (the ``models`` param, else all)."""
        from aegis import pipeline

        return pipeline.models_to_train(list(context["params"]["models"]))

    @task(max_active_tis_per_dagrun=2, pool=TRAINING_POOL)
    @logged("model_trained")
    def train_model(name: str) -> dict[str, Any]:
        """Train one model and evaluate it walk-forward (staged, not yet promoted)."""
        from aegis import pipeline

        return pipeline.train_model(name)

    @task(outlets=[MODELS_ASSET])
    @logged("models_promoted")
    def promote_and_push() -> dict[str, Any]:
        """Gate, write artifacts, dvc add + push to S3 (access: connection aegis_s3)."""
        from aegis import pipeline

        return pipeline.promote_and_push(s3=model_store_access())

    @task
    @logged("promotion_pushed")
    def push_promotion_commit() -> dict[str, Any]:
        """git push the promotion commit to the ``aegis_git`` connection's remote, if any."""
        import logging

        from airflow.sdk import Connection
        from airflow.sdk.exceptions import AirflowNotFoundException

        from aegis import pipeline

        try:
            conn = Connection.get(GIT_CONNECTION)
        except AirflowNotFoundException:
            remote = None
        else:
            remote = {"url": conn.host or None, "username": conn.login,
                      "password": conn.password, "branch": conn.extra_dejson.get("branch")}
        result = pipeline.push_promotions(remote)
        if not result["pushed"]:
            logging.getLogger(__name__).warning(
                "promotion commit not pushed: %s (Airflow connection %r not configured)",
                result["reason"], GIT_CONNECTION)
        return result

    @task
    @logged("retention_pruned")
    def prune_retention() -> dict[str, Any]:
        """Prune revision copies, unpublished staged tables and Data Docs pages older than
        AEGIS_RETENTION_DAYS (one audit line in the market store)."""
        from aegis import pipeline

        return pipeline.prune()

    @task
    @logged("rates_recomputed")
    def recompute_rates() -> dict[str, Any]:
        """Recompute the historical hit and spike rates walk-forward."""
        from aegis import pipeline

        return pipeline.recompute_rates()

    names = list_models()
    build_training_set() >> validate_training_set() >> names
    trained = train_model.expand(name=names)
    rates = recompute_rates()
    trained >> promote_and_push() >> push_promotion_commit() >> rates >> prune_retention()


aegis_nightly_retrain()

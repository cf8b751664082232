"""
### aegis_model_health

Hourly (Asia/Kolkata). ``check_champions`` loads every champion exactly as inference would (file
present, sha256 against the manifest, features and library versions, probe predictions). When any
is unsound the task fails, red in the UI, with each model and the reason in its log; then
``request_retrain`` (trigger rule ``one_failed``) triggers ``aegis_nightly_retrain``, and
``champions_healthy`` is marked ``upstream_failed`` so the run itself is red. When all champions
are sound, the retrain request is skipped and the run is green.

The triggered run id is derived from this run's id, so clearing a health run does not request a
second retrain.

Beside the champions, three checks of what the platform *publishes* (independent tasks: either
turns the run red and e-mails the operator through the failure notifier, neither requests a
retrain, since a retrain cannot fix them):

- ``check_calendar`` fails 30 days before the NSE calendar's known span ends (add next year's
  holidays to ``aegis/market/nse_holidays.csv``).
- ``check_track_record`` settles the forecast ledger on the stored history, scores the live
  Brier / ECE / safe-range coverage of the last 90 days against climatology, and fails on
  calibration drift or on a number frozen over the last 5 sessions while spot or VIX moved.
- ``check_snapshot`` fails when the published snapshot is stale against the 30-minute
  publishing schedule (``aegis.market.slots``: while a session is open, older than the slot
  before the last one due, 15 minutes' grace): a paused or failing ingest/inference DAG.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aegis_common import DEFAULT_ARGS, MARKET_TZ, logged, time_schedule
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.providers.standard.operators.trigger_dagrun import TriggerDagRunOperator
from airflow.sdk import CronTriggerTimetable, TriggerRule, dag, task

RETRAIN_DAG_ID = "aegis_nightly_retrain"


@dag(
    dag_id=Path(__file__).stem,
    schedule=time_schedule(CronTriggerTimetable("0 * * * *", timezone=MARKET_TZ)),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    doc_md=__doc__,
    tags=["aegis", "models"],
)
def aegis_model_health() -> None:
    """Wire: check_champions -> [request_retrain (one_failed), champions_healthy];
    check_calendar, check_track_record and check_snapshot beside them."""

    @task
    @logged("champions_checked")
    def check_champions() -> dict[str, Any]:
        """Verify every champion; raises a ModelError naming each unsound one."""
        from aegis import pipeline

        return pipeline.model_health()

    @task
    @logged("calendar_checked")
    def check_calendar(**context: Any) -> dict[str, Any]:
        """Raises CalendarCoverageError when the NSE calendar knows fewer than 30 days ahead of
        the run's IST date (its logical date, or run_after for a run without one)."""
        import pendulum

        from aegis import pipeline

        moment = context.get("logical_date") or context["dag_run"].run_after
        day = pendulum.instance(moment).in_timezone(MARKET_TZ).date().isoformat()
        return pipeline.calendar_health(today=day)

    @task
    @logged("track_record_checked")
    def check_track_record() -> dict[str, Any]:
        """Settle and score the forecast ledger; raises ForecastDriftError on drift or freeze."""
        from aegis import pipeline

        return pipeline.track_record_health()

    @task
    @logged("snapshot_checked")
    def check_snapshot(**context: Any) -> dict[str, Any]:
        """Raises SnapshotError when the published snapshot is stale against the 30-minute
        schedule at the run's moment (run_after: when this hourly check runs)."""
        import pendulum

        from aegis import pipeline

        moment = context["dag_run"].run_after or context.get("logical_date")
        return pipeline.snapshot_health(now=pendulum.instance(moment))

    check_calendar()
    check_track_record()
    check_snapshot()
    checked = check_champions()
    request_retrain = TriggerDagRunOperator(
        task_id="request_retrain",
        trigger_dag_id=RETRAIN_DAG_ID,
        trigger_run_id="health__{{ run_id }}",
        conf={"requested_by": "{{ dag.dag_id }}", "health_run_id": "{{ run_id }}"},
        skip_when_already_exists=True,
        trigger_rule=TriggerRule.ONE_FAILED,
        retries=0,
    )
    champions_healthy = EmptyOperator(task_id="champions_healthy")
    checked >> [request_retrain, champions_healthy]


aegis_model_health()

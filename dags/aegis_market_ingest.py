"""
### aegis_market_ingest

Every 30 minutes of the NSE session (Monday to Friday, 09:15-15:30 Asia/Kolkata), with NSE
holidays skipped: fetch the market data as of the slot -- NIFTY and India VIX 1-minute bars of
the session so far, the option chain, and the daily bars of the sessions closed by then (the
session's own daily bar only from the 15:30 run on) -- store it, build the features, validate
them with the Great Expectations suites (the new rows and today's bars of both intraday
series), and update the ``aegis_features`` Asset, which schedules ``aegis_inference``.

**The moment.** The ingest task passes the run's slot (its logical date, IST) to
``aegis.pipeline.ingest``; the source is cut there (``aegis.pipeline.data.ingest_moment``: never
later than the clock), so a re-run or a backfill of a slot fetches what was known at that slot.

**Deadline.** A run not finished 20 minutes after its slot (its logical date) e-mails the
operator (``aegis_common.deadline_alert``); ``aegis_inference`` has 10 more, so a snapshot is at
most one 30-minute slot behind the market.

**Holidays.** The cron timetable fires on every weekday; the first task, ``is_trading_session``,
asks ``aegis.market.calendar.is_session`` whether the run's IST date is an NSE session and, when
it is not, skips the rest of the run (grey in the grid, no Asset event, no inference). A
short-circuit task keeps the holiday rule in one place (the library's calendar, shared with the
CLI and the backtests) and makes skipped holidays visible; a custom timetable would have to be
registered as a plugin in every scheduler and would hide them. The ``ignore_calendar`` param
forces a run on a non-session day (demos, backfills of recorded data).

**No start_date.** With ``catchup=False`` and no ``start_date`` the cron timetable waits for the
next slot when the DAG is unpaused instead of replaying the latest past one; backfills name their
own dates.

**Failure.** A failed validation is final (no retry): ``validate_features`` turns red with the
failed expectations and the link to each failed suite's Data Docs page (served by the
AegisMatrix app behind the Airflow login) in its log, no Asset event is emitted, and the last
good snapshot stays published. Each task is idempotent per logical date (the store upserts),
so clearing or backfilling a run is safe. The feature table is staged under the run's
``run_id``, so a retrain running at the same time never validates or publishes this run's
table.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pendulum
from aegis_common import (
    DEFAULT_ARGS,
    FEATURES_ASSET,
    MARKET_TZ,
    data_docs_on_failure,
    deadline_alert,
    logged,
    time_schedule,
)
from airflow.sdk import DeadlineReference, MultipleCronTriggerTimetable, Param, dag, task

# 09:15, 09:45 ... 14:45, 15:15 and the 15:30 close, weekdays, IST.
SESSION_CRONS = ("15,45 9-14 * * 1-5", "15 15 * * 1-5", "30 15 * * 1-5")
INGEST_DEADLINE = timedelta(minutes=20)


def market_time(context: dict[str, Any]) -> pendulum.DateTime:
    """The run's moment in IST: its logical date, or ``run_after`` for runs without one."""
    moment = context.get("logical_date") or context["dag_run"].run_after
    return pendulum.instance(moment).in_timezone(MARKET_TZ)


@dag(
    dag_id=Path(__file__).stem,
    schedule=time_schedule(MultipleCronTriggerTimetable(*SESSION_CRONS, timezone=MARKET_TZ)),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    deadline=deadline_alert(
        DeadlineReference.DAGRUN_LOGICAL_DATE, INGEST_DEADLINE,
        "aegis_market_ingest has not validated the features 20 minutes after its slot: the "
        "snapshot will miss its 30-minute refresh."),
    params={
        "ignore_calendar": Param(
            False, type="boolean", description="Run even when the IST date is not an NSE session."
        )
    },
    doc_md=__doc__,
    tags=["aegis", "ingest"],
)
def aegis_market_ingest() -> None:
    """Wire: is_trading_session -> ingest -> build_features -> validate_features."""

    @task.short_circuit
    def is_trading_session(**context: Any) -> bool:
        """True when the run's IST date is an NSE session (or the calendar is overridden)."""
        from aegis.market.calendar import is_session

        return bool(context["params"]["ignore_calendar"]) or bool(
            is_session(market_time(context).date())
        )

    @task
    @logged("market_ingested")
    def ingest(**context: Any) -> dict[str, Any]:
        """Fetch the configured source as of the slot (intraday bars so far) into the store."""
        from aegis import pipeline

        return pipeline.ingest(logical_date=market_time(context).isoformat())

    @task
    @logged("features_staged")
    def build_features(**context: Any) -> dict[str, Any]:
        """Rebuild the daily features from the store, staged under this run's id."""
        from aegis import pipeline

        return pipeline.build_features(run_id=context["run_id"])

    @task(outlets=[FEATURES_ASSET])
    @logged("features_validated")
    def validate_features(**context: Any) -> dict[str, Any]:
        """Run the GX Checkpoints on this run's table; raises ValidationFailedError on any
        failure, its log linking each failed suite's Data Docs page.

        The features event carries the run's slot (``moment``): inference publishes for it.
        """
        from aegis import pipeline

        with data_docs_on_failure():
            result = pipeline.validate(run_id=context["run_id"])
        slot = market_time(context).isoformat()
        context["outlet_events"][FEATURES_ASSET].extra = {"moment": slot}
        return result

    is_trading_session() >> ingest() >> build_features() >> validate_features()


aegis_market_ingest()

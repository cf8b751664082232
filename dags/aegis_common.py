"""Shared pieces of the AegisMatrix DAGs: assets, market timezone, retries.

Not a DAG file (listed in ``.airflowignore``); the DAG files import it from the DAGs folder,
which Airflow puts on ``sys.path``. Only ``airflow.sdk`` and the standard library are imported
here, so parsing stays fast.

Alerts
------
Every task fails loudly into the operator's mailbox: ``DEFAULT_ARGS`` carries an
``on_failure_callback`` (:func:`notify_failure`) that sends Airflow's :class:`SmtpNotifier`
through the SMTP connection ``aegis_smtp`` to the addresses in the Airflow config option
``[aegis] alert_email`` (:func:`alert_recipients`; no Variable or connection is read at parse
time).
:func:`deadline_alert` builds the Deadline Alerts of the ingest -> snapshot chain with the same
notifier, run by the triggerer. What each alert means and what to do: ``docs/operations.md``,
"Alerts".

Credentials
-----------
The S3 credentials of the model store live in the Airflow connection ``aegis_s3`` (type aws),
the same one remote task logging uses; :func:`model_store_access` reads them in the one task
that pushes to the store and hands them to it as a value (never through ``os.environ``).

Pool
----
The CPU-heavy ``train_model`` tasks run in the pool :data:`TRAINING_POOL`, created by the
deployment with its slots, so a retrain cannot take every worker slot from ingest and inference.

Structured events
-----------------
Every task body is wrapped by :func:`logged`: one JSON line per event (``dag_id``, ``task_id``,
``run_id``, try, and the numbers the task published) on the logger ``aegis.events``.

Retries
-------
Every task retries ``RETRIES`` times with exponential backoff (multiplier 2, capped at
``MAX_RETRY_DELAY``); the first delay is Airflow's ``[core] default_task_retry_delay`` (seconds),
so an operator tunes it per deployment without touching code. The retry policy fails at once on
errors that a retry cannot fix, the honest refusals among them (a failed validation, a snapshot
refused by its contract, a corrupt or missing model, an unreadable file) and retries the
transient ones (the S3 endpoint or a live source unreachable). A failed validation's log links
the Data Docs page of each failed suite (:func:`data_docs_on_failure`).
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import TYPE_CHECKING, Any, TypeVar, cast

from airflow.providers.smtp.notifications.smtp import SmtpNotifier
from airflow.sdk import (
    Asset,
    AsyncCallback,
    DeadlineAlert,
    ExceptionRetryPolicy,
    RetryAction,
    RetryRule,
    conf,
)

from aegis.market.hours import MARKET_TZ as EXCHANGE_TZ

if TYPE_CHECKING:
    from aegis.registry.store import S3Access

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])

SMTP_CONN_ID = "aegis_smtp"
"""The SMTP connection failure and deadline alerts are sent through."""
S3_CONN_ID = "aegis_s3"
"""The aws connection of the model store (also the remote-logging connection in compose)."""
DEFAULT_ALERT_TO = "aegis-operator@localhost"


def alert_recipients() -> str:
    """Recipients of every alert: Airflow config ``[aegis] alert_email`` (env
    ``AIRFLOW__AEGIS__ALERT_EMAIL``, comma-separated), read from the config at parse time.

    Not a Variable: a Deadline Alert's notifier runs in the triggerer with only ``dag_run`` and
    ``deadline`` in its template context, so a ``{{ var }}`` template cannot render there.
    """
    return str(conf.get("aegis", "alert_email", fallback=DEFAULT_ALERT_TO))
FAILURE_SUBJECT = "[AegisMatrix] {{ ti.dag_id }}.{{ ti.task_id }} failed ({{ ti.run_id }})"
FAILURE_BODY = (
    "<p><b>{{ ti.dag_id }}.{{ ti.task_id }}</b> failed on try {{ ti.try_number }} "
    "(run {{ ti.run_id }}).</p>"
    "<pre>{{ exception if exception is defined else 'no exception in the context' }}</pre>"
    "<p>What it means and what to do: docs/operations.md, section Alerts, row "
    "<b>{{ ti.task_id }}</b>.</p>"
)


def failure_notifier() -> SmtpNotifier:
    """The e-mail sent when a task fails (after its retries): task, run, the exception."""
    return SmtpNotifier(to=alert_recipients(), smtp_conn_id=SMTP_CONN_ID, subject=FAILURE_SUBJECT,
                        html_content=FAILURE_BODY)


def notify_failure(context: Any) -> None:
    """``on_failure_callback`` of every task: a fresh :func:`failure_notifier` per failure.

    A notifier renders its templates in place, so one instance shared through
    ``default_args`` would send the first failure's subject for every later one in the same
    process (``dag.test()``, a worker running several callbacks).
    """
    failure_notifier()(context)


def deadline_alert(reference: Any, interval: timedelta, what: str) -> DeadlineAlert:
    """A Deadline Alert e-mailing the operator when a run has not finished ``interval`` after
    ``reference`` (a ``DeadlineReference``); ``what`` says which promise was broken."""
    return DeadlineAlert(
        reference=reference,
        interval=interval,
        callback=AsyncCallback(SmtpNotifier, kwargs={
            "to": alert_recipients(),
            "smtp_conn_id": SMTP_CONN_ID,
            "subject": ("[AegisMatrix] deadline missed: {{ dag_run.dag_id }} "
                        "{{ dag_run.dag_run_id }}"),
            "html_content": (f"<p>{what}</p><p>Deadline {{{{ deadline.deadline_time }}}}; run "
                             "{{ dag_run.dag_run_id }}. docs/operations.md, section Alerts, row "
                             "<b>deadline</b>.</p>"),
        }),
    )


def model_store_access(conn_id: str = S3_CONN_ID) -> S3Access | None:
    """The S3 access of connection ``conn_id`` (login, password, extra ``endpoint_url`` /
    ``region_name``) as a value handed to the one task that pushes to the store.

    Called in a task body (never at parse time). Nothing is copied into ``os.environ`` or the
    settings: the store takes the access in memory for its transaction. Without the connection
    -- the embedded deployment, the tests -- ``None``: the ``AEGIS_S3_*`` settings stand, and
    the log says so.
    """
    from airflow.sdk import Connection
    from airflow.sdk.exceptions import AirflowNotFoundException

    from aegis.registry.store import S3Access

    try:
        conn = Connection.get(conn_id)
    except AirflowNotFoundException as exc:
        log.info("no Airflow connection %r (%s): the model store uses the AEGIS_S3_* settings",
                 conn_id, exc)
        return None
    extra = conn.extra_dejson
    log.info("model store access from the Airflow connection %r", conn_id)
    return S3Access(access_key_id=conn.login or None, secret_access_key=conn.password or None,
                    endpoint_url=extra.get("endpoint_url") or None,
                    region=extra.get("region_name") or None)


# --- structured events -------------------------------------------------------------------
EVENT_LOGGER = "aegis.events"
"""The logger of the one-JSON-line-per-event records (:func:`event_line`)."""


def event_line(context: Any, event: str, numbers: Any) -> str:
    """One event as one JSON line: ``event``, ``dag_id``, ``task_id``, ``run_id``,
    ``map_index``, ``try_number`` and ``numbers`` (what the task returned or the error), so an
    operator can follow one run across tasks (``grep run_id`` in the logs, or any JSON log
    pipeline)."""
    ti = context["ti"]
    record = {"event": event, "dag_id": ti.dag_id, "task_id": ti.task_id,
              "run_id": context["run_id"], "map_index": getattr(ti, "map_index", -1),
              "try_number": getattr(ti, "try_number", None), "numbers": numbers}
    return json.dumps(record, default=str, sort_keys=False)


def logged(event: str) -> Callable[[F], F]:
    """Decorate a task body (under ``@task``): after it returns, log :func:`event_line` with
    its result; when it raises, log ``<event>_failed`` with the error's type and first line,
    then re-raise. The body's signature is kept (``functools.wraps``), so Airflow still
    injects the context it asks for."""

    def wrap(fn: F) -> F:
        @functools.wraps(fn)
        def body(*args: Any, **kwargs: Any) -> Any:
            from airflow.sdk import get_current_context

            context = get_current_context()
            events = logging.getLogger(EVENT_LOGGER)
            try:
                result = fn(*args, **kwargs)
            except Exception as exc:
                lines = str(exc).strip().splitlines()
                events.error(event_line(context, f"{event}_failed", {
                    "error": type(exc).__name__, "message": lines[0] if lines else ""}))
                raise
            events.info(event_line(context, event, result))
            return result

        return cast(F, body)

    return wrap


def data_docs_url(page: str | None) -> str:
    """Where the operator opens Data Docs ``page`` (the site index when None): the AegisMatrix
    app's route behind the Airflow login, under the api-server's ``[api] base_url``."""
    base = str(conf.get("api", "base_url", fallback="") or "").rstrip("/")
    return f"{base}{DATA_DOCS_ROUTE}{page or 'index.html'}"


DATA_DOCS_ROUTE = "/aegismatrix/data-docs/"
"""The plugin's route of the Data Docs site (plugins/aegis_dashboard/data_docs.py)."""


@contextmanager
def data_docs_on_failure() -> Iterator[None]:
    """Around a validation call: a failed validation's log names each failed suite with the
    link to its Data Docs page, then the error propagates unchanged (no retry: see
    :data:`RETRY_POLICY`)."""
    from aegis.errors import ValidationFailedError

    try:
        yield
    except ValidationFailedError as exc:
        suites = getattr(exc.report, "suites", None) or []
        for suite in suites:
            if not suite.success:
                log.error("validation failed: suite %r (checkpoint %s); Data Docs: %s",
                          suite.suite, suite.checkpoint, data_docs_url(suite.data_docs_page))
        log.error("Data Docs of this validation: %s (files: %s)", data_docs_url(None),
                  getattr(exc.report, "data_docs", None))
        raise


MARKET_TZ = EXCHANGE_TZ
"""Every schedule is read in the exchange's timezone (IST, no DST): :mod:`aegis.market.hours`."""

TIME_SCHEDULES_ENV = "AEGIS_TIME_SCHEDULES"
"""``off``: the clock-driven DAGs (ingest, model health, nightly retrain) run only when triggered
(a staging or replay stack whose store must not also take in the live market); ``on`` (the
default): on their timetables. Asset-driven inference is unaffected."""


def time_schedule(timetable: Any) -> Any:
    """``timetable``, or None (triggered runs only) when :data:`TIME_SCHEDULES_ENV` is ``off``.

    Raises
    ------
    ValueError
        When the variable is set to anything but ``on`` or ``off`` (the DAG then fails to parse,
        naming it).
    """
    import os

    value = (os.getenv(TIME_SCHEDULES_ENV) or "on").strip().lower()
    if value not in ("on", "off"):
        raise ValueError(f"{TIME_SCHEDULES_ENV}={value!r}: expected 'on' or 'off'")
    return None if value == "off" else timetable


FEATURES_ASSET = Asset(name="aegis_features", uri="x-aegis://market/features", group="aegis")
"""Validated daily features in the market store (updated by ``aegis_market_ingest``)."""

SNAPSHOT_ASSET = Asset(
    name="aegis_snapshot", uri="x-aegis://output/aegismatrix.json", group="aegis"
)
"""The published ``aegismatrix.json`` (updated by ``aegis_inference``)."""

MODELS_ASSET = Asset(name="aegis_models", uri="x-aegis://models/registry", group="aegis")
"""The champions in the DVC-tracked model store (updated by ``aegis_nightly_retrain``)."""

TRAINING_POOL = "aegis_training"
"""The pool of the CPU-heavy training tasks. The deployment creates it (scripts/airflow-
standalone.sh, the compose ``airflow-init``) with ``AEGIS_TRAINING_SLOTS`` slots (default 2):
training never starves ingest and inference of worker slots."""

RETRIES = 3
MAX_RETRY_DELAY = timedelta(minutes=30)

RETRY_POLICY = ExceptionRetryPolicy(
    rules=[
        RetryRule(
            exception=["aegis.errors.RemoteUnavailableError", "aegis.errors.LiveSourceError"],
            action=RetryAction.RETRY,
            reason="transient: remote endpoint unreachable, backing off",
        ),
        RetryRule(
            exception=[
                "aegis.errors.ValidationFailedError",
                "aegis.errors.SnapshotError",
                "aegis.errors.DataFormatError",
                "aegis.errors.ArtifactMissingError",
                "aegis.errors.ChecksumMismatchError",
                "aegis.errors.ManifestMismatchError",
                "aegis.errors.ProbeMismatchError",
                "aegis.errors.CalendarCoverageError",
                "aegis.errors.ForecastDriftError",
                "aegis.errors.ConfigurationError",
            ],
            action=RetryAction.FAIL,
            reason="deterministic failure: retrying cannot fix it",
        ),
    ],
    default=RetryAction.DEFAULT,
)

DEFAULT_ARGS: dict[str, object] = {
    "owner": "aegis",
    "retries": RETRIES,
    "retry_exponential_backoff": 2.0,
    "max_retry_delay": MAX_RETRY_DELAY,
    "retry_policy": RETRY_POLICY,
    "execution_timeout": timedelta(minutes=45),
    "on_failure_callback": [notify_failure],
}
"""``default_args`` of every AegisMatrix DAG."""

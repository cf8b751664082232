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
the same one remote task logging uses; :func:`model_store_credentials` hands them to the
``aegis`` settings for the one task that pushes to the store.

Retries
-------
Every task retries ``RETRIES`` times with exponential backoff (multiplier 2, capped at
``MAX_RETRY_DELAY``); the first delay is Airflow's ``[core] default_task_retry_delay`` (seconds),
so an operator tunes it per deployment without touching code. The retry policy fails at once on
errors that a retry cannot fix (a failed validation, a corrupt or missing model, an unreadable
file) and retries the transient ones (the S3 endpoint or a live source unreachable).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

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

log = logging.getLogger(__name__)

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


@contextmanager
def model_store_credentials(conn_id: str = S3_CONN_ID) -> Iterator[None]:
    """Inside the block the ``aegis`` settings carry the S3 credentials of connection
    ``conn_id`` (login, password, extra ``endpoint_url`` / ``region_name``).

    Called in a task body (never at parse time). Without the connection -- the embedded
    deployment, the tests -- the settings stay as configured, and the log says so.
    """
    from airflow.sdk import Connection
    from airflow.sdk.exceptions import AirflowNotFoundException

    from aegis.config import get_settings

    try:
        conn = Connection.get(conn_id)
    except AirflowNotFoundException as exc:
        log.info("no Airflow connection %r (%s): the model store uses the AEGIS_S3_* settings",
                 conn_id, exc)
        yield
        return
    extra = conn.extra_dejson
    values = {"AEGIS_S3_ACCESS_KEY_ID": conn.login, "AEGIS_S3_SECRET_ACCESS_KEY": conn.password,
              "AEGIS_S3_ENDPOINT_URL": extra.get("endpoint_url"),
              "AEGIS_S3_REGION": extra.get("region_name")}
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update({k: v for k, v in values.items() if v})
    get_settings.cache_clear()
    log.info("model store credentials from the Airflow connection %r", conn_id)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old
        get_settings.cache_clear()

MARKET_TZ = EXCHANGE_TZ
"""Every schedule is read in the exchange's timezone (IST, no DST): :mod:`aegis.market.hours`."""

FEATURES_ASSET = Asset(name="aegis_features", uri="x-aegis://market/features", group="aegis")
"""Validated daily features in the market store (updated by ``aegis_market_ingest``)."""

SNAPSHOT_ASSET = Asset(
    name="aegis_snapshot", uri="x-aegis://output/aegismatrix.json", group="aegis"
)
"""The published ``aegismatrix.json`` (updated by ``aegis_inference``)."""

MODELS_ASSET = Asset(name="aegis_models", uri="x-aegis://models/registry", group="aegis")
"""The champions in the DVC-tracked model store (updated by ``aegis_nightly_retrain``)."""

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
                "aegis.errors.DataFormatError",
                "aegis.errors.ArtifactMissingError",
                "aegis.errors.ChecksumMismatchError",
                "aegis.errors.ManifestMismatchError",
                "aegis.errors.ProbeMismatchError",
                "aegis.errors.CalendarCoverageError",
                "aegis.errors.ForecastDriftError",
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

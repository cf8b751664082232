"""Alerts reach the operator: a real ``aegis_model_health`` run (``dag.test()`` on PostgreSQL)
on a deployment with no champions, today (the calendar ends in 29 days), with the SMTP
connection ``aegis_smtp`` pointing at a local SMTP sink. Both failing checks must arrive as
e-mails from the DAGs' failure notifier (Airflow's SmtpNotifier), naming task and reason."""

from __future__ import annotations

import json
import os
import smtplib
from collections.abc import Iterator
from email.message import EmailMessage, Message
from pathlib import Path

import pytest

from tests.integration.airflow_harness import (
    airflow_env,
    dag_test,
    drop_database,
    migrated_database,
)
from tests.integration.smtp_sink import SmtpSink

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ALERT_TO = "operator@aegis.test"


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    with SmtpSink() as running:
        yield running


def _text(message: Message) -> str:
    parts = message.walk() if message.is_multipart() else [message]
    payloads = (p.get_payload(decode=True) for p in parts if p.get_content_maintype() == "text")
    return "".join(str(b, "utf-8", "replace") for b in payloads if isinstance(b, bytes))


def test_the_sink_receives_what_smtplib_sends(sink: SmtpSink) -> None:
    msg = EmailMessage()
    msg["Subject"], msg["From"], msg["To"] = "probe", "a@aegis.test", ALERT_TO
    msg.set_content("line one\n.leading dot\n")
    with smtplib.SMTP("127.0.0.1", sink.port) as client:
        client.send_message(msg)
    (got,) = sink.messages
    assert got["Subject"] == "probe"
    assert ".leading dot" in _text(got)


def test_failed_health_checks_are_mailed_through_the_smtp_notifier(
    sink: SmtpSink, tmp_path: Path
) -> None:
    db = f"aegis_alerts_{os.getpid()}"
    home = tmp_path / "aegis"
    aegis_env = {"AEGIS_HOME": str(home), "AEGIS_MODELS_DIR": str(home / "models")}
    env = airflow_env(tmp_path / "airflow", migrated_database(db), aegis_env=aegis_env)
    env["AIRFLOW_CONN_AEGIS_SMTP"] = json.dumps({
        "conn_type": "smtp", "host": "127.0.0.1", "port": sink.port,
        "extra": {"disable_ssl": True, "disable_tls": True, "from_email": "aegis@aegis.test"},
    })
    env["AIRFLOW__AEGIS__ALERT_EMAIL"] = ALERT_TO
    try:
        run = dag_test(env, "aegis_model_health")
    finally:
        drop_database(db)
    assert run.state == "failed", run.output[-4000:]
    assert run.tasks["check_champions"] == "failed"
    assert run.tasks["check_calendar"] == "failed"  # 2026-12-02: 29 < 30 days known ahead
    by_subject = {m["Subject"]: m for m in sink.messages}
    subjects = sorted(by_subject)
    calendar = [s for s in subjects if "aegis_model_health.check_calendar failed" in s]
    champions = [s for s in subjects if "aegis_model_health.check_champions failed" in s]
    assert calendar, subjects
    assert champions, subjects
    body = _text(by_subject[calendar[0]])
    assert "CalendarCoverageError" in body or "2026-12-31" in body, body
    assert "nse_holidays.csv" in body
    assert by_subject[calendar[0]]["To"] == ALERT_TO
    assert "docs/operations.md" in body


def test_a_missed_deadline_is_mailed_as_the_triggerer_would_send_it(
    sink: SmtpSink, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The inference DAG's own Deadline Alert, run through Airflow's CallbackTrigger (what the
    triggerer executes) with the context the scheduler attaches on a miss."""
    import asyncio
    import importlib.util

    monkeypatch.setenv("AIRFLOW_CONN_AEGIS_SMTP", json.dumps({
        "conn_type": "smtp", "host": "127.0.0.1", "port": sink.port,
        "extra": {"disable_ssl": True, "disable_tls": True, "from_email": "aegis@aegis.test"},
    }))
    monkeypatch.setenv("AIRFLOW__AEGIS__ALERT_EMAIL", ALERT_TO)
    dags = Path(__file__).resolve().parents[2] / "dags"
    monkeypatch.syspath_prepend(str(dags))
    from airflow.triggers.callback import CallbackTrigger

    spec = importlib.util.spec_from_file_location("aegis_inference_dag",
                                                  dags / "aegis_inference.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    dag = module.aegis_inference()
    (alert,) = dag.deadline
    callback = alert.callback.serialize()
    kwargs = dict(callback["kwargs"])
    kwargs["context"] = {  # as airflow.models.deadline.Deadline.handle_miss builds it
        "dag_run": {"dag_id": "aegis_inference", "dag_run_id": "asset_triggered__2026-12-02"},
        "deadline": {"id": "d1", "deadline_time": "2026-12-02T04:10:00+00:00"},
    }
    trigger = CallbackTrigger(callback_path=callback["path"], callback_kwargs=kwargs)

    async def events() -> list[dict[str, object]]:
        return [e.payload async for e in trigger.run()]

    states = [str(p["state"]) for p in asyncio.run(events())]
    assert states[-1].endswith("success"), states
    (mail,) = sink.messages
    assert mail["Subject"] == ("[AegisMatrix] deadline missed: aegis_inference "
                               "asset_triggered__2026-12-02")
    assert mail["To"] == ALERT_TO
    body = _text(mail)
    assert "10 minutes after it was queued" in body
    assert "2026-12-02T04:10:00+00:00" in body

"""The DAGs' shared conventions (dags/aegis_common.py): the model store's S3 access comes from
the Airflow connection ``aegis_s3`` as a value handed to the push (never through
``os.environ``), every event is one JSON line, and a failed validation's log links its Data
Docs."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import tomllib
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from unittest import mock

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = r"""
import json, os
from aegis_common import model_store_access
before = dict(os.environ)
access = model_store_access()
print("RESULT " + json.dumps({
    "access": None if access is None else [access.access_key_id, access.secret_access_key,
                                           access.endpoint_url, access.region],
    "repr": repr(access), "environ_unchanged": dict(os.environ) == before}))
"""


def _run(conn: dict[str, object] | None) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "AEGIS_"))}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO / "dags"), str(REPO)])
    if conn is not None:
        env["AIRFLOW_CONN_AEGIS_S3"] = json.dumps(conn)
    done = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True,
                          text=True, timeout=300, check=False)
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("RESULT ")), None)
    assert line is not None, done.stderr[-3000:]
    return dict(json.loads(line.removeprefix("RESULT ")))


@pytest.mark.slow
def test_the_access_comes_from_the_connection_as_a_value() -> None:
    got = _run({"conn_type": "aws", "login": "KEY", "password": "SECRET",
                "extra": {"endpoint_url": "http://127.0.0.1:9", "region_name": "ap-south-1"}})
    assert got["access"] == ["KEY", "SECRET", "http://127.0.0.1:9", "ap-south-1"]
    assert got["environ_unchanged"] is True
    assert "SECRET" not in got["repr"]
    assert "KEY" not in got["repr"]


@pytest.mark.slow
def test_without_the_connection_the_settings_stand() -> None:
    got = _run(None)
    assert got["access"] is None
    assert got["environ_unchanged"] is True


def test_no_dag_file_writes_the_environment() -> None:
    for path in (REPO / "dags").glob("*.py"):
        import ast

        tree = ast.parse(path.read_text(encoding="utf-8"))
        uses = [n for n in ast.walk(tree) if isinstance(n, ast.Attribute)
                and n.attr == "environ" and getattr(n.value, "id", None) == "os"]
        assert not uses, f"{path.name} touches os.environ (line {uses[0].lineno})"


def test_the_store_takes_the_access_in_memory(tmp_path: Path) -> None:
    from aegis.config import Settings
    from aegis.registry.store import S3Access, StoreConfig

    base = StoreConfig.from_settings(Settings(home=tmp_path))
    cfg = base.with_access(S3Access(access_key_id="K", secret_access_key="S",
                                    endpoint_url="http://e:9000"))
    assert (cfg.access_key_id, cfg.secret_access_key, cfg.endpoint_url) == (
        "K", "S", "http://e:9000")
    assert cfg.region == base.region  # None in the access: the settings' value stands
    assert base.with_access(None) is base


def test_the_smtp_provider_the_notifier_needs_is_declared() -> None:
    deps = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    assert "apache-airflow-providers-smtp" in deps
    pins = (REPO / "constraints.txt").read_text().splitlines()
    assert any(p.startswith("apache-airflow-providers-smtp==") for p in pins)


def test_the_deployments_create_the_training_pool() -> None:
    standalone = (REPO / "scripts" / "airflow-standalone.sh").read_text()
    assert standalone.index("pools set aegis_training") < standalone.index("airflow\" standalone")
    compose = (REPO / "docker-compose.yaml").read_text()
    assert compose.index("airflow db migrate") < compose.index("airflow pools set aegis_training")


# --- in-process: aegis_common's helpers with a fake task context ------------------------------
@pytest.fixture
def common() -> Any:
    sys.path.insert(0, str(REPO / "dags"))
    try:
        import aegis_common
    finally:
        sys.path.remove(str(REPO / "dags"))
    return aegis_common


def _context() -> dict[str, Any]:
    ti = SimpleNamespace(dag_id="aegis_inference", task_id="publish_snapshot", map_index=-1,
                         try_number=2)
    return {"ti": ti, "run_id": "asset_triggered__2024-06-14T04:30:00+00:00"}


def test_every_event_is_one_json_line_with_the_run(common: Any,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    @common.logged("snapshot_published")
    def publish(**context: Any) -> dict[str, Any]:
        return {"status": "ok", "spot": 23456.5}

    @common.logged("snapshot_published")
    def refuse() -> dict[str, Any]:
        raise ValueError("contract refused: vix <= 0\nmore")

    caplog.set_level(logging.INFO, logger=common.EVENT_LOGGER)
    with mock.patch("airflow.sdk.get_current_context", _context):
        assert publish(run_id="x") == {"status": "ok", "spot": 23456.5}
        with pytest.raises(ValueError, match="contract refused"):
            refuse()
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == common.EVENT_LOGGER]
    assert lines == [
        {"event": "snapshot_published", "dag_id": "aegis_inference",
         "task_id": "publish_snapshot", "run_id": "asset_triggered__2024-06-14T04:30:00+00:00",
         "map_index": -1, "try_number": 2, "numbers": {"status": "ok", "spot": 23456.5}},
        {"event": "snapshot_published_failed", "dag_id": "aegis_inference",
         "task_id": "publish_snapshot", "run_id": "asset_triggered__2024-06-14T04:30:00+00:00",
         "map_index": -1, "try_number": 2,
         "numbers": {"error": "ValueError", "message": "contract refused: vix <= 0"}},
    ]
    import inspect
    assert "context" in inspect.signature(publish).parameters  # Airflow still injects it


def test_a_failed_validation_logs_its_data_docs_links(common: Any,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    from aegis.errors import ValidationFailedError
    from aegis.validation import SuiteResult, ValidationReport

    report = ValidationReport(created_at="2024-06-14T10:00:00+00:00", data_docs="/x/index.html",
                              suites=[SuiteResult(suite="vix_daily", success=False, rows=3,
                                                  checkpoint="vix_daily_checkpoint",
                                                  data_docs_page="validations/vix/run.html")])
    caplog.set_level(logging.ERROR)
    with (mock.patch.object(common.conf, "get", return_value="http://airflow:8080/"),
          pytest.raises(ValidationFailedError), common.data_docs_on_failure()):
        raise ValidationFailedError("validation failed", report=report)
    text = caplog.text
    assert ("suite 'vix_daily' (checkpoint vix_daily_checkpoint); Data Docs: "
            "http://airflow:8080/aegismatrix/data-docs/validations/vix/run.html") in text
    assert "http://airflow:8080/aegismatrix/data-docs/index.html" in text


@pytest.mark.parametrize(("value", "expected"), [
    (None, ["MultipleCronTriggerTimetable", "CronTriggerTimetable", "CronTriggerTimetable"]),
    ("off", ["NullTimetable", "NullTimetable", "NullTimetable"]),
    ("sometimes", "AEGIS_TIME_SCHEDULES='sometimes': expected 'on' or 'off'"),
])
def test_the_clock_driven_dags_can_be_left_to_triggers(value: str | None,
                                                       expected: list[str] | str) -> None:
    """A staging or replay stack (the integration stack too) sets AEGIS_TIME_SCHEDULES=off:
    ingest, model health and the retrain then run only when triggered; inference keeps its
    assets."""
    script = (
        "import importlib, sys\n"
        "try:\n"
        "    mods = [importlib.import_module(m) for m in ('aegis_market_ingest', "
        "'aegis_model_health', 'aegis_nightly_retrain', 'aegis_inference')]\n"
        "except ValueError as exc:\n"
        "    print('RESULT', exc); sys.exit(0)\n"
        "from airflow.serialization.encoders import coerce_to_core_timetable\n"
        "print('RESULT', ','.join(type(coerce_to_core_timetable(getattr(m, m.__name__)()"
        ".timetable)).__name__ for m in mods))\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "AEGIS_"))}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO / "dags"), str(REPO)])
    if value is not None:
        env["AEGIS_TIME_SCHEDULES"] = value
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                          text=True, timeout=300, check=False)
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("RESULT ")), None)
    assert line is not None, done.stderr[-3000:]
    got = line.removeprefix("RESULT ")
    if isinstance(expected, str):
        assert got == expected
    else:
        assert got.split(",") == [*expected, "AssetTriggeredTimetable"]

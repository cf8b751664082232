"""Static checks of the year-long-operation parts of docker-compose.yaml and the Dockerfile:
S3 credentials only through the aegis_s3 connection, remote task logging to the S3 store, the
SMTP connection for failure notifications, and an image built from the repository's Dockerfile."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yaml"
SECRETS = ("AEGIS_S3_ACCESS_KEY_ID", "AEGIS_S3_SECRET_ACCESS_KEY", "AWS_ACCESS_KEY_ID",
           "AWS_SECRET_ACCESS_KEY", "MINIO_ROOT_PASSWORD", "SMTP_PASSWORD")
RUNNING = ("airflow-apiserver", "airflow-scheduler", "airflow-dag-processor",
           "airflow-triggerer", "airflow-worker")


@pytest.fixture(scope="module")
def services() -> dict[str, Any]:
    return dict(yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))["services"])


def test_no_long_running_airflow_service_gets_s3_or_smtp_secrets(services: dict[str, Any]
                                                                 ) -> None:
    for name in RUNNING:
        env = services[name].get("environment", {})
        leaked = [key for key in SECRETS if key in env]
        assert not leaked, f"{name} gets {leaked} as environment variables"


def test_airflow_init_stores_the_aws_connection_and_the_smtp_connection(
    services: dict[str, Any]
) -> None:
    script = services["airflow-init"]["command"][1]
    assert "aegis_s3 --conn-type aws" in script
    assert '"endpoint_url": "http://minio:9000"' in script
    assert "aegis_smtp --conn-type smtp" in script
    assert script.index("airflow db migrate") < script.index("aegis_s3 --conn-type aws")


def test_task_logs_go_to_the_s3_store_through_that_connection(services: dict[str, Any]) -> None:
    for name in RUNNING:
        env = {k: str(v) for k, v in services[name]["environment"].items()}
        assert env["AIRFLOW__LOGGING__REMOTE_LOGGING"] == "true"
        assert env["AIRFLOW__LOGGING__REMOTE_LOG_CONN_ID"] == "aegis_s3"
        bucket = env["AEGIS_S3_BUCKET"]
        assert env["AIRFLOW__LOGGING__REMOTE_BASE_LOG_FOLDER"] == f"s3://{bucket}/airflow-logs"
        assert env["AIRFLOW__EMAIL__EMAIL_CONN_ID"] == "aegis_smtp"
        assert env["AIRFLOW__AEGIS__ALERT_EMAIL"].startswith("${ALERT_EMAIL")


def test_the_image_is_built_from_the_repository_dockerfile(services: dict[str, Any]) -> None:
    build = services["airflow-scheduler"]["build"]
    assert build == {"context": ".", "dockerfile": "Dockerfile"}
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert "pip install --no-cache-dir -c /opt/aegis-build/constraints.txt /opt/aegis-build" in text
    for copied in ("COPY --chown=airflow:root aegis ", "COPY --chown=airflow:root dags ",
                   "COPY --chown=airflow:root plugins "):
        assert copied in text
    # the suites come in the wheel: copied into the build context only, removed after install
    assert "COPY --chown=airflow:root expectations /opt/aegis-build/expectations" in text
    assert "rm -rf /opt/aegis-build/aegis /opt/aegis-build/expectations" in text

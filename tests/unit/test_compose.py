"""Static checks of docker-compose.yaml (no Docker engine runs here)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from aegis.config import Settings

COMPOSE = Path(__file__).resolve().parents[2] / "docker-compose.yaml"
AIRFLOW_SERVICES = {
    "airflow-init", "airflow-apiserver", "airflow-scheduler", "airflow-dag-processor",
    "airflow-triggerer", "airflow-worker",
}
LONG_RUNNING = AIRFLOW_SERVICES - {"airflow-init"} | {"postgres", "redis", "minio"}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return dict(yaml.safe_load(COMPOSE.read_text(encoding="utf-8")))


def _env(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment", {})
    assert isinstance(env, dict), "environment is written as a mapping"
    return {k: str(v) for k, v in env.items()}


def test_every_service_is_present(compose: dict[str, Any]) -> None:
    assert set(compose["services"]) >= AIRFLOW_SERVICES | {"postgres", "redis", "minio",
                                                           "minio-init"}


def test_images_are_pinned(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        image = service.get("image")
        assert image, f"{name} has no image"
        assert ":" in image, f"{name}: unpinned image {image}"
        assert not image.endswith(":latest"), f"{name}: unpinned image {image}"
        tag = image.rsplit(":", 1)[1]
        assert re.search(r"\d", tag), f"{name}: tag {tag!r} names no version"
    build = compose["services"]["airflow-scheduler"]["build"]
    base = (COMPOSE.parent / build["dockerfile"]).read_text(encoding="utf-8")
    assert "FROM apache/airflow:3.3.2-python3.11" in base


def test_long_running_services_have_health_checks(compose: dict[str, Any]) -> None:
    for name in LONG_RUNNING:
        check = compose["services"][name].get("healthcheck", {})
        assert check.get("test"), f"{name} has no health check"


def test_airflow_waits_for_healthy_services_and_the_bucket(compose: dict[str, Any]) -> None:
    for name in AIRFLOW_SERVICES:
        deps = compose["services"][name]["depends_on"]
        assert deps["postgres"]["condition"] == "service_healthy"
        assert deps["redis"]["condition"] == "service_healthy"
        assert deps["minio-init"]["condition"] == "service_completed_successfully"
    init = " ".join(compose["services"]["minio-init"]["command"])
    assert "mc mb --ignore-existing" in init
    assert "airflow db migrate" in " ".join(compose["services"]["airflow-init"]["command"])


def test_celery_executor_on_postgres_and_redis(compose: dict[str, Any]) -> None:
    env = _env(compose["services"]["airflow-worker"])
    assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql+psycopg2://")
    assert env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://redis:6379")
    assert compose["services"]["airflow-worker"]["command"] == "celery worker"


def test_repo_is_mounted_without_its_env_file(compose: dict[str, Any]) -> None:
    for name in AIRFLOW_SERVICES:
        service = compose["services"][name]
        volumes = service["volumes"]
        assert ".:/opt/aegis" in volumes  # the model store commits models.dvc in this repo
        assert "/dev/null:/opt/aegis/.env:ro" in volumes  # .env never readable inside
        for folder in ("dags", "plugins"):
            assert f"./{folder}:/opt/aegis/{folder}:ro" in volumes
        assert not [v for v in volumes if v.split(":")[0].endswith(".env")], volumes
        env = _env(service)
        assert env["AIRFLOW__CORE__DAGS_FOLDER"] == "/opt/aegis/dags"
        assert env["AIRFLOW__CORE__PLUGINS_FOLDER"] == "/opt/aegis/plugins"
        assert env["AEGIS_MODELS_DIR"] == "/opt/aegis/models"


SECRET_VARS = ("AIRFLOW_JWT_SECRET", "AIRFLOW_API_SECRET_KEY", "AIRFLOW_FERNET_KEY",
               "POSTGRES_PASSWORD", "MINIO_ROOT_USER", "MINIO_ROOT_PASSWORD")


def test_no_secret_has_a_default_and_each_names_itself() -> None:
    text = COMPOSE.read_text(encoding="utf-8")
    for var in SECRET_VARS:
        uses = re.findall(r"(?<!\$)\$\{" + var + r"([^}]*)\}", text)
        assert uses, var
        for use in uses:
            assert use.startswith(":?"), f"{var} has a default or no guard: ${{{var}{use}}}"
            assert var in use, f"{var}'s message does not name it"
    assert "change-me" not in text
    # no secret-named variable has a non-empty default (optional SMTP credentials may be empty)
    assert not re.search(r"\$\{[A-Z_0-9]*(SECRET|PASSWORD|FERNET|KEY)[A-Z_0-9]*:-[^}]", text)


def test_published_ports_bind_localhost_by_default(compose: dict[str, Any]) -> None:
    published = [(name, p) for name, svc in compose["services"].items()
                 for p in svc.get("ports", [])]
    assert published
    for name, port in published:
        assert str(port).startswith("${AEGIS_BIND_ADDRESS:-127.0.0.1}:"), (name, port)


def test_passwords_file_is_created_0600(compose: dict[str, Any]) -> None:
    init = " ".join(compose["services"]["airflow-init"]["command"])
    assert "umask 077" in init
    assert "chmod 600 /opt/airflow/passwords/passwords.json" in init


def test_env_file_is_git_ignored() -> None:
    ignored = (COMPOSE.parent / ".gitignore").read_text(encoding="utf-8").split()
    assert ".env" in ignored


def test_generate_env_writes_random_secrets_0600(tmp_path: Path) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "generate_env", COMPOSE.parent / "scripts" / "generate_env.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert set(module.SECRET_NAMES) == set(SECRET_VARS)
    first = module.write_env(tmp_path / ".env")
    assert first.stat().st_mode & 0o777 == 0o600
    values = dict(line.split("=", 1) for line in first.read_text().splitlines()
                  if line and not line.startswith("#"))
    assert set(SECRET_VARS) <= set(values)
    with pytest.raises(FileExistsError):
        module.write_env(first)
    again = module.write_env(first, force=True)
    other = dict(line.split("=", 1) for line in again.read_text().splitlines()
                 if line and not line.startswith("#"))
    for var in SECRET_VARS:
        assert values[var] != other[var], var
        assert values[var] not in COMPOSE.read_text(), var
    assert len(values["AIRFLOW_JWT_SECRET"]) >= 64
    import base64

    assert len(base64.urlsafe_b64decode(values["AIRFLOW_FERNET_KEY"])) == 32


def test_aegis_env_names_are_settings(compose: dict[str, Any]) -> None:
    fields = {name.upper() for name in Settings.model_fields}
    seen: set[str] = set()
    for name, service in compose["services"].items():
        for key in _env(service):
            if key.startswith("AEGIS_") and name != "minio-init":
                assert key.removeprefix("AEGIS_") in fields, f"{name}: {key} is not a setting"
                seen.add(key)
    assert {"AEGIS_S3_ENDPOINT_URL", "AEGIS_S3_BUCKET", "AEGIS_HOME"} <= seen


def test_minio_bucket_matches_the_settings_bucket(compose: dict[str, Any]) -> None:
    worker = _env(compose["services"]["airflow-worker"])
    init = _env(compose["services"]["minio-init"])
    assert worker["AEGIS_S3_BUCKET"] == init["AEGIS_S3_BUCKET"]
    assert worker["AEGIS_S3_ENDPOINT_URL"] == "http://minio:9000"
    minio = _env(compose["services"]["minio"])
    airflow_init = _env(compose["services"]["airflow-init"])  # stores them as aegis_s3
    assert airflow_init["MINIO_ROOT_USER"] == minio["MINIO_ROOT_USER"]
    assert airflow_init["MINIO_ROOT_PASSWORD"] == minio["MINIO_ROOT_PASSWORD"]


def test_every_airflow_process_shares_the_same_secrets(compose: dict[str, Any]) -> None:
    envs = [_env(compose["services"][n]) for n in AIRFLOW_SERVICES]
    for key in ("AIRFLOW__API_AUTH__JWT_SECRET", "AIRFLOW__API__SECRET_KEY",
                "AIRFLOW__CORE__EXECUTION_API_SERVER_URL"):
        assert len({env[key] for env in envs}) == 1, key


def test_minio_s3_port_is_published_on_loopback_for_dvc_pulls(compose: dict[str, Any]) -> None:
    ports = [str(p) for p in compose["services"]["minio"]["ports"]]
    s3 = [p for p in ports if p.endswith(":9000")]
    assert s3 == ["${AEGIS_BIND_ADDRESS:-127.0.0.1}:${MINIO_S3_PORT:-9000}:9000"]


def test_airflow_containers_have_a_git_identity_for_the_promotion_commit(
        compose: dict[str, Any]) -> None:
    for name in AIRFLOW_SERVICES:
        env = _env(compose["services"][name])
        for key in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME",
                    "GIT_COMMITTER_EMAIL"):
            assert env.get(key), f"{name}: {key} unset"
        assert env["GIT_CONFIG_KEY_0"] == "safe.directory"
        assert env["GIT_CONFIG_VALUE_0"] == "/opt/aegis"

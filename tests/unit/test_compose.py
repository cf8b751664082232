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
    assert env["AIRFLOW__CELERY__RESULT_BACKEND_CMD"] == "cat /run/secrets/celery_result_backend"
    assert _env(compose["services"]["airflow-scheduler"])[
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_CMD"] == "cat /run/secrets/airflow_db_url"
    assert env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://redis:6379")
    assert compose["services"]["airflow-worker"]["command"] == "celery worker"


def _mounts(service: dict[str, Any]) -> list[str]:
    """Volume entries as ``source:target[:mode]`` text (a tmpfs as ``tmpfs:target``)."""
    return [v if isinstance(v, str) else f"{v['type']}:{v['target']}"
            for v in service.get("volumes", [])]


CODE_PATHS = ("aegis", "dags", "plugins", "scripts", "tests", ".git/hooks", ".git/config",
              "docker-compose.yaml", "Dockerfile", "Makefile", "pyproject.toml",
              "constraints.txt")


def test_code_is_mounted_read_only_and_imported_from_the_image(compose: dict[str, Any]) -> None:
    """Issue 22: with the checkout read-write and PYTHONPATH on it, a task could rewrite the
    code the api-server imports. Now: no PYTHONPATH (the image's aegis wheel), the checkout
    read-only everywhere but in the worker, whose every code path is overlaid read-only."""
    for name in AIRFLOW_SERVICES:
        service = compose["services"][name]
        volumes = _mounts(service)
        env = _env(service)
        assert "PYTHONPATH" not in env, name
        assert "/dev/null:/opt/aegis/.env:ro" in volumes  # .env never readable inside
        assert "tmpfs:/opt/aegis/secrets" in volumes  # nor the secret files of the host
        for folder in ("dags", "plugins"):
            assert f"./{folder}:/opt/aegis/{folder}:ro" in volumes, (name, folder)
        assert not [v for v in volumes if v.split(":")[0].endswith(".env")], volumes
        assert env["AIRFLOW__CORE__DAGS_FOLDER"] == "/opt/aegis/dags"
        assert env["AIRFLOW__CORE__PLUGINS_FOLDER"] == "/opt/aegis/plugins"
        assert env["AEGIS_MODELS_DIR"] == "/opt/aegis/models"
        if name == "airflow-worker":
            assert ".:/opt/aegis" in volumes  # the model store commits models.dvc here
            for path in CODE_PATHS:
                assert f"./{path}:/opt/aegis/{path}:ro" in volumes, path
        else:
            assert ".:/opt/aegis:ro" in volumes, name
            writable = [v for v in volumes if v.startswith("./") and not v.endswith(":ro")]
            allowed = {"./var:/opt/aegis/var", "./models:/opt/aegis/models"}
            assert set(writable) <= (allowed if name == "airflow-init" else set()), writable


def test_users_passwords_file_only_where_it_is_used(compose: dict[str, Any]) -> None:
    for name in AIRFLOW_SERVICES:
        has = "airflow-passwords:/opt/airflow/passwords" in _mounts(compose["services"][name])
        assert has == (name in ("airflow-init", "airflow-apiserver")), name


SECRET_VARS = ("AIRFLOW_JWT_SECRET", "AIRFLOW_API_SECRET_KEY", "AIRFLOW_FERNET_KEY",
               "POSTGRES_PASSWORD", "MINIO_ROOT_USER", "MINIO_ROOT_PASSWORD")
SECRET_FILES = {"postgres_password", "airflow_db_url", "celery_result_backend",
                "airflow_fernet_key", "airflow_jwt_secret", "airflow_api_secret_key",
                "minio_root_user", "minio_root_password"}
#: Issue 22: each container gets only the secrets it needs (the worker cannot sign a token).
NEEDS = {
    "postgres": {"postgres_password"},
    "minio": {"minio_root_user", "minio_root_password"},
    "minio-init": {"minio_root_user", "minio_root_password"},
    "airflow-init": {"airflow_db_url", "airflow_fernet_key", "minio_root_user",
                     "minio_root_password"},
    "airflow-apiserver": {"airflow_db_url", "airflow_fernet_key", "airflow_jwt_secret",
                          "airflow_api_secret_key"},
    "airflow-scheduler": {"airflow_db_url", "celery_result_backend", "airflow_fernet_key",
                          "airflow_jwt_secret"},
    "airflow-dag-processor": {"airflow_db_url", "airflow_fernet_key"},
    "airflow-triggerer": {"airflow_db_url", "airflow_fernet_key"},
    "airflow-worker": {"celery_result_backend"},
    "redis": set(),
}
CMD_OPTIONS = {"airflow_db_url": "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_CMD",
               "celery_result_backend": "AIRFLOW__CELERY__RESULT_BACKEND_CMD",
               "airflow_fernet_key": "AIRFLOW__CORE__FERNET_KEY_CMD",
               "airflow_jwt_secret": "AIRFLOW__API_AUTH__JWT_SECRET_CMD",
               "airflow_api_secret_key": "AIRFLOW__API__SECRET_KEY_CMD"}


def test_each_service_gets_only_the_secret_files_it_needs(compose: dict[str, Any]) -> None:
    declared = compose["secrets"]
    assert set(declared) == SECRET_FILES
    for name, secret in declared.items():
        assert secret == {"file": f"./secrets/{name}"}, name
    assert set(compose["services"]) == set(NEEDS)
    for name, service in compose["services"].items():
        got = set(service.get("secrets", []))
        assert got == NEEDS[name], (name, got)
        env = _env(service)
        for secret, option in CMD_OPTIONS.items():
            if secret in got:
                assert env[option] == f"cat /run/secrets/{secret}", (name, option)
            else:
                assert option not in env, (name, option)
        for option in CMD_OPTIONS.values():  # never the value itself
            assert option.removesuffix("_CMD") not in env, (name, option)


def test_no_secret_is_an_environment_value() -> None:
    """No secret is interpolated into the file (where `docker inspect` and every process of the
    container would see it); only the optional SMTP settings of airflow-init remain."""
    text = COMPOSE.read_text(encoding="utf-8")
    for var in SECRET_VARS:
        assert not re.search(r"(?<!\$)\$\{" + var, text), var
    assert "change-me" not in text
    found = re.findall(r"(?<!\$)\$\{([A-Z_0-9]*(?:SECRET|PASSWORD|FERNET|KEY)[A-Z_0-9]*)", text)
    assert set(found) <= {"SMTP_PASSWORD"}, found
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


def test_env_file_and_secrets_are_git_ignored() -> None:
    ignored = (COMPOSE.parent / ".gitignore").read_text(encoding="utf-8").split()
    assert ".env" in ignored
    assert "/secrets/" in ignored


def _load_generate_env() -> Any:
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "generate_env", COMPOSE.parent / "scripts" / "generate_env.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _read_secrets(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(folder.iterdir())}


def test_generate_env_writes_random_secret_files(tmp_path: Path) -> None:
    module = _load_generate_env()
    assert set(module.SECRET_NAMES) == set(SECRET_VARS)
    assert set(module.SECRET_FILES) == SECRET_FILES
    first = module.write_env(tmp_path / ".env")
    assert first.stat().st_mode & 0o777 == 0o600
    assert "SECRET" not in first.read_text().replace("secrets/", "")
    folder = tmp_path / "secrets"
    assert folder.stat().st_mode & 0o777 == 0o700
    values = _read_secrets(folder)
    assert set(values) == SECRET_FILES
    for name in values:
        assert (folder / name).stat().st_mode & 0o777 == 0o644, name
        assert values[name], name
        assert "\n" not in values[name], name
    assert values["airflow_db_url"] == (f"postgresql+psycopg2://airflow:"
                                        f"{values['postgres_password']}@postgres/airflow")
    assert (tmp_path / "var").is_dir()
    assert (tmp_path / "models").is_dir()
    with pytest.raises(FileExistsError):
        module.write_env(first)
    module.write_env(first, force=True)
    other = _read_secrets(folder)
    for name in SECRET_FILES:
        assert values[name] != other[name], name
        assert values[name] not in COMPOSE.read_text(), name
    assert len(values["airflow_jwt_secret"]) >= 64
    import base64

    assert len(base64.urlsafe_b64decode(values["airflow_fernet_key"])) == 32


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
    assert minio["MINIO_ROOT_USER_FILE"] == "minio_root_user"
    assert minio["MINIO_ROOT_PASSWORD_FILE"] == "minio_root_password"
    script = compose["services"]["airflow-init"]["command"][1]  # stores them as aegis_s3
    assert "/run/secrets/minio_root_user" in script
    assert "/run/secrets/minio_root_password" in script


def test_airflow_processes_that_share_a_secret_read_the_same_file(compose: dict[str, Any]
                                                                  ) -> None:
    envs = [_env(compose["services"][n]) for n in AIRFLOW_SERVICES]
    for key in ("AIRFLOW__API_AUTH__JWT_SECRET_CMD", "AIRFLOW__CORE__FERNET_KEY_CMD",
                "AIRFLOW__CORE__EXECUTION_API_SERVER_URL"):
        assert len({env[key] for env in envs if key in env}) == 1, key


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

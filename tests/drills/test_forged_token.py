"""Drill: a JWT signed with any string committed in the repository is refused.

An api-server (the integration harness's environment, PostgreSQL metadata DB) runs with secrets
from ``scripts/generate_env.py``. A real admin token is taken from ``/auth/token`` and its claims
re-signed with every secret-like string found in the tracked files and in the history of the
deployment files (old compose defaults included). Each forged token must get 401/403 on the
REST API, on a DAG PATCH and on the AegisMatrix plugin API; the same claims re-signed with the
real secret must get 200 (so the forgery itself is sound and the test can fail).
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
from collections.abc import Iterator
from typing import Any

import jwt
import pytest
import requests

from tests.integration.airflow_harness import (
    REPO,
    AirflowStack,
    ApiClient,
    airflow_env,
    drop_database,
    migrated_database,
)

pytestmark = pytest.mark.integration

#: Defaults the deployment shipped with before issue 12 (also found in git history).
KNOWN_OLD_DEFAULTS = ("change-me-jwt-secret-of-at-least-32-bytes", "change-me-api-secret",
                      "airflow", "aegis", "aegis-secret-key", "admin", "secret", "testing")
ASSIGNMENT = re.compile(
    r"(?:SECRET|KEY|PASSWORD|PASSWD|TOKEN|JWT)[A-Z_]*\"?\s*[:=]\s*[\"']?([^\"'\s},]{3,})", re.I)
DEFAULT = re.compile(r"\$\{[A-Z_]+:-([^}]*)\}")
DEPLOY_FILES = ("docker-compose.yaml", ".env.example", "docs/operations.md", "README.md",
                "scripts/airflow-standalone.sh", "Makefile")
PROBES = (("GET", "/api/v2/dags"), ("GET", "/api/v2/connections"),
          ("PATCH", "/api/v2/dags/aegis_inference"), ("GET", "/aegismatrix/api/health"))


def committed_secret_strings() -> set[str]:
    """Secret-like strings in tracked text files and in the deployment files' history."""
    found = set(KNOWN_OLD_DEFAULTS)
    files = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True,
                           check=True).stdout.split()
    texts = []
    for name in files:
        path = REPO / name
        if path.suffix in {".csv", ".parquet", ".png", ".onnx"} or not path.is_file():
            continue
        texts.append(path.read_text(encoding="utf-8", errors="ignore"))
    history = subprocess.run(["git", "log", "-p", "--", *DEPLOY_FILES], cwd=REPO,
                             capture_output=True, text=True, check=False).stdout
    texts.append(history)
    for text in texts:
        found.update(m.group(1) for m in ASSIGNMENT.finditer(text))
        found.update(m.group(1) for m in DEFAULT.finditer(text))
    return {s for s in found if s}  # an empty HMAC key cannot sign


def _generated_secrets() -> dict[str, str]:
    spec = importlib.util.spec_from_file_location("generate_env",
                                                  REPO / "scripts" / "generate_env.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return dict(module.generate())


@pytest.fixture(scope="module")
def api_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    root = tmp_path_factory.mktemp("forged")
    db = f"aegis_forged_{id(root) % 100000}"
    env = airflow_env(root / "airflow", migrated_database(db),
                      aegis_env={"AEGIS_HOME": str(root / "home")})
    generated = _generated_secrets()
    env["AIRFLOW__API_AUTH__JWT_SECRET"] = generated["AIRFLOW_JWT_SECRET"]
    env["AIRFLOW__API__SECRET_KEY"] = generated["AIRFLOW_API_SECRET_KEY"]
    env["AIRFLOW__CORE__FERNET_KEY"] = generated["AIRFLOW_FERNET_KEY"]
    stack = AirflowStack(env, root / "logs")
    stack.COMPONENTS = (("api-server", ("api-server",)),)
    try:
        stack.start()
        yield stack.base_url, env["AIRFLOW__API_AUTH__JWT_SECRET"]
    finally:
        stack.stop()
        drop_database(db)


def _status(base: str, method: str, path: str, token: str) -> int:
    body: dict[str, Any] | None = {"is_paused": True} if method == "PATCH" else None
    resp = requests.request(method, f"{base}{path}", json=body, timeout=30,
                            headers={"Authorization": f"Bearer {token}"})
    return resp.status_code


def test_the_scan_finds_the_old_defaults() -> None:
    strings = committed_secret_strings()
    assert "change-me-jwt-secret-of-at-least-32-bytes" in strings
    assert len(strings) > len(KNOWN_OLD_DEFAULTS)


def test_tokens_signed_with_committed_strings_are_refused(api_server: tuple[str, str]) -> None:
    base, real_secret = api_server
    real = ApiClient(base).login()
    header = jwt.get_unverified_header(real)
    claims = jwt.decode(real, options={"verify_signature": False})
    resigned = jwt.encode(claims, real_secret, algorithm=header["alg"])
    assert _status(base, "GET", "/api/v2/dags", resigned) == 200  # the forgery is sound
    strings = committed_secret_strings()
    assert real_secret not in strings
    accepted = []
    for candidate in sorted(strings):
        forged = jwt.encode(claims, candidate, algorithm=header["alg"])
        for method, path in PROBES:
            code = _status(base, method, path, forged)
            if code not in (401, 403):
                accepted.append((candidate, method, path, code))
    assert accepted == [], accepted

"""Drills (issue 22) on the deployment: the registry's checksum, the operator corner's token,
and a retrain that gives the same versions from the same store and seed."""

from __future__ import annotations

import asyncio
import json
import socket
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from fastapi import FastAPI, Request
from typer.testing import CliRunner

from aegis import pipeline
from aegis.commands.models import app as models_app
from aegis.config import Settings

if TYPE_CHECKING:
    from tests.unit.pipeline_fixtures import Deployment

pytest_plugins = ["tests.unit.pipeline_fixtures"]
PLUGINS = Path(__file__).resolve().parents[2] / "plugins"
runner = CliRunner()


def test_a_registry_checksum_that_is_not_the_artifacts_fails_verify(
        deployment_copy: Deployment) -> None:
    path = deployment_copy.models_dir / "registry.json"
    registry = json.loads(path.read_text())
    registry["champions"]["breach"]["sha256"] = "0" * 64
    path.write_text(json.dumps(registry))
    verify = runner.invoke(models_app, ["verify"])
    assert verify.exit_code == 1, verify.output
    failed = [ln for ln in verify.output.splitlines() if "FAILED" in ln]
    assert [ln.split()[0] for ln in failed] == ["breach"], verify.output
    assert "ChecksumMismatchError" in failed[0]
    assert "registry" in failed[0]
    result = pipeline.infer()  # inference degrades that one model, with the reason
    assert result["status"] == "degraded"
    assert any("ChecksumMismatchError" in r["reason"] for r in result["degraded_reasons"])


class _Recorder:
    """A tiny HTTP server that records the Authorization header of every request."""

    def __init__(self) -> None:
        import uvicorn

        self.tokens: list[str] = []
        app = FastAPI()

        @app.get("/api/v2/dags/{dag_id}/dagRuns")
        def runs(dag_id: str, request: Request) -> dict[str, Any]:
            self.tokens.append(request.headers.get("authorization", ""))
            return {"total_entries": 0, "dag_runs": []}

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = int(s.getsockname()[1])
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port,
                                                    log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> _Recorder:
        self.thread.start()
        while not self.server.started:
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture
def airflow_and_listener() -> Iterator[tuple[_Recorder, _Recorder]]:
    with _Recorder() as airflow, _Recorder() as listener:
        yield airflow, listener


def test_operator_corner_never_sends_the_token_to_the_host_header(
        airflow_and_listener: tuple[_Recorder, _Recorder], tmp_path: Path) -> None:
    airflow, listener = airflow_and_listener
    sys.path.insert(0, str(PLUGINS))
    from aegis_dashboard.app import URL_PREFIX, create_app, login_redirect_or_none

    dashboard = create_app(lambda: Settings(home=tmp_path, models_dir=tmp_path / "models",
                                            airflow_api_url=f"http://127.0.0.1:{airflow.port}"))
    dashboard.dependency_overrides[login_redirect_or_none] = lambda: None
    root = FastAPI()
    root.mount(URL_PREFIX, dashboard)

    async def get_page() -> httpx.Response:
        transport = httpx.ASGITransport(app=root)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            return await c.get(f"{URL_PREFIX}/", headers={
                "Host": f"127.0.0.1:{listener.port}", "Authorization": "Bearer viewer-secret"})

    response = asyncio.run(get_page())
    assert response.status_code == 200, response.text
    assert listener.tokens == []  # the client-chosen host received nothing
    assert airflow.tokens
    assert set(airflow.tokens) == {"Bearer viewer-secret"}


def test_the_same_store_and_seed_train_the_same_versions(deployment_copy: Deployment) -> None:
    """A retrain (sklearn breach, torch direction) on the deployment's store and seed gives
    the versions the deployment's own training gave: the version is what was trained."""
    names = ["breach", "direction"]
    first = {n: deployment_copy.stages["train"][n]["version"] for n in names}
    again = pipeline.train(names)
    assert {n: again[n]["version"] for n in names} == first
    for name in names:
        folder = Path(again[name]["folder"])
        manifest = json.loads((folder / "manifest.json").read_text())
        assert manifest["version"] == first[name]
        assert manifest["sha256"].startswith(first[name].split("-", 1)[1])

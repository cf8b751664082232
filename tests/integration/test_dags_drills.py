"""Failure drills through ``dag.test()``: a corrupt champion, and the S3 endpoint down.

They share the session's ``dag.test()`` world with tests/integration/test_dags_pipeline.py and
need champions: ``ensure_trained`` runs ingest + retrain once per session (a no-op when the
pipeline tests already did). Each drill restores what it broke.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.integration.airflow_harness import (
    World,
    dag_test,
    dagtest_env,
    dagtest_world,
    ensure_trained,
    free_port,
    make_world,
)
from tests.integration.test_dags_pipeline import SESSION_DAY, assert_all

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="session")
def trained_world(request: pytest.FixtureRequest, moto_endpoint: str,
                  tmp_path_factory: pytest.TempPathFactory) -> tuple[World, dict[str, str]]:
    """The dag.test world with champions trained and pushed, and its Airflow env."""
    world = dagtest_world(request.config, moto_endpoint,
                          lambda: tmp_path_factory.mktemp("dagtest-world"))
    env = dagtest_env(request.config, world, tmp_path_factory.mktemp("dagtest-airflow"))
    trained = ensure_trained(request.config, env, SESSION_DAY)
    assert trained.state == "success", trained.output[-4000:]
    return world, env


def champion_file(world: World) -> Path:
    """The ONNX file of the current ``trap`` champion (``models/trap/model.onnx``)."""
    path = world.models_dir / "trap" / "model.onnx"
    assert path.is_file(), f"no trap champion under {world.models_dir}"
    return path


def tree(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` (relative path -> bytes)."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}


def git_log(world: World) -> list[str]:
    return subprocess.run(["git", "log", "--format=%H", "--", "models.dvc"], cwd=world.repo,
                          capture_output=True, text=True, check=True).stdout.splitlines()


def test_corrupt_champion_fails_health_and_requests_the_retrain(
    trained_world: tuple[World, dict[str, str]],
) -> None:
    world, env = trained_world
    model = champion_file(world)
    original = model.read_bytes()
    model.write_bytes(original[:-64] + bytes(64))
    try:
        health = dag_test(env, "aegis_model_health")
        inference = dag_test(env, "aegis_inference")
    finally:
        model.write_bytes(original)
    assert health.state == "failed"
    assert health.tasks["check_champions"] == "failed"
    assert health.tries["check_champions"] == 1, "a corrupt model is not retried"
    assert "ChecksumMismatchError" in health.output
    assert_all(health, "success", "request_retrain")
    assert health.tasks["champions_healthy"] == "upstream_failed"
    assert health.triggered == [f"aegis_nightly_retrain/health__{health.run_id}"]
    # Inference still publishes, degraded and saying why; verify_models is red.
    assert inference.tasks["verify_models"] == "failed"
    assert inference.tasks["publish_snapshot"] == "success"
    snap = json.loads(world.snapshot.read_text())
    assert snap["status"] == "degraded"
    assert "trap" in {r["field"] for r in snap["degraded_reasons"]}
    assert snap["trap"]["provenance"]["kind"] == "baseline"


def test_s3_down_makes_the_push_retry_then_fail_with_no_half_written_version(
    trained_world: tuple[World, dict[str, str]], moto_endpoint: str, tmp_path: Path,
) -> None:
    """A store with no champions yet (so the gate promotes and a push is due), its market data
    copied from the trained world, and the S3 endpoint pointing at a closed port."""
    world, env = trained_world
    fresh = make_world(tmp_path / "fresh", s3_endpoint=moto_endpoint, bucket="aegis-down")
    shutil.copytree(world.home / "data", fresh.home / "data")
    down = {**env, **fresh.env, "AEGIS_S3_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}"}
    before_log = git_log(fresh)
    # one model that the gate promotes on this market is enough to make a push due
    result = dag_test(down, "aegis_nightly_retrain", conf={"models": ["trap"]})
    assert result.state == "failed"
    assert result.tasks["list_models"] == "success"
    assert result.tasks["promote_and_push"] == "failed", result.output[-5000:]
    assert result.tries["promote_and_push"] == 4, "1 try + 3 retries with backoff"
    assert "RemoteUnavailableError" in result.output
    assert result.tasks["recompute_rates"] == "upstream_failed"
    assert git_log(fresh) == before_log, "models.dvc must not be committed"
    assert not (fresh.models_dir / "registry.json").exists(), "no champion was published"
    assert not list(fresh.models_dir.glob("*/model.onnx")), "no half-written champion"

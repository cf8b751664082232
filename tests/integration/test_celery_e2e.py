"""End-to-end on the Celery executor: scheduler, dag-processor, api-server and one Celery worker
on the local Redis (broker) and PostgreSQL (metadata, result backend).

The ingest run is triggered through the REST API; the inference run is created by the scheduler
from the ``aegis_features`` Asset event, exactly as in production. No models are trained in this
world, so the snapshot is published degraded, with each baseline substitute named.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pandas as pd
import pytest

from tests.integration.airflow_harness import (
    AirflowStack,
    ApiClient,
    ChainResult,
    World,
    run_chain,
    session_chain,
    session_stack,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]

CHAIN_DAY = "2025-01-06T03:45:00Z"  # Monday 09:15 IST
BAD_DAY = "2025-01-07T03:45:00Z"  # Tuesday 09:15 IST
RESULTS = Path(__file__).resolve().parents[2] / "test-results"


@pytest.fixture(scope="session")
def stack(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
          ) -> tuple[World, AirflowStack, ApiClient]:
    return session_stack(request.config, lambda: tmp_path_factory.mktemp("stack"))


@pytest.fixture(scope="session")
def chain(request: pytest.FixtureRequest, stack: tuple[World, AirflowStack, ApiClient]
          ) -> ChainResult:
    _, airflow, client = stack
    return session_chain(request.config, airflow, client, CHAIN_DAY)


def test_ingest_then_asset_triggered_inference_succeed_on_celery(
    stack: tuple[World, AirflowStack, ApiClient], chain: ChainResult
) -> None:
    from aegis.snapshot.contract import Snapshot

    world, airflow, _ = stack
    assert chain.ingest_state == "success", airflow.log_tail("celery-worker")
    assert chain.inference_state == "success", chain.tasks
    for key in ("aegis_market_ingest.is_trading_session", "aegis_market_ingest.ingest",
                "aegis_market_ingest.build_features", "aegis_market_ingest.validate_features",
                "aegis_inference.publish_snapshot"):
        ti = chain.tasks[key]
        assert ti["state"] == "success", key
        assert ti["hostname"], f"{key} ran on no worker: {ti}"
    snap = Snapshot.model_validate_json(world.snapshot.read_text())
    assert snap.spot > 0
    assert snap.vix > 0
    assert snap.status == "degraded"  # no champions in this world: baselines, each named
    assert {r.field for r in snap.degraded_reasons} >= {"trap", "expiry_stress"}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "airflow_celery_chain.json").write_text(json.dumps({
        "chain_wall_s": round(chain.seconds, 2),
        "per_task_s": {k: v.get("duration") for k, v in chain.tasks.items()},
    }, indent=2))


def test_validation_failure_stops_the_chain_and_keeps_the_snapshot(
    stack: tuple[World, AirflowStack, ApiClient], chain: ChainResult
) -> None:
    from aegis.market.store import MarketStore

    world, airflow, client = stack
    assert chain.inference_state == "success"
    published = world.snapshot.read_bytes()
    data = world.home / "data"
    series = data / "series=vix_daily"
    backup = world.root / "vix_daily.backup"
    shutil.copytree(series, backup)
    try:
        store = MarketStore(data)
        vix = store.read("vix_daily")
        bad = vix.iloc[[-1]].copy()
        bad.index = pd.DatetimeIndex([vix.index[-1] + pd.Timedelta(days=45)], name="session")
        store.upsert("vix_daily", bad)  # a 45-day hole: the vix_daily suite must reject it
        runs_before = len(client.runs("aegis_inference"))
        result = run_chain(airflow, client, BAD_DAY)
        time.sleep(10)  # give the scheduler time to (wrongly) create an inference run
        runs_after = len(client.runs("aegis_inference"))
    finally:
        shutil.rmtree(series)
        shutil.copytree(backup, series)
    assert result.ingest_state == "failed"
    validate = result.tasks["aegis_market_ingest.validate_features"]
    assert validate["state"] == "failed"
    assert validate["try_number"] == 1, "a failed validation is not retried"
    assert result.inference_run is None
    assert runs_after == runs_before, "no Asset event, no inference"
    assert world.snapshot.read_bytes() == published, "the last good snapshot stays published"

"""Every DAG through ``dag.test()`` on a PostgreSQL metadata DB, with S3 on moto_server.

One world per session (AEGIS home, a git repo holding ``models/`` + ``models.dvc``, the DVC
remote in a moto bucket); the tests run in file order, each DAG building on the previous one's
outputs: ingest -> retrain -> inference -> model health.
"""

from __future__ import annotations

import json
import subprocess

import boto3
import pytest

from tests.integration.airflow_harness import (
    DagTestResult,
    World,
    dag_test,
    dagtest_env,
    dagtest_world,
    ensure_trained,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SESSION_DAY = "2025-01-06T03:45:00+00:00"  # Monday 09:15 IST, an NSE session
HOLIDAY = "2025-02-26T03:45:00+00:00"  # Wednesday 09:15 IST, Mahashivratri (NSE closed)


@pytest.fixture(scope="session")
def world(request: pytest.FixtureRequest, moto_endpoint: str,
          tmp_path_factory: pytest.TempPathFactory) -> World:
    return dagtest_world(request.config, moto_endpoint,
                         lambda: tmp_path_factory.mktemp("dagtest-world"))


@pytest.fixture(scope="session")
def env(request: pytest.FixtureRequest, world: World,
        tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return dagtest_env(request.config, world, tmp_path_factory.mktemp("dagtest-airflow"))


def assert_all(result: DagTestResult, state: str, *task_ids: str) -> None:
    for task_id in task_ids:
        assert result.tasks.get(task_id) == state, (
            f"{result.dag_id}.{task_id}: {result.tasks}\n{result.output[-5000:]}")


def test_ingest_on_a_session_day_validates_and_publishes_features(
    env: dict[str, str], world: World
) -> None:
    result = dag_test(env, "aegis_market_ingest", SESSION_DAY)
    assert result.state == "success", result.output[-5000:]
    assert_all(result, "success", "is_trading_session", "ingest", "build_features",
               "validate_features")
    features = world.home / "data" / "features"
    assert (features / "daily.parquet").is_file()
    marker = json.loads((features / "validated.json").read_text())
    assert len(marker["features_sha256"]) == 64
    # one JSON line per event (dags/aegis_common.logged), the run named in each
    events = [json.loads(line[line.index("{\"event\""):line.rindex("}") + 1])
              for line in result.output.splitlines() if "{\"event\": " in line]
    validated = [e for e in events if e["event"] == "features_validated"]
    assert validated, result.output[-5000:]
    assert validated[0]["run_id"] == result.run_id
    assert validated[0]["task_id"] == "validate_features"
    assert validated[0]["numbers"]["features_sha256"] == marker["features_sha256"]


def test_ingest_on_an_nse_holiday_is_skipped(env: dict[str, str]) -> None:
    result = dag_test(env, "aegis_market_ingest", HOLIDAY)
    assert result.state == "success"
    assert result.tasks["is_trading_session"] == "success"
    assert_all(result, "skipped", "ingest", "build_features", "validate_features")


def test_retrain_trains_each_model_pushes_and_commits(
    request: pytest.FixtureRequest, env: dict[str, str], world: World
) -> None:
    result = ensure_trained(request.config, env, SESSION_DAY)
    assert result.state == "success", result.output[-6000:]
    mapped = sorted(k for k in result.tasks if k.startswith("train_model["))
    assert len(mapped) == 5
    assert_all(result, "success", "build_training_set", "validate_training_set", "list_models",
               *mapped, "promote_and_push", "push_promotion_commit", "recompute_rates")
    registry = json.loads((world.models_dir / "registry.json").read_text())
    assert registry
    log = subprocess.run(["git", "log", "--format=%s", "--", "models.dvc"], cwd=world.repo,
                         capture_output=True, text=True, check=True).stdout.splitlines()
    assert len(log) == 1
    s3 = boto3.client("s3", endpoint_url=world.env["AEGIS_S3_ENDPOINT_URL"],
                      aws_access_key_id="testing", aws_secret_access_key="testing",
                      region_name="us-east-1")
    listed = s3.list_objects_v2(Bucket=world.env["AEGIS_S3_BUCKET"])
    assert listed.get("KeyCount", 0) > 0


FIELD_MODEL = {"trap": "trap", "expiry_stress": "expiry_stress", "direction": "direction",
               "buyer_signal": "buyer", "breach_probabilities": "breach"}


def champions(world: World) -> dict[str, str]:
    """Champion versions named by the registry (the gate may keep a model out)."""
    registry = json.loads((world.models_dir / "registry.json").read_text())
    return {name: entry["version"] for name, entry in registry["champions"].items()}


def refused(world: World) -> set[str]:
    """Models without a champion whose last gate decision found none beat climatology.

    They are published as climatology, honestly (``empirical``): not a broken champion.
    """
    gate_log = world.home / "output" / "gate.json"
    decisions = json.loads(gate_log.read_text()) if gate_log.exists() else {}
    held = champions(world)
    return {name for name, d in decisions.items()
            if name not in held and not d["promote"] and "climatology_brier" in d}


def test_inference_publishes_each_champion_and_names_each_missing_one(
    env: dict[str, str], world: World
) -> None:
    from aegis.snapshot.contract import Snapshot

    result = dag_test(env, "aegis_inference")
    held, honest = champions(world), refused(world)
    assert result.state == "success", result.output[-5000:]
    assert result.tasks["publish_snapshot"] == "success"
    accounted = set(held) | honest == set(FIELD_MODEL.values())
    assert result.tasks["verify_models"] == ("success" if accounted else "failed")
    snap = Snapshot.model_validate_json(world.snapshot.read_text())
    provenance: dict[str, list[object]] = {}
    for field, prov in snap.iter_provenance():
        provenance.setdefault(field, []).append(prov)
    reasons = {r.field: r.reason for r in snap.degraded_reasons}
    for field, model in FIELD_MODEL.items():
        if model in held:
            assert all(p.kind == "model" and p.version == held[model]  # type: ignore[attr-defined]
                       for p in provenance[field]), (field, provenance[field])
            assert field not in reasons
        elif model in honest:  # no model beat climatology: published as climatology, not degraded
            assert all(p.kind == "empirical" and p.name == "climatology"  # type: ignore[attr-defined]
                       for p in provenance[field]), (field, provenance[field])
            assert field not in reasons
        else:
            assert model in reasons[field], reasons
    assert snap.status == ("ok" if not reasons else "degraded")


def test_model_health_matches_the_registry_and_requests_a_retrain_when_short(
    env: dict[str, str], world: World
) -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from aegis.market.calendar import calendar_coverage
    from aegis.pipeline.health import CALENDAR_WARN_DAYS

    result = dag_test(env, "aegis_model_health")
    today = datetime.now(ZoneInfo("Asia/Kolkata")).date().isoformat()
    calendar_ok = calendar_coverage(today, CALENDAR_WARN_DAYS)["covered"]
    # the calendar check is independent: red (and mailed) while next year's holidays are missing
    assert result.tasks["check_calendar"] == ("success" if calendar_ok else "failed")
    assert result.tasks["check_track_record"] == "success", result.output[-5000:]
    if set(champions(world)) | refused(world) == set(FIELD_MODEL.values()):
        assert result.state == ("success" if calendar_ok else "failed"), result.output[-5000:]
        assert_all(result, "success", "check_champions", "champions_healthy")
        assert result.tasks["request_retrain"] == "skipped"
        assert result.triggered == []
    else:
        assert result.state == "failed"
        assert result.tasks["check_champions"] == "failed"
        assert "no champion in" in result.output
        assert_all(result, "success", "request_retrain")
        assert result.triggered == [f"aegis_nightly_retrain/health__{result.run_id}"]

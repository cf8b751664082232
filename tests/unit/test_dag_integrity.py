"""DAG integrity: every file in dags/ parses, cheaply, with no DB or connection access.

The parse runs in a subprocess with a metadata-DB URL that cannot connect and with connection
and variable look-ups patched to raise, so anything that touches them at parse time is an import
error here. The subprocess reports the DAGs' shape as JSON; the assertions below check it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

# slow: the DAGs folder is parsed in a subprocess (Airflow); make test runs it
pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]
DAGS = REPO / "dags"
HEAVY = ("pandas", "torch", "sklearn", "great_expectations", "onnxruntime", "scipy")
EXPECTED = {"aegis_market_ingest", "aegis_inference", "aegis_nightly_retrain", "aegis_model_health"}

PARSE_SCRIPT = r"""
import json, sys
from pathlib import Path
from unittest import mock

def refuse(*args, **kwargs):
    raise AssertionError(f"connection/variable look-up at parse time: {args} {kwargs}")

import airflow.sdk as sdk
patches = [
    mock.patch.object(sdk.Connection, "get", refuse),
    mock.patch.object(sdk.BaseHook, "get_connection", refuse),
    mock.patch.object(sdk.Variable, "get", refuse),
]
for p in patches:
    p.start()

from airflow.dag_processing.dagbag import BundleDagBag
from airflow.serialization.encoders import coerce_to_core_timetable
from airflow.serialization.serialized_objects import DagSerialization
from airflow.timetables.base import TimeRestriction
import pendulum

dags = Path(sys.argv[1])
bag = BundleDagBag(dag_folder=dags, bundle_path=dags, bundle_name="dags-folder")
out = {"import_errors": {k: str(v) for k, v in bag.import_errors.items()},
       "heavy": [m for m in sys.argv[2].split(",") if m in sys.modules], "dags": {}}

def fire_times(dag, start, end):
    tt = coerce_to_core_timetable(dag.timetable)
    restriction = TimeRestriction(earliest=start, latest=end, catchup=True)
    times, last = [], None
    while True:
        info = tt.next_dagrun_info(last_automated_data_interval=last, restriction=restriction)
        if info is None:
            return times
        times.append(info.run_after.in_timezone("Asia/Kolkata").strftime("%a %H:%M"))
        last = info.data_interval

def asset_uris(dag):
    cond = coerce_to_core_timetable(dag.timetable).asset_condition
    return sorted(a.uri for _, a in cond.iter_assets())

def asset_fires_on(dag):
    # the scheduler's own evaluator: does an event on this one Asset alone start a run?
    from airflow.assets.evaluation import AssetEvaluator
    from airflow.serialization.definitions.assets import SerializedAssetUniqueKey

    cond = coerce_to_core_timetable(dag.timetable).asset_condition
    out = {}
    for _, asset in cond.iter_assets():
        statuses = {SerializedAssetUniqueKey.from_asset(asset): True}
        out[asset.uri] = AssetEvaluator(session=None).run(cond, statuses)
    return out

for dag_id, dag in bag.dags.items():
    DagSerialization.serialize_dag(dag)
    tasks = {}
    for t in dag.tasks:
        tasks[t.task_id] = {
            "retries": t.retries, "backoff": t.retry_exponential_backoff,
            "has_policy": t.retry_policy is not None,
            "trigger_rule": getattr(t.trigger_rule, "value", str(t.trigger_rule)),
            "mapped": bool(getattr(t, "is_mapped", False) or type(t).__name__ == "MappedOperator"),
            "outlets": [getattr(o, "uri", str(o)) for o in (t.outlets or [])],
            "downstream": sorted(t.downstream_task_ids),
            "trigger_dag_id": getattr(t, "trigger_dag_id", None),
            "on_failure": [getattr(c, "__name__", type(c).__name__)
                           for c in (t.on_failure_callback or [])],
            "pool": t.pool,
            "logged": hasattr(getattr(t, "python_callable", None)
                              or getattr(t, "partial_kwargs", {}).get("python_callable"),
                              "__wrapped__"),
            "python": type(t).__name__ in ("_PythonDecoratedOperator", "MappedOperator",
                                           "_ShortCircuitDecoratedOperator"),
            "fail_on": sorted(e for r in (t.retry_policy.rules if t.retry_policy else [])
                              if getattr(r.action, "value", str(r.action)) == "fail"
                              for e in ([r.exception] if isinstance(r.exception, str)
                                        else [getattr(x, "__name__", str(x))
                                              for x in r.exception])),
        }
    monday = pendulum.datetime(2025, 1, 6, 0, 0, tz="Asia/Kolkata")
    week = (monday, monday.add(days=7).subtract(seconds=1))
    is_asset = type(dag.timetable).__name__ == "AssetTriggeredTimetable"
    out["dags"][dag_id] = {
        "fileloc": Path(dag.fileloc).stem, "catchup": dag.catchup, "tags": sorted(dag.tags),
        "doc_md": bool(dag.doc_md and dag_id in dag.doc_md),
        "timetable": type(dag.timetable).__name__,
        "asset_uris": asset_uris(dag) if is_asset else [],
        "asset_fires_on": asset_fires_on(dag) if is_asset else {},
        "deadlines": [{"reference": type(d.reference).__name__,
                       "minutes": d.interval.total_seconds() / 60,
                       "callback": d.callback.path, "kwargs": sorted(d.callback.kwargs)}
                      for d in (dag.deadline or [])],
        "fires": [] if is_asset else fire_times(dag, *week),
        "params": {k: dag.params.get_param(k).resolve() for k in dag.params},
        "tasks": tasks,
    }
print("RESULT " + json.dumps(out))
"""


@pytest.fixture(scope="module")
def parsed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The DAGs folder parsed in a clean subprocess."""
    home = tmp_path_factory.mktemp("airflow-home")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            # Any metadata-DB access at parse time fails: nothing listens on port 1.
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": "postgresql+psycopg2://nobody@127.0.0.1:1/none",
            "PYTHONPATH": str(REPO),
        }
    )
    done = subprocess.run(
        [sys.executable, "-c", PARSE_SCRIPT, str(DAGS), ",".join(HEAVY)],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("RESULT ")), None)
    assert line is not None, f"parse subprocess failed ({done.returncode}):\n{done.stderr[-4000:]}"
    return dict(json.loads(line.removeprefix("RESULT ")))


def test_every_file_parses_without_import_errors(parsed: dict[str, Any]) -> None:
    assert parsed["import_errors"] == {}
    assert set(parsed["dags"]) == EXPECTED


def test_no_heavy_module_is_imported_at_parse_time(parsed: dict[str, Any]) -> None:
    assert parsed["heavy"] == []


def test_dag_conventions(parsed: dict[str, Any]) -> None:
    for dag_id, dag in parsed["dags"].items():
        assert dag["fileloc"] == dag_id, "dag_id comes from the file name"
        assert dag["catchup"] is False
        assert "aegis" in dag["tags"]
        assert dag["doc_md"], f"{dag_id}: doc_md=__doc__ naming the DAG"
        for task_id, task in dag["tasks"].items():
            if task_id == "request_retrain":
                continue
            assert task["retries"] >= 2, f"{dag_id}.{task_id} retries"
            assert task["backoff"] >= 2.0, f"{dag_id}.{task_id} exponential backoff"
            assert task["has_policy"], f"{dag_id}.{task_id} retry policy"


def test_ingest_fires_every_half_hour_of_the_session_on_weekdays(parsed: dict[str, Any]) -> None:
    fires = parsed["dags"]["aegis_market_ingest"]["fires"]
    monday = [f.split()[1] for f in fires if f.startswith("Mon")]
    assert monday == ["09:15", "09:45", "10:15", "10:45", "11:15", "11:45", "12:15", "12:45",
                      "13:15", "13:45", "14:15", "14:45", "15:15", "15:30"]
    assert {f.split()[0] for f in fires} == {"Mon", "Tue", "Wed", "Thu", "Fri"}
    assert len(fires) == 5 * 14


def test_ingest_short_circuits_then_publishes_the_features_asset(parsed: dict[str, Any]) -> None:
    tasks = parsed["dags"]["aegis_market_ingest"]["tasks"]
    assert tasks["is_trading_session"]["downstream"] == ["ingest"]
    assert tasks["ingest"]["downstream"] == ["build_features"]
    assert tasks["build_features"]["downstream"] == ["validate_features"]
    assert tasks["validate_features"]["outlets"] == ["x-aegis://market/features"]


def test_inference_is_scheduled_on_the_features_or_the_models_asset(
    parsed: dict[str, Any]
) -> None:
    dag = parsed["dags"]["aegis_inference"]
    assert dag["timetable"] == "AssetTriggeredTimetable"
    assert dag["asset_uris"] == ["x-aegis://market/features", "x-aegis://models/registry"]
    # either Asset alone triggers a run (asset-or): a new champion refreshes the snapshot
    assert dag["asset_fires_on"] == {"x-aegis://market/features": True,
                                     "x-aegis://models/registry": True}
    publish = dag["tasks"]["publish_snapshot"]
    assert publish["outlets"] == ["x-aegis://output/aegismatrix.json"]
    assert publish["trigger_rule"] == "all_done"


def test_retrain_runs_at_two_ist_and_maps_training(parsed: dict[str, Any]) -> None:
    dag = parsed["dags"]["aegis_nightly_retrain"]
    assert dag["fires"] == [f"{d} 02:00" for d in ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")]
    tasks = dag["tasks"]
    assert tasks["train_model"]["mapped"] is True
    assert tasks["train_model"]["downstream"] == ["promote_and_push"]
    assert tasks["promote_and_push"]["downstream"] == ["push_promotion_commit"]
    assert tasks["push_promotion_commit"]["downstream"] == ["recompute_rates"]
    assert dag["params"] == {"models": []}  # a trigger may name models; empty: every model


def test_model_health_is_hourly_and_requests_the_retrain_on_failure(
    parsed: dict[str, Any],
) -> None:
    dag = parsed["dags"]["aegis_model_health"]
    assert len(dag["fires"]) == 7 * 24
    tasks = dag["tasks"]
    assert tasks["check_champions"]["downstream"] == ["champions_healthy", "request_retrain"]
    assert tasks["request_retrain"]["trigger_rule"] == "one_failed"
    assert tasks["request_retrain"]["trigger_dag_id"] == "aegis_nightly_retrain"
    assert tasks["champions_healthy"]["trigger_rule"] == "all_success"


def test_every_task_fails_into_the_smtp_notifier(parsed: dict[str, Any]) -> None:
    # notify_failure sends aegis_common.failure_notifier() (an SmtpNotifier); the SMTP sink
    # test in tests/integration/test_alerts_smtp.py proves the mail arrives
    for dag_id, dag in parsed["dags"].items():
        for task_id, task in dag["tasks"].items():
            if task_id == "request_retrain":
                continue
            assert task["on_failure"] == ["notify_failure"], f"{dag_id}.{task_id}"


def test_the_ingest_to_snapshot_chain_has_deadline_alerts(parsed: dict[str, Any]) -> None:
    ingest = parsed["dags"]["aegis_market_ingest"]["deadlines"]
    inference = parsed["dags"]["aegis_inference"]["deadlines"]
    assert [d["reference"] for d in ingest] == ["DagRunLogicalDateDeadline"]
    assert [d["reference"] for d in inference] == ["DagRunQueuedAtDeadline"]
    assert ingest[0]["minutes"] + inference[0]["minutes"] == 30
    for d in ingest + inference:
        assert d["callback"] == "airflow.providers.smtp.notifications.smtp.SmtpNotifier"
        assert {"to", "smtp_conn_id", "subject", "html_content"} <= set(d["kwargs"])


def test_model_health_checks_the_calendar_and_the_track_record(parsed: dict[str, Any]) -> None:
    tasks = parsed["dags"]["aegis_model_health"]["tasks"]
    for name in ("check_calendar", "check_track_record", "check_snapshot"):
        assert tasks[name]["downstream"] == [], f"{name} is a leaf: its failure reddens the run"
        assert tasks[name]["retries"] >= 2
        assert tasks[name]["has_policy"]


def test_training_runs_in_its_pool_and_every_task_body_logs_its_events(
    parsed: dict[str, Any],
) -> None:
    assert parsed["dags"]["aegis_nightly_retrain"]["tasks"]["train_model"]["pool"] == (
        "aegis_training")
    for dag_id, dag in parsed["dags"].items():
        for task_id, task in dag["tasks"].items():
            if task_id != "train_model":
                assert task["pool"] == "default_pool", f"{dag_id}.{task_id}"
            if task["python"] and task_id != "is_trading_session":
                assert task["logged"], f"{dag_id}.{task_id} is not wrapped by aegis_common.logged"


def test_honest_refusals_are_never_retried(parsed: dict[str, Any]) -> None:
    for dag_id, dag in parsed["dags"].items():
        for task_id, task in dag["tasks"].items():
            if task_id == "request_retrain":
                continue
            fail_on = set(task["fail_on"])
            refusals = {"aegis.errors.SnapshotError", "aegis.errors.ValidationFailedError",
                        "aegis.errors.ConfigurationError"}  # a bad setting stays bad
            assert refusals <= fail_on, f"{dag_id}.{task_id}: {sorted(fail_on)}"

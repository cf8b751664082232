"""Run the AegisMatrix DAGs once through Airflow on embedded defaults and time every task.

    python scripts/airflow_demo.py                      # ingest -> retrain -> inference
    python scripts/airflow_demo.py --dags aegis_market_ingest,aegis_inference --json out.json

Embedded defaults: an SQLite metadata DB under ``$AEGIS_HOME/airflow-demo`` (migrated on first
use), the DAGs and plugins of this repository, and whatever ``AEGIS_*`` settings are in the
environment (by default the seeded simulator and a local DVC remote under ``$AEGIS_HOME``). Each
DAG runs with ``dag.test()``: Airflow's own dependency resolution, trigger rules, retries and
XComs, in this process, without a scheduler. The ingest run sets ``ignore_calendar`` so the demo
also works on a weekend. Prints one line per task (state, seconds) and the snapshot's headline.

Exit status: 0 when every run succeeded, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
CHAIN = ("aegis_market_ingest", "aegis_nightly_retrain", "aegis_inference")
RUN_CONF = {"aegis_market_ingest": {"ignore_calendar": True}}


def configure(home: Path) -> dict[str, str]:
    """Point Airflow at an SQLite DB under ``home`` and this repository; return the env."""
    airflow_home = home / "airflow-demo"
    airflow_home.mkdir(parents=True, exist_ok=True)
    env = {
        "AIRFLOW_HOME": str(airflow_home),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{airflow_home / 'airflow.db'}",
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__DEFAULT_TASK_RETRY_DELAY": os.environ.get(
            "AIRFLOW__CORE__DEFAULT_TASK_RETRY_DELAY", "2"),
        "AIRFLOW__LOGGING__LOGGING_LEVEL": os.environ.get(
            "AIRFLOW__LOGGING__LOGGING_LEVEL", "WARNING"),
        "AEGIS_HOME": str(home),
    }
    env.setdefault("AEGIS_MODELS_DIR", os.environ.get("AEGIS_MODELS_DIR",
                                                  str(home / "deploy" / "models")))
    os.environ.update(env)
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    return env


def migrate(env: dict[str, str]) -> float:
    """``airflow db migrate`` (idempotent); return its wall time in seconds."""
    start = time.perf_counter()
    airflow = Path(sys.executable).with_name("airflow")
    subprocess.run([str(airflow), "db", "migrate"], env={**os.environ, **env}, check=True,
                   capture_output=True, text=True)
    return time.perf_counter() - start


def run_dag(dag: Any, conf: dict[str, Any] | None) -> dict[str, Any]:
    """``dag.test()`` one DAG; its state, wall time and per-task (state, seconds, tries)."""
    import pendulum
    from airflow import settings
    from airflow.models.taskinstance import TaskInstance

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import dag_test_compat

    dag_test_compat.install()  # apache/airflow#73428: dag.test() of a DAG with a deadline
    start = time.perf_counter()
    run = dag.test(logical_date=pendulum.now("UTC"), run_conf=conf)
    wall = time.perf_counter() - start
    session = settings.Session()
    tis = session.query(TaskInstance).filter_by(dag_id=dag.dag_id, run_id=run.run_id).all()
    tasks = {}
    for ti in sorted(tis, key=lambda t: (t.start_date is None, t.start_date, t.map_index)):
        key = ti.task_id if ti.map_index < 0 else f"{ti.task_id}[{ti.map_index}]"
        tasks[key] = {"state": getattr(ti.state, "value", ti.state),
                      "seconds": round(float(ti.duration or 0.0), 3), "tries": ti.try_number}
    state = getattr(run.state, "value", run.state)
    return {"dag_id": dag.dag_id, "state": state, "seconds": round(wall, 3), "tasks": tasks}


def run_chain(dag_ids: tuple[str, ...], home: Path) -> dict[str, Any]:
    """Migrate if needed, then ``dag.test()`` each DAG in order; stop at the first failure."""
    env = configure(home)
    report: dict[str, Any] = {"migrate_seconds": round(migrate(env), 3), "runs": []}
    from airflow.dag_processing.dagbag import BundleDagBag

    dags = REPO / "dags"
    start = time.perf_counter()
    bag = BundleDagBag(dag_folder=dags, bundle_path=dags, bundle_name="dags-folder")
    report["parse_seconds"] = round(time.perf_counter() - start, 3)
    if bag.import_errors:
        raise SystemExit(f"DAG import errors: {bag.import_errors}")
    start = time.perf_counter()
    for dag_id in dag_ids:
        result = run_dag(bag.dags[dag_id], RUN_CONF.get(dag_id))
        report["runs"].append(result)
        if result["state"] != "success":
            break
    report["chain_seconds"] = round(time.perf_counter() - start, 3)
    snapshot = Path(home) / "output" / "aegismatrix.json"
    report["snapshot"] = str(snapshot) if snapshot.exists() else None
    return report


def print_report(report: dict[str, Any]) -> None:
    """Per-task lines, then the snapshot headline."""
    for run in report["runs"]:
        print(f"{run['dag_id']}: {run['state']} in {run['seconds']:.1f} s")
        for task_id, ti in run["tasks"].items():
            print(f"    {task_id:<28} {ti['state'] or '-':<16} {ti['seconds']:8.2f} s"
                  f"  (try {ti['tries']})")
    print(f"chain wall time: {report['chain_seconds']:.1f} s "
          f"(parse {report['parse_seconds']:.1f} s, db migrate {report['migrate_seconds']:.1f} s)")
    if report["snapshot"]:
        snap = json.loads(Path(report["snapshot"]).read_text(encoding="utf-8"))
        trap, stress = snap.get("trap") or {}, snap.get("expiry_stress") or {}
        print(f"snapshot {report['snapshot']}: status {snap.get('status')}, spot "
              f"{snap.get('spot')}, VIX {snap.get('vix')}, trap {trap.get('score')} "
              f"{trap.get('label')}, expiry stress {stress.get('score')} {stress.get('label')}")
        for reason in snap.get("degraded_reasons", []):
            print(f"  DEGRADED {reason}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dags", default=",".join(CHAIN), help="comma-separated DAG ids")
    parser.add_argument("--home", type=Path,
                        default=Path(os.environ.get("AEGIS_HOME", REPO / "var")))
    parser.add_argument("--json", type=Path, help="also write the report here")
    args = parser.parse_args(argv)
    report = run_chain(tuple(args.dags.split(",")), args.home.resolve())
    print_report(report)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2), encoding="utf-8")
    ok = all(r["state"] == "success" for r in report["runs"])
    return 0 if ok and len(report["runs"]) == len(args.dags.split(",")) else 1


if __name__ == "__main__":
    sys.exit(main())

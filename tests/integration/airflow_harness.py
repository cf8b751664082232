"""Start, drive and stop real Airflow 3 components for the integration and browser tests.

- :func:`migrated_database` / :func:`drop_database`: a fresh, migrated PostgreSQL database (a
  copy of the session's one migrated template).
- :func:`airflow_env`: the environment every Airflow process of a test session shares.
- :class:`AirflowStack`: api-server, scheduler, dag-processor and one Celery worker, each in its
  own process group (``start_new_session``) so :meth:`AirflowStack.stop` kills them and their
  children reliably.
- :class:`ApiClient`: the public REST API (``/api/v2``) with a JWT from the simple auth manager.
- :func:`dag_test`: ``dag.test()`` of one DAG in a subprocess (so this pytest process never
  imports Airflow with a half-configured environment); returns the task-instance states.

Run ``python -m tests.integration.airflow_harness dag-test DAG_ID [ISO_DATE]`` to use the last
one by hand (the environment must already point at a migrated metadata DB).
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PG_ADMIN_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
PG_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/{db}"
REDIS_URL = "redis://127.0.0.1:6379/{n}"
USERS = {"admin": "admin", "viewer": "viewer"}
FINISHED = {"success", "failed"}


class HarnessError(RuntimeError):
    """An Airflow component did not start, or did not reach the awaited state in time."""


# --- services ---------------------------------------------------------------------------------
def create_database(name: str) -> str:
    """Create (or recreate) database ``name`` on the local PostgreSQL; return its SQLAlchemy URL."""
    return _recreate(name)


def _recreate(name: str, template: str | None = None) -> str:
    """Drop and create database ``name`` (as a copy of ``template`` if given); its URL."""
    import psycopg2

    copy = f' TEMPLATE "{template}"' if template else ""
    conn = psycopg2.connect(PG_ADMIN_DSN)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cur.execute(f'CREATE DATABASE "{name}"{copy}')
    conn.close()
    return PG_URL.format(db=name)


_TEMPLATE: dict[str, str] = {}
"""The session's migrated template database (created on first use, dropped at exit)."""


def migrated_database(name: str) -> str:
    """Database ``name`` holding a freshly migrated Airflow schema; its SQLAlchemy URL.

    The session runs ``airflow db migrate`` once, into a template database; every database
    after that is a PostgreSQL copy of it (``CREATE DATABASE ... TEMPLATE``, well under a
    second instead of a migration each).
    """
    import atexit
    import tempfile

    if "name" not in _TEMPLATE:
        template = f"aegis_template_{os.getpid()}"
        home = Path(tempfile.mkdtemp(prefix="aegis-airflow-template-"))
        migrate(airflow_env(home / "airflow", create_database(template), aegis_env={}))
        _TEMPLATE["name"] = template
        atexit.register(drop_database, template)
    return _recreate(name, _TEMPLATE["name"])


def drop_database(name: str) -> None:
    """Drop database ``name`` (terminating its connections)."""
    import psycopg2

    conn = psycopg2.connect(PG_ADMIN_DSN)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    conn.close()


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(check: Callable[[], Any], timeout: float, what: str, every: float = 1.0) -> Any:
    """Poll ``check`` until it returns something truthy; raise :class:`HarnessError` on timeout."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(every)
    raise HarnessError(f"timed out after {timeout:.0f} s waiting for {what}; last seen {last!r}")


# --- environment ------------------------------------------------------------------------------
def airflow_env(
    home: Path,
    db_url: str,
    *,
    aegis_env: dict[str, str],
    executor: str = "LocalExecutor",
    api_port: int | None = None,
    redis_db: int = 5,
) -> dict[str, str]:
    """The environment of every Airflow process of one test session.

    Parameters
    ----------
    home
        ``AIRFLOW_HOME`` (logs, passwords file); created.
    db_url
        SQLAlchemy URL of the metadata database.
    aegis_env
        ``AEGIS_*`` settings the DAG tasks and the plugin read.
    executor
        ``LocalExecutor`` for ``dag.test()``, ``CeleryExecutor`` for the stack.
    api_port
        Port of the api-server (also the execution API the workers call).
    redis_db
        Redis database number used as the Celery broker (keeps sessions apart).
    """
    home.mkdir(parents=True, exist_ok=True)
    passwords = home / "passwords.json"
    passwords.write_text(json.dumps(USERS), encoding="utf-8")
    port = api_port or free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "AEGIS_"))}
    env.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO / "plugins"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__EXECUTOR": executor,
            "AIRFLOW__CORE__PARALLELISM": "4",
            "AIRFLOW__CORE__DEFAULT_TASK_RETRY_DELAY": "1",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
            "AIRFLOW__CORE__FERNET_KEY": "",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": ",".join(f"{u}:{u}" for u in USERS),
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords),
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "False",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": db_url,
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(port),
            "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{port}",
            "AEGIS_AIRFLOW_API_URL": f"http://127.0.0.1:{port}",  # the page's operator corner
            # the clock-driven DAGs run only when a test triggers them: a scheduler started
            # after 15:30 IST would otherwise run today's last slot and ingest today's close
            # into the replayed store (a test that depended on the hour it ran)
            "AEGIS_TIME_SCHEDULES": "off",
            "AIRFLOW__API__SECRET_KEY": secrets.token_hex(16),
            "AIRFLOW__API__WORKERS": "1",
            "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_hex(32),
            "AIRFLOW__CELERY__BROKER_URL": REDIS_URL.format(n=redis_db),
            # a queue of this process's own: another session's worker on the same Redis (a
            # second checkout, a leftover stack) never takes these tasks
            "AIRFLOW__OPERATORS__DEFAULT_QUEUE": f"aegis-{os.getpid()}-{port}",
            "AIRFLOW__CELERY__RESULT_BACKEND": "db+" + db_url.replace("+psycopg2", ""),
            "AIRFLOW__CELERY__WORKER_CONCURRENCY": "2",
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
            "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "10",
            "AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES": "1",
            "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "2",
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
            "PYTHONPATH": os.pathsep.join(
                p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p
            ),
        }
    )
    env.update(aegis_env)
    return env


def airflow(env: dict[str, str], *args: str, timeout: float = 300) -> str:
    """Run one ``airflow`` CLI command to completion; raise with its output when it fails."""
    done = subprocess.run(
        [str(BIN / "airflow"), *args], env=env, cwd=REPO, capture_output=True, text=True,
        timeout=timeout, check=False,
    )
    if done.returncode != 0:
        raise HarnessError(
            f"airflow {' '.join(args)} exited {done.returncode}:\n{done.stdout[-3000:]}\n"
            f"{done.stderr[-3000:]}"
        )
    return done.stdout


def migrate(env: dict[str, str]) -> None:
    """``airflow db migrate`` on the session's metadata database."""
    airflow(env, "db", "migrate", timeout=600)
    # as the deployment does (scripts/airflow-standalone.sh, compose airflow-init)
    airflow(env, "pools", "set", "aegis_training", "2", "CPU-heavy training tasks")


# --- dag.test() -------------------------------------------------------------------------------
@dataclass(frozen=True)
class DagTestResult:
    """Outcome of one ``dag.test()``: run state, task states and tries, and the log tail."""

    dag_id: str
    run_id: str
    state: str
    tasks: dict[str, str]
    tries: dict[str, int]
    triggered: list[str]
    output: str
    seconds: float


def dag_test(env: dict[str, str], dag_id: str, logical_date: str | None = None,
             conf: dict[str, Any] | None = None, timeout: float = 900) -> DagTestResult:
    """``dag.test()`` of ``dag_id`` in a subprocess with ``env``; see :func:`_dag_test_main`."""
    args = [sys.executable, "-m", "tests.integration.airflow_harness", "dag-test", dag_id,
            logical_date or "", json.dumps(conf or {})]
    start = time.monotonic()
    done = subprocess.run(args, env=env, cwd=REPO, capture_output=True, text=True,
                          timeout=timeout, check=False)
    seconds = time.monotonic() - start
    output = done.stdout + done.stderr
    marker = next((ln for ln in done.stdout.splitlines() if ln.startswith("DAGTEST_RESULT ")), None)
    if marker is None:
        raise HarnessError(f"dag.test({dag_id}) printed no result (exit {done.returncode}):\n"
                           f"{output[-6000:]}")
    result = json.loads(marker.removeprefix("DAGTEST_RESULT "))
    return DagTestResult(dag_id, result["run_id"], result["state"], result["tasks"],
                         result["tries"], result["triggered"], output, seconds)


def _dag_test_main(dag_id: str, logical_date: str, conf_json: str) -> None:
    """Subprocess side of :func:`dag_test`: parse the DAGs folder, run ``dag.test()``, report."""
    import pendulum
    from airflow import settings
    from airflow.dag_processing.dagbag import BundleDagBag

    from scripts import dag_test_compat

    dag_test_compat.install()  # apache/airflow#73428: dag.test() of a DAG with a deadline
    dags = Path(os.environ["AIRFLOW__CORE__DAGS_FOLDER"])
    bag = BundleDagBag(dag_folder=dags, bundle_path=dags, bundle_name="dags-folder")
    if bag.import_errors:
        raise HarnessError(f"import errors: {bag.import_errors}")
    dag = bag.dags[dag_id]
    when = pendulum.parse(logical_date) if logical_date else pendulum.now("UTC")
    if not isinstance(when, pendulum.DateTime):
        raise HarnessError(f"logical date {logical_date!r} is not a date-time: {when!r}")
    run = dag.test(logical_date=when, run_conf=json.loads(conf_json) or None)
    if settings.Session is None:
        raise HarnessError("airflow.settings.Session is not configured (settings not initialised)")
    session = settings.Session()
    from airflow.models.taskinstance import TaskInstance

    tis = session.query(TaskInstance).filter_by(dag_id=dag_id, run_id=run.run_id).all()
    tasks, tries = {}, {}
    for ti in tis:
        key = ti.task_id if ti.map_index < 0 else f"{ti.task_id}[{ti.map_index}]"
        tasks[key] = str(getattr(ti.state, "value", ti.state))
        tries[key] = int(ti.try_number)
    from airflow.models.dagrun import DagRun

    triggered = [
        f"{r.dag_id}/{r.run_id}"
        for r in session.query(DagRun).filter(DagRun.run_id.like(f"%{run.run_id}")).all()
        if r.dag_id != dag_id
    ]
    result = {"run_id": run.run_id, "state": str(getattr(run.state, "value", run.state)),
              "tasks": tasks, "tries": tries, "triggered": triggered}
    print("DAGTEST_RESULT " + json.dumps(result), flush=True)


# --- the running stack ------------------------------------------------------------------------
@dataclass
class AirflowStack:
    """api-server, scheduler, dag-processor and one Celery worker on one metadata DB."""

    env: dict[str, str]
    log_dir: Path
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return self.env["AIRFLOW__API__BASE_URL"]

    COMPONENTS: tuple[tuple[str, tuple[str, ...]], ...] = (
        ("api-server", ("api-server",)),
        ("scheduler", ("scheduler",)),
        ("dag-processor", ("dag-processor",)),
        ("celery-worker", ("celery", "worker", "--concurrency", "2")),
    )

    def start(self) -> None:
        """Start every component; wait until the api-server answers."""
        self.log_dir.mkdir(parents=True, exist_ok=True)
        for name, args in self.COMPONENTS:
            log = (self.log_dir / f"{name}.log").open("wb")
            self.procs[name] = subprocess.Popen(
                [str(BIN / "airflow"), *args], env=self.env, cwd=REPO, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True,
            )
        wait_until(self._api_up, 180, "the api-server to answer /api/v2/monitor/health")

    def _api_up(self) -> bool:
        self.check_alive()
        try:
            return requests.get(f"{self.base_url}/api/v2/monitor/health", timeout=5).ok
        except requests.ConnectionError:
            return False

    def check_alive(self) -> None:
        """Raise (with the log tail) when a component has exited."""
        for name, proc in self.procs.items():
            if proc.poll() is not None:
                raise HarnessError(f"{name} exited {proc.returncode}:\n{self.log_tail(name)}")

    def log_tail(self, name: str, chars: int = 4000) -> str:
        path = self.log_dir / f"{name}.log"
        return path.read_text(errors="replace")[-chars:] if path.exists() else ""

    def stop(self) -> None:
        """SIGTERM every process group, then SIGKILL what is left after 20 s."""
        for proc in self.procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 20
        for proc in self.procs.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        self.procs.clear()


# --- one session's world: AEGIS home, model-store repo, metadata DBs, the stack -------------
@dataclass(frozen=True)
class World:
    """An AEGIS home with a git repository holding the model store, and its ``AEGIS_*`` env."""

    root: Path
    env: dict[str, str]

    @property
    def home(self) -> Path:
        return Path(self.env["AEGIS_HOME"])

    @property
    def repo(self) -> Path:
        return Path(self.env["AEGIS_MODELS_DIR"]).parent

    @property
    def models_dir(self) -> Path:
        return Path(self.env["AEGIS_MODELS_DIR"])

    @property
    def snapshot(self) -> Path:
        return self.home / "output" / "aegismatrix.json"


def make_world(root: Path, *, s3_endpoint: str | None, bucket: str, sim_years: float = 8.0
               ) -> World:
    """Create the AEGIS home and a git repo for ``models/`` + ``models.dvc`` under ``root``.

    With ``s3_endpoint`` the DVC remote is ``s3://bucket/dvc`` on that endpoint (moto); without,
    a local folder.
    """
    repo = root / "repo"
    (repo / "models").mkdir(parents=True)
    for args in (("init", "-q", "-b", "main"), ("config", "user.email", "airflow@aegis.test"),
                 ("config", "user.name", "aegis airflow test")):
        subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)
    (repo / "README").write_text("model store of one test session\n", encoding="utf-8")
    subprocess.run(["git", "add", "README"], cwd=repo, check=True, capture_output=True)
    subprocess.run(["git", "commit", "-q", "-m", "init"], cwd=repo, check=True,
                   capture_output=True)
    env = {
        "AEGIS_HOME": str(root / "home"),
        "AEGIS_MODELS_DIR": str(repo / "models"),
        "AEGIS_SOURCE": "simulator",
        "AEGIS_SEED": "7",
        "AEGIS_SIM_YEARS": str(sim_years),
    }
    if s3_endpoint:
        env.update({"AEGIS_S3_ENDPOINT_URL": s3_endpoint, "AEGIS_S3_BUCKET": bucket,
                    "AEGIS_S3_ACCESS_KEY_ID": "testing", "AEGIS_S3_SECRET_ACCESS_KEY": "testing"})
    else:
        env["AEGIS_DVC_REMOTE_URL"] = str(root / "dvc-remote")
    return World(root, env)


_SHARED: dict[str, Any] = {}


def shared(config: Any, key: str, factory: Callable[[], Any],
           cleanup: Callable[[Any], None] | None = None) -> Any:
    """One instance of ``factory()`` per pytest session, shared by every test directory.

    pytest scopes a session fixture per defining module when the fixture is imported into
    several modules; this keeps one object (one Airflow stack) and tears it down once, at the
    end of the session (``config.add_cleanup``), even when the tests live in different folders.
    """
    if key not in _SHARED:
        _SHARED[key] = factory()
        if cleanup is not None:
            config.add_cleanup(lambda: cleanup(_SHARED.pop(key)))
    return _SHARED[key]


def dagtest_world(config: Any, s3_endpoint: str, root_factory: Callable[[], Path]) -> World:
    """The session's ``dag.test()`` world (DVC remote in a fresh bucket on ``s3_endpoint``)."""
    import uuid

    return shared(config, "dagtest-world", lambda: make_world(
        root_factory(), s3_endpoint=s3_endpoint, bucket=f"aegis-{uuid.uuid4().hex[:8]}"))


def ensure_trained(config: Any, env: dict[str, str], logical_date: str) -> DagTestResult:
    """Ingest and retrain once per session (the drills need champions); the retrain result."""
    def train() -> DagTestResult:
        ingest = dag_test(env, "aegis_market_ingest", logical_date)
        if ingest.state != "success":
            raise HarnessError(f"ingest failed: {ingest.tasks}\n{ingest.output[-4000:]}")
        return dag_test(env, "aegis_nightly_retrain")

    return shared(config, "dagtest-trained", train)


def dagtest_env(config: Any, world: World, root: Path) -> dict[str, str]:
    """The session's ``dag.test()`` environment: LocalExecutor on a fresh, migrated database."""
    db = f"aegis_dagtest_{os.getpid()}"

    def make() -> dict[str, str]:
        return airflow_env(root / "airflow", migrated_database(db), aegis_env=world.env)

    return dict(shared(config, "dagtest-env", make, lambda _env: drop_database(db)))


def session_stack(config: Any, root_factory: Callable[[], Path]
                  ) -> tuple[World, AirflowStack, ApiClient]:
    """The session's Celery stack and its world (local DVC remote; no models trained)."""
    world = shared(config, "stack-world", lambda: make_world(
        root_factory(), s3_endpoint=None, bucket="unused"))
    stack, client = shared(config, "stack", lambda: start_stack(world, root_factory()),
                           stop_stack)
    return world, stack, client


def session_chain(config: Any, stack: AirflowStack, client: ApiClient,
                  logical_date: str) -> ChainResult:
    """The session's first ingest -> inference chain on the stack (run once, shared)."""
    return shared(config, "stack-chain", lambda: run_chain(stack, client, logical_date))


def start_stack(world: World, root: Path) -> tuple[AirflowStack, ApiClient]:
    """Celery stack on a fresh database for ``world``; DAGs parsed, ingest + inference unpaused."""
    db = f"aegis_stack_{os.getpid()}"
    env = airflow_env(root / "airflow", migrated_database(db), aegis_env=world.env,
                      executor="CeleryExecutor", redis_db=6)
    stack = AirflowStack(env, root / "logs")
    try:
        stack.start()
        client = ApiClient(stack.base_url)
        client.login()
        for dag_id in ("aegis_market_ingest", "aegis_inference"):
            client.wait_dag(dag_id)
            client.unpause(dag_id)
    except BaseException:
        stack.stop()
        raise
    return stack, client


@dataclass(frozen=True)
class ChainResult:
    """One ingest run and the inference run its Asset event scheduled."""

    ingest_run: str
    ingest_state: str
    inference_run: str | None
    inference_state: str | None
    seconds: float
    tasks: dict[str, dict[str, Any]]


def run_chain(stack: AirflowStack, client: ApiClient, logical_date: str,
              timeout: float = 420) -> ChainResult:
    """Trigger ingest for ``logical_date``; when it succeeds, wait for the inference run that
    the ``aegis_features`` Asset event schedules, and for it to finish."""
    start = time.monotonic()
    known = {r["dag_run_id"] for r in client.runs("aegis_inference")}
    run_id = client.trigger("aegis_market_ingest", logical_date)
    state = client.wait_run("aegis_market_ingest", run_id, timeout, stack)
    tasks = {f"aegis_market_ingest.{t['task_id']}": t
             for t in client.task_instances("aegis_market_ingest", run_id)}
    if state != "success":
        return ChainResult(run_id, state, None, None, time.monotonic() - start, tasks)

    def new_inference() -> str | None:
        stack.check_alive()
        fresh = [r["dag_run_id"] for r in client.runs("aegis_inference")
                 if r["dag_run_id"] not in known]
        return fresh[0] if fresh else None

    inference = str(wait_until(new_inference, 120, "the Asset-triggered inference run", 2))
    inference_state = client.wait_run("aegis_inference", inference, timeout, stack)
    tasks.update({f"aegis_inference.{t['task_id']}": t
                  for t in client.task_instances("aegis_inference", inference)})
    return ChainResult(run_id, state, inference, inference_state, time.monotonic() - start,
                       tasks)


def stop_stack(pair: tuple[AirflowStack, ApiClient]) -> None:
    """Stop the components, then drop the stack's database."""
    stack, _ = pair
    stack.stop()
    db_url = stack.env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
    drop_database(db_url.rsplit("/", 1)[1])


# --- REST client ------------------------------------------------------------------------------
@dataclass
class ApiClient:
    """Airflow's public REST API with a JWT from the simple auth manager's ``/auth/token``."""

    base_url: str
    username: str = "admin"
    password: str = USERS["admin"]
    session: requests.Session = field(default_factory=requests.Session)

    def login(self) -> str:
        """Get a JWT and use it for every later request; return it."""
        resp = self.session.post(f"{self.base_url}/auth/token",
                                 json={"username": self.username, "password": self.password},
                                 timeout=30)
        resp.raise_for_status()
        token = str(resp.json()["access_token"])
        self.session.headers["Authorization"] = f"Bearer {token}"
        return token

    def get(self, path: str, **params: Any) -> Any:
        resp = self.session.get(f"{self.base_url}{path}", params=params, timeout=30)
        resp.raise_for_status()
        return resp.json()

    def wait_dag(self, dag_id: str, timeout: float = 180) -> None:
        """Wait until the dag-processor has serialized ``dag_id``."""
        def parsed() -> bool:
            resp = self.session.get(f"{self.base_url}/api/v2/dags/{dag_id}", timeout=30)
            return resp.status_code == 200
        wait_until(parsed, timeout, f"DAG {dag_id} to be parsed", every=2)

    def unpause(self, dag_id: str) -> None:
        resp = self.session.patch(f"{self.base_url}/api/v2/dags/{dag_id}",
                                  json={"is_paused": False}, timeout=30)
        resp.raise_for_status()

    def trigger(self, dag_id: str, logical_date: str | None = None,
                conf: dict[str, Any] | None = None) -> str:
        """Trigger a run; return its run id."""
        body: dict[str, Any] = {"logical_date": logical_date, "conf": conf or {}}
        resp = self.session.post(f"{self.base_url}/api/v2/dags/{dag_id}/dagRuns", json=body,
                                 timeout=30)
        resp.raise_for_status()
        return str(resp.json()["dag_run_id"])

    def runs(self, dag_id: str) -> list[dict[str, Any]]:
        return list(self.get(f"/api/v2/dags/{dag_id}/dagRuns", order_by="-run_after")["dag_runs"])

    def run_state(self, dag_id: str, run_id: str) -> str:
        return str(self.get(f"/api/v2/dags/{dag_id}/dagRuns/{run_id}")["state"])

    def wait_run(self, dag_id: str, run_id: str, timeout: float = 300,
                 stack: AirflowStack | None = None) -> str:
        """Wait until the run is finished; return its state."""
        def finished() -> str | None:
            if stack is not None:
                stack.check_alive()
            state = self.run_state(dag_id, run_id)
            return state if state in FINISHED else None
        return str(wait_until(finished, timeout, f"{dag_id} run {run_id} to finish", every=2))

    def task_instances(self, dag_id: str, run_id: str) -> list[dict[str, Any]]:
        data = self.get(f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances")
        return list(data["task_instances"])


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "dag-test":
        _dag_test_main(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else "",
                       sys.argv[4] if len(sys.argv) > 4 else "{}")
    else:
        sys.exit("usage: python -m tests.integration.airflow_harness dag-test DAG_ID [DATE] [CONF]")

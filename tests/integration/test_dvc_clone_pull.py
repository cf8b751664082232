"""The ML engineer's path, with the real commands: retrain, git push, fresh clone, ``dvc pull``.

A bare git repository stands for the project's shared remote; its first commit holds the
project's committed DVC files (``.dvc/config``, ``.dvcignore``, ``dvc.yaml``, ``models.dvc``,
``.gitignore``) exactly as they are in this checkout. A deployment clones it, ingests the
simulator, runs ``aegis train`` (the CLI: the same stages as the nightly DAG) against S3
(moto_server, the committed bucket ``aegis-models``), and pushes its promotion commit. Then a
fresh clone, with only the documented environment (``AWS_ENDPOINT_URL`` and the credentials),
runs the ``dvc`` command: ``dvc pull`` returns the champions, ``aegis models verify`` passes, and
``dvc metrics show`` reads their metrics (every file loads: a model without a champion has the
committed no-champion file).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from aegis.registry.gitops import GitRemote, push_commits

pytestmark = pytest.mark.integration

PROJECT = Path(__file__).resolve().parents[2]
COMMITTED = (".dvc/config", ".dvc/.gitignore", ".dvcignore", "dvc.yaml", "models.dvc",
             ".gitignore", "aegis/params.yaml", "metrics/gate.json",
             *(f"metrics/{name}.json" for name in ("trap", "expiry_stress", "breach",
                                                   "direction", "buyer")))
BIN = Path(sys.executable).parent
LOGICAL_DATE = "2024-06-14"


def run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None,
        check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if check and result.returncode != 0:
        pytest.fail(f"{' '.join(cmd)} exited {result.returncode}:\n{result.stdout[-3000:]}\n"
                    f"{result.stderr[-3000:]}")
    return result


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without any AEGIS_/AWS_ setting of the developer's shell."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AEGIS_", "AWS_"))}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = str(PROJECT)
    env.update(extra)
    return env


def git(repo: Path, *args: str) -> str:
    return run(["git", *args], repo).stdout


def project_origin(root: Path) -> Path:
    """A bare repository whose only commit holds the project's committed DVC files."""
    seed = root / "seed"
    seed.mkdir()
    git(seed, "init", "-q", "-b", "main")
    for rel in COMMITTED:
        (seed / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(PROJECT / rel, seed / rel)
    git(seed, "add", "-A")
    git(seed, "-c", "user.email=dev@aegis.test", "-c", "user.name=dev", "commit", "-q", "-m",
        "project with its model store configuration")
    origin = root / "origin.git"
    run(["git", "clone", "-q", "--bare", str(seed), str(origin)], root)
    return origin


def test_fresh_clone_dvc_pull_returns_the_pushed_champions(tmp_path, moto_endpoint):
    origin = project_origin(tmp_path)
    deploy = tmp_path / "deploy"
    run(["git", "clone", "-q", str(origin), str(deploy)], tmp_path)
    git(deploy, "config", "user.email", "airflow@aegis.test")
    git(deploy, "config", "user.name", "aegis retrain")
    config_before = (deploy / ".dvc" / "config").read_bytes()
    env = clean_env(AEGIS_HOME=str(tmp_path / "home"), AEGIS_MODELS_DIR=str(deploy / "models"),
                    AEGIS_SOURCE="simulator", AEGIS_SEED="7", AEGIS_SIM_YEARS="8",
                    AEGIS_S3_ENDPOINT_URL=moto_endpoint, AEGIS_S3_ACCESS_KEY_ID="testing",
                    AEGIS_S3_SECRET_ACCESS_KEY="testing")
    aegis = str(BIN / "aegis")
    run([aegis, "pipeline", "ingest", "--logical-date", LOGICAL_DATE], deploy, env)
    # two models keep it short; the gate promotes both on this market (two champions, two tags)
    trained = run([aegis, "train", "--no-rates", "--model", "trap", "--model", "expiry_stress"],
                  deploy, env)
    assert "committed models.dvc at" in trained.stdout, trained.stdout
    assert (deploy / ".dvc" / "config").read_bytes() == config_before, "config was rewritten"
    registry = json.loads((deploy / "models" / "registry.json").read_text())
    champions = {name: e["version"] for name, e in registry["champions"].items()}
    assert sorted(champions) == ["expiry_stress", "trap"], trained.stdout
    log = git(deploy, "log", "--format=%s", "--", "models.dvc").splitlines()
    assert log[0].startswith("models: promote ")
    assert len(log) == 2
    pushed = push_commits(deploy, GitRemote(url="origin", branch="main"))  # as the DAG does
    assert pushed["branch"] == "main"

    clone = tmp_path / "clone"
    run(["git", "clone", "-q", str(origin), str(clone)], tmp_path)
    assert (clone / "models.dvc").exists()
    tags = git(clone, "tag", "--list").split()
    assert {f"{name}#prod#1" for name in champions} <= set(tags), tags  # GTO assignments
    assert not (clone / "models").exists()
    documented = clean_env(AWS_ENDPOINT_URL=moto_endpoint, AWS_ACCESS_KEY_ID="testing",
                           AWS_SECRET_ACCESS_KEY="testing", AEGIS_HOME=str(tmp_path / "eng"),
                           AEGIS_MODELS_DIR="models")  # docs/operations.md: the clone's store
    run([str(BIN / "dvc"), "pull"], clone, documented)
    verify = run([aegis, "models", "verify"], clone, documented)
    assert sorted(line.split()[0] for line in verify.stdout.splitlines()) == sorted(champions)
    pulled = json.loads((clone / "models" / "registry.json").read_text())
    assert {n: e["version"] for n, e in pulled["champions"].items()} == champions
    metrics = json.loads(run([str(BIN / "dvc"), "metrics", "show", "--json"], clone,
                             documented).stdout)
    shown = json.dumps(metrics)
    for name, version in champions.items():
        assert version in shown, (name, metrics)
    assert "brier" in shown
    assert '"error"' not in shown, metrics  # every metrics file loads: none is missing
    files = metrics[""]["data"]
    assert files["metrics/breach.json"]["data"]["champion"] is False  # not trained: says so


def test_cli_train_and_the_dag_stages_give_the_same_champions(tmp_path):
    """``aegis train`` and the DAG's tasks (one process per stage and per model, as the mapped
    ``train_model`` tasks run) on the same store and seed publish byte-identical champions.

    Two models keep it short (one scikit-learn, one PyTorch: both export paths); the others go
    through the same stage functions."""
    aegis = str(BIN / "aegis")
    champions = {}
    for how in ("cli", "dag"):
        repo = tmp_path / how
        repo.mkdir()
        git(repo, "init", "-q", "-b", "main")
        env = clean_env(AEGIS_HOME=str(tmp_path / f"home-{how}"),
                        AEGIS_MODELS_DIR=str(repo / "models"), AEGIS_SOURCE="simulator",
                        AEGIS_SEED="7", AEGIS_SIM_YEARS="8",
                        AEGIS_DVC_REMOTE_URL=str(tmp_path / f"remote-{how}"))
        run([aegis, "pipeline", "ingest", "--logical-date", LOGICAL_DATE], repo, env)
        if how == "cli":
            run([aegis, "train", "--no-push", "--no-rates", "--model", "trap",
                 "--model", "buyer"], repo, env)
        else:
            run_id = f"dag-{LOGICAL_DATE}"  # the DAG passes its run id to both stages
            run([aegis, "pipeline", "features", "--run-id", run_id], repo, env)
            run([aegis, "pipeline", "validate", "--run-id", run_id], repo, env)
            for name in ("trap", "buyer"):
                run([aegis, "pipeline", "train", "--model", name], repo, env)
            run([aegis, "pipeline", "promote", "--no-push"], repo, env)
        registry = json.loads((repo / "models" / "registry.json").read_text())
        champions[how] = {n: e["sha256"] for n, e in registry["champions"].items()}
    assert champions["cli"]
    assert champions["cli"] == champions["dag"]


def test_pull_before_any_push_says_where_first_champions_come_from(tmp_path, moto_endpoint):
    """``main``'s ``models.dvc`` names the empty store; a remote that never received a push
    answers "not there", once, and the message says what to do (no retries, no traceback)."""
    origin = project_origin(tmp_path)
    clone = tmp_path / "clone"
    run(["git", "clone", "-q", str(origin), str(clone)], tmp_path)
    env = clean_env(AEGIS_S3_ENDPOINT_URL=moto_endpoint, AEGIS_S3_ACCESS_KEY_ID="testing",
                    AEGIS_S3_SECRET_ACCESS_KEY="testing", AEGIS_HOME=str(tmp_path / "h"),
                    AEGIS_MODELS_DIR=str(clone / "models"))  # the clone's store (README)
    pulled = run([str(BIN / "aegis"), "models", "pull"], clone, env, check=False)
    assert pulled.returncode == 2, pulled.stdout + pulled.stderr
    lines = pulled.stderr.strip().splitlines()
    assert len(lines) == 1, pulled.stderr
    assert "does not hold the objects" in lines[0]
    assert "first retrain" in lines[0]
    assert moto_endpoint in lines[0]

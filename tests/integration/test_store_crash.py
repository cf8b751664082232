"""kill -9 at every step of a promotion: the store is the old one or the new one, never a mix.

A store (git + DVC, local-folder remote) holds champions A of trap and buyer; a child process
publishes challengers B of both in one transaction and SIGKILLs itself at one step. The next
store operation (here ``aegis models verify``, which recovers first) must leave exactly A (a
kill before the push was recorded: rolled back, the challengers back where they were) or
exactly B (after it: completed, ``models.dvc`` committed), and every champion verifies.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from aegis.models.training import TrainedModel, train_all
from aegis.registry.publish import publish_versions
from aegis.registry.store import StoreConfig, init_repo
from aegis.registry.writer import write_version
from tests.unit.test_models_support import synthetic_features, synthetic_market

pytestmark = pytest.mark.integration

PROJECT = Path(__file__).resolve().parents[2]
NAMES = ("trap", "buyer")

#: step -> the state a recovery must leave (before the recorded push: old; after: new).
STEPS = {
    "prepare-half": "old",   # journal half written, no plan.json
    "prepared": "old",
    "apply-3": "old",        # three files of the new store in place, the rest old
    "applied": "old",
    "dvc-added": "old",      # models.dvc rewritten, nothing pushed
    "pushed": "new",         # the switch recorded, not committed yet
    "committed": "new",      # committed, journal not yet removed
}

CHILD = textwrap.dedent("""
    import json, os, signal, sys
    from pathlib import Path
    from aegis.registry import journal, store
    from aegis.registry.publish import publish_versions
    from aegis.registry.store import StoreConfig

    step, repo, remote, winners = sys.argv[1], Path(sys.argv[2]), sys.argv[3], sys.argv[4]
    die = lambda: os.kill(os.getpid(), signal.SIGKILL)

    def after(module, name, when):
        original = getattr(module, name)
        def wrapped(*a, **k):
            out = original(*a, **k)
            if step == when:
                die()
            return out
        setattr(module, name, wrapped)

    after(journal, "prepare", "prepared")
    after(journal, "apply", "applied")
    after(journal, "mark_pushed", "pushed")
    after(store, "commit_models_dvc", "committed")
    if step == "prepare-half":
        real = journal.write_durable
        calls = []
        def half(path, data):
            calls.append(path)
            if len(calls) == 3:
                die()
            real(path, data)
        journal.write_durable = half
    if step == "apply-3":
        real_replace, count = os.replace, []
        def replace(a, b):
            real_replace(a, b)
            if "current" not in str(b) and not str(b).endswith(".json.tmp"):
                count.append(b)
                if len(count) == 3:
                    die()
        journal.os.replace = replace
    if step == "dvc-added":
        real_push = store._retry
        def no_push(cfg, what, where, op):
            if what.startswith("dvc push"):
                die()
            return real_push(cfg, what, where, op)
        store._retry = no_push
    cfg = StoreConfig(repo_root=repo, models_dir=repo / "models", remote_url=remote)
    raw = json.loads(winners)
    publish_versions({k: (Path(v), "drill") for k, v in raw.items()}, cfg)
    print("finished without being killed")
""")


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True,
                          text=True).stdout


@pytest.fixture(scope="module")
def models() -> dict[str, dict[str, TrainedModel]]:
    nifty, vix = synthetic_market(seed=5, years=4)
    features = synthetic_features(nifty, vix)
    return {tag: train_all(nifty, vix, features, seed=seed, names=NAMES)
            for tag, seed in (("A", 0), ("B", 1))}


def store_state(models_dir: Path) -> dict[str, str]:
    """sha256 of every file of the store except version folders (registry + champions)."""
    out = {}
    for path in sorted(models_dir.rglob("*")):
        rel = path.relative_to(models_dir)
        if path.is_file() and "versions" not in rel.parts:
            out[str(rel)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


@pytest.mark.parametrize("step", list(STEPS))
def test_kill_at_each_publish_step_leaves_old_or_new_store(tmp_path, models, step):
    repo, remote = tmp_path / "repo", tmp_path / "remote"
    repo.mkdir()
    for args in (("init", "-q", "-b", "main"), ("config", "user.email", "t@aegis.test"),
                 ("config", "user.name", "t")):
        git(repo, *args)
    init_repo(repo, str(remote))
    cfg = StoreConfig(repo_root=repo, models_dir=repo / "models", remote_url=str(remote))
    first = {n: (write_version(m, cfg.models_dir, root=tmp_path / "a" / n), "A")
             for n, m in models["A"].items()}
    publish_versions(first, cfg)
    old, old_head = store_state(cfg.models_dir), git(repo, "rev-parse", "HEAD")
    challengers = {n: write_version(m, cfg.models_dir, root=tmp_path / "b" / n)
                   for n, m in models["B"].items()}

    env = {**os.environ, "PYTHONPATH": str(PROJECT)}
    child = subprocess.run(
        [sys.executable, "-c", CHILD, step, str(repo), str(remote),
         json.dumps({n: str(p) for n, p in challengers.items()})],
        env=env, capture_output=True, text=True, check=False)
    assert child.returncode == -9, child.stdout + child.stderr[-3000:]

    verify = subprocess.run(
        [str(Path(sys.executable).with_name("aegis")), "models", "verify"], cwd=repo,
        env={**env, "AEGIS_MODELS_DIR": str(cfg.models_dir), "AEGIS_HOME": str(tmp_path / "h")},
        capture_output=True, text=True, check=False)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    state = store_state(cfg.models_dir)
    registry = json.loads((cfg.models_dir / "registry.json").read_text())
    versions = {n: e["version"] for n, e in registry["champions"].items()}
    assert not (repo / ".models.txn" / "current").exists(), "the journal was resolved"
    if STEPS[step] == "old":
        assert state == old
        assert versions == {n: f.name for n, (f, _) in first.items()}
        assert git(repo, "rev-parse", "HEAD") == old_head
        assert git(repo, "status", "--porcelain", "--", "models.dvc", "metrics") == ""
        assert all(p.exists() for p in challengers.values()), "challengers back in place"
    else:
        assert versions == {n: p.name for n, p in challengers.items()}
        assert git(repo, "log", "-1", "--format=%s").startswith("models: promote ")
        tags = git(repo, "tag", "--points-at", "HEAD").split()
        assert sorted(tags) == sorted([f"{n}#prod#2" for n in NAMES] +
                                      [f"{n}@v0.0.2" for n in NAMES])
        assert git(repo, "rev-parse", "HEAD") != old_head
        assert git(repo, "status", "--porcelain", "--", "models.dvc", "metrics") == ""

"""The DVC model store against a real S3 HTTP endpoint (moto_server on loopback).

Every test works in its own temporary git repository; nothing touches the project checkout.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from aegis.errors import (
    ChecksumMismatchError,
    ManifestMismatchError,
    ModelStoreError,
    RemoteUnavailableError,
)
from aegis.models.training import TrainedModel, train_all
from aegis.registry.artifacts import load_champion, read_registry, verify_all
from aegis.registry.publish import publish_rollback, publish_versions
from aegis.registry.store import StoreConfig, init_repo, pull
from aegis.registry.writer import write_version
from tests.integration.conftest import free_port
from tests.unit.test_models_support import synthetic_features, synthetic_market

pytestmark = pytest.mark.integration


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True,
                          text=True).stdout


@pytest.fixture(scope="module")
def trained() -> dict[str, dict[str, TrainedModel]]:
    """trap and buyer trained twice (two distinct versions each, with different metrics).

    The second training sees 60 more sessions and another seed: trap's logistic fit does not
    depend on the seed, so only new data makes its walk-forward metrics differ.
    """
    nifty, vix = synthetic_market(seed=5, years=4)
    features = synthetic_features(nifty, vix)
    cut = nifty.index[-61]
    older = (nifty[nifty.index <= cut], vix[vix.index <= cut], features[features.index <= cut])
    return {"seed0": train_all(*older, seed=0, names=("trap", "buyer")),
            "seed1": train_all(nifty, vix, features, seed=1, names=("trap", "buyer"))}


def make_repo(root: Path) -> Path:
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.email", "test@example.com")
    git(root, "config", "user.name", "test")
    (root / "README").write_text("store test\n")
    git(root, "add", "README")
    git(root, "commit", "-q", "-m", "init")
    return root


def s3_config(repo: Path, endpoint: str, bucket: str) -> StoreConfig:
    """The store of ``repo`` on ``s3://bucket/dvc`` (a new repository is initialised with it)."""
    if not (repo / ".dvc").exists():
        init_repo(repo, f"s3://{bucket}/dvc")
    return StoreConfig(repo_root=repo, models_dir=repo / "models",
                       remote_url=f"s3://{bucket}/dvc", endpoint_url=endpoint,
                       access_key_id="testing", secret_access_key="testing",
                       retries=2, backoff_s=0.05)


def promote_all(cfg: StoreConfig, models: dict[str, TrainedModel]) -> dict[str, str]:
    """Write each model as a challenger beside the store, then publish them all at once."""
    staged = cfg.repo_root.parent / f"challengers-{uuid.uuid4().hex[:6]}"
    winners = {name: (write_version(model, cfg.models_dir, root=staged / name), "test")
               for name, model in models.items()}
    return publish_versions(winners, cfg).promoted


def test_push_then_pull_into_fresh_clone(tmp_path, moto_endpoint, trained):
    repo = make_repo(tmp_path / "repo")
    bucket = f"aegis-{uuid.uuid4().hex[:8]}"  # does not exist yet: created by the store
    cfg = s3_config(repo, moto_endpoint, bucket)
    versions = promote_all(cfg, trained["seed0"])
    log = git(repo, "log", "--format=%s", "--", "models.dvc").splitlines()
    assert log == ["models: promote " + ", ".join(f"{k} {v}" for k, v in versions.items())]

    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(repo), str(clone)], check=True)
    assert not (clone / "models").exists()
    pull(s3_config(clone, moto_endpoint, bucket))
    results = verify_all(clone / "models")
    assert [(r.name, r.ok, r.version) for r in results] == [
        ("buyer", True, versions["buyer"]), ("trap", True, versions["trap"])]
    assert load_champion("buyer", clone / "models").threshold == pytest.approx(
        trained["seed0"]["buyer"].threshold)


def test_rollback_is_pushed_committed_and_pulled(tmp_path, moto_endpoint, trained):
    repo = make_repo(tmp_path / "repo")
    bucket = f"aegis-{uuid.uuid4().hex[:8]}"
    cfg = s3_config(repo, moto_endpoint, bucket)
    first = promote_all(cfg, {"trap": trained["seed0"]["trap"]})["trap"]
    second = promote_all(cfg, {"trap": trained["seed1"]["trap"]})["trap"]
    assert first != second
    assert read_registry(cfg.models_dir)["champions"]["trap"]["history"] == [first]

    restored, commit = publish_rollback("trap", cfg)
    assert restored == first
    assert commit is not None
    assert len(git(repo, "log", "--format=%H", "--", "models.dvc").splitlines()) == 3

    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(repo), str(clone)], check=True)
    pull(s3_config(clone, moto_endpoint, bucket))
    assert load_champion("trap", clone / "models").version == first


def test_endpoint_down_leaves_store_untouched(tmp_path, moto_endpoint, trained):
    repo = make_repo(tmp_path / "repo")
    bucket = f"aegis-{uuid.uuid4().hex[:8]}"
    good = s3_config(repo, moto_endpoint, bucket)
    promote_all(good, {"trap": trained["seed0"]["trap"]})
    registry_before = (repo / "models" / "registry.json").read_bytes()
    dvc_before = (repo / "models.dvc").read_bytes()
    versions_before = sorted(p.name for p in (repo / "models" / "trap" / "versions").iterdir())
    head_before = git(repo, "rev-parse", "HEAD")

    down = s3_config(repo, f"http://127.0.0.1:{free_port()}", bucket)
    with pytest.raises(RemoteUnavailableError, match="after 2 attempts"):
        promote_all(down, {"trap": trained["seed1"]["trap"]})

    assert (repo / "models" / "registry.json").read_bytes() == registry_before
    assert (repo / "models.dvc").read_bytes() == dvc_before
    assert sorted(p.name for p in (repo / "models" / "trap" / "versions").iterdir()) == \
        versions_before
    assert git(repo, "rev-parse", "HEAD") == head_before


def test_pulled_artifact_corrupted_or_mismatched_is_refused(tmp_path, moto_endpoint, trained):
    repo = make_repo(tmp_path / "repo")
    bucket = f"aegis-{uuid.uuid4().hex[:8]}"
    cfg = s3_config(repo, moto_endpoint, bucket)
    promote_all(cfg, trained["seed0"])
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(repo), str(clone)], check=True)
    pull(s3_config(clone, moto_endpoint, bucket))
    models = clone / "models"

    onnx = models / "trap" / "model.onnx"
    data = bytearray(onnx.read_bytes())
    data[len(data) // 2] ^= 0xFF
    onnx.write_bytes(bytes(data))
    manifest_path = models / "buyer" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["features"][0]["name"] = "vix_of_yesterday"
    manifest_path.write_text(json.dumps(manifest))

    results = {r.name: r for r in verify_all(models)}
    assert not results["trap"].ok
    assert "ChecksumMismatchError" in results["trap"].reason
    assert not results["buyer"].ok
    assert "ManifestMismatchError" in results["buyer"].reason
    assert "vix_of_yesterday" in results["buyer"].reason
    with pytest.raises(ChecksumMismatchError):
        load_champion("trap", models)
    with pytest.raises(ManifestMismatchError):
        load_champion("buyer", models)


def test_rollback_then_dvc_metrics_diff_compares_the_two_versions(tmp_path, moto_endpoint,
                                                                  trained):
    repo = make_repo(tmp_path / "repo")
    cfg = s3_config(repo, moto_endpoint, f"aegis-{uuid.uuid4().hex[:8]}")
    first = promote_all(cfg, {"trap": trained["seed0"]["trap"]})["trap"]
    second = promote_all(cfg, {"trap": trained["seed1"]["trap"]})["trap"]
    publish_rollback("trap", cfg)
    metrics = json.loads((repo / "metrics" / "trap.json").read_text())
    assert metrics["version"] == first
    assert git(repo, "log", "-1", "--format=%s").strip() == f"models: roll back trap to {first}"
    dvc = str(Path(sys.executable).with_name("dvc"))
    diff = subprocess.run([dvc, "metrics", "diff", "HEAD~1", "--json"], cwd=repo, check=True,
                          capture_output=True, text=True).stdout
    changed = json.loads(diff)["metrics/trap.json"]
    assert changed["version"] == {"old": second, "new": first}
    assert any(key.endswith("brier") for key in changed), changed  # flattened: model.brier
    gto = str(Path(sys.executable).with_name("gto"))
    history = json.loads(subprocess.run([gto, "history", "trap", "--json"], cwd=repo, check=True,
                                        capture_output=True, text=True).stdout)
    assigned = {e["ref"]: e for e in history if e["event"] == "assignment"}
    assert sorted(assigned) == ["trap#prod#1", "trap#prod#2", "trap#prod#3"]
    assert {e["stage"] for e in assigned.values()} == {"prod"}
    head = git(repo, "rev-parse", "HEAD").strip()
    assert assigned["trap#prod#3"]["commit"] == head
    assert assigned["trap#prod#3"]["version"] == "v0.0.3"
    assert first in assigned["trap#prod#3"]["message"]


class _HeadOnlyS3(BaseHTTPRequestHandler):
    """An endpoint that answers HEAD (so the bucket "exists") and fails every object call."""

    def do_HEAD(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _fail(self) -> None:
        body = b"<Error><Code>InternalError</Code><Message>injected</Message></Error>"
        self.send_response(500)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_PUT = do_POST = do_DELETE = _fail

    def log_message(self, *args: object) -> None:
        pass


def test_s3_failing_object_calls_is_one_line_naming_endpoint_and_operation(tmp_path, trained):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _HeadOnlyS3)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        endpoint = f"http://127.0.0.1:{server.server_address[1]}"
        repo = make_repo(tmp_path / "repo")
        cfg = s3_config(repo, endpoint, "aegis-flaky")
        with pytest.raises(RemoteUnavailableError) as caught:
            promote_all(cfg, {"trap": trained["seed0"]["trap"]})
    finally:
        server.shutdown()
    message = str(caught.value)
    assert "\n" not in message
    assert endpoint in message
    assert "dvc push" in message
    assert "corrupt" not in message.lower()
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__
    assert not (repo / "models" / "registry.json").exists(), "nothing was published"
    assert not (repo / "models.dvc").exists()


def test_a_remote_other_than_the_configured_one_is_refused_and_config_kept(
        tmp_path, moto_endpoint, trained):
    repo = make_repo(tmp_path / "repo")
    cfg = s3_config(repo, moto_endpoint, f"aegis-{uuid.uuid4().hex[:8]}")
    promote_all(cfg, {"trap": trained["seed0"]["trap"]})
    config = (repo / ".dvc" / "config").read_bytes()
    other = s3_config(repo, moto_endpoint, "another-bucket")
    with pytest.raises(ModelStoreError, match="the settings expect s3://another-bucket/dvc"):
        promote_all(other, {"trap": trained["seed1"]["trap"]})
    assert (repo / ".dvc" / "config").read_bytes() == config
    assert b"endpointurl" not in config
    assert b"testing" not in config


def test_models_push_verifies_before_it_pushes(tmp_path, moto_endpoint, trained):
    repo = make_repo(tmp_path / "repo")
    bucket = f"aegis-{uuid.uuid4().hex[:8]}"
    cfg = s3_config(repo, moto_endpoint, bucket)
    promote_all(cfg, {"trap": trained["seed0"]["trap"]})
    head = git(repo, "rev-parse", "HEAD")
    dvc_file = (repo / "models.dvc").read_bytes()
    onnx = repo / "models" / "trap" / "model.onnx"
    onnx.write_bytes(onnx.read_bytes()[:-7] + b"corrupt")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AEGIS_", "AWS_"))}
    env.update(AEGIS_MODELS_DIR=str(repo / "models"), AEGIS_HOME=str(tmp_path / "home"),
               AEGIS_S3_ENDPOINT_URL=moto_endpoint, AEGIS_S3_BUCKET=bucket,
               AEGIS_S3_ACCESS_KEY_ID="testing", AEGIS_S3_SECRET_ACCESS_KEY="testing")
    aegis = str(Path(sys.executable).with_name("aegis"))
    result = subprocess.run([aegis, "models", "push"], cwd=repo, env=env, capture_output=True,
                            text=True, check=False)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "trap" in result.stderr
    assert "ChecksumMismatchError" in result.stderr
    assert git(repo, "rev-parse", "HEAD") == head
    assert (repo / "models.dvc").read_bytes() == dvc_file

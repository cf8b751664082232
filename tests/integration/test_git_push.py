"""The retrain's last git step: push the promotion commit and its GTO tags, or say why not."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from aegis.config import get_settings
from aegis.pipeline.training import push_promotions
from aegis.registry.gitops import tag_promotion

pytestmark = pytest.mark.integration


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True,
                          text=True).stdout


@pytest.fixture
def store_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    repo = tmp_path / "deploy"
    repo.mkdir()
    for args in (("init", "-q", "-b", "main"), ("config", "user.email", "t@aegis.test"),
                 ("config", "user.name", "t")):
        git(repo, *args)
    (repo / "models.dvc").write_text("outs: []\n")
    git(repo, "add", "models.dvc")
    git(repo, "commit", "-q", "-m", "models: promote trap v1")
    tag_promotion(repo, git(repo, "rev-parse", "HEAD").strip(), {"trap": "v1"},
                  "models: promote trap v1")
    monkeypatch.setenv("AEGIS_MODELS_DIR", str(repo / "models"))
    monkeypatch.setenv("AEGIS_HOME", str(tmp_path / "home"))
    get_settings.cache_clear()
    yield repo
    get_settings.cache_clear()


def test_without_a_remote_it_says_plainly_that_nothing_was_pushed(store_repo):
    result = push_promotions(None)
    assert result["pushed"] is False
    assert "no git remote configured" in result["reason"]
    assert str(store_repo) in result["reason"]


def test_with_a_remote_the_commit_and_its_gto_tags_arrive(store_repo, tmp_path):
    bare = tmp_path / "origin.git"
    subprocess.run(["git", "init", "-q", "--bare", str(bare)], check=True)
    result = push_promotions({"url": str(bare), "username": "bot", "password": "s3cret",
                              "branch": "main"})
    head = git(store_repo, "rev-parse", "HEAD").strip()
    assert result == {"pushed": True, "remote": str(bare), "branch": "main", "commit": head}
    assert git(bare, "rev-parse", "main").strip() == head
    assert sorted(git(bare, "tag", "--list").split()) == ["trap#prod#1", "trap@v0.0.1"]
    assert "s3cret" not in (store_repo / ".git" / "config").read_text()


def test_an_unreachable_remote_is_one_named_error(store_repo, tmp_path):
    from aegis.errors import ModelStoreError

    with pytest.raises(ModelStoreError, match="git push in .* failed") as caught:
        push_promotions({"url": str(tmp_path / "missing.git")})
    assert "\n" not in str(caught.value)

"""The store journal and the committed DVC files (fast: plain bytes, no DVC, no training)."""

from __future__ import annotations

import configparser
from pathlib import Path
from typing import Any

import pytest

from aegis.config import Settings
from aegis.errors import ModelStoreError
from aegis.registry import journal
from aegis.registry.dvcfiles import ARTIFACTS, dvc_yaml_text
from aegis.registry.gitops import _redact
from aegis.registry.store import StoreConfig, root_cause

PROJECT = Path(__file__).resolve().parents[2]


def store(tmp_path: Path) -> tuple[Path, dict[Path, bytes]]:
    models = tmp_path / "models"
    files = {models / "registry.json": b"old registry", models / "trap" / "model.onnx": b"old A",
             models / "trap" / "manifest.json": b"old manifest"}
    for path, data in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return models, files


def change_of(models: Path, tmp_path: Path) -> journal.StoreChange:
    challenger = tmp_path / "challengers" / "trap" / "v2"
    challenger.mkdir(parents=True)
    (challenger / "model.onnx").write_bytes(b"new A")
    return journal.StoreChange(
        files={models / "registry.json": b"new registry", models / "trap" / "model.onnx": b"new A",
               models / "breach" / "model.onnx": b"brand new"},
        moves=[(challenger, models / "trap" / "versions" / "v2")],
        backup=[tmp_path / "models.dvc"], message="models: promote trap v2")


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and ".models.txn" not in p.parts}


@pytest.mark.parametrize("phase", ["prepared", "applied"])
def test_a_change_interrupted_before_its_push_is_rolled_back(tmp_path, phase):
    models, _ = store(tmp_path)
    (tmp_path / "models.dvc").write_bytes(b"old dvc")
    change = change_of(models, tmp_path)
    before = snapshot(tmp_path)
    journal.prepare(models, change, push=True, commit=True)
    if phase == "applied":
        journal.apply(models)
        (tmp_path / "models.dvc").write_bytes(b"rewritten by dvc add")
        assert (models / "trap" / "model.onnx").read_bytes() == b"new A"
    completed: list[dict[str, Any]] = []
    note = journal.recover(models, completed.append)
    assert note is not None
    assert note.startswith("rolled back")
    assert completed == []
    assert snapshot(tmp_path) == before
    assert journal.pending(models) is None


def test_a_change_interrupted_after_its_push_is_completed(tmp_path):
    models, _ = store(tmp_path)
    change = change_of(models, tmp_path)
    journal.prepare(models, change, push=True, commit=True)
    journal.apply(models)
    journal.mark_pushed(models)
    completed: list[dict[str, Any]] = []
    note = journal.recover(models, completed.append)
    assert note is not None
    assert note.startswith("completed")
    assert [plan["message"] for plan in completed] == ["models: promote trap v2"]
    assert (models / "registry.json").read_bytes() == b"new registry"
    assert (models / "breach" / "model.onnx").read_bytes() == b"brand new"
    assert (models / "trap" / "versions" / "v2" / "model.onnx").exists()
    assert journal.recover(models, completed.append) is None


def test_a_journal_without_plan_was_never_started_and_is_discarded(tmp_path):
    models, _ = store(tmp_path)
    before = snapshot(tmp_path)
    (journal.journal_dir(models) / "current" / "new").mkdir(parents=True)
    (journal.journal_dir(models) / "current" / "new" / "0").write_bytes(b"half")
    note = journal.recover(models, lambda plan: None)
    assert note is not None
    assert note.startswith("discarded")
    assert snapshot(tmp_path) == before


def test_a_second_change_over_an_unrecovered_one_is_refused(tmp_path):
    models, _ = store(tmp_path)
    journal.prepare(models, change_of(models, tmp_path), push=True, commit=False)
    with pytest.raises(ModelStoreError, match="recover first"):
        journal.prepare(models, journal.StoreChange(), push=True, commit=False)


def test_committed_dvc_yaml_declares_the_five_models_and_their_metrics():
    from aegis.models.specs import MODEL_NAMES

    assert (PROJECT / "dvc.yaml").read_text(encoding="utf-8") == dvc_yaml_text(
        "models", "aegis/params.yaml", stages=True)
    assert sorted(ARTIFACTS) == sorted(MODEL_NAMES)


def test_committed_dvc_config_names_the_default_bucket_and_no_secret():
    text = (PROJECT / ".dvc" / "config").read_text(encoding="utf-8")
    parser = configparser.ConfigParser()
    parser.read_string(text)
    defaults = Settings()
    assert parser["core"]["remote"] == "aegis"
    assert parser["core"]["analytics"] == "false"
    remote = parser["'remote \"aegis\"'"]
    assert remote["url"] == f"s3://{defaults.s3_bucket}/{defaults.s3_prefix}"
    assert not {"endpointurl", "access_key_id", "secret_access_key"} & set(remote)
    assert "/config.local" in (PROJECT / ".dvc" / ".gitignore").read_text()
    assert (PROJECT / "models.dvc").exists()


def test_store_config_accepts_the_repository_remote_unless_settings_name_one(tmp_path):
    implicit = StoreConfig.from_settings(Settings(models_dir=tmp_path / "models"))
    assert implicit.remote_url is None
    explicit = StoreConfig.from_settings(Settings(models_dir=tmp_path / "models",
                                                  s3_endpoint_url="http://127.0.0.1:9000"))
    assert explicit.remote_url == "s3://aegis-models/dvc"
    assert explicit.endpoint_url == "http://127.0.0.1:9000"


def test_root_cause_is_one_line_and_redact_drops_credentials():
    outer = RuntimeError("outer")
    outer.__cause__ = ValueError("inner\nsecond line")
    assert root_cause(outer) == "ValueError: inner"
    assert _redact("https://bot:tok@git.example/aegis.git") == "https://git.example/aegis.git"
    assert _redact("origin") == "origin"

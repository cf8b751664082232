"""DVC as its users expect it: ``dvc.yaml`` stages for the training path (the DAG's stage
functions), ``aegis/params.yaml`` as their params, and a metrics file for every model in every
commit, so ``dvc metrics show`` loads them all on a clean clone."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from aegis.pipeline.dvcstages import gate_metrics, stable
from aegis.registry.dvcfiles import (
    ARTIFACTS,
    GATE_METRICS,
    dvc_yaml_text,
    no_champion_metrics,
    write_dvc_yaml,
)

ROOT = Path(__file__).resolve().parents[2]
DVC = Path(sys.executable).with_name("dvc")


def test_the_stages_chain_features_validate_train_gate_on_the_params_file() -> None:
    spec = yaml.safe_load((ROOT / "dvc.yaml").read_text())
    stages = spec["stages"]
    assert list(stages) == ["features", "validate", "train", "gate"]
    for name, stage in stages.items():
        assert stage["cmd"].startswith(f"aegis pipeline stage {name} --record dvc/{name}.json")
    assert stages["validate"]["deps"][0] == "dvc/features.json"
    assert stages["train"]["deps"][0] == "dvc/validate.json"
    assert stages["gate"]["deps"][0] == "dvc/train.json"
    assert stages["train"]["params"] == [{"aegis/params.yaml": ["gate", "models"]}]
    assert stages["gate"]["metrics"] == [{GATE_METRICS: {"cache": False}}]
    params = yaml.safe_load((ROOT / "aegis" / "params.yaml").read_text())
    assert {"gate", "models"} <= set(params)  # the keys the stages track exist
    assert not (ROOT / "params.yaml").exists()  # one home: aegis/params.yaml (package data)


def test_every_metrics_file_dvc_yaml_names_is_committed() -> None:
    spec = yaml.safe_load((ROOT / "dvc.yaml").read_text())
    named = [*spec["metrics"], GATE_METRICS]
    tracked = subprocess.run(["git", "ls-files", "--", *named], cwd=ROOT, capture_output=True,
                             text=True, check=True).stdout.split()
    assert sorted(tracked) == sorted(named)
    for name in ARTIFACTS:
        on_main = json.loads((ROOT / "metrics" / f"{name}.json").read_text())
        assert on_main == no_champion_metrics(name)  # main's models.dvc: the empty store


def test_a_new_store_repository_gets_a_file_per_model(tmp_path: Path) -> None:
    write_dvc_yaml(tmp_path, tmp_path / "models")
    text = (tmp_path / "dvc.yaml").read_text()
    assert "stages:" not in text  # a store repository holds no code
    assert text == dvc_yaml_text("models")
    for name in ARTIFACTS:
        assert json.loads((tmp_path / "metrics" / f"{name}.json").read_text())["champion"] is False


def test_records_leave_out_what_changes_without_changing_the_outcome() -> None:
    result = {"run_id": "dvc-repro", "rows": 3, "path": "/x", "validated_at": "t",
              "models": {"trap": {"version": "v9", "trained_at": "t", "brier": 0.2,
                                  "folds": [{"n": 3, "created_at": "t"}]}}}
    assert stable(result) == {"run_id": "dvc-repro", "rows": 3,
                              "models": {"trap": {"brier": 0.2, "folds": [{"n": 3}]}}}


def test_gate_metrics_are_numbers_per_model() -> None:
    log = {"trap": {"promote": True, "challenger_brier": 0.18, "baseline_brier": 0.2,
                    "climatology_brier": 0.19, "bss_climatology": 0.05, "p_value": 0.01,
                    "n": 900, "reason": "promoted: ..."},
           "buyer": {"promote": False, "challenger_brier": 0.21, "n": 800}}
    assert gate_metrics(log) == {
        "buyer": {"promoted": 0, "challenger_brier": 0.21, "n": 800},
        "trap": {"promoted": 1, "challenger_brier": 0.18, "baseline_brier": 0.2,
                 "climatology_brier": 0.19, "bss_climatology": 0.05, "p_value": 0.01, "n": 900}}


@pytest.mark.slow
def test_dvc_reads_the_stages_and_every_metrics_file_on_a_clean_clone(tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    subprocess.run(["git", "init", "-q", str(clone)], check=True)
    for rel in (".dvc/config", ".dvcignore", "dvc.yaml", "models.dvc", "aegis/params.yaml",
                "metrics"):
        src, dst = ROOT / rel, clone / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        (shutil.copytree if src.is_dir() else shutil.copyfile)(src, dst)
    listed = subprocess.run([str(DVC), "stage", "list", "--name-only"], cwd=clone,
                            capture_output=True, text=True, check=True).stdout.split()
    assert listed == ["features", "validate", "train", "gate"]
    shown = subprocess.run([str(DVC), "metrics", "show", "--json"], cwd=clone,
                           capture_output=True, text=True, check=True)
    metrics = json.loads(shown.stdout)
    assert "error" not in json.dumps(metrics), metrics
    assert set(metrics[""]["data"]) == {GATE_METRICS, *(f"metrics/{n}.json" for n in ARTIFACTS)}

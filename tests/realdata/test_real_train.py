"""``aegis data ingest`` of the real 2000-2022 files, then ``aegis train``: it trains on them.

The old ``aegis train`` trained on the simulator whatever the store held (gate folds in the
simulator's 2025-2026) and published breach calibration as null. Now it runs the nightly DAG's
stages on the configured store: the gate's folds lie inside the ingested history, the GX gate
ran, and breach carries its touch and close-beyond scores.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.realdata, pytest.mark.slow]

PROJECT = Path(__file__).resolve().parents[2]


def test_train_after_ingest_of_real_files_trains_on_them(real_data_dir, tmp_path):
    aegis = str(Path(sys.executable).with_name("aegis"))
    repo = tmp_path / "deploy"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=repo, check=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AEGIS_", "AWS_"))}
    env.update(PYTHONPATH=str(PROJECT), AEGIS_HOME=str(tmp_path / "home"),
               AEGIS_MODELS_DIR=str(repo / "models"), AEGIS_GIT_COMMIT_MODELS="false",
               AEGIS_DVC_REMOTE_URL=str(tmp_path / "remote"))
    ingest = subprocess.run([aegis, "data", "ingest", str(real_data_dir / "history")], cwd=repo,
                            env=env, capture_output=True, text=True, check=False)
    assert ingest.returncode == 0, ingest.stderr
    trained = subprocess.run([aegis, "train", "--no-rates"], cwd=repo, env=env,
                             capture_output=True, text=True, check=False)
    assert trained.returncode == 0, trained.stdout + trained.stderr[-3000:]
    assert "validation passed" in trained.stdout
    gate = json.loads((tmp_path / "home" / "output" / "gate.json").read_text())
    assert set(gate) == {"trap", "expiry_stress", "breach", "direction", "buyer"}
    registry = json.loads((repo / "models" / "registry.json").read_text())
    for name in registry["champions"]:
        manifest = json.loads((repo / "models" / name / "manifest.json").read_text())
        first, last = manifest["training_data"]["span"]
        fold = manifest["metrics"]["fold"]
        assert "2000-01-01" <= first, (name, first)
        assert last <= "2022-12-30", (name, last)
        # the gate tests the latest gate.folds (4) yearly folds, all inside the files
        assert "2017-01-01" <= fold["start"] <= fold["end"] <= "2022-12-30", (name, fold)
        assert fold["folds"] == 4, (name, fold)
    assert "breach" in registry["champions"], gate["breach"]
    breach = json.loads((repo / "models" / "breach" / "manifest.json").read_text())
    assert set(breach["metrics"]["by_event"]) == {"touch", "close"}
    for event in ("touch", "close"):
        assert breach["metrics"]["by_event"][event]["model"]["brier"] > 0

"""A partial retrain (``aegis train --model buyer``) merges its gate decision into the gate log:
the other models' last decisions stay, and the next snapshot's other fields are as they were.

Before the merge the partial retrain replaced the whole log with buyer's decision, so a model
the gate had refused (published honestly as climatology) lost its verdict and the next snapshot
was degraded: "no champion named 'direction'".
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from aegis import pipeline
from aegis.config import get_settings
from aegis.errors import GateLogFormatError
from aegis.pipeline.records import GateLog, GateLogEntry, read_gate_log, write_gate_log
from aegis.pipeline.training import merged_gate_log
from aegis.snapshot import read_snapshot

if TYPE_CHECKING:
    from pathlib import Path

    from tests.unit.pipeline_fixtures import Deployment

pytest_plugins = ["tests.unit.pipeline_fixtures"]

CLOCK = "2024-06-14T16:00:00+05:30"  # after the simulator's last close


def _entry(name: str, promote: bool, reason: str) -> GateLogEntry:
    return GateLogEntry.model_validate({
        "name": name, "promote": promote, "reason": reason, "reference": "climatology",
        "p_value": 0.41, "mean_difference": 0.001, "ci95": [-0.001, 0.003], "folds": [],
        "challenger_brier": 0.2, "baseline_brier": 0.26, "climatology_brier": 0.19,
        "climatology_ece": 0.01, "bss_climatology": -0.05, "n": 980, "version": "v1",
        "trained_at": "2024-06-14T02:00:00+00:00"})


def test_merge_keeps_the_other_models_decisions(tmp_path: Path) -> None:
    path = tmp_path / "gate.json"
    write_gate_log(path, GateLog({"direction": _entry("direction", False, "refused"),
                                  "buyer": _entry("buyer", False, "old buyer")}))
    merged = merged_gate_log(path, [_entry("buyer", True, "new buyer")])
    assert set(merged.root) == {"direction", "buyer"}
    assert merged.root["direction"].reason == "refused"
    assert merged.root["buyer"].reason == "new buyer"
    assert set(merged_gate_log(tmp_path / "none.json", [_entry("trap", True, "x")]).root) == {
        "trap"}


def test_merge_refuses_to_drop_an_unreadable_log(tmp_path: Path) -> None:
    path = tmp_path / "gate.json"
    path.write_text("{not json")
    with pytest.raises(GateLogFormatError, match="gate.json"):
        merged_gate_log(path, [_entry("buyer", True, "new buyer")])


@pytest.mark.slow
def test_a_partial_retrain_leaves_the_snapshots_other_fields_as_they_were(
        deployment_copy: Deployment, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AEGIS_CLOCK", CLOCK)
    get_settings.cache_clear()
    log_path = deployment_copy.home / "output" / "gate.json"
    # direction: the gate refused it and no champion was ever promoted -> climatology
    registry_path = deployment_copy.models_dir / "registry.json"
    registry = json.loads(registry_path.read_text())
    del registry["champions"]["direction"]
    registry_path.write_text(json.dumps(registry))
    log = dict(read_gate_log(log_path).root)
    log["direction"] = _entry("direction", False, "not promoted: no model beat climatology")
    write_gate_log(log_path, GateLog(log))
    pipeline.infer()
    before = read_snapshot(deployment_copy.snapshot_path)
    assert before.direction is not None
    assert before.direction.provenance.kind == "empirical"

    pipeline.train(["buyer"])
    pipeline.promote_and_push(push=False)
    assert set(read_gate_log(log_path).root) == set(log)  # buyer's decision merged in
    assert read_gate_log(log_path).root["direction"].reason.startswith("not promoted")
    pipeline.infer()
    after = read_snapshot(deployment_copy.snapshot_path)

    assert after.status == before.status
    assert "direction" not in {r.field for r in after.degraded_reasons}
    keep = {"generated_at", "buyer_signal"}
    assert after.model_dump(exclude=keep) == before.model_dump(exclude=keep)

"""Drills on the model store: valid JSON of the wrong shape, a broken registry entry, another
model's graph re-stamped into a folder. Each degrades that model's field (with the reason) and
nothing else: `infer` still publishes, `models verify` / `list` / model health name the bad one.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from typer.testing import CliRunner

from aegis import pipeline
from aegis.commands.models import app as models_app
from aegis.errors import ModelError
from aegis.snapshot import Snapshot, read_snapshot

if TYPE_CHECKING:
    from tests.unit.pipeline_fixtures import Deployment

pytest_plugins = ["tests.unit.pipeline_fixtures"]

MODEL_FIELDS = {"trap": "trap", "expiry_stress": "expiry_stress",
                "breach": "breach_probabilities", "direction": "direction",
                "buyer": "buyer_signal"}
runner = CliRunner()


def _edit_manifest(name: str, edit: Callable[[dict[str, Any]], None]
                   ) -> Callable[[Path], tuple[set[str], str]]:
    def breakage(models: Path) -> tuple[set[str], str]:
        path = models / name / "manifest.json"
        manifest = json.loads(path.read_text())
        edit(manifest)
        path.write_text(json.dumps(manifest))
        return {name}, "ManifestMismatchError"
    return breakage


def _edit_registry(edit: Callable[[dict[str, Any]], None], names: set[str]
                   ) -> Callable[[Path], tuple[set[str], str]]:
    def breakage(models: Path) -> tuple[set[str], str]:
        path = models / "registry.json"
        registry = json.loads(path.read_text())
        edit(registry)
        path.write_text(json.dumps(registry))
        return names, "RegistryFormatError"
    return breakage


def _restamp(models: Path) -> tuple[set[str], str]:
    """breach's ONNX copied into trap's folder, the manifest's sha256 updated to match."""
    shutil.copyfile(models / "breach" / "model.onnx", models / "trap" / "model.onnx")
    path = models / "trap" / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["sha256"] = hashlib.sha256((models / "trap" / "model.onnx").read_bytes()).hexdigest()
    path.write_text(json.dumps(manifest))
    return {"trap"}, "ManifestMismatchError"


def _no_expected(m: dict[str, Any]) -> None:
    del m["probe"]["expected"]


def _no_output(m: dict[str, Any]) -> None:
    del m["onnx"]["output"]


def _no_version(r: dict[str, Any]) -> None:
    del r["champions"]["direction"]["version"]


BREAKAGES: dict[str, Callable[[Path], tuple[set[str], str]]] = {
    "manifest without probe.expected": _edit_manifest("trap", _no_expected),
    "features as a list of names": _edit_manifest(
        "buyer", lambda m: m.update(features=[f["name"] for f in m["features"]])),
    "input_shape 7": _edit_manifest("breach", lambda m: m.update(input_shape=7)),
    "no onnx.output": _edit_manifest("expiry_stress", _no_output),
    "manifest a JSON list": _edit_manifest("direction", lambda m: m.clear()),
    "registry entry without version": _edit_registry(_no_version, {"direction"}),
    "registry entry a string": _edit_registry(
        lambda r: r["champions"].update(buyer="20240101T000000Z-deadbeef"), {"buyer"}),
    "champions as a list": _edit_registry(
        lambda r: r.update(champions=sorted(r["champions"])), set(MODEL_FIELDS)),
    "another model's graph re-stamped": _restamp,
}


def _kinds(snapshot: Snapshot, field: str) -> set[str]:
    return {prov.kind for name, prov in snapshot.iter_provenance() if name == field}


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}


@pytest.mark.parametrize("case", sorted(BREAKAGES))
def test_a_malformed_artifact_degrades_only_its_field(deployment_copy: Deployment,
                                                      case: str) -> None:
    models = deployment_copy.models_dir
    bad, error = BREAKAGES[case](models)
    before = _tree(models)

    result = pipeline.infer()
    assert result["status"] == "degraded"
    snapshot = read_snapshot(deployment_copy.snapshot_path)
    degraded = {r.field for r in snapshot.degraded_reasons}
    assert degraded == {MODEL_FIELDS[n] for n in bad}, snapshot.degraded_reasons
    for reason in snapshot.degraded_reasons:
        assert error in reason.reason
    for name, field in MODEL_FIELDS.items():
        assert _kinds(snapshot, field) == ({"baseline"} if name in bad else {"model"}), name

    verify = runner.invoke(models_app, ["verify"])
    assert verify.exit_code == 1
    failed = [ln for ln in verify.output.splitlines() if "FAILED" in ln]
    if case == "champions as a list":
        assert len(failed) == 1
        assert failed[0].startswith("registry.json")
    else:
        assert sorted(ln.split()[0] for ln in failed) == sorted(bad)
    assert all(error in ln for ln in failed)

    listed = runner.invoke(models_app, ["list", "--json"])
    if case == "champions as a list":
        assert listed.exit_code == 1
        assert "RegistryFormatError" in listed.output
    else:
        assert listed.exit_code == 0, listed.output
        rows = {r["name"]: r for r in json.loads(listed.stdout)["models"]}
        assert set(rows) == set(MODEL_FIELDS)  # all five listed
        for name, row in rows.items():
            # `list` reads manifests, not graphs: a re-stamped graph is verify's to find
            expect_problem = name in bad and "graph" not in case
            assert (row["problem"] is not None) == expect_problem, (name, row)
            assert (row["published"] == "unreadable") == expect_problem, (name, row)

    with pytest.raises(ModelError) as caught:  # health fails, naming the bad one and why
        pipeline.model_health()
    assert error in f"{type(caught.value).__name__}: {caught.value}"
    assert _tree(models) == before  # readers changed nothing on disk

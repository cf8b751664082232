"""Artifacts: write, verify, refuse; inference path imports; no pickle anywhere."""

from __future__ import annotations

import dataclasses
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from aegis.errors import (
    ArtifactMissingError,
    ChecksumMismatchError,
    ManifestMismatchError,
    ModelStoreError,
    ProbeMismatchError,
)
from aegis.models.specs import MODEL_NAMES
from aegis.models.training import train_all
from aegis.registry.artifacts import load_champion, read_registry, verify_all
from aegis.registry.writer import promote, rollback, write_version
from tests.store_helpers import write_champion
from tests.unit.test_models_support import synthetic_features, synthetic_market

# slow: trains every model (module fixture), spawns an interpreter; make test runs it
pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def trained():
    nifty, vix = synthetic_market(seed=2, years=4)
    return train_all(nifty, vix, synthetic_features(nifty, vix), seed=0)


@pytest.fixture
def store(tmp_path, trained):
    for model in trained.values():
        write_champion(model, tmp_path)
    return tmp_path


def test_every_model_round_trips_through_onnx(store, trained):
    assert [r.ok for r in verify_all(store)] == [True] * len(MODEL_NAMES)
    for name, model in trained.items():
        champion = load_champion(name, store)
        X = model.fold.X[:64]
        assert np.allclose(champion.predict_proba(X), model.predict_proba(X), atol=1e-5)
        m = champion.manifest
        assert m["sha256"]
        assert m["onnx"]["opset"] == 17
        assert m["training_data"]["fingerprint_sha256"]
        assert [f["name"] for f in m["features"]] == list(model.spec.inputs)
        assert m["libraries"]["onnxruntime"]
        assert "brier" in m["metrics"]["baseline"]
    assert load_champion("buyer", store).threshold == pytest.approx(trained["buyer"].threshold)


def test_corrupted_model_file_is_refused(store):
    path = store / "trap" / "model.onnx"
    path.write_bytes(path.read_bytes()[:-1] + b"\x00")
    with pytest.raises(ChecksumMismatchError, match="sha256"):
        load_champion("trap", store)
    bad = [r for r in verify_all(store) if not r.ok]
    assert [r.name for r in bad] == ["trap"]
    assert "ChecksumMismatchError" in bad[0].reason


@pytest.mark.parametrize(("edit", "match"), [
    (lambda m: m["features"].reverse(), "features"),
    (lambda m: m["features"][0].update(dtype="int64"), "dtypes"),
    (lambda m: m.update(name="buyer"), "expected model 'trap'"),
])
def test_manifest_not_matching_the_features_is_refused(store, edit, match):
    path = store / "trap" / "manifest.json"
    manifest = json.loads(path.read_text())
    edit(manifest)
    path.write_text(json.dumps(manifest))
    with pytest.raises(ManifestMismatchError, match=match):
        load_champion("trap", store)


def test_probe_mismatch_is_refused(store):
    path = store / "direction" / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["probe"]["expected"][0] += 1e-3
    path.write_text(json.dumps(manifest))
    with pytest.raises(ProbeMismatchError, match="atol"):
        load_champion("direction", store)


def test_missing_artifact_is_named(store):
    (store / "breach" / "model.onnx").unlink()
    with pytest.raises(ArtifactMissingError, match="breach"):
        load_champion("breach", store)
    with pytest.raises(ArtifactMissingError, match="no champion named 'nope'"):
        load_champion("nope", store)


def test_rollback_restores_previous_version(tmp_path, trained):
    from datetime import UTC, datetime

    first = write_version(trained["trap"], tmp_path, datetime(2024, 1, 1, tzinfo=UTC)).name
    promote("trap", first, tmp_path)
    with pytest.raises(ModelStoreError, match="no previous version"):
        rollback("trap", tmp_path)
    # the same model trained again is the same version (ids derive from what was trained)
    again = write_version(trained["trap"], tmp_path, datetime(2024, 1, 2, tzinfo=UTC)).name
    assert again == first
    other = dataclasses.replace(trained["trap"], span=(trained["trap"].span[0], "2099-01-01"))
    second = write_version(other, tmp_path, datetime(2024, 1, 2, tzinfo=UTC)).name
    promote("trap", second, tmp_path)
    assert first != second
    assert read_registry(tmp_path)["champions"]["trap"]["history"] == [first]
    assert rollback("trap", tmp_path) == first
    assert load_champion("trap", tmp_path).version == first
    assert read_registry(tmp_path)["champions"]["trap"]["history"] == []


def test_inference_path_imports_neither_sklearn_nor_torch(store):
    code = (
        "import sys; from aegis.registry.artifacts import load_champion, verify_all;"
        f"r = verify_all({str(store)!r}); assert all(x.ok for x in r), r;"
        "bad = [m for m in ('sklearn', 'torch', 'skl2onnx') if m in sys.modules];"
        "print('LOADED', bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, check=True).stdout
    assert "LOADED []" in out


PICKLE = re.compile(rb"\b(import pickle|from pickle|import joblib|from joblib|cloudpickle|"
                    rb"torch\.load\(|dill\b)")


def test_no_pickle_in_code_or_artifacts(store):
    hits = [str(p) for p in (ROOT / "aegis").rglob("*.py") if PICKLE.search(p.read_bytes())]
    assert hits == []
    files = [p for p in store.rglob("*") if p.is_file()]
    assert {p.suffix for p in files} <= {".onnx", ".json"}
    for p in files:  # a pickle stream starts with the PROTO opcode 0x80
        assert not p.read_bytes().startswith(b"\x80"), p
    assert PICKLE.search(b"import pickle")  # the scan itself can fail


def test_cli_verify_and_list(store, monkeypatch):
    from typer.testing import CliRunner

    from aegis.cli import app
    from aegis.config import get_settings

    monkeypatch.setenv("AEGIS_MODELS_DIR", str(store))
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        ok = runner.invoke(app, ["models", "verify"])
        assert ok.exit_code == 0, ok.output
        listed = json.loads(runner.invoke(app, ["models", "list", "--json"]).stdout)
        assert sorted(r["name"] for r in listed["champions"]) == sorted(MODEL_NAMES)
        assert all(r["brier_baseline"] is not None for r in listed["champions"])
        path = store / "expiry_stress" / "model.onnx"
        path.write_bytes(b"\x00" + path.read_bytes()[1:])
        bad = runner.invoke(app, ["models", "verify"])
        assert bad.exit_code == 1
        assert "expiry_stress" in bad.output
        assert "ChecksumMismatchError" in bad.output
    finally:
        get_settings.cache_clear()

"""Typed manifests and registries: valid JSON of the wrong shape is a one-line named error."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from aegis.errors import ManifestMismatchError, ModelError, RegistryFormatError
from aegis.registry.artifacts import read_registry, verify_all
from aegis.registry.manifest import parse_manifest, parse_registry

GOOD: dict[str, Any] = {
    "format_version": 1, "name": "trap", "version": "20260101T000000Z-abcdef12",
    "sha256": "0" * 64,
    "features": [{"name": "iv_percentile_252", "dtype": "float64", "source": "daily"}],
    "input_shape": [None, 1],
    "onnx": {"opset": 17, "file": "model.onnx", "input": "X", "input_dtype": "float32",
             "output": "probabilities", "output_column": 1},
    "probe": {"inputs": [[0.5]], "expected": [0.3], "atol": 1e-5},
    "metrics": {"model": {"n": 10, "brier": 0.2, "ece": 0.05, "log_loss": 0.6},
                "baseline": {"n": 10, "brier": 0.25, "ece": 0.07},
                "climatology": {"n": 10, "brier": 0.24, "ece": 0.0},
                "fold": {"start": "2025-01-01"}, "label_cuts": [0.3, 0.6]},
    "training_data": {"span": ["2020-01-01", "2025-12-31"], "rows": 100},
    "a_future_field": {"kept": True},
}


def _drop(*path: str) -> Callable[[dict[str, Any]], None]:
    def edit(m: dict[str, Any]) -> None:
        for key in path[:-1]:
            m = m[key]
        del m[path[-1]]
    return edit


BAD = {
    "no probe.expected": (_drop("probe", "expected"), "probe.expected"),
    "features as names": (lambda m: m.update(features=["iv_percentile_252"]), "features.0"),
    "features as an object": (lambda m: m.update(features={"a": 1}), "features"),
    "input_shape 7": (lambda m: m.update(input_shape=7), "input_shape"),
    "input_shape zero width": (lambda m: m.update(input_shape=[None, 0]), "input_shape"),
    "no onnx.output": (_drop("onnx", "output"), "onnx.output"),
    "metrics.model without brier": (_drop("metrics", "model", "brier"), "metrics.model.brier"),
    "metrics.climatology without n": (_drop("metrics", "climatology", "n"),
                                      "metrics.climatology.n"),
    "label_cuts of one": (lambda m: m["metrics"].update(label_cuts=[0.3]), "metrics.label_cuts"),
    "sha256 not hex": (lambda m: m.update(sha256="abc"), "sha256"),
}


def _write(tmp_path: Path, name: str, data: object) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return path


def test_good_manifest_keeps_extra_keys(tmp_path: Path) -> None:
    typed, raw = parse_manifest(_write(tmp_path, "manifest.json", GOOD))
    assert typed.metrics.model is not None
    assert typed.metrics.model.brier == 0.2
    assert typed.metrics.climatology is not None
    assert typed.metrics.climatology.brier == 0.24
    assert typed.metrics.label_cuts == (0.3, 0.6)
    assert typed.metrics.model_dump()["fold"] == {"start": "2025-01-01"}
    assert raw["a_future_field"] == {"kept": True}


@pytest.mark.parametrize("case", sorted(BAD))
def test_wrongly_shaped_manifest_is_one_named_line(tmp_path: Path, case: str) -> None:
    edit, field = BAD[case]
    data = copy.deepcopy(GOOD)
    edit(data)
    path = _write(tmp_path, "manifest.json", data)
    with pytest.raises(ManifestMismatchError) as caught:
        parse_manifest(path)
    message = str(caught.value)
    assert message.startswith(str(path))
    assert field in message
    assert "\n" not in message


def test_manifest_not_json_is_named(tmp_path: Path) -> None:
    path = tmp_path / "manifest.json"
    path.write_bytes(b"\xff\xfe{")
    with pytest.raises(ManifestMismatchError, match="expected a JSON manifest"):
        parse_manifest(path)


def test_registry_shapes(tmp_path: Path) -> None:
    good = {"format": 1, "champions": {"trap": {"version": "v1", "history": []},
                                       "buyer": {"promoted_at": "x"}, "breach": "v3"}}
    registry = parse_registry(_write(tmp_path, "registry.json", good))
    assert registry.entry("trap", tmp_path).version == "v1"
    for name in ("buyer", "breach"):
        with pytest.raises(RegistryFormatError, match=f"champions.{name} is malformed"):
            registry.entry(name, tmp_path)
    with pytest.raises(RegistryFormatError, match="champions"):
        parse_registry(_write(tmp_path, "registry.json", {"champions": ["trap", "buyer"]}))
    with pytest.raises(RegistryFormatError, match="registry.json: registry wrongly shaped"):
        parse_registry(_write(tmp_path, "registry.json", [1, 2]))
    assert issubclass(RegistryFormatError, ModelError)


def test_verify_names_each_bad_entry_and_a_bad_registry(tmp_path: Path) -> None:
    _write(tmp_path, "registry.json", {"champions": {"trap": {"promoted_at": "x"},
                                                     "buyer": {"version": "v2"}}})
    results = {r.name: r for r in verify_all(tmp_path)}
    assert set(results) == {"trap", "buyer"}
    assert "RegistryFormatError" in results["trap"].reason
    assert "ArtifactMissingError" in results["buyer"].reason
    _write(tmp_path, "registry.json", {"champions": ["trap"]})
    (only,) = verify_all(tmp_path)
    assert (only.name, only.ok) == ("registry.json", False)
    with pytest.raises(RegistryFormatError):
        read_registry(tmp_path)
    assert read_registry(tmp_path / "empty") == {"format": 1, "champions": {}}

"""Write artifacts (ONNX + manifest), promote champions and roll back (training side).

Every file is written to a temporary name and moved into place with ``os.replace``; a version
folder is only created once its model has been exported and verified with onnxruntime on the
probe batch, so a crash leaves no half-written version behind.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from aegis.errors import ArtifactMissingError, ModelStoreError, ProbeMismatchError
from aegis.models.training import TrainedModel
from aegis.registry.artifacts import (
    INPUT_DTYPE,
    MANIFEST_FILE,
    MODEL_FILE,
    PROBE_ATOL,
    REGISTRY_FILE,
    OnnxModel,
    expected_inputs,
    load_artifact,
    read_registry,
)
from aegis.registry.export import INPUT_NAME, OPSET, OUTPUT, library_versions, to_onnx_bytes

FORMAT_VERSION = 1


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _json_bytes(data: dict[str, Any]) -> bytes:
    return (json.dumps(data, indent=2, sort_keys=False, allow_nan=False) + "\n").encode()


def build_manifest(trained: TrainedModel, version: str, created_at: str, sha256: str,
                   expected: list[float]) -> dict[str, Any]:
    """The manifest of one artifact (see DESIGN.md, "Artifacts and the model store")."""
    spec = trained.spec
    output, column = OUTPUT[spec.kind]
    manifest: dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        "name": spec.name,
        "version": version,
        "created_at": created_at,
        "kind": spec.kind,
        "estimator": type(trained.estimator).__name__,
        "training_data": {
            "fingerprint_sha256": trained.fingerprint,
            "span": list(trained.span),
            "rows": trained.n_train,
            "seed": trained.seed,
        },
        "features": expected_inputs(spec.name),
        "input_shape": [None, *trained.probe.shape[1:]],
        "target": spec.target,
        "baseline": spec.baseline,
        "metrics": trained.metrics,
        "libraries": library_versions(),
        "onnx": {"opset": OPSET, "file": MODEL_FILE, "input": INPUT_NAME,
                 "input_dtype": INPUT_DTYPE, "output": output, "output_column": column},
        "sha256": sha256,
        "probe": {"inputs": trained.probe.astype(np.float64).tolist(), "expected": expected,
                  "atol": PROBE_ATOL},
    }
    if trained.threshold is not None:
        manifest["threshold"] = trained.threshold
    return manifest


def write_version(trained: TrainedModel, models_dir: Path | str,
                  created_at: datetime | None = None) -> Path:
    """Export ``trained`` to ``models/<name>/versions/<version>/``; returns that folder.

    Raises :class:`ProbeMismatchError` when onnxruntime disagrees with the in-memory estimator
    on the probe batch (then nothing is written).
    """
    created = (created_at or datetime.now(UTC)).replace(microsecond=0)
    data = to_onnx_bytes(trained.spec.kind, trained.estimator, trained.probe)
    sha = hashlib.sha256(data).hexdigest()
    version = f"{created:%Y%m%dT%H%M%SZ}-{sha[:8]}"
    expected = [float(x) for x in trained.predict_proba(trained.probe.astype(np.float64))]
    manifest = build_manifest(trained, version, created.isoformat(), sha, expected)
    root = Path(models_dir) / trained.name / "versions"
    staging = root / f".{version}.staging"
    shutil.rmtree(staging, ignore_errors=True)
    _write_atomic(staging / MODEL_FILE, data)
    _write_atomic(staging / MANIFEST_FILE, _json_bytes(manifest))
    try:
        load_artifact(staging, trained.name)
    except ProbeMismatchError:
        shutil.rmtree(staging)
        raise
    final = root / version
    os.replace(staging, final)
    return final


def promote(name: str, version: str, models_dir: Path | str, *, reason: str = "") -> None:
    """Make ``version`` the champion: copy it to ``models/<name>/`` and update the registry."""
    models_dir = Path(models_dir)
    source = models_dir / name / "versions" / version
    for file in (MODEL_FILE, MANIFEST_FILE):
        if not (source / file).exists():
            raise ArtifactMissingError(f"{source / file}: cannot promote a missing artifact")
    registry = read_registry(models_dir)
    previous = registry["champions"].get(name)
    history = list(previous.get("history", [])) if previous else []
    if previous and previous["version"] != version:
        history.append(previous["version"])
    manifest = json.loads((source / MANIFEST_FILE).read_text())
    registry["champions"][name] = {
        "version": version,
        "promoted_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "reason": reason,
        "sha256": manifest["sha256"],
        "history": [v for v in history if v != version],
    }
    for file in (MODEL_FILE, MANIFEST_FILE):
        _write_atomic(models_dir / name / file, (source / file).read_bytes())
    _write_atomic(models_dir / REGISTRY_FILE, _json_bytes(registry))


def rollback(name: str, models_dir: Path | str) -> str:
    """Restore the previous champion of ``name``; returns its version."""
    models_dir = Path(models_dir)
    entry = read_registry(models_dir)["champions"].get(name)
    if not entry or not entry.get("history"):
        raise ModelStoreError(
            f"{models_dir / REGISTRY_FILE}: {name!r} has no previous version to roll back to"
        )
    target = entry["history"][-1]
    promote(name, target, models_dir, reason=f"rollback from {entry['version']}")
    registry = read_registry(models_dir)
    registry["champions"][name]["history"] = entry["history"][:-1]
    _write_atomic(models_dir / REGISTRY_FILE, _json_bytes(registry))
    return str(target)


def write_artifact(trained: TrainedModel, models_dir: Path | str) -> OnnxModel:
    """Write a new version of ``trained`` and make it the champion (no gate; see ``gate``)."""
    folder = write_version(trained, models_dir)
    promote(trained.name, folder.name, models_dir, reason="written by write_artifact")
    return load_artifact(Path(models_dir) / trained.name, trained.name)

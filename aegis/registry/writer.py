"""Write artifacts (ONNX + manifest); plan promotions and rollbacks (training side).

A version folder is only created once its model has been exported and verified with
onnxruntime on the probe batch (staged under a hidden name, then renamed), so a crash leaves no
half-written version behind. Promotion and rollback are *planned* here as a
:class:`~aegis.registry.journal.StoreChange` (the new registry, champion files and metrics files,
and the version folders to move in), computed from the store as it is; the journal applies a
plan crash-safely (:mod:`aegis.registry.journal`), with ``dvc push`` and the git commit when the
store is a DVC repository (:func:`aegis.registry.store.transaction`).
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

from aegis.atomic import write_bytes_atomic
from aegis.errors import ArtifactMissingError, ModelStoreError, ProbeMismatchError
from aegis.models.training import TrainedModel
from aegis.registry import journal
from aegis.registry.artifacts import (
    INPUT_DTYPE,
    MANIFEST_FILE,
    MODEL_FILE,
    PROBE_ATOL,
    REGISTRY_FILE,
    expected_inputs,
    load_artifact,
    read_registry,
)
from aegis.registry.export import INPUT_NAME, OPSET, OUTPUT, library_versions, to_onnx_bytes
from aegis.registry.journal import StoreChange, recover, store_lock

FORMAT_VERSION = 1




def version_id(trained: TrainedModel, sha256: str) -> str:
    """The version of a trained model: the last session of its training data and its model
    file's sha256, e.g. ``20240613-3f9a1c2b7d4e``.

    A function of what was trained, never of when: the same store, seed and library versions
    train the same bytes (seeded, single-threaded fits), hence the same version, so a retrain
    is reproducible and re-running it changes nothing. ``created_at`` stays in the manifest.
    """
    end = str(trained.span[1])[:10].replace("-", "") if trained.span else "nodata"
    return f"{end}-{sha256[:12]}"


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
        "metrics": trained.metrics.model_dump(mode="json"),
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
                  created_at: datetime | None = None, *, root: Path | None = None) -> Path:
    """Export ``trained`` to ``<root>/<version>/`` and return that folder.

    ``root`` defaults to ``models/<name>/versions`` (a version written straight into the store);
    the training stage passes a challengers folder instead, so a challenger the gate refuses
    never enters the store. Raises :class:`ProbeMismatchError` when onnxruntime disagrees with
    the in-memory estimator on the probe batch (then nothing is written).
    """
    created = (created_at or datetime.now(UTC)).replace(microsecond=0)
    data = to_onnx_bytes(trained.spec.kind, trained.estimator, trained.probe)
    sha = hashlib.sha256(data).hexdigest()
    version = version_id(trained, sha)
    expected = [float(x) for x in trained.predict_proba(trained.probe.astype(np.float64))]
    manifest = build_manifest(trained, version, created.isoformat(), sha, expected)
    root = root if root is not None else Path(models_dir) / trained.name / "versions"
    staging = root / f".{version}.staging"
    shutil.rmtree(staging, ignore_errors=True)
    write_bytes_atomic(staging / MODEL_FILE, data)
    write_bytes_atomic(staging / MANIFEST_FILE, _json_bytes(manifest))
    try:
        load_artifact(staging, trained.name)
    except ProbeMismatchError:
        shutil.rmtree(staging)
        raise
    final = root / version
    if final.exists():  # the same bytes trained again: the same version, already written
        shutil.rmtree(staging)
        return final
    os.replace(staging, final)
    return final


def champion_metrics(manifest: dict[str, Any]) -> dict[str, Any]:
    """What ``dvc metrics show/diff`` reads for one champion: version and scalar fold scores.

    Every scalar of every score block in the manifest's ``metrics`` (``model``, ``baseline``,
    climatology, ``by_event`` ...), lists (the reliability diagram) left out.
    """
    def scalars(block: Any) -> Any:
        if isinstance(block, dict):
            out = {k: scalars(v) for k, v in block.items() if not isinstance(v, list)}
            return {k: v for k, v in out.items() if v != {}}
        return block

    metrics = scalars(manifest.get("metrics", {}))
    return {"version": manifest["version"], "sha256": manifest["sha256"], **metrics}


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def plan_promotion(models_dir: Path | str, winners: dict[str, tuple[Path, str]], *,
                   metrics_dir: Path | None = None) -> StoreChange:
    """The change that makes each ``name -> (version folder, reason)`` the champion.

    A folder outside ``models/<name>/versions/`` (a challenger) is moved in. The registry keeps
    each champion's previous versions (``history``) for :func:`plan_rollback`.
    """
    models_dir = Path(models_dir)
    registry = read_registry(models_dir)
    change = StoreChange()
    for name, (folder, reason) in winners.items():
        for file in (MODEL_FILE, MANIFEST_FILE):
            if not (folder / file).exists():
                raise ArtifactMissingError(f"{folder / file}: cannot promote a missing artifact")
        version = folder.name
        final = models_dir / name / "versions" / version
        if final.exists() and folder.resolve() != final.resolve():
            # the same version is in the store already (a reproducible retrain): same bytes by
            # construction (the version is the file's sha256); nothing to move in
            if (final / MODEL_FILE).read_bytes() != (folder / MODEL_FILE).read_bytes():
                raise ModelStoreError(f"{final}: version {version} is in the store with other "
                                      f"model bytes than {folder}; refusing to promote")
        elif folder.resolve() != final.resolve():
            change.moves.append((folder, final))
        previous = registry["champions"].get(name)
        history = list(previous.get("history", [])) if previous else []
        if previous and previous["version"] != version:
            history.append(previous["version"])
        manifest = json.loads((folder / MANIFEST_FILE).read_text(encoding="utf-8"))
        registry["champions"][name] = {
            "version": version, "promoted_at": _now(), "reason": reason,
            "sha256": manifest["sha256"], "history": [v for v in history if v != version],
        }
        for file in (MODEL_FILE, MANIFEST_FILE):
            change.files[models_dir / name / file] = (folder / file).read_bytes()
        if metrics_dir is not None:
            change.files[metrics_dir / f"{name}.json"] = _json_bytes(champion_metrics(manifest))
        change.summary[name] = version
    change.files[models_dir / REGISTRY_FILE] = _json_bytes(registry)
    change.message = "models: promote " + ", ".join(f"{k} {v}" for k, v in change.summary.items())
    return change


def plan_rollback(name: str, models_dir: Path | str, *,
                  metrics_dir: Path | None = None) -> StoreChange:
    """The change that makes the previous version of ``name`` its champion again."""
    models_dir = Path(models_dir)
    entry = read_registry(models_dir)["champions"].get(name)
    if not entry or not entry.get("history"):
        raise ModelStoreError(
            f"{models_dir / REGISTRY_FILE}: {name!r} has no previous version to roll back to"
        )
    target = str(entry["history"][-1])
    change = plan_promotion(models_dir, {name: (models_dir / name / "versions" / target,
                                                f"rollback from {entry['version']}")},
                            metrics_dir=metrics_dir)
    registry = json.loads(change.files[models_dir / REGISTRY_FILE] or b"{}")
    registry["champions"][name]["history"] = entry["history"][:-1]
    change.files[models_dir / REGISTRY_FILE] = _json_bytes(registry)
    change.message = f"models: roll back {name} to {target}"
    return change


def apply_local(models_dir: Path | str, change: StoreChange) -> None:
    """Apply ``change`` crash-safely to a store without DVC (no push, no commit)."""
    models_dir = Path(models_dir)
    with store_lock(models_dir):
        recover(models_dir, lambda plan: None)
        journal.prepare(models_dir, change, push=False, commit=False)
        journal.apply(models_dir)
        journal.finish(models_dir)


def promote(name: str, version: str, models_dir: Path | str, *, reason: str = "") -> None:
    """Make ``models/<name>/versions/<version>`` the champion (locally; see ``publish``)."""
    models_dir = Path(models_dir)
    folder = models_dir / name / "versions" / version
    apply_local(models_dir, plan_promotion(models_dir, {name: (folder, reason)}))


def rollback(name: str, models_dir: Path | str) -> str:
    """Restore the previous champion of ``name`` locally; returns its version."""
    change = plan_rollback(name, models_dir)
    apply_local(models_dir, change)
    return change.summary[name]


__all__ = ["apply_local", "build_manifest", "champion_metrics", "plan_promotion",
           "plan_rollback", "promote", "rollback", "write_version"]

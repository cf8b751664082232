"""Load and verify model artifacts (the inference path: onnxruntime + numpy + stdlib only).

Layout of the model store::

    models/registry.json                       champions and their promotion history
    models/<name>/model.onnx, manifest.json    the current champion (copy of its version)
    models/<name>/versions/<version>/...       every promoted version (for rollback)

A load verifies, in order: both files exist (:class:`ArtifactMissingError`), the model file's
sha256 (:class:`ChecksumMismatchError`), the manifest's name, version, inputs and dtypes against
today's feature contract and model specs (:class:`ManifestMismatchError`), and onnxruntime's
predictions on the stored probe batch against the training-time predictions, atol 1e-5
(:class:`ProbeMismatchError`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from aegis.errors import (
    ArtifactMissingError,
    ChecksumMismatchError,
    ManifestMismatchError,
    ModelError,
    ModelInputError,
    ProbeMismatchError,
)

MODEL_FILE = "model.onnx"
MANIFEST_FILE = "manifest.json"
REGISTRY_FILE = "registry.json"
PROBE_ATOL = 1e-5
FEATURE_DTYPE = "float64"
INPUT_DTYPE = "float32"


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_registry(models_dir: Path | str) -> dict[str, Any]:
    """``registry.json`` as a dict (``{"champions": {}}`` when the store is empty)."""
    path = Path(models_dir) / REGISTRY_FILE
    if not path.exists():
        return {"format": 1, "champions": {}}
    try:
        data: dict[str, Any] = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise ManifestMismatchError(f"{path}: expected JSON; {exc}") from exc
    data.setdefault("champions", {})
    return data


class OnnxModel:
    """A verified ONNX model: ``predict_proba(X) -> P(y=1)`` of shape (n,).

    Attributes
    ----------
    name, version : from the manifest.  manifest : the manifest dict.  path : the model file.
    threshold : buyer's BREAKOUT threshold (None for the others).
    """

    def __init__(self, session: Any, manifest: dict[str, Any], path: Path) -> None:
        self._session = session
        self.manifest = manifest
        self.path = path
        self.name: str = manifest["name"]
        self.version: str = manifest["version"]
        self.threshold: float | None = manifest.get("threshold")
        onnx_info = manifest["onnx"]
        self._input = onnx_info["input"]
        self._output = onnx_info["output"]
        self._column = onnx_info["output_column"]
        self._shape = manifest["input_shape"]

    def predict_proba(self, X: ArrayLike) -> NDArray[np.float64]:
        """P(y=1) for each row (or window) of ``X``; float32/float64 input, shape as manifest."""
        arr = np.asarray(X, dtype=np.float32)
        expected = tuple(self._shape[1:])
        if arr.ndim != len(self._shape) or arr.shape[1:] != expected:
            raise ModelInputError(
                f"{self.name} {self.version}: expected input shape (n, "
                f"{', '.join(map(str, expected))}); found {arr.shape}"
            )
        if not np.all(np.isfinite(arr)):
            raise ModelInputError(f"{self.name} {self.version}: input holds NaN or infinity")
        (out,) = self._session.run([self._output], {self._input: arr})
        p = out[:, self._column] if self._column is not None else out
        return np.asarray(p, dtype=np.float64).reshape(len(arr))


def _load_manifest(folder: Path) -> dict[str, Any]:
    path = folder / MANIFEST_FILE
    if not path.exists():
        raise ArtifactMissingError(f"{path}: manifest missing")
    try:
        manifest: dict[str, Any] = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise ManifestMismatchError(f"{path}: expected a JSON manifest; {exc}") from exc
    return manifest


def expected_inputs(name: str) -> list[dict[str, str]]:
    """Today's input contract of model ``name``: ``[{name, dtype, source}]`` in order."""
    from aegis.features.columns import DAILY_FEATURES
    from aegis.models.specs import BREACH_DERIVED_INPUTS, MODEL_SPECS

    if name not in MODEL_SPECS:
        raise ManifestMismatchError(f"unknown model {name!r}; expected one of {list(MODEL_SPECS)}")
    spec = MODEL_SPECS[name]
    out = []
    for column in spec.inputs:
        if column in BREACH_DERIVED_INPUTS and column in spec.derived:
            out.append({"name": column, "dtype": FEATURE_DTYPE, "source": "derived"})
        elif column in DAILY_FEATURES:
            out.append({"name": column, "dtype": FEATURE_DTYPE, "source": "daily"})
        else:
            raise ManifestMismatchError(f"{name}: input {column!r} is not in today's features")
    return out


def check_manifest(manifest: dict[str, Any], folder: Path, name: str | None = None) -> None:
    """Raise :class:`ManifestMismatchError` unless the manifest fits today's feature contract."""
    where = folder / MANIFEST_FILE
    for key in ("name", "version", "features", "input_shape", "onnx", "probe", "sha256"):
        if key not in manifest:
            raise ManifestMismatchError(f"{where}: expected key {key!r}; not present")
    if name is not None and manifest["name"] != name:
        raise ManifestMismatchError(f"{where}: expected model {name!r}; found {manifest['name']!r}")
    want = expected_inputs(manifest["name"])
    got = manifest["features"]
    if got != want:
        got_names = [f.get("name") for f in got]
        want_names = [f["name"] for f in want]
        detail = (f"features {got_names}, expected {want_names}" if got_names != want_names
                  else "feature dtypes/sources differ: "
                  f"{[(f.get('name'), f.get('dtype')) for f in got if f not in want]}")
        raise ManifestMismatchError(f"{where}: {detail} (today's feature contract)")
    shape = manifest["input_shape"]
    if shape[-1] != len(want) or manifest["onnx"].get("input_dtype") != INPUT_DTYPE:
        raise ManifestMismatchError(
            f"{where}: expected input (n, ..., {len(want)}) {INPUT_DTYPE}; found {shape} "
            f"{manifest['onnx'].get('input_dtype')}"
        )


def _session(model_path: Path) -> Any:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    try:
        return ort.InferenceSession(str(model_path), options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own untyped exceptions on bad graphs
        raise ChecksumMismatchError(
            f"{model_path}: onnxruntime cannot load the graph: {exc}"
        ) from exc


def load_artifact(folder: Path | str, name: str | None = None) -> OnnxModel:
    """Load and verify the artifact in ``folder`` (see the module docstring for the checks)."""
    folder = Path(folder)
    model_path = folder / MODEL_FILE
    if not model_path.exists():
        raise ArtifactMissingError(f"{model_path}: model file missing")
    manifest = _load_manifest(folder)
    check_manifest(manifest, folder, name)
    digest = sha256_file(model_path)
    if digest != manifest["sha256"]:
        raise ChecksumMismatchError(
            f"{model_path}: sha256 {digest[:16]}... differs from the manifest's "
            f"{str(manifest['sha256'])[:16]}..."
        )
    model = OnnxModel(_session(model_path), manifest, model_path)
    probe = manifest["probe"]
    got = model.predict_proba(np.asarray(probe["inputs"], dtype=np.float32))
    want = np.asarray(probe["expected"], dtype=np.float64)
    gap = float(np.max(np.abs(got - want))) if len(want) else 0.0
    if got.shape != want.shape or not gap <= PROBE_ATOL:
        raise ProbeMismatchError(
            f"{model_path}: onnxruntime probe predictions differ from training time by {gap:.3g} "
            f"(atol {PROBE_ATOL})"
        )
    return model


def load_champion(name: str, models_dir: Path | str) -> OnnxModel:
    """The verified champion ``name`` named in ``registry.json``."""
    models_dir = Path(models_dir)
    entry = read_registry(models_dir)["champions"].get(name)
    if entry is None:
        raise ArtifactMissingError(f"{models_dir / REGISTRY_FILE}: no champion named {name!r}")
    model = load_artifact(models_dir / name, name)
    if model.version != entry["version"]:
        raise ManifestMismatchError(
            f"{models_dir / name / MANIFEST_FILE}: version {model.version}, registry names "
            f"{entry['version']}"
        )
    return model


@dataclass(frozen=True)
class VerifyResult:
    """Outcome of loading one champion as inference would."""

    name: str
    ok: bool
    reason: str
    version: str | None = None


def verify_all(models_dir: Path | str) -> list[VerifyResult]:
    """Load every champion in ``registry.json``; one result per champion, failures explained."""
    results = []
    for name, entry in sorted(read_registry(models_dir)["champions"].items()):
        try:
            model = load_champion(name, models_dir)
        except ModelError as exc:
            results.append(VerifyResult(name, False, f"{type(exc).__name__}: {exc}",
                                        entry.get("version")))
            continue
        results.append(VerifyResult(name, True, "sha256, features and probe verified",
                                    model.version))
    return results

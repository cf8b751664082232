"""Load and verify model artifacts (the inference path: onnxruntime + numpy + stdlib only).

Layout of the model store::

    models/registry.json                       champions and their promotion history
    models/<name>/model.onnx, manifest.json    the current champion (copy of its version)
    models/<name>/versions/<version>/...       every promoted version (for rollback)

A load verifies, in order: both files exist (:class:`ArtifactMissingError`), the manifest's
shape (:mod:`aegis.registry.manifest`, :class:`ManifestMismatchError`), the model file's
sha256 against the manifest's and, for a champion, the registry's
(:class:`ChecksumMismatchError`), the manifest's name, version, inputs and dtypes against
today's feature contract and model specs (:class:`ManifestMismatchError`), the graph's input and
output names and width against the manifest, and onnxruntime's predictions on the stored probe
batch against the training-time predictions, atol 1e-5 (:class:`ProbeMismatchError`). The
registry and each of its entries are validated too (:class:`RegistryFormatError`); every failure
is a :class:`ModelError` naming the file, so callers degrade one model, never the command.
"""

from __future__ import annotations

import hashlib
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
    RegistryFormatError,
)
from aegis.registry.manifest import Manifest, Registry, parse_manifest, parse_registry

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
    """``registry.json`` as a dict (``{"champions": {}}`` when the store is empty), its top
    level validated (:class:`RegistryFormatError` otherwise; entries: :func:`registry_entry`)."""
    return typed_registry(models_dir).model_dump()


def typed_registry(models_dir: Path | str) -> Registry:
    """``registry.json`` typed; :class:`RegistryFormatError` when wrongly shaped."""
    return parse_registry(Path(models_dir) / REGISTRY_FILE)


class OnnxModel:
    """A verified ONNX model: ``predict_proba(X) -> P(y=1)`` of shape (n,).

    Attributes
    ----------
    name, version : from the manifest.  manifest : the manifest dict.  path : the model file.
    threshold : buyer's BREAKOUT threshold (None for the others).
    """

    def __init__(self, session: Any, manifest: dict[str, Any] | Manifest, path: Path) -> None:
        typed = manifest if isinstance(manifest, Manifest) else Manifest.model_validate(manifest)
        self._session = session
        self.typed = typed
        self.manifest: dict[str, Any] = (manifest if isinstance(manifest, dict)
                                         else typed.model_dump())
        self.path = path
        self.name: str = typed.name
        self.version: str = typed.version
        self.threshold: float | None = typed.threshold
        self._input = typed.onnx.input
        self._output = typed.onnx.output
        self._column = typed.onnx.output_column
        self._shape = typed.input_shape

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
        try:
            (out,) = self._session.run([self._output], {self._input: arr})
            p = out[:, self._column] if self._column is not None else out
            return np.asarray(p, dtype=np.float64).reshape(len(arr))
        except Exception as exc:  # onnxruntime raises its own untyped errors on bad feeds
            raise ModelInputError(
                f"{self.path}: onnxruntime could not run {self.name} {self.version} on input "
                f"{arr.shape}: {' '.join(str(exc).split())[:300]}") from exc


def _load_manifest(folder: Path) -> tuple[Manifest, dict[str, Any]]:
    path = folder / MANIFEST_FILE
    if not path.exists():
        raise ArtifactMissingError(f"{path}: manifest missing")
    return parse_manifest(path)


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


def check_manifest(manifest: dict[str, Any] | Manifest, folder: Path,
                   name: str | None = None) -> Manifest:
    """The typed manifest; :class:`ManifestMismatchError` unless it is well shaped and fits
    today's feature contract."""
    where = folder / MANIFEST_FILE
    if not isinstance(manifest, Manifest):
        from pydantic import ValidationError

        from aegis.jsonfile import validation_reason

        try:
            manifest = Manifest.model_validate(manifest)
        except ValidationError as exc:
            raise ManifestMismatchError(
                f"{where}: manifest wrongly shaped: {validation_reason(exc)}") from exc
    if name is not None and manifest.name != name:
        raise ManifestMismatchError(f"{where}: expected model {name!r}; found {manifest.name!r}")
    want = expected_inputs(manifest.name)
    got = [{"name": f.name, "dtype": f.dtype, "source": f.source} for f in manifest.features]
    if got != want:
        got_names = [f["name"] for f in got]
        want_names = [f["name"] for f in want]
        detail = (f"features {got_names}, expected {want_names}" if got_names != want_names
                  else "feature dtypes/sources differ: "
                  f"{[(f['name'], f['dtype']) for f in got if f not in want]}")
        raise ManifestMismatchError(f"{where}: {detail} (today's feature contract)")
    shape = manifest.input_shape
    if shape[-1] != len(want) or manifest.onnx.input_dtype != INPUT_DTYPE:
        raise ManifestMismatchError(
            f"{where}: expected input (n, ..., {len(want)}) {INPUT_DTYPE}; found {shape} "
            f"{manifest.onnx.input_dtype}"
        )
    return manifest


def _check_graph(session: Any, manifest: Manifest, model_path: Path) -> None:
    """The graph's input/output names and input width agree with the manifest (a model file
    re-stamped into another model's folder fails here, before any prediction)."""
    inputs = {i.name: list(i.shape) for i in session.get_inputs()}
    outputs = [o.name for o in session.get_outputs()]
    problems = []
    if manifest.onnx.input not in inputs:
        problems.append(f"input {manifest.onnx.input!r} (graph has {sorted(inputs)})")
    else:
        width = inputs[manifest.onnx.input][-1] if inputs[manifest.onnx.input] else None
        if isinstance(width, int) and width != manifest.input_shape[-1]:
            problems.append(f"input width {manifest.input_shape[-1]} (graph takes {width})")
    if manifest.onnx.output not in outputs:
        problems.append(f"output {manifest.onnx.output!r} (graph has {outputs})")
    if problems:
        raise ManifestMismatchError(
            f"{model_path}: the graph does not match its manifest {manifest.name} "
            f"{manifest.version}: manifest names {'; '.join(problems)}")


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
    typed, raw = _load_manifest(folder)
    typed = check_manifest(typed, folder, name)
    digest = sha256_file(model_path)
    if digest != typed.sha256:
        raise ChecksumMismatchError(
            f"{model_path}: sha256 {digest[:16]}... differs from the manifest's "
            f"{typed.sha256[:16]}..."
        )
    session = _session(model_path)
    _check_graph(session, typed, model_path)
    model = OnnxModel(session, typed, model_path)
    model.manifest = raw
    try:
        inputs = np.asarray(typed.probe.inputs, dtype=np.float32)
    except (TypeError, ValueError) as exc:
        raise ManifestMismatchError(
            f"{folder / MANIFEST_FILE}: probe.inputs is not a numeric array: {exc}") from exc
    got = model.predict_proba(inputs)
    want = np.asarray(typed.probe.expected, dtype=np.float64)
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
    registry = typed_registry(models_dir)
    if name not in registry.champions:
        raise ArtifactMissingError(f"{models_dir / REGISTRY_FILE}: no champion named {name!r}")
    entry = registry.entry(name, models_dir / REGISTRY_FILE)
    model = load_artifact(models_dir / name, name)
    if entry.sha256 is not None and entry.sha256 != model.typed.sha256:
        # the file matched its manifest; the registry names another model file
        raise ChecksumMismatchError(
            f"{models_dir / REGISTRY_FILE}: champion {name!r} sha256 {entry.sha256[:16]}... "
            f"differs from {model.path}'s {model.typed.sha256[:16]}... (its manifest and file "
            "agree: the registry names another artifact)")
    if model.version != entry.version:
        raise ManifestMismatchError(
            f"{models_dir / name / MANIFEST_FILE}: version {model.version}, registry names "
            f"{entry.version}"
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
    """Load every champion in ``registry.json``; one result per champion, failures explained.

    A registry whose top level is wrongly shaped gives one failed result named
    ``registry.json`` (there is no champion to name).
    """
    try:
        registry = typed_registry(models_dir)
    except RegistryFormatError as exc:
        return [VerifyResult(REGISTRY_FILE, False, f"{type(exc).__name__}: {exc}")]
    results = []
    for name, entry in sorted(registry.champions.items()):
        version = entry.get("version") if isinstance(entry, dict) else None
        try:
            model = load_champion(name, models_dir)
        except ModelError as exc:
            results.append(VerifyResult(name, False, f"{type(exc).__name__}: {exc}",
                                        version if isinstance(version, str) else None))
            continue
        results.append(VerifyResult(name, True, "sha256, features and probe verified",
                                    model.version))
    return results

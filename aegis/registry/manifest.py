"""Typed shapes of ``manifest.json`` and ``registry.json`` (every reader validates against them).

A file that is valid JSON but wrongly shaped (a missing ``probe.expected``, ``features`` as a list
of names, ``input_shape: 7``, no ``onnx.output``, a registry entry without ``version``,
``champions`` as a list) fails validation with a one-line reason naming the file and the field;
callers turn that into a degraded model, never a traceback. ``metrics`` and the top level stay
open to extra keys (new metrics, new manifest fields), so a newer writer is not refused.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from aegis.errors import ManifestMismatchError, RegistryFormatError
from aegis.jsonfile import read_json, read_model, validation_reason
from aegis.models.scoring import ScoreSummary


class _Strict(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)


class FeatureSpec(_Strict):
    """One model input: name, dtype (``float64``) and source (``daily`` or ``derived``)."""

    name: str
    dtype: str
    source: str


class OnnxInfo(_Strict):
    """How to call the graph: input name and dtype, output name and column (None: 1-D)."""

    input: str
    output: str
    input_dtype: str
    output_column: int | None = None
    opset: int | None = None
    file: str | None = None


class Probe(_Strict):
    """A fixed input batch and the training-time predictions on it (shape (n,))."""

    inputs: list[Any] = Field(min_length=1)
    expected: list[float] = Field(min_length=1)
    atol: float | None = None


class TrainingData(_Strict):
    fingerprint_sha256: str | None = None
    span: list[str] = Field(default_factory=list)
    rows: int | None = None
    seed: int | None = None


class ManifestScore(ScoreSummary):
    """A walk-forward score as a manifest holds it: the training side's
    :class:`~aegis.models.scoring.ScoreSummary`, open to extra keys (``reliability``, new
    scores), ``log_loss`` optional (hand-written and older manifests may lack it)."""

    model_config = ConfigDict(extra="allow", frozen=True)

    log_loss: float | None = None  # type: ignore[assignment]


class Metrics(_Strict):
    """``metrics``: open to extra keys; the scores and the label cuts typed when present
    (the writer's shape is :class:`aegis.models.metrics.FoldMetrics`)."""

    model: ManifestScore | None = None
    baseline: ManifestScore | None = None
    climatology: ManifestScore | None = None
    label_cuts: tuple[float, float] | None = None
    by_event: dict[str, Metrics] | None = None


class Manifest(_Strict):
    """``models/<name>/manifest.json`` (DESIGN.md, "Artifacts and the model store")."""

    name: str
    version: str
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    features: list[FeatureSpec] = Field(min_length=1)
    input_shape: list[int | None] = Field(min_length=2)
    onnx: OnnxInfo
    probe: Probe
    format_version: int | None = None
    created_at: str | None = None
    kind: str | None = None
    training_data: TrainingData = Field(default_factory=TrainingData)
    metrics: Metrics = Field(default_factory=Metrics)
    threshold: float | None = None

    @field_validator("input_shape")
    @classmethod
    def _dims(cls, shape: list[int | None]) -> list[int | None]:
        if any(d is not None and d <= 0 for d in shape[1:]):
            raise ValueError(f"dimensions after the batch must be positive; got {shape}")
        if any(d is None for d in shape[1:]):
            raise ValueError(f"only the batch dimension may be null; got {shape}")
        return shape


class RegistryEntry(_Strict):
    """One champion in ``registry.json``."""

    version: str = Field(min_length=1)
    promoted_at: str | None = None
    reason: str = ""
    sha256: str | None = None
    history: list[str] = Field(default_factory=list)


class Registry(BaseModel):
    """``registry.json``: the top level only; entries are validated one by one
    (:meth:`entry`) so one bad entry degrades one model."""

    model_config = ConfigDict(extra="allow")

    format: int = 1
    champions: dict[str, Any] = Field(default_factory=dict)

    def entry(self, name: str, where: Path) -> RegistryEntry:
        """The typed entry of ``name``; :class:`RegistryFormatError` if it is malformed."""
        try:
            return RegistryEntry.model_validate(self.champions[name])
        except ValidationError as exc:
            raise RegistryFormatError(
                f"{where}: champions.{name} is malformed: {validation_reason(exc)}") from exc


def parse_registry(path: Path) -> Registry:
    """``registry.json`` typed (an empty registry when the file does not exist).

    Raises :class:`RegistryFormatError` when it is not JSON or its top level is wrongly shaped
    (``champions`` not an object of objects).
    """
    if not path.exists():
        return Registry()
    return read_model(path, Registry, "registry", RegistryFormatError)


def parse_manifest(path: Path) -> tuple[Manifest, dict[str, Any]]:
    """(typed manifest, the raw dict) of ``path``; :class:`ManifestMismatchError` when not JSON
    or wrongly shaped, naming the fields."""
    data = read_json(path, "manifest", ManifestMismatchError)
    try:
        return Manifest.model_validate(data), data
    except ValidationError as exc:
        raise ManifestMismatchError(
            f"{path}: manifest wrongly shaped: {validation_reason(exc)}") from exc

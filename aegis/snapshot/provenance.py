"""Where a published number came from, how well it has held up, and why a snapshot is degraded.

Provenance is a discriminated union on ``kind``:

- ``model``: a champion model from the store (``name``, ``version``).
- ``formula``: a closed-form computation or a market observation (``name``, ``expression``).
- ``empirical``: measured on history (``n`` observations over ``window``).
- ``baseline``: a fallback used because the model could not be (``name``, ``reason``). Any
  baseline makes the snapshot ``degraded``.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, model_validator

Probability = Annotated[float, Field(ge=0.0, le=1.0)]


class SnapshotModel(BaseModel):
    """Base of every snapshot model: no unknown keys, immutable, no NaN or infinity."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        allow_inf_nan=False,
        validate_by_name=True,
        serialize_by_alias=True,
    )


class ModelProvenance(SnapshotModel):
    """Produced by a champion model of the store."""

    kind: Literal["model"] = "model"
    name: str = Field(min_length=1, description="Model name in the registry, e.g. 'trap'.")
    version: str = Field(min_length=1, description="Champion version (manifest).")
    inputs: str | None = Field(
        default=None, exclude_if=lambda v: v is None,
        description="What the model read at this moment (the close, or today's session so "
        "far).")


class FormulaProvenance(SnapshotModel):
    """A closed-form formula (DESIGN.md definitions) or a value read from market data."""

    kind: Literal["formula"] = "formula"
    name: str = Field(min_length=1, description="Formula name, e.g. 'max_pain'.")
    expression: str = Field(min_length=1, description="The formula or the data source, in words.")
    reason: str | None = Field(
        default=None, exclude_if=lambda v: v is None,
        description="Why a formula stands where a model publishes elsewhere (e.g. a horizon "
        "the model was not trained for).")


class DateWindow(SnapshotModel):
    """Span of history (inclusive dates)."""

    from_: date = Field(
        validation_alias=AliasChoices("from", "from_"),
        serialization_alias="from",
        description="First day of the span.",
    )
    to: date

    @model_validator(mode="after")
    def _ordered(self) -> DateWindow:
        if self.from_ > self.to:
            raise ValueError(f"window from {self.from_} is after to {self.to}")
        return self


class EmpiricalProvenance(SnapshotModel):
    """Measured walk-forward on history."""

    kind: Literal["empirical"] = "empirical"
    n: int = Field(ge=1, description="Sample size (windows, signals, settled events).")
    window: DateWindow
    name: str | None = Field(default=None, description="e.g. 'climatology'.")
    reason: str | None = Field(
        default=None, description="Why an empirical frequency is published instead of a model "
        "(e.g. the gate found no model that beats climatology).")
    method: str | None = Field(
        default=None,
        description="What the n observations were and how they were used (e.g. which past "
                    "windows k was fitted on, and why they were pooled over horizons).",
    )


class BaselineProvenance(SnapshotModel):
    """A baseline stood in for the model; ``reason`` says why the model was not used."""

    kind: Literal["baseline"] = "baseline"
    name: str = Field(min_length=1, description="Baseline name, e.g. 'trap_baseline'.")
    reason: str = Field(min_length=1, description="Why the model was not used.")


Provenance = Annotated[
    ModelProvenance | FormulaProvenance | EmpiricalProvenance | BaselineProvenance,
    Field(discriminator="kind"),
]


class Calibration(SnapshotModel):
    """Walk-forward calibration of a probability: all four numbers, or none with a reason."""

    brier: float | None = Field(default=None, ge=0.0, le=1.0, description="Brier score.")
    brier_baseline: float | None = Field(
        default=None, ge=0.0, le=1.0, description="Brier score of the baseline."
    )
    ece: float | None = Field(
        default=None, ge=0.0, le=1.0, description="Expected calibration error, 10 bins."
    )
    n: int | None = Field(default=None, ge=1, description="Forecasts scored.")
    brier_climatology: float | None = Field(
        default=None, ge=0.0, le=1.0,
        description="Brier score of climatology (the event frequency settled before each fold).")
    bss_climatology: float | None = Field(
        default=None, le=1.0, description="Brier skill score against climatology, 1 - B/B_clim.")
    reason: str | None = Field(
        default=None, description="Why calibration is not given (required when it is not)."
    )

    @model_validator(mode="after")
    def _all_or_reason(self) -> Calibration:
        values = (self.brier, self.brier_baseline, self.ece, self.n)
        if all(v is not None for v in values):
            return self
        if any(v is not None for v in values):
            raise ValueError("calibration needs brier, brier_baseline, ece and n together")
        if not self.reason:
            raise ValueError("calibration not measured: a reason is required, numbers are not")
        return self


class DegradedReason(SnapshotModel):
    """One reason the snapshot is degraded, naming the published field it concerns."""

    field: str = Field(min_length=1, description="Top-level field, e.g. 'trap'.")
    reason: str = Field(min_length=1)


__all__ = [
    "BaselineProvenance",
    "SnapshotModel",
    "Calibration",
    "DateWindow",
    "DegradedReason",
    "EmpiricalProvenance",
    "FormulaProvenance",
    "ModelProvenance",
    "Probability",
    "Provenance",
]

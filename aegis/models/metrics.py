"""Typed walk-forward metrics of a trained model: what its manifest's ``metrics`` holds.

:class:`FoldMetrics` is built by :func:`aegis.models.training.train_model` (the training stage
adds ``by_event`` and ``gate``) and written into the manifest with
``model_dump(mode="json")``; keys that do not apply to a model (``label_cuts`` outside trap and
stress, ``hyper_parameters`` without a tuned ``C``, the buyer's signal counts, ``by_event``
outside breach, ``gate`` before the gate ran) are left out, not written as null. The manifest
reader (:mod:`aegis.registry.manifest`) reads the scores back through the same
:class:`~aegis.models.scoring.ScoreSummary`.
"""

from __future__ import annotations

from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    model_serializer,
    model_validator,
)

from aegis.models.gate import GateVerdict
from aegis.models.scoring import Score
from aegis.params import BreachParams, GateParams, LogisticParams, TorchParams

#: The fold window's keys that only the buyer (a model with a BREAKOUT signal) carries.
SIGNAL_KEYS = ("signals", "spike_rate", "base_rate")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class FoldWindow(_Frozen):
    """The walk-forward folds the scores come from (ISO dates; rows settled before them)."""

    start: str
    end: str
    folds: int = Field(ge=1)
    train_rows: int = Field(ge=0, description="Labelled rows settled before the first fold.")
    signals: int | None = Field(default=None, ge=0,
                                description="Buyer only: BREAKOUT signals over the folds.")
    spike_rate: float | None = Field(default=None, description=(
        "Buyer only: share of signals followed by a spike; None without a signal."))
    base_rate: float | None = Field(default=None,
                                    description="Buyer only: spike frequency over the folds.")

    @model_validator(mode="after")
    def _signal_keys_together(self) -> FoldWindow:
        if self.signals is None and (self.spike_rate is not None or self.base_rate is not None):
            raise ValueError("spike_rate and base_rate need signals (the buyer's signal count)")
        if self.signals is not None and self.base_rate is None:
            raise ValueError("signals need base_rate (the spike frequency over the folds)")
        return self

    @model_serializer(mode="wrap")
    def _signal_keys_for_the_buyer(self, handler: SerializerFunctionWrapHandler
                                   ) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        if self.signals is None:
            for key in SIGNAL_KEYS:
                data.pop(key, None)
        return data


class Skill(_Frozen):
    """Brier skill scores of the model: ``1 - brier_model / brier_reference``."""

    bss_climatology: float
    bss_baseline: float


class FoldSummary(_Frozen):
    """Scores of model, baseline and climatology on the same walk-forward rows, with skill."""

    model: Score
    baseline: Score
    climatology: Score
    skill: Skill


class FoldParams(_Frozen):
    """The hyper-parameters the model was trained and gated with (``aegis/params.yaml``)."""

    model: LogisticParams | BreachParams | TorchParams
    gate: GateParams


class HyperParameters(_Frozen):
    """What the estimator chose itself: the L2 strength ``C`` from ``C_grid``, and how."""

    C: float
    chosen_by: str
    C_grid: list[float]
    features: list[str] | None = Field(default=None, exclude_if=lambda v: v is None, description=(
        "The leading inputs chosen with C inside the training span (the others weigh 0)."))


def _none(value: object) -> bool:
    return value is None


class FoldMetrics(FoldSummary):
    """Everything the manifest's ``metrics`` holds (optional keys are omitted when None)."""

    fold: FoldWindow
    params: FoldParams
    label_cuts: tuple[float, float] | None = Field(
        default=None, exclude_if=_none,
        description="Trap and stress: class thresholds, terciles of the fold probabilities.")
    hyper_parameters: HyperParameters | None = Field(default=None, exclude_if=_none)
    by_event: dict[str, FoldSummary] | None = Field(
        default=None, exclude_if=_none,
        description="Breach: the scores of each event (touch, close) apart.")
    gate: GateVerdict | None = Field(default=None, exclude_if=_none,
                                     description="The gate's decision on this challenger.")


__all__ = ["SIGNAL_KEYS", "FoldMetrics", "FoldParams", "FoldSummary", "FoldWindow",
           "HyperParameters", "Skill"]

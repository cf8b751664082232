"""Typed hyper-parameters of the models and the gate (the contents of ``aegis/params.yaml``).

The values live in the YAML file only; this module says what each key is and checks it. A
foundation module (it imports only :mod:`aegis.errors`), so settings and every layer can use it.
:meth:`aegis.config.Settings.params` reads the configured file; :func:`default_params` the
packaged one, which library functions use when handed none.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from aegis.errors import ConfigurationError

PARAMS_FILE = Path(__file__).resolve().parent / "params.yaml"
"""The packaged ``aegis/params.yaml``."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class GateParams(_Strict):
    """The champion/challenger gate (:mod:`aegis.models.gate`)."""

    folds: int = Field(ge=1, le=20)
    fold_days: int = Field(ge=30)
    alpha: float = Field(gt=0.0, lt=0.5)
    block_sessions: int = Field(ge=1)
    bootstrap_replicates: int = Field(ge=100)
    recent_year: bool = Field(default=True, description=(
        "Refuse a model whose most recent fold lost to climatology, however good the earlier "
        "folds were."))


class LogisticParams(_Strict):
    """:class:`~aegis.models.estimators.TimeValidatedLogisticClassifier`."""

    C_grid: tuple[float, ...] = Field(min_length=1)
    inner_splits: int = Field(ge=2)
    gap: int = Field(ge=0)
    feature_counts: tuple[int, ...] | None = Field(default=None, min_length=1, description=(
        "Candidate numbers of leading inputs, chosen with C inside each training span "
        "(nested selection); None: every input."))


class BreachParams(_Strict):
    """:class:`~aegis.models.estimators.BreachCalibrator`."""

    C: float = Field(gt=0.0)
    interactions: bool


class TorchParams(_Strict):
    """The PyTorch classifiers (:mod:`aegis.models.torch_models`)."""

    hidden: int = Field(ge=1)
    epochs: int = Field(ge=1)


class ModelParams(_Strict):
    trap: LogisticParams
    expiry_stress: LogisticParams
    breach: BreachParams
    direction: TorchParams
    buyer: TorchParams


class PublishingParams(_Strict):
    """Live demotion and the evidence weight (:mod:`aegis.models.publishing`).

    The defaults are the packaged values, so a params file written before this section
    existed still validates.
    """

    window_sessions: int = Field(default=80, ge=10, description=(
        "Trailing settled sessions that must not lose on average before a demoted model "
        "is published again (and the stretch a demotion reports at least)."))
    min_sessions: int = Field(default=40, ge=10, description=(
        "Fewer settled sessions than this: no demotion test, no live weight cap."))
    cusum_k: float = Field(default=0.1, ge=0.0, description=(
        "Allowance of the demotion CUSUM, in standard deviations of the per-session Brier "
        "excess over climatology."))
    cusum_h: float = Field(default=14.0, gt=0.0, description=(
        "Threshold of the demotion CUSUM (standard deviations accumulated)."))
    weight_sd: float = Field(default=1.0, ge=0.0, description=(
        "Stability penalty: the evidence weight is the folds' mean blend weight minus this "
        "many standard deviations of it."))
    weight_max: float = Field(default=1.0, gt=0.0, le=1.0)
    live_window_sessions: int = Field(default=250, ge=20, description=(
        "Trailing settled sessions whose blend weight can lower the walk-forward weight."))
    live_weight_z: float = Field(default=1.0, ge=0.0, description=(
        "The live record caps the weight at its blend weight plus this many standard errors."))


class Params(_Strict):
    """Everything in ``params.yaml``."""

    gate: GateParams
    models: ModelParams
    publishing: PublishingParams = Field(default_factory=PublishingParams)


def load_params(path: Path | str = PARAMS_FILE) -> Params:
    """Read and validate a params file (cached per path); errors name the file and the bad key."""
    return _load(str(Path(path)))


def default_params() -> Params:
    """The packaged ``aegis/params.yaml``."""
    return _load(str(PARAMS_FILE))


@lru_cache(maxsize=8)
def _load(path: str) -> Params:
    import yaml

    file = Path(path)
    try:
        raw = yaml.safe_load(file.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigurationError(f"{file}: expected a readable YAML params file; {exc}") from exc
    try:
        return Params.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ConfigurationError(f"{file}: {problems}") from exc


__all__ = ["PARAMS_FILE", "GateParams", "Params", "PublishingParams", "default_params",
           "load_params"]

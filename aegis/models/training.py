"""Train every model: the latest walk-forward folds for the scores, then a fit on all rows.

``train_model`` predicts the latest ``n_folds`` blocks of ``fold_days`` calendar days, each
with a model fitted on the rows settled strictly before the block (walk-forward), scores the
model, its baseline and climatology there, then refits on every labelled row: the published
model. The fold predictions travel with the result so that the gate can test them and score
the current champion on exactly the same rows.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from aegis.models.datasets import Dataset, build_dataset
from aegis.models.metrics import (
    FoldMetrics,
    FoldParams,
    FoldSummary,
    FoldWindow,
    HyperParameters,
    Skill,
)
from aegis.models.scoring import score
from aegis.models.specs import MODEL_NAMES, MODEL_SPECS, ModelSpec
from aegis.models.walkforward import fit_on
from aegis.params import Params, default_params

PROBE_ROWS = 16


@dataclass
class TrainedModel:
    """A fitted model with everything its artifact and the gate need.

    Attributes
    ----------
    spec : the model's definition.  estimator : fitted on every labelled row.
    seed : training seed.  fingerprint : sha256 of the training table (inputs, labels, sessions).
    span : (first, last) session of the training rows, ISO dates.  n_train : training rows.
    metrics : :class:`~aegis.models.metrics.FoldMetrics`, the scores of model, baseline and
        climatology over the latest walk-forward folds with the fold window and the
        parameters (trap/stress: also ``label_cuts``); the training stage adds ``by_event``
        (breach) and ``gate``.
    fold : the folds' rows (inputs, labels, baseline), in the order of ``fold_predictions``.
    fold_p : the challenger's out-of-sample P(y=1) on ``fold``.
    fold_predictions : the walk-forward frame behind the scores (see
        :func:`aegis.models.walkforward.predictions_over_blocks`); the gate tests it.
    probe : (PROBE_ROWS, ...) float32 inputs stored in the manifest with their predictions.
    threshold : buyer's BREAKOUT threshold, else None.
    """

    spec: ModelSpec
    estimator: Any
    seed: int
    fingerprint: str
    span: tuple[str, str]
    n_train: int
    metrics: FoldMetrics
    fold: Dataset
    probe: NDArray[np.float32]
    fold_p: NDArray[np.float64] | None = None
    fold_predictions: pd.DataFrame | None = None
    threshold: float | None = None
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.spec.name

    def predict_proba(self, X: NDArray[np.floating[Any]]) -> NDArray[np.float64]:
        """P(y=1) of the in-memory estimator, shape (n,)."""
        return np.asarray(self.estimator.predict_proba(X)[:, 1], dtype=np.float64)


def fingerprint(data: Dataset) -> str:
    """sha256 over the training table's inputs, labels and sessions (C order, float64)."""
    digest = hashlib.sha256()
    for part in (data.X, data.y, data.session.astype("datetime64[ns]").view(np.int64)):
        digest.update(np.ascontiguousarray(part).tobytes())
    return digest.hexdigest()


def _iso(value: np.datetime64) -> str:
    return str(pd.Timestamp(value).date())


def fold_starts(last_session: np.datetime64, n_folds: int, fold_days: int
                ) -> list[pd.Timestamp]:
    """Starts of the ``n_folds`` latest blocks of ``fold_days`` days up to ``last_session``."""
    last = pd.Timestamp(last_session).normalize() + pd.Timedelta(days=1)
    return [last - pd.Timedelta(days=fold_days * k) for k in range(n_folds, 0, -1)]


def _usable_folds(name: str, data: Dataset, n_folds: int, fold_days: int) -> list[pd.Timestamp]:
    """The fold starts, dropping the oldest while too few rows settled before them."""
    from aegis.models.walkforward import MIN_TRAIN_ROWS

    starts = fold_starts(data.session.max(), n_folds, fold_days)
    while len(starts) > 1 and (data.label_end < starts[0].to_datetime64()).sum() < MIN_TRAIN_ROWS:
        starts = starts[1:]
    return starts


def label_cuts(p: NDArray[np.float64]) -> tuple[float, float]:
    """Class thresholds from history: the terciles of out-of-sample probabilities.

    Each class then holds about a third of past sessions, and the classes carry information
    when the model discriminates (the backtest's class table reports the event frequency per
    class).
    """
    lo, hi = np.quantile(np.asarray(p, dtype=np.float64), [1 / 3, 2 / 3])
    return float(lo), float(hi)


def fold_summary(pred: pd.DataFrame) -> FoldSummary:
    """Scores of model, baseline and climatology on walk-forward predictions, with skill."""
    y = pred["y"].to_numpy(float)
    model, baseline, climatology = (score(pred[column].to_numpy(float), y)
                                    for column in ("p_model", "p_baseline", "p_climatology"))
    skill = Skill(bss_climatology=1.0 - model.brier / climatology.brier,
                  bss_baseline=1.0 - model.brier / baseline.brier)
    return FoldSummary(model=model, baseline=baseline, climatology=climatology, skill=skill)


def fold_window(pred: pd.DataFrame, fold: Dataset, data: Dataset, starts: list[pd.Timestamp]
                ) -> FoldWindow:
    """The folds' span and count, the rows settled before them, and the buyer's signals."""
    first = starts[0].to_datetime64()
    signals: dict[str, Any] = {}
    if "signal" in pred:
        signal = pred["signal"].to_numpy(bool)
        y = pred["y"].to_numpy(float)
        signals = {"signals": int(signal.sum()),
                   "spike_rate": float(y[signal].mean()) if signal.any() else None,
                   "base_rate": float(y.mean())}
    return FoldWindow(start=_iso(fold.session.min()), end=_iso(fold.session.max()),
                      folds=len(starts), train_rows=int((data.label_end < first).sum()),
                      **signals)


def train_model(
    name: str,
    nifty: pd.DataFrame,
    vix: pd.DataFrame,
    features: pd.DataFrame,
    *,
    seed: int = 0,
    params: Params | None = None,
    data: Dataset | None = None,
) -> TrainedModel:
    """Score ``name`` on its latest ``gate.folds`` walk-forward folds, then fit on all rows.

    ``params``: hyper-parameters (default: the packaged ``aegis/params.yaml``).
    """
    from aegis.models.walkforward import predictions_over_blocks

    params = params or default_params()
    data = data if data is not None else build_dataset(name, nifty, vix, features)
    starts = _usable_folds(name, data, params.gate.folds, params.gate.fold_days)
    stop = pd.Timestamp(data.session.max()).normalize() + pd.Timedelta(days=1)
    pred = predictions_over_blocks(name, data, starts, stop, seed=seed, params=params)
    rows = pred["row"].to_numpy()
    fold = data.subset(np.isin(np.arange(len(data)), rows))
    window = fold_window(pred, fold, data, starts)
    estimator = fit_on(name, data, seed, params)
    tuned = (HyperParameters(C=estimator.C_, chosen_by=estimator.C_chosen_by_,
                             C_grid=list(estimator.C_grid),
                             features=list(MODEL_SPECS[name].inputs[
                                 :getattr(estimator, "n_features_chosen_", None)]))
             if hasattr(estimator, "C_") else None)
    summary = fold_summary(pred)
    metrics = FoldMetrics(
        model=summary.model, baseline=summary.baseline, climatology=summary.climatology,
        skill=summary.skill, fold=window,
        params=FoldParams(model=getattr(params.models, name), gate=params.gate),
        label_cuts=(label_cuts(pred["p_model"].to_numpy(float))
                    if name in ("trap", "expiry_stress") else None),
        hyper_parameters=tuned)
    threshold = getattr(estimator, "threshold_", None)
    return TrainedModel(
        spec=MODEL_SPECS[name],
        estimator=estimator,
        seed=seed,
        fingerprint=fingerprint(data),
        span=(_iso(data.session.min()), _iso(data.session.max())),
        n_train=len(data),
        metrics=metrics,
        fold=Dataset(fold.name, fold.X, fold.y, pred["p_baseline"].to_numpy(float),
                     fold.session, fold.label_end, fold.extra),
        probe=np.asarray(data.X[-PROBE_ROWS:], dtype=np.float32),
        fold_p=pred["p_model"].to_numpy(float),
        fold_predictions=pred,
        threshold=None if threshold is None else float(threshold),
    )


def train_all(
    nifty: pd.DataFrame,
    vix: pd.DataFrame,
    features: pd.DataFrame,
    *,
    seed: int = 0,
    names: tuple[str, ...] = MODEL_NAMES,
    params: Params | None = None,
) -> dict[str, TrainedModel]:
    """Train every model in ``names`` (see :func:`train_model`), keyed by name."""
    return {name: train_model(name, nifty, vix, features, seed=seed, params=params)
            for name in names}

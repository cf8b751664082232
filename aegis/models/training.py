"""Train every model: latest walk-forward fold for the scores, then a fit on all labelled rows.

``train_model`` holds out the latest fold (the last ``fold_days`` calendar days of labelled
sessions), fits on the rows settled strictly before it, scores model and baseline there, then
refits on every labelled row: the published model. The fold rows travel with the result so
the champion/challenger gate can score the current champion on exactly the same rows.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from aegis.models.datasets import Dataset, build_dataset
from aegis.models.scoring import score_pair
from aegis.models.specs import MODEL_NAMES, MODEL_SPECS, ModelSpec
from aegis.models.walkforward import fit_on, training_rows

FOLD_DAYS = 365
PROBE_ROWS = 16


@dataclass
class TrainedModel:
    """A fitted model with everything its artifact and the gate need.

    Attributes
    ----------
    spec : the model's definition.  estimator : fitted on every labelled row.
    seed : training seed.  fingerprint : sha256 of the training table (inputs, labels, sessions).
    span : (first, last) session of the training rows, ISO dates.  n_train : training rows.
    metrics : ``{"fold": {...}, "model": score, "baseline": score}`` on the latest fold.
    fold : the latest fold's rows (inputs, labels, baseline).
    fold_p : the challenger's out-of-sample P(y=1) on ``fold``.
    probe : (PROBE_ROWS, ...) float32 inputs stored in the manifest with their predictions.
    threshold : buyer's BREAKOUT threshold, else None.
    """

    spec: ModelSpec
    estimator: Any
    seed: int
    fingerprint: str
    span: tuple[str, str]
    n_train: int
    metrics: dict[str, Any]
    fold: Dataset
    probe: NDArray[np.float32]
    fold_p: NDArray[np.float64] | None = None
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


def train_model(
    name: str,
    nifty: pd.DataFrame,
    vix: pd.DataFrame,
    features: pd.DataFrame,
    *,
    seed: int = 0,
    fold_days: int = FOLD_DAYS,
    data: Dataset | None = None,
) -> TrainedModel:
    """Score ``name`` on its latest walk-forward fold, then fit it on all labelled rows."""
    data = data if data is not None else build_dataset(name, nifty, vix, features)
    fold_start = (pd.Timestamp(data.session.max()) - pd.Timedelta(days=fold_days)).to_datetime64()
    fold = data.subset(data.session >= fold_start)
    before = training_rows(data, fold_start)
    fold_model = fit_on(name, before, seed)
    p_fold = np.asarray(fold_model.predict_proba(fold.X)[:, 1], dtype=np.float64)
    fold = Dataset(fold.name, fold.X, fold.y, fold.baseline_given(before), fold.session,
                   fold.label_end, fold.extra)
    metrics: dict[str, Any] = {
        "fold": {"start": _iso(fold.session.min()), "end": _iso(fold.session.max()),
                 "train_rows": len(before)},
        **score_pair(p_fold, fold.baseline, fold.y),  # type: ignore[arg-type]
    }
    estimator = fit_on(name, data, seed)
    threshold = getattr(estimator, "threshold_", None)
    if threshold is not None:
        signal = p_fold >= getattr(fold_model, "threshold_", threshold)
        metrics["fold"]["signals"] = int(signal.sum())
        metrics["fold"]["spike_rate"] = float(fold.y[signal].mean()) if signal.any() else None
        metrics["fold"]["base_rate"] = float(fold.y.mean())
    return TrainedModel(
        spec=MODEL_SPECS[name],
        estimator=estimator,
        seed=seed,
        fingerprint=fingerprint(data),
        span=(_iso(data.session.min()), _iso(data.session.max())),
        n_train=len(data),
        metrics=metrics,
        fold=fold,
        probe=np.asarray(data.X[-PROBE_ROWS:], dtype=np.float32),
        fold_p=p_fold,
        threshold=None if threshold is None else float(threshold),
    )


def train_all(
    nifty: pd.DataFrame,
    vix: pd.DataFrame,
    features: pd.DataFrame,
    *,
    seed: int = 0,
    names: tuple[str, ...] = MODEL_NAMES,
) -> dict[str, TrainedModel]:
    """Train every model in ``names`` (see :func:`train_model`), keyed by name."""
    return {name: train_model(name, nifty, vix, features, seed=seed) for name in names}

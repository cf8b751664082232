"""Expanding-window walk-forward evaluation without look-ahead.

The evaluated span is cut into blocks (``refit``, a pandas offset alias: ``"YS"`` = yearly).
At the start ``b0`` of each block the model is refitted on every row whose label settled
strictly before ``b0`` (``label_end < b0``: a weekly label that ends after the fold start is
purged), then predicts the rows of the block.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from aegis.errors import TrainingDataError
from aegis.models.datasets import Dataset, build_dataset
from aegis.models.specs import MODEL_SPECS
from aegis.params import Params, default_params

MIN_TRAIN_ROWS = 200


def make_estimator(name: str, seed: int = 0, params: Params | None = None) -> Any:
    """A fresh, unfitted estimator of model ``name`` (heavy imports happen here).

    Hyper-parameters come from ``params`` (default: the packaged ``aegis/params.yaml``).
    """
    models = (params or default_params()).models
    if name in ("trap", "expiry_stress"):
        from aegis.models.estimators import TimeValidatedLogisticClassifier

        p = models.trap if name == "trap" else models.expiry_stress
        return TimeValidatedLogisticClassifier(C_grid=p.C_grid, inner_splits=p.inner_splits,
                                               gap=p.gap, feature_counts=p.feature_counts)
    if name == "breach":
        from aegis.models.estimators import BreachCalibrator

        return BreachCalibrator(C=models.breach.C, interactions=models.breach.interactions)
    if name == "direction":
        from aegis.models.torch_models import GRUDirectionClassifier

        return GRUDirectionClassifier(hidden=models.direction.hidden,
                                      epochs=models.direction.epochs, seed=seed)
    if name == "buyer":
        from aegis.models.torch_models import SpikeMLPClassifier

        return SpikeMLPClassifier(hidden=models.buyer.hidden, epochs=models.buyer.epochs,
                                  seed=seed)
    raise KeyError(f"unknown model {name!r}; expected one of {list(MODEL_SPECS)}")


def training_rows(data: Dataset, before: np.datetime64) -> Dataset:
    """Rows whose label settled strictly before ``before`` (purged by the label horizon)."""
    return data.subset(data.label_end < before)


def fit_on(name: str, train: Dataset, seed: int, params: Params | None = None) -> Any:
    """Fit a fresh estimator on ``train``; raises :class:`TrainingDataError` if too small."""
    if len(train) < MIN_TRAIN_ROWS or np.unique(train.y).size < 2:
        last = str(train.session.max())[:10] if len(train) else "none"
        raise TrainingDataError(
            f"{name}: expected at least {MIN_TRAIN_ROWS} labelled rows of both classes to "
            f"train; found {len(train)} rows (last session {last})"
        )
    return make_estimator(name, seed, params).fit(train.X, train.y)


def _predict(estimator: Any, X: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.asarray(estimator.predict_proba(X)[:, 1], dtype=np.float64)


def usable_start(data: Dataset, earliest: pd.Timestamp, latest: pd.Timestamp) -> pd.Timestamp:
    """The first 1 January from ``earliest`` on with enough rows settled before it to train.

    Never later than ``latest`` (the evaluated period's start: there the loop itself raises
    :class:`TrainingDataError` when the history is too short).
    """
    day = pd.Timestamp(earliest)
    while day < latest and (data.label_end < day.to_datetime64()).sum() < MIN_TRAIN_ROWS:
        day = pd.Timestamp(year=day.year + 1, month=1, day=1)
    return min(day, latest)


def block_starts(start: pd.Timestamp, end: pd.Timestamp, refit: str) -> list[pd.Timestamp]:
    """``start``, then every ``refit`` boundary after it up to ``end``."""
    starts = [start, *[d for d in pd.date_range(start, end, freq=refit) if d > start]]
    return starts


def walk_forward_predictions(
    name: str,
    nifty: pd.DataFrame,
    vix: pd.DataFrame,
    features: pd.DataFrame,
    start: str | pd.Timestamp,
    end: str | pd.Timestamp,
    *,
    refit: str = "YS",
    seed: int = 0,
    data: Dataset | None = None,
    params: Params | None = None,
) -> pd.DataFrame:
    """Out-of-sample predictions of model ``name`` for the sessions in ``[start, end]``.

    Returns
    -------
    DataFrame with columns ``session, p_model, p_baseline, p_climatology, y, fold, row,
    label_end`` (fold = block start; climatology = event frequency of the rows settled before
    the block; row = position in the dataset; label_end = the session that settles the label),
    one row per labelled session (``breach``: per session, strike and event, with ``offset,
    strike, event``; ``buyer``: also ``threshold`` and ``signal`` = p_model >= threshold).
    """
    start_ts, end_ts = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
    if end_ts < start_ts:
        raise ValueError(f"walk-forward: expected start <= end; found {start_ts} > {end_ts}")
    data = data if data is not None else build_dataset(name, nifty, vix, features)
    starts = block_starts(start_ts, end_ts, refit)
    return predictions_over_blocks(name, data, starts, end_ts + pd.Timedelta(days=1), seed=seed,
                                   params=params)


def predictions_over_blocks(
    name: str, data: Dataset, starts: list[pd.Timestamp], stop: pd.Timestamp, *, seed: int = 0,
    params: Params | None = None,
) -> pd.DataFrame:
    """Out-of-sample predictions of the blocks ``[starts[i], starts[i+1])``, last up to ``stop``.

    Each block is predicted by a model fitted on the rows settled strictly before its start
    (columns as in :func:`walk_forward_predictions`). The one walk-forward loop behind the
    backtest, the nightly gate's folds and the published rates.
    """
    start_ts, end_ts = starts[0], stop - pd.Timedelta(days=1)
    stops = [*starts[1:], stop]
    parts = []
    for b0, b1 in zip(starts, stops, strict=True):
        in_block = (data.session >= b0.to_datetime64()) & (data.session < b1.to_datetime64())
        if not in_block.any():
            continue
        test = data.subset(in_block)
        train = training_rows(data, b0.to_datetime64())
        estimator = fit_on(name, train, seed, params)
        part = pd.DataFrame({
            "session": test.session,
            "p_model": _predict(estimator, test.X),
            "p_baseline": test.baseline_given(train),
            "p_climatology": test.climatology_given(train),
            "y": test.y,
            "fold": b0,
            "row": np.flatnonzero(in_block),
            "label_end": test.label_end,
        })
        if test.extra is not None:
            part = pd.concat([part, test.extra.reset_index(drop=True)], axis=1)
        if hasattr(estimator, "threshold_"):
            part["threshold"] = estimator.threshold_
            part["signal"] = part["p_model"] >= estimator.threshold_
        parts.append(part)
    if not parts:
        raise TrainingDataError(
            f"{name}: no labelled sessions between {start_ts.date()} and {end_ts.date()}"
        )
    return pd.concat(parts, ignore_index=True)

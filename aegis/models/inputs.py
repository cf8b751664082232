"""ONNX input rows from the feature table: the same code at training and inference time.

Imports numpy, pandas and the analytics formulas only (no scikit-learn, no torch), so the
inference path can build model inputs without the training stack.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from aegis.analytics.ranges import implied_move
from aegis.errors import ModelInputError
from aegis.models.specs import MODEL_SPECS

P_CLIP = 1e-6


def logit(p: NDArray[np.float64]) -> NDArray[np.float64]:
    """``ln(p/(1-p))`` with ``p`` clipped to ``[1e-6, 1-1e-6]``."""
    q = np.clip(p, P_CLIP, 1.0 - P_CLIP)
    return np.log(q / (1.0 - q))


def gbm_breach_probability(
    spot: NDArray[np.float64],
    strike: NDArray[np.float64],
    sigma: NDArray[np.float64],
    days: NDArray[np.float64],
    is_close: NDArray[np.bool_],
) -> NDArray[np.float64]:
    """Driftless-GBM baseline: close-beyond where ``is_close``, touch elsewhere (in [0, 1])."""
    from aegis.analytics import close_beyond_probability, touch_probability

    touch = np.asarray(touch_probability(spot, strike, sigma, days), dtype=np.float64)
    close = np.asarray(close_beyond_probability(spot, strike, sigma, days), dtype=np.float64)
    return np.where(is_close, close, touch)


def breach_inputs(
    spot: NDArray[np.float64],
    strike: NDArray[np.float64],
    sigma: NDArray[np.float64],
    days: NDArray[np.float64],
    is_close: NDArray[np.bool_],
    daily: NDArray[np.float64],
) -> NDArray[np.float64]:
    """The breach model's input rows, columns in ``MODEL_SPECS["breach"].inputs`` order.

    Parameters
    ----------
    spot, strike : (n,) index points.  sigma : (n,) VIX/100.  days : (n,) calendar days.
    is_close : (n,) True for "closes beyond at expiry", False for "touches before expiry".
    daily : (n, k) the daily features of ``MODEL_SPECS["breach"].features`` for each row.

    Returns
    -------
    ndarray (n, len(inputs)) float64.
    """
    spec = MODEL_SPECS["breach"]
    daily = np.asarray(daily, dtype=np.float64).reshape(len(spot), -1)
    if daily.shape[1] != len(spec.features):
        raise ModelInputError(
            f"breach inputs: expected {len(spec.features)} daily columns {list(spec.features)}; "
            f"found {daily.shape[1]}"
        )
    p = gbm_breach_probability(spot, strike, sigma, days, is_close)
    em = implied_move(sigma, days)
    derived = np.column_stack([
        logit(p),
        is_close.astype(np.float64),
        (strike > spot).astype(np.float64),
        np.abs(np.log(strike / spot)) / em,
    ])
    return np.hstack([derived, daily])


def row_inputs(name: str, features: pd.DataFrame) -> NDArray[np.float64]:
    """One input row per session for ``trap``, ``expiry_stress`` or ``buyer``, (n, F) float64.

    Raises :class:`ModelInputError` naming the missing columns.
    """
    spec = MODEL_SPECS[name]
    _require(features, spec.features, name)
    return features.loc[:, list(spec.features)].to_numpy(dtype=np.float64)


def sequence_inputs(
    name: str, features: pd.DataFrame
) -> tuple[NDArray[np.float64], pd.DatetimeIndex]:
    """Sliding windows of ``spec.window`` sessions, shape (n - W + 1, W, F), for ``direction``.

    Window ``i`` ends at session ``index[i + W - 1]`` (returned alongside), oldest row first.
    """
    spec = MODEL_SPECS[name]
    _require(features, spec.features, name)
    values = features.loc[:, list(spec.features)].to_numpy(dtype=np.float64)
    w = spec.window
    if len(values) < w:
        raise ModelInputError(
            f"{name}: expected at least {w} sessions of features; found {len(values)}"
        )
    windows = np.lib.stride_tricks.sliding_window_view(values, (w, values.shape[1]))[:, 0]
    return np.ascontiguousarray(windows), pd.DatetimeIndex(features.index[w - 1:])


def _require(features: pd.DataFrame, columns: tuple[str, ...], name: str) -> None:
    missing = [c for c in columns if c not in features.columns]
    if missing:
        raise ModelInputError(
            f"{name}: feature table lacks columns {missing}; expected {list(columns)}"
        )

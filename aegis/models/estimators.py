"""scikit-learn estimators: time-validated logistic (trap, expiry_stress), breach calibrator.

Each follows the scikit-learn contract (settings in ``__init__``, ``fit`` returns self, learned
state ends in ``_``, ``check_is_fitted`` before predicting). Their fitted ``model_`` is a plain
scikit-learn object that skl2onnx converts (see :mod:`aegis.registry.export`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import TimeSeriesSplit
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import PolynomialFeatures, StandardScaler
from sklearn.utils.validation import check_is_fitted, validate_data

from aegis.errors import TrainingDataError


def _binary_target(y: ArrayLike, who: str) -> NDArray[np.int64]:
    yy = np.asarray(y, dtype=np.float64).ravel()
    if not np.all((yy == 0.0) | (yy == 1.0)):
        raise TrainingDataError(f"{who}: expected labels 0/1; found {np.unique(yy)[:5].tolist()}")
    if np.unique(yy).size < 2:
        raise TrainingDataError(f"{who}: expected both classes in y; found only {yy[:1].tolist()}")
    return yy.astype(np.int64)


class _WrappedSklearnModel(ClassifierMixin, BaseEstimator):
    """Shared prediction and ONNX hand-off of an estimator whose fitted model is ``model_``."""

    model_: Any

    def predict_proba(self, X: ArrayLike) -> NDArray[np.float64]:
        """(n, 2) class probabilities; column 1 is P(y=1)."""
        check_is_fitted(self, "model_")
        X = validate_data(self, X, reset=False, dtype=np.float64)
        return np.asarray(self.model_.predict_proba(X), dtype=np.float64)

    def predict(self, X: ArrayLike) -> NDArray[np.int64]:
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(np.int64)

    def onnx_source(self) -> Any:
        """The fitted scikit-learn object to convert to ONNX."""
        check_is_fitted(self, "model_")
        return self.model_


class BreachCalibrator(_WrappedSklearnModel):
    """Logistic calibration of the GBM touch / close-beyond probabilities.

    Inputs are the rows of :func:`aegis.models.inputs.breach_inputs` (the GBM logit, the event
    and side flags, the distance to the strike in expected moves, then daily features). The
    pairwise interactions let the correction differ between touch and close, above and below.

    Parameters
    ----------
    C : inverse L2 strength of the logistic regression.
    interactions : add pairwise products of the standardised inputs.
    """

    def __init__(self, C: float = 1.0, interactions: bool = True) -> None:
        self.C = C
        self.interactions = interactions

    def fit(self, X: ArrayLike, y: ArrayLike) -> BreachCalibrator:
        """Fit on X (n, F) and y (n,) 0/1; returns self."""
        X, _ = validate_data(self, X, np.asarray(y), dtype=np.float64)
        yy = _binary_target(y, type(self).__name__)
        steps: list[tuple[str, Any]] = [("scale", StandardScaler())]
        if self.interactions:
            steps.append(("pairs", PolynomialFeatures(2, interaction_only=True,
                                                      include_bias=False)))
        steps.append(("logit", LogisticRegression(C=self.C, max_iter=500)))
        self.model_ = Pipeline(steps).fit(X, yy)
        self.classes_ = self.model_.classes_
        return self


class TimeValidatedLogisticClassifier(_WrappedSklearnModel):
    """Standardised logistic regression whose L2 strength is chosen on later rows.

    The rows must come in time order (the walk-forward datasets do). ``C`` is picked from
    ``C_grid`` by the mean Brier score over ``inner_splits`` expanding, time-ordered folds
    (:class:`~sklearn.model_selection.TimeSeriesSplit`, ``gap`` rows left out between fit and
    validation so that week-long labels do not leak), then the model is refitted on all rows.
    So the hyper-parameter is chosen inside the training span, never on the period evaluated.

    The inputs are chosen the same way (nested selection): with ``feature_counts`` the first
    ``k`` columns (the spec orders them by how much a trader leans on them) are candidates for
    each ``k``, scored jointly with ``C``; the columns after the chosen ``k`` are zeroed for the
    fit, so their coefficients are exactly 0 and the model still reads the full input row (one
    ONNX signature whatever was chosen).

    Parameters
    ----------
    C_grid : candidate inverse L2 strengths.
    inner_splits : validation folds (>= 2).
    gap : rows skipped between each inner fit and its validation rows.
    feature_counts : candidate numbers of leading input columns; None: every column.
    """

    def __init__(
        self,
        C_grid: tuple[float, ...] = (0.01, 0.1, 1.0, 10.0),
        inner_splits: int = 3,
        gap: int = 5,
        feature_counts: tuple[int, ...] | None = None,
    ) -> None:
        self.C_grid = C_grid
        self.inner_splits = inner_splits
        self.gap = gap
        self.feature_counts = feature_counts

    @staticmethod
    def _leading(X: NDArray[np.float64], k: int) -> NDArray[np.float64]:
        out = X.copy()
        out[:, k:] = 0.0
        return out

    @staticmethod
    def _pipeline(C: float) -> Pipeline:
        return Pipeline([("scale", StandardScaler()),
                         ("logit", LogisticRegression(C=C, max_iter=1000))])

    def fit(self, X: ArrayLike, y: ArrayLike) -> TimeValidatedLogisticClassifier:
        """Fit on X (n, F), time-ordered, and y (n,) 0/1; returns self."""
        X, _ = validate_data(self, X, np.asarray(y), dtype=np.float64)
        X = np.asarray(X, dtype=np.float64)
        yy = _binary_target(y, type(self).__name__)
        if not self.C_grid:
            raise TrainingDataError(f"{type(self).__name__}: C_grid is empty; expected values")
        width = X.shape[1]
        counts = tuple(self.feature_counts or (width,))
        if any(not 1 <= k <= width for k in counts):
            raise TrainingDataError(f"{type(self).__name__}: feature_counts must lie in "
                                    f"[1, {width}]; found {list(counts)}")
        scores = np.zeros((len(counts), len(self.C_grid)))
        splitter = TimeSeriesSplit(n_splits=self.inner_splits, gap=self.gap)
        used = 0
        for fit_rows, check_rows in splitter.split(X):
            if np.unique(yy[fit_rows]).size < 2:
                continue
            used += 1
            for i, k in enumerate(counts):
                Xk = self._leading(X, k)
                for j, C in enumerate(self.C_grid):
                    p = self._pipeline(C).fit(Xk[fit_rows], yy[fit_rows]).predict_proba(
                        Xk[check_rows])[:, 1]
                    scores[i, j] += float(np.mean((p - yy[check_rows]) ** 2))
        self.inner_brier_ = scores / used if used else scores
        if used:
            i, j = (int(v) for v in np.unravel_index(int(np.argmin(scores)), scores.shape))
            self.C_, self.n_features_chosen_ = float(self.C_grid[j]), int(counts[i])
            self.C_chosen_by_ = f"inner time-ordered validation over {used} folds"
        else:  # recorded, not silent: the manifest's estimator state says so
            self.C_ = float(self.C_grid[len(self.C_grid) // 2])
            self.n_features_chosen_ = int(max(counts))
            self.C_chosen_by_ = "middle of C_grid: no inner fold had both classes"
        self.model_ = self._pipeline(self.C_).fit(self._leading(X, self.n_features_chosen_), yy)
        self.classes_ = self.model_.classes_
        return self


"""PyTorch estimators with the scikit-learn contract: direction GRU and buyer spike MLP.

Standardisation (training mean and scale) lives inside the network as buffers, so the ONNX
graph takes raw feature values. Training is seeded and deterministic: ``torch.manual_seed``, a
seeded shuffling generator and one CPU thread for the duration of ``fit`` (restored after).
``torch.use_deterministic_algorithms`` is not called: it imports ``torch._inductor`` (seconds
of start-up) and changes nothing for these CPU kernels on one thread; the unit tests check that
two fits with one seed give bit-identical networks.
Inputs must be in time order; the buyer's threshold search relies on it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import torch
from numpy.typing import ArrayLike, NDArray
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted
from torch import nn

from aegis.analytics.intervals import wilson_bounds
from aegis.errors import ModelInputError
from aegis.models.estimators import _binary_target


class _Standardised(nn.Module):
    """A net over inputs standardised with training-time buffers ``mean`` and ``scale`` (so the
    exported graph carries its own scaling)."""

    mean: torch.Tensor
    scale: torch.Tensor

    def __init__(self, n_features: int) -> None:
        super().__init__()
        self.register_buffer("mean", torch.zeros(n_features))
        self.register_buffer("scale", torch.ones(n_features))

    def standardise(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean) / self.scale


class GRUNet(_Standardised):
    """(n, W, F) raw features -> (n,) probability; one GRU layer over standardised inputs."""

    def __init__(self, n_features: int, hidden: int) -> None:
        super().__init__(n_features)
        self.gru = nn.GRU(n_features, hidden, batch_first=True)
        self.head = nn.Linear(hidden, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h0 = torch.zeros(1, x.shape[0], self.gru.hidden_size, dtype=x.dtype)
        _, h = self.gru(self.standardise(x), h0)
        return torch.sigmoid(self.head(h[-1])).squeeze(-1)


class MLPNet(_Standardised):
    """(n, F) raw features -> (n,) probability; two hidden ReLU layers."""

    def __init__(self, n_features: int, hidden: int) -> None:
        super().__init__(n_features)
        self.body = nn.Sequential(
            nn.Linear(n_features, hidden), nn.ReLU(),
            nn.Linear(hidden, hidden), nn.ReLU(),
            nn.Linear(hidden, 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.body(self.standardise(x))).squeeze(-1)


@contextmanager
def deterministic_torch(seed: int) -> Iterator[torch.Generator]:
    """Seed torch and run on one thread (bit-reproducible CPU kernels); restore the thread count.

    Yields a seeded generator for shuffling.
    """
    threads = torch.get_num_threads()
    torch.manual_seed(seed)
    torch.set_num_threads(1)
    try:
        yield torch.Generator().manual_seed(seed)
    finally:
        torch.set_num_threads(threads)


class _TorchBinaryClassifier(ClassifierMixin, BaseEstimator):
    """Shared fit/predict of the torch classifiers (minibatch Adam on binary cross-entropy)."""

    _ndim = 2

    def __init__(self, hidden: int = 16, epochs: int = 8, lr: float = 5e-3,
                 batch_size: int = 128, weight_decay: float = 1e-4, seed: int = 0) -> None:
        self.hidden = hidden
        self.epochs = epochs
        self.lr = lr
        self.batch_size = batch_size
        self.weight_decay = weight_decay
        self.seed = seed

    def _build(self, n_features: int) -> nn.Module:
        raise NotImplementedError

    def _check_X(self, X: ArrayLike) -> NDArray[np.float32]:
        arr = np.asarray(X, dtype=np.float32)
        if arr.ndim != self._ndim:
            raise ModelInputError(
                f"{type(self).__name__}: expected a {self._ndim}-d input; found shape {arr.shape}"
            )
        if not np.all(np.isfinite(arr)):
            raise ModelInputError(f"{type(self).__name__}: inputs hold NaN or infinite values")
        return arr

    def _train_module(self, X: NDArray[np.float32], y: NDArray[np.int64]) -> nn.Module:
        with deterministic_torch(self.seed) as gen:
            module = self._build(X.shape[-1])
            flat = X.reshape(-1, X.shape[-1])
            scale = flat.std(axis=0)
            buffers = dict(module.named_buffers())
            buffers["mean"].copy_(torch.from_numpy(flat.mean(axis=0)))
            buffers["scale"].copy_(torch.from_numpy(np.where(scale > 1e-12, scale, 1.0)))
            xt, yt = torch.from_numpy(X), torch.from_numpy(y.astype(np.float32))
            opt = torch.optim.Adam(module.parameters(), lr=self.lr,
                                   weight_decay=self.weight_decay)
            loss_fn = nn.BCELoss()
            module.train()
            for _ in range(self.epochs):
                order = torch.randperm(len(xt), generator=gen)
                for start in range(0, len(xt), self.batch_size):
                    batch = order[start:start + self.batch_size]
                    opt.zero_grad()
                    loss = loss_fn(module(xt[batch]).clamp(1e-6, 1 - 1e-6), yt[batch])
                    loss.backward()
                    opt.step()
            module.eval()
        return module

    def fit(self, X: ArrayLike, y: ArrayLike) -> Any:
        """Fit on time-ordered X and 0/1 y; returns self."""
        arr = self._check_X(X)
        yy = _binary_target(y, type(self).__name__)
        self.module_ = self._train_module(arr, yy)
        self.n_features_in_ = arr.shape[-1]
        self.classes_ = np.array([0, 1])
        return self

    def _proba1(self, module: nn.Module, X: NDArray[np.float32]) -> NDArray[np.float64]:
        with torch.no_grad():
            return module(torch.from_numpy(X)).numpy().astype(np.float64)

    def predict_proba(self, X: ArrayLike) -> NDArray[np.float64]:
        """(n, 2) class probabilities; column 1 is P(y=1)."""
        check_is_fitted(self, "module_")
        arr = self._check_X(X)
        if arr.shape[-1] != self.n_features_in_:
            raise ModelInputError(
                f"{type(self).__name__}: expected {self.n_features_in_} features; "
                f"found {arr.shape[-1]}"
            )
        p = self._proba1(self.module_, arr)
        return np.column_stack([1.0 - p, p])

    def predict(self, X: ArrayLike) -> NDArray[np.int64]:
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(np.int64)


class GRUDirectionClassifier(_TorchBinaryClassifier):
    """P(next close > close) from (n, W, F) windows of daily features (oldest first)."""

    _ndim = 3

    def _build(self, n_features: int) -> nn.Module:
        return GRUNet(n_features, self.hidden)


THRESHOLD_Z = 1.96
"""z of the Wilson lower bound the BREAKOUT threshold maximises (kept: champions use it)."""


def wilson_lower(k: float | NDArray[np.float64], n: float | NDArray[np.float64],
                 z: float = THRESHOLD_Z) -> Any:
    """Lower end of the Wilson score interval of k successes in n trials (n > 0).

    :func:`aegis.analytics.intervals.wilson_bounds` at ``z = 1.96`` (:data:`THRESHOLD_Z`,
    the z the BREAKOUT thresholds of the trained champions were chosen with).
    """
    return wilson_bounds(k, n, z)[0]


def choose_threshold(
    p: NDArray[np.float64], y: NDArray[np.float64], min_signal_rate: float = 0.10
) -> float:
    """The BREAKOUT threshold maximising the Wilson lower bound of precision.

    Candidates are the 50th..95th percentiles of ``p``; a candidate is admissible when at
    least ``min_signal_rate`` of the rows (and 10 rows) signal. Ties go to the lower threshold.
    """
    candidates = np.unique(np.quantile(p, np.linspace(0.50, 0.95, 19)))
    best, best_score = float(candidates[0]), -np.inf
    need = max(10.0, min_signal_rate * len(p))
    for t in candidates:
        signal = p >= t
        n = float(signal.sum())
        if n < need:
            continue
        score = float(wilson_lower(float(y[signal].sum()), n))
        if score > best_score + 1e-12:
            best, best_score = float(t), score
    return best


class SpikeMLPClassifier(_TorchBinaryClassifier):
    """P(next-session spike) from (n, F) daily features, with a walk-forward BREAKOUT threshold.

    ``fit`` first runs an inner expanding walk-forward over the last ``threshold_share`` of the
    (time-ordered) training rows in ``threshold_folds`` blocks, each predicted by a network
    trained on the rows before it (one row purged for the next-session label); the threshold is
    chosen on those out-of-sample probabilities only (:func:`choose_threshold`).
    """

    def __init__(self, hidden: int = 32, epochs: int = 10, lr: float = 5e-3,
                 batch_size: int = 128, weight_decay: float = 1e-4, seed: int = 0,
                 threshold_folds: int = 3, threshold_share: float = 0.4,
                 min_signal_rate: float = 0.10) -> None:
        super().__init__(hidden, epochs, lr, batch_size, weight_decay, seed)
        self.threshold_folds = threshold_folds
        self.threshold_share = threshold_share
        self.min_signal_rate = min_signal_rate

    def _build(self, n_features: int) -> nn.Module:
        return MLPNet(n_features, self.hidden)

    def fit(self, X: ArrayLike, y: ArrayLike) -> SpikeMLPClassifier:
        arr = self._check_X(X)
        yy = _binary_target(y, type(self).__name__)
        n = len(arr)
        first = int(n * (1 - self.threshold_share))
        edges = np.linspace(first, n, self.threshold_folds + 1).astype(int)
        oof_p, oof_y = [], []
        for lo, hi in zip(edges[:-1], edges[1:], strict=True):
            train_y = yy[: lo - 1]
            if hi <= lo or np.unique(train_y).size < 2:
                continue
            module = self._train_module(arr[: lo - 1], train_y)
            oof_p.append(self._proba1(module, arr[lo:hi]))
            oof_y.append(yy[lo:hi].astype(np.float64))
        if oof_p:
            self.threshold_ = choose_threshold(np.concatenate(oof_p), np.concatenate(oof_y),
                                               self.min_signal_rate)
        else:
            self.threshold_ = 0.5
        super().fit(arr, yy)
        return self

    def signal(self, X: ArrayLike) -> NDArray[np.bool_]:
        """BREAKOUT (True) where the spike probability reaches ``threshold_``."""
        check_is_fitted(self, "threshold_")
        return self.predict_proba(X)[:, 1] >= self.threshold_

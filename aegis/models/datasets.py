"""Labelled design matrices per model: inputs, label, baseline, and when each label settles.

Only rows whose inputs are all finite and whose label is known are kept. ``label_end`` is the
session whose close settles the label; walk-forward training keeps a row only when its
``label_end`` is strictly before the block it predicts (purging by the label horizon).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from aegis.models import targets
from aegis.models.inputs import breach_inputs, gbm_breach_probability, row_inputs, sequence_inputs
from aegis.models.specs import MODEL_SPECS


@dataclass(frozen=True)
class Dataset:
    """Rows of one model.

    Attributes
    ----------
    name : model name.
    X : (n, F) or, for sequence models, (n, W, F) float64 inputs in ``spec.inputs`` order.
    y : (n,) 0/1 labels (float64).
    baseline : (n,) baseline probabilities, or None when the baseline is the training base rate.
    session : (n,) datetime64 session of each row (the time the prediction is made).
    label_end : (n,) datetime64 session whose close settles the label.
    extra : per-row details (breach: offset, strike, event), or None.
    """

    name: str
    X: NDArray[np.float64]
    y: NDArray[np.float64]
    baseline: NDArray[np.float64] | None
    session: NDArray[np.datetime64]
    label_end: NDArray[np.datetime64]
    extra: pd.DataFrame | None = None

    def __len__(self) -> int:
        return len(self.y)

    def subset(self, mask: NDArray[np.bool_]) -> Dataset:
        """Rows where ``mask`` is True."""
        return replace(
            self,
            X=self.X[mask],
            y=self.y[mask],
            baseline=None if self.baseline is None else self.baseline[mask],
            session=self.session[mask],
            label_end=self.label_end[mask],
            extra=None if self.extra is None else self.extra.loc[mask].reset_index(drop=True),
        )

    def climatology_given(self, train: Dataset) -> NDArray[np.float64]:
        """Climatology of these rows: the event frequency of ``train`` (everything settled).

        ``breach``: the frequency per strike offset and event (touch / close), since a strike
        5 % away is touched far less often than one 1 % away. A group that ``train`` lacks
        takes the frequency of all of ``train``; 0.5 when ``train`` is empty.
        """
        overall = float(np.mean(train.y)) if len(train) else 0.5
        if self.extra is None or train.extra is None:
            return np.full(len(self), overall)
        table = climatology_table(train)
        keys = zip(self.extra["offset"].to_numpy(), self.extra["event"].to_numpy(), strict=True)
        return np.asarray([table.get((float(o), str(e)), overall) for o, e in keys])

    def baseline_given(self, train: Dataset) -> NDArray[np.float64]:
        """Baseline probabilities of these rows, using ``train`` for base-rate baselines."""
        if self.baseline is not None:
            return self.baseline
        return np.full(len(self), float(np.mean(train.y)) if len(train) else 0.5)


def climatology_table(train: Dataset) -> dict[tuple[float, str], float]:
    """Breach climatology: ``{(offset, event): frequency}`` over the rows of ``train``."""
    if train.extra is None:
        raise KeyError(f"{train.name}: climatology by strike needs the breach rows' offsets")
    frame = train.extra.assign(y=train.y)
    means = frame.groupby(["offset", "event"])["y"].mean()
    return {(float(o), str(e)): float(v) for (o, e), v in means.items()}


def build_dataset(
    name: str, nifty: pd.DataFrame, vix: pd.DataFrame, features: pd.DataFrame
) -> Dataset:
    """The labelled rows of model ``name`` from the daily frames and the feature table."""
    features = features.reindex(pd.DatetimeIndex(nifty.index))
    if name == "trap":
        return _daily(name, features, targets.trap_labels(nifty, vix, features))
    if name == "expiry_stress":
        return _daily(name, features, targets.expiry_stress_labels(nifty, vix, features))
    if name == "buyer":
        return _daily(name, features, targets.spike_labels(nifty, vix))
    if name == "direction":
        return _direction(features, targets.direction_labels(nifty))
    if name == "breach":
        return _breach(features, targets.breach_labels(nifty, vix, features))
    raise KeyError(f"unknown model {name!r}; expected one of {list(MODEL_SPECS)}")


def _baseline(name: str, features: pd.DataFrame) -> NDArray[np.float64] | None:
    if name not in ("trap", "expiry_stress"):
        return None
    from aegis.analytics import stress_baseline, trap_baseline

    iv = features["iv_percentile_252"].to_numpy(dtype=np.float64)
    rv = features["rv_percentile_252"].to_numpy(dtype=np.float64)
    trap = np.asarray(trap_baseline(iv, rv), dtype=np.float64)
    if name == "trap":
        return trap
    return np.asarray(stress_baseline(trap, iv / 100.0), dtype=np.float64)


def _daily(name: str, features: pd.DataFrame, labels: pd.DataFrame) -> Dataset:
    spec = MODEL_SPECS[name]
    needed = list(dict.fromkeys([*spec.features, "iv_percentile_252", "rv_percentile_252"]))
    keep = features[needed].notna().all(axis=1).to_numpy() & labels["y"].notna().to_numpy()
    rows = features.loc[keep]
    return Dataset(
        name=name,
        X=row_inputs(name, rows),
        y=labels["y"].to_numpy()[keep],
        baseline=_baseline(name, rows),
        session=rows.index.to_numpy(),
        label_end=labels["label_end"].to_numpy()[keep],
    )


def _direction(features: pd.DataFrame, labels: pd.DataFrame) -> Dataset:
    windows, ends = sequence_inputs("direction", features)
    lab = labels.reindex(ends)
    keep = np.isfinite(windows).all(axis=(1, 2)) & lab["y"].notna().to_numpy()
    return Dataset(
        name="direction",
        X=windows[keep],
        y=lab["y"].to_numpy()[keep],
        baseline=None,
        session=ends.to_numpy()[keep],
        label_end=lab["label_end"].to_numpy()[keep],
    )


def _breach(features: pd.DataFrame, labels: pd.DataFrame) -> Dataset:
    spec = MODEL_SPECS["breach"]
    daily = features.loc[:, list(spec.features)].reindex(labels["session"]).to_numpy(np.float64)
    keep = np.isfinite(daily).all(axis=1) & (labels["sigma"].to_numpy() > 0)
    lab = labels.loc[keep].reset_index(drop=True)
    is_close = (lab["event"] == "close").to_numpy()
    args = (lab["spot"].to_numpy(), lab["strike"].to_numpy(), lab["sigma"].to_numpy(),
            lab["days"].to_numpy())
    return Dataset(
        name="breach",
        X=breach_inputs(*args, is_close, daily[keep]),
        y=lab["y"].to_numpy(dtype=np.float64),
        baseline=gbm_breach_probability(*args, is_close),
        session=lab["session"].to_numpy(),
        label_end=lab["label_end"].to_numpy(),
        extra=lab[["offset", "strike", "event"]],
    )

"""Climatology: the event frequency of everything settled so far, the forecast a model must beat.

One definition for the gate, the backtest and the snapshot: the labels of
:func:`aegis.models.datasets.build_dataset` (the same events the models learn), counted over
every row whose outcome has settled. Breach events are counted per strike offset and event, and
a listed strike between two offsets takes the linear interpolation in ``|ln(K/S)|`` on its side.
Imports numpy and pandas only (no scikit-learn or torch): the inference path uses it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from aegis.errors import InsufficientHistoryError
from aegis.models.datasets import build_dataset, climatology_table


@dataclass(frozen=True)
class Climatology:
    """Event frequency ``value`` over ``n`` settled events from ``first`` to ``last`` (sessions).

    ``by_key``: breach only, ``{(offset, event): frequency}``.
    """

    name: str
    value: float
    n: int
    first: dt.date
    last: dt.date
    by_key: dict[tuple[float, str], float] | None = None

    def breach(self, spot: float, strikes: NDArray[np.float64], event: str
               ) -> NDArray[np.float64]:
        """Frequencies for ``strikes`` (points) and ``event`` (``touch`` or ``close``)."""
        if self.by_key is None:
            raise KeyError(f"climatology of {self.name!r} has no per-strike frequencies")
        out = np.empty(len(strikes))
        distance = np.asarray(strikes, dtype=np.float64) / spot - 1.0
        for side in (-1.0, 1.0):
            grid = sorted(abs(o) for o, e in self.by_key if e == event and np.sign(o) == side)
            values = [self.by_key[(side * g, event)] for g in grid]
            mask = np.sign(distance) == side if side > 0 else distance <= 0
            out[mask] = np.interp(np.abs(distance[mask]), grid, values)
        return out


def climatology(
    name: str, nifty: pd.DataFrame, vix: pd.DataFrame, features: pd.DataFrame
) -> Climatology:
    """The climatology of model ``name``'s event on this history (all settled rows).

    Raises
    ------
    InsufficientHistoryError
        When no event has settled yet.
    """
    data = build_dataset(name, nifty, vix, features)
    if len(data) == 0:
        raise InsufficientHistoryError(f"climatology of {name}: no settled event in the history")
    sessions = pd.DatetimeIndex(data.session)
    return Climatology(
        name=name,
        value=float(np.mean(data.y)),
        n=len(data) if data.extra is None else int(sessions.nunique()),
        first=sessions.min().date(),
        last=pd.DatetimeIndex(data.label_end).max().date(),
        by_key=climatology_table(data) if data.extra is not None else None,
    )


__all__ = ["Climatology", "climatology"]

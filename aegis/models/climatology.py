"""Climatology: the event frequency of everything settled so far, the forecast a model must beat.

One definition for the gate, the backtest and the snapshot: the labels of
:func:`aegis.models.datasets.build_dataset` (the same events the models learn), counted over
every row whose outcome has settled. Breach events are counted per strike offset and event, and
a listed strike between two offsets takes the linear interpolation in ``|ln(K/S)|`` on its side.

The nightly retrain computes it once per model and writes :class:`ClimatologyFile`
(``<output>/climatology.json``, beside ``rates.json``); the 30-minute inference reads that file
(:func:`read_climatology_file`) and never rebuilds a training dataset. Imports numpy, pandas and
pydantic only (no scikit-learn or torch); the datasets are imported by :func:`climatology`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field

from aegis.errors import ClimatologyFileError, InsufficientHistoryError


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
    note: str = ""
    """Empty when read from the nightly file; else where the figure came from and why."""

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
    from aegis.models.datasets import build_dataset, climatology_table

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


# --- the nightly file -------------------------------------------------------------------
class BreachFrequency(BaseModel):
    """One breach climatology cell: the frequency of ``event`` at strike ``offset`` (fraction of
    spot, e.g. -0.02 for 2 % below)."""

    model_config = ConfigDict(extra="forbid")
    offset: float = Field(ge=-1, le=1)
    event: Literal["touch", "close"]
    frequency: float = Field(ge=0, le=1)


class ClimatologyRecord(BaseModel):
    """One model's climatology as the retrain computed it (see :class:`Climatology`)."""

    model_config = ConfigDict(extra="forbid")
    value: float = Field(ge=0, le=1, description="Event frequency over every settled row")
    n: int = Field(ge=1, description="Settled events (breach: sessions)")
    first: dt.date = Field(description="First session counted")
    last: dt.date = Field(description="Last session whose outcome settled")
    by_strike: list[BreachFrequency] | None = Field(
        default=None, description="Breach only: the frequency per strike offset and event")

    def to_climatology(self, name: str) -> Climatology:
        table: dict[tuple[float, str], float] | None = (
            None if self.by_strike is None
            else {(c.offset, str(c.event)): c.frequency for c in self.by_strike})
        return Climatology(name=name, value=self.value, n=self.n, first=self.first,
                           last=self.last, by_key=table)

    @classmethod
    def of(cls, clim: Climatology) -> ClimatologyRecord:
        cells = (None if clim.by_key is None else
                 [BreachFrequency(offset=o, event=e, frequency=f)  # type: ignore[arg-type]
                  for (o, e), f in sorted(clim.by_key.items())])
        return cls(value=clim.value, n=clim.n, first=clim.first, last=clim.last,
                   by_strike=cells)


class ClimatologyFile(BaseModel):
    """``<output>/climatology.json``: every model's climatology, written by the nightly retrain
    (:func:`aegis.pipeline.nightly.recompute_climatology`) from the validated features."""

    model_config = ConfigDict(extra="forbid")
    schema_version: Literal[1] = 1
    computed_at: dt.datetime = Field(description="When the retrain computed it (aware, UTC)")
    as_of: dt.date = Field(description="The last validated session of the history it counted")
    features_sha256: str | None = Field(
        default=None, description="sha256 of the validated feature table it was computed on")
    models: dict[str, ClimatologyRecord]
    skipped: dict[str, str] = Field(
        default_factory=dict, description="Models without a climatology, and why")


def read_climatology_file(path: Path) -> ClimatologyFile:
    """The nightly climatology file, validated.

    Raises
    ------
    ClimatologyFileError
        Missing, not JSON or wrongly shaped, naming the file and the fields at fault.
    """
    from aegis.jsonfile import read_model

    if not path.is_file():
        raise ClimatologyFileError(f"{path}: expected the nightly climatology file; not found "
                                   "(written by the retrain's recompute_rates stage)")
    return read_model(path, ClimatologyFile, "climatology file", ClimatologyFileError)


__all__ = ["BreachFrequency", "Climatology", "ClimatologyFile", "ClimatologyRecord", "climatology",
           "read_climatology_file"]

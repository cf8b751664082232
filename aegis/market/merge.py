"""Merging overlapping files of one series into one frame.

Precedence: ``nse`` > ``unknown`` (also ``upstox``) > ``yahoo``. Exchange-sourced files carry the
official closes and the special sessions (Muhurat, Saturday sessions) that Yahoo omits; a file of
unknown origin is preferred to Yahoo, whose history carries float32 noise and zero volumes.
Between files of equal rank the one given first wins. The result is the union of sessions;
each session's row comes whole from the highest-ranked file that has it.

A conflict is a session where two files' closes differ by more than :data:`CLOSE_TOLERANCE`
(relative); every conflict is reported, and the higher-ranked file's value is kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from aegis.errors import MergeConflictError
from aegis.market.loaders import LoadResult

CLOSE_TOLERANCE = 1e-4
SOURCE_RANK = {"nse": 0, "unknown": 1, "upstox": 1, "yahoo": 2}


@dataclass(frozen=True)
class Conflict:
    """Two files disagree on ``column`` at ``at`` beyond the tolerance; ``kept`` won."""

    at: str
    column: str
    kept: float
    kept_path: str
    other: float
    other_path: str
    relative_difference: float

    def to_json(self) -> dict[str, object]:
        return dict(self.__dict__)


@dataclass
class MergedSeries:
    """One series from several files: frame, reported conflicts, and the files in rank order."""

    frame: pd.DataFrame
    conflicts: list[Conflict] = field(default_factory=list)
    sources: list[tuple[Path, str]] = field(default_factory=list)


def merge_series(results: Sequence[LoadResult]) -> MergedSeries:
    """Union of the sessions of ``results`` (one series), by the module's precedence.

    Raises
    ------
    MergeConflictError
        The results are of different kinds, or name two different symbols.
    """
    if not results:
        raise MergeConflictError("merge_series() needs at least one loaded file")
    kinds = {r.kind for r in results}
    symbols = {r.symbol for r in results if r.symbol is not None}
    if len(kinds) > 1 or len(symbols) > 1:
        listing = ", ".join(f"{r.path.name}={r.kind}/{r.symbol}" for r in results)
        raise MergeConflictError(f"cannot merge files of different series: {listing}")
    order = sorted(range(len(results)),
                   key=lambda i: (SOURCE_RANK.get(results[i].source, 1), i))
    ranked = [results[i] for i in order]
    parts = []
    for rank, r in enumerate(ranked):
        part = r.frame.copy()
        part["_rank"] = rank
        parts.append(part)
    stacked = pd.concat(parts)
    index_name = ranked[0].frame.index.name
    stacked.index.name = index_name
    stacked = stacked.reset_index().sort_values([index_name, "_rank"], kind="stable")
    conflicts = _conflicts(stacked, index_name, ranked)
    merged = stacked.drop_duplicates(index_name, keep="first").set_index(index_name)
    merged = merged.drop(columns="_rank")
    merged.attrs["symbol"] = next(iter(symbols)) if symbols else None
    return MergedSeries(merged, conflicts, [(r.path, r.source) for r in ranked])


def _conflicts(stacked: pd.DataFrame, key: str, ranked: list[LoadResult]) -> list[Conflict]:
    shared = stacked[stacked.duplicated(key, keep=False)]
    if shared.empty:
        return []
    first = shared.groupby(key, sort=False)[["close", "_rank"]].transform("first")
    rel = (shared["close"] - first["close"]).abs() / first["close"].abs()
    bad = shared[(rel > CLOSE_TOLERANCE).to_numpy()]
    out = []
    for i, row in bad.iterrows():
        kept_rank = int(first.loc[i, "_rank"])
        at = row[key]
        out.append(Conflict(
            at=at.date().isoformat() if key == "session" else at.isoformat(),
            column="close", kept=float(first.loc[i, "close"]),
            kept_path=str(ranked[kept_rank].path), other=float(row["close"]),
            other_path=str(ranked[int(row["_rank"])].path),
            relative_difference=float(np.round(rel.loc[i], 8)),
        ))
    return out

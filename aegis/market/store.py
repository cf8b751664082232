"""The market-data store: partitioned Parquet under the data directory, idempotent upserts.

Layout: ``<root>/series=<name>/year=<yyyy>/part.parquet``. A row's key is its series and time
(``session`` for daily series, ``timestamp`` for intraday and chains) plus, for option series,
``expiry, strike, option_type``. Upserting the same rows again changes nothing on disk: a
partition is rewritten only when one of its rows is new or different.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from aegis.errors import StoreError

SERIES_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
TIME_COLUMNS = ("session", "timestamp", "expiry")
CONTRACT_KEYS = ("expiry", "strike", "option_type")


@dataclass(frozen=True)
class UpsertResult:
    """Row counts of one upsert."""

    inserted: int
    updated: int
    unchanged: int


def _key_columns(frame: pd.DataFrame) -> list[str]:
    time_col = next((c for c in TIME_COLUMNS if c in frame.columns), None)
    if time_col is None:
        raise StoreError(f"store rows need one of the time columns {TIME_COLUMNS}; "
                         f"got {list(frame.columns)}")
    return [time_col] + [c for c in CONTRACT_KEYS if c in frame.columns and c != time_col]


def _flat(frame: pd.DataFrame) -> pd.DataFrame:
    """Named index (session/timestamp) becomes a column."""
    if frame.index.name in TIME_COLUMNS:
        return frame.reset_index()
    return frame.reset_index(drop=True)


class MarketStore:
    """Partitioned Parquet store rooted at ``root`` (usually ``Settings().resolved_data_dir``)."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def _series_dir(self, series: str) -> Path:
        if not SERIES_NAME.match(series):
            raise StoreError(f"series name must match {SERIES_NAME.pattern}; got {series!r}")
        return self.root / f"series={series}"

    def upsert(self, series: str, frame: pd.DataFrame) -> UpsertResult:
        """Insert new rows and replace changed rows of ``series``; identical rows are untouched."""
        rows = _flat(frame)
        if rows.empty:
            return UpsertResult(0, 0, 0)
        keys = _key_columns(rows)
        if rows.duplicated(keys).any():
            raise StoreError(f"{series}: the rows to upsert repeat keys {keys}")
        years = pd.DatetimeIndex(rows[keys[0]]).year
        inserted = updated = unchanged = 0
        for year, new in rows.groupby(years):
            path = self._series_dir(series) / f"year={year}" / "part.parquet"
            old = pd.read_parquet(path) if path.exists() else new.iloc[0:0]
            ins, upd, same, combined = _combine(old, new, keys)
            inserted, updated, unchanged = inserted + ins, updated + upd, unchanged + same
            if ins or upd:
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp = path.with_suffix(".tmp")
                combined.to_parquet(tmp, index=False)
                os.replace(tmp, path)
        return UpsertResult(inserted, updated, unchanged)

    def read(self, series: str) -> pd.DataFrame:
        """All rows of ``series``, sorted by key, indexed by ``session``/``timestamp`` if any."""
        folder = self._series_dir(series)
        parts = sorted(folder.glob("year=*/part.parquet"))
        if not parts:
            raise StoreError(f"series {series!r} is not in the store at {self.root}; "
                             f"present: {self.names()}")
        frame = pd.concat([pd.read_parquet(p) for p in parts], ignore_index=True)
        keys = _key_columns(frame)
        frame = frame.sort_values(keys, kind="stable").reset_index(drop=True)
        if keys[0] in ("session", "timestamp") and len(keys) == 1:
            frame = frame.set_index(keys[0])
        return frame

    def names(self) -> list[str]:
        """Series present in the store."""
        if not self.root.is_dir():
            return []
        return sorted(p.name.split("=", 1)[1] for p in self.root.glob("series=*") if p.is_dir())

    def summary(self) -> list[dict[str, Any]]:
        """Per series: name, rows, first, last (ISO), partitions, bytes on disk."""
        out = []
        for name in self.names():
            frame = _flat(self.read(name))
            col = frame[_key_columns(frame)[0]]
            parts = list(self._series_dir(name).glob("year=*/part.parquet"))
            iso = (lambda t: t.date().isoformat()) if col.name == "session" else \
                (lambda t: t.isoformat())
            out.append({
                "series": name, "rows": len(frame),
                "first": iso(col.min()) if len(col) else None,
                "last": iso(col.max()) if len(col) else None,
                "partitions": len(parts), "bytes": sum(p.stat().st_size for p in parts),
            })
        return out


def _combine(old: pd.DataFrame, new: pd.DataFrame, keys: list[str]
             ) -> tuple[int, int, int, pd.DataFrame]:
    """Counts of inserted / updated / unchanged rows and the combined partition."""
    if list(old.columns) != list(new.columns) and not old.empty:
        missing = set(new.columns) ^ set(old.columns)
        if missing:
            raise StoreError(f"columns differ from the stored ones: {sorted(missing)}")
        new = new[list(old.columns)]
    old_idx = old.set_index(keys)
    new_idx = new.set_index(keys)
    common = new_idx.index.isin(old_idx.index)
    inserted = int((~common).sum())
    updated = 0
    if common.any():
        a = new_idx[common]
        b = old_idx.loc[a.index, a.columns]
        same = np.ones(len(a), dtype=bool)
        for c in a.columns:
            x, y = a[c].to_numpy(), b[c].to_numpy()
            eq = pd.Series(x == y).fillna(False).to_numpy(dtype=bool, copy=True)
            eq |= pd.isna(x) & pd.isna(y)
            same &= eq
        updated = int((~same).sum())
    unchanged = int(common.sum()) - updated
    if inserted == 0 and updated == 0:
        return 0, 0, unchanged, old
    combined = pd.concat([old_idx[~old_idx.index.isin(new_idx.index)], new_idx])
    combined = combined.sort_index(kind="stable").reset_index()
    return inserted, updated, unchanged, combined

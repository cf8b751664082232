"""The market-data store: partitioned Parquet under the data directory, safe upserts.

Layout: ``<root>/series=<name>/year=<yyyy>/part.parquet``. A row's key is its series and time
(``session`` for daily series, ``timestamp`` for intraday and chains) plus, for option series,
``expiry, strike, option_type``. Upserting the same rows again changes nothing on disk: a
partition is rewritten only when one of its rows is new or different.

Safety (issue 12): every write holds an exclusive ``fcntl`` lock per series, so concurrent
ingests serialise; every file is written under a unique temp name, fsynced and renamed, so a
kill leaves the old or the new partition; what a write replaces is kept first as a revision
(:mod:`aegis.market.revisions`), so it can be reverted; an implausible close, new or revised,
is held as a conflict instead of applied.

A batch is all-or-nothing across partitions (issue 22): a pending marker is written before its
first partition and removed after its audit line, so a batch killed in between is found by the
next write to the series (under the lock), rolled back from its revision, and recorded in the
audit trail (``aegis data history`` lists it as ``recover``; until then as ``interrupted``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from aegis.atomic import exclusive_lock
from aegis.errors import StoreError
from aegis.market import plausibility
from aegis.market import revisions as rev
from aegis.market.hours import CLOSE_AFTER_MIDNIGHT, MARKET_TZ

SERIES_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
TIME_COLUMNS = ("session", "timestamp", "expiry")
CONTRACT_KEYS = ("expiry", "strike", "option_type")
PART = "part.parquet"
LOCKS_DIR = "_locks"


@dataclass(frozen=True)
class UpsertResult:
    """Row counts of one upsert; ``held`` revisions were not applied (see :meth:`conflicts`)."""

    inserted: int
    updated: int
    unchanged: int
    held: int = 0
    refused: tuple[dict[str, str], ...] = ()
    """Rows not stored because they had not happened at the upsert's moment (key, reason)."""


def _not_happened(rows: pd.DataFrame, column: str, now: datetime) -> pd.Series:
    """Per row, why it has not happened at ``now`` (None where it has).

    ``session`` rows are daily bars, final only after the session's 15:30 IST close;
    ``timestamp`` rows must be stamped at or before ``now``; ``expiry`` keys (the contract
    master) are the future by nature and always pass.
    """
    moment = pd.Timestamp(now).tz_convert(MARKET_TZ)
    when = moment.isoformat(timespec="minutes")
    out = pd.Series(None, index=rows.index, dtype=object)
    if column == "session":
        days = pd.DatetimeIndex(rows[column])
        naive = days.tz_convert(MARKET_TZ).tz_localize(None) if days.tz is not None else days
        closes = (naive.normalize() + CLOSE_AFTER_MIDNIGHT).tz_localize(MARKET_TZ)
        late = np.asarray(closes > moment)
        out[late] = (f"the session has not closed at {when} (IST): a daily bar is final only "
                     "after its 15:30 IST close; the session in progress lives in its "
                     "intraday bars")
    elif column == "timestamp":
        stamps = pd.DatetimeIndex(rows[column])
        aware = stamps if stamps.tz is not None else stamps.tz_localize(MARKET_TZ)
        late = np.asarray(aware > moment)
        out[late] = f"stamped after now ({when} IST): it has not happened"
    return out


def _undo(table: pd.DataFrame, label: str) -> tuple[list[str], pd.DataFrame, pd.DataFrame]:
    """(keys, rows to put, keys to remove) that undo the revision ``table``: changed and
    deleted rows get their old values back, inserted rows go."""
    keys = [c for c in table.columns if not c.startswith(("old.", "new.", "_"))]
    values = [c[4:] for c in table.columns if c.startswith("old.")]
    restore = table[table[rev.ACTION] != "insert"]
    put = restore[keys].copy()
    for c in values:
        put[c] = restore["old." + c].to_numpy()
    put[rev.FILE] = pd.Series(label, index=put.index, dtype="string")
    return keys, put, table.loc[table[rev.ACTION] == "insert", keys]


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


def _read_arrow(path: Path) -> Any:
    """One Parquet file as an Arrow table, on this thread: the store's files are small (a
    partition is a year of daily rows), so the reader's thread pool and pre-buffering cost
    more than they save (~40 % of the 37 daily partitions' read)."""
    import pyarrow.parquet as pq

    return pq.ParquetFile(path, pre_buffer=False).read(use_threads=False)


def read_parquet_file(path: Path) -> pd.DataFrame:
    """One Parquet file as a frame: what ``pd.read_parquet(path)`` returns (same columns,
    dtypes and index; ``tests/unit/test_parquet_reader.py``), read through
    :class:`pyarrow.parquet.ParquetFile` rather than ``pyarrow.dataset``, which
    ``pd.read_parquet`` loads (~7 ms of import) and plans a scan with for every call: the
    30-minute publish reads ~40 small files."""
    return _read_arrow(path).to_pandas()


def _read_part_table(path: Path) -> Any:
    import pyarrow as pa

    try:
        return _read_arrow(path)
    except (OSError, ValueError, pa.ArrowException) as exc:
        raise StoreError(f"{path}: expected a readable Parquet partition; {exc}") from exc


def _read_part(path: Path) -> pd.DataFrame:
    return _read_part_table(path).to_pandas()


def read_parquet_parts(parts: list[Path]) -> pd.DataFrame:
    """The partitions ``parts`` as one frame (rows in their order).

    Each partition is read once; partitions of one schema (the usual case) are concatenated
    as Arrow tables and converted once; partitions whose schemas differ (a column added
    later) are converted one by one and concatenated, each missing column NaN. An unreadable
    partition is named.
    """
    import pyarrow as pa

    tables = [_read_part_table(p) for p in parts]
    if all(t.schema.equals(tables[0].schema) for t in tables[1:]):
        # One table, converted once (a partition's RangeIndex metadata no longer fits the
        # concatenation, so pyarrow gives the default index, as the dataset read did).
        try:
            return pa.concat_tables(tables).to_pandas()
        except (ValueError, pa.ArrowException) as exc:
            raise StoreError(f"{parts[0].parent.parent}: expected readable Parquet "
                             f"partitions; {exc}") from exc
    return pd.concat([t.to_pandas() for t in tables], ignore_index=True)


def _same(a: pd.DataFrame, b: pd.DataFrame) -> np.ndarray:
    """Row-wise equality of two aligned frames (NaN equals NaN)."""
    same = np.ones(len(a), dtype=bool)
    for c in a.columns:
        x, y = a[c].to_numpy(), b[c].to_numpy()
        eq = pd.Series(x == y).fillna(False).to_numpy(dtype=bool, copy=True)
        eq |= pd.isna(x) & pd.isna(y)
        same &= eq
    return same


class MarketStore:
    """Partitioned Parquet store rooted at ``root`` (usually ``Settings().resolved_data_dir``)."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def _series_dir(self, series: str) -> Path:
        if not SERIES_NAME.match(series):
            raise StoreError(f"series name must match {SERIES_NAME.pattern}; got {series!r}")
        return self.root / f"series={series}"

    def _part(self, series: str, year: int) -> Path:
        return self._series_dir(series) / f"year={year}" / PART

    @contextmanager
    def lock(self, series: str) -> Iterator[None]:
        """Exclusive lock on ``series`` (blocks until free); inside it, stray temp files are
        removed and an interrupted batch of ``series`` is rolled back (:meth:`_recover`)."""
        with exclusive_lock(self.root / LOCKS_DIR / f"{series}.lock"):
            rev.remove_stray_temps(self._series_dir(series))
            rev.remove_stray_temps(self.root / rev.PENDING_DIR / f"series={series}")
            self._recover(series)
            yield

    def _recover(self, series: str) -> None:
        """Roll back every interrupted batch of ``series`` (newest first), with an audit line.

        A batch is interrupted when its pending marker outlived it (a kill between its first
        partition and its audit line). Its revision holds each touched row's old value, so
        putting those back (and removing the rows it inserted) restores every partition as it
        was, whichever of them the batch had already replaced.
        """
        for pending in rev.pending_batches(self.root, series):
            batch = str(pending["batch"])
            path = rev.revision_path(self.root, series, batch)
            extra = {"recovers": batch, "interrupted": pending.get("action", "?"),
                     "started": pending.get("started")}
            if path.exists():
                keys, put, remove = _undo(pd.read_parquet(path), f"rollback of {batch}")
                self._write_batch(series, keys, put, remove, action="recover",
                                  batch=rev.new_batch_id(), always_audit=True,
                                  extra={**extra, "note": "interrupted batch rolled back"})
            else:
                rev.append_audit(self.root, {"action": "recover", "series": series,
                                             "batch": rev.new_batch_id(), **extra,
                                             "note": "interrupted before any partition "
                                                     "was written: nothing to roll back"})
            Path(str(pending["marker"])).unlink(missing_ok=True)

    # --- writing ------------------------------------------------------------------------
    def upsert(self, series: str, frame: pd.DataFrame, *,
               files: pd.Series | str | None = None,
               now: datetime | None = None) -> UpsertResult:
        """Insert new rows and replace changed rows of ``series``; identical rows are untouched.

        Parameters
        ----------
        files : the file each row came from (a Series aligned with ``frame``'s rows, or one
            path for all); recorded with the revision.
        now : the moment of the upsert (aware; default the system clock). A daily bar of a
            session whose 15:30 IST close is after it, or a time-stamped row after it, has not
            happened: it is refused (``UpsertResult.refused``, key and reason), whatever the
            source (files, the simulator, the live feed) and the machine's time zone.

        A changed close that moves more than :data:`~aegis.market.revisions.PLAUSIBLE_MOVE`
        against both its stored neighbours is held as a conflict, not applied.
        """
        rows = _flat(frame)
        if rows.empty:
            return UpsertResult(0, 0, 0)
        keys = _key_columns(rows)
        future = _not_happened(rows, keys[0], now if now is not None else datetime.now(UTC))
        refused = tuple(
            {keys[0]: pd.Timestamp(t).isoformat(), "reason": why}
            for t, why in zip(rows.loc[future.notna(), keys[0]], future.dropna(), strict=True))
        if refused:
            files = files[(future.isna()).to_numpy()] if isinstance(files, pd.Series) else files
            rows = rows[future.isna()].reset_index(drop=True)
            if rows.empty:
                return UpsertResult(0, 0, 0, refused=refused)
        if rows.duplicated(keys).any():
            raise StoreError(f"{series}: the rows to upsert repeat keys {keys}")
        rows[rev.FILE] = (files.to_numpy() if isinstance(files, pd.Series)
                          else files if files is not None else pd.NA)
        rows[rev.FILE] = rows[rev.FILE].astype("string")
        with self.lock(series):
            inserts, changed_new, changed_old, unchanged = self._diff(series, rows, keys)
            hold_new, why_new = self._implausible(series, keys, None, inserts, rows)
            hold, why = self._implausible(series, keys, changed_old, changed_new, rows)
            batch = rev.new_batch_id()
            held = int(hold.sum() + hold_new.sum())
            if held:
                tables = []
                if hold_new.any():
                    ins = inserts[hold_new]
                    tables.append(rev.side_by_side(ins[keys], None, ins.drop(
                        columns=[*keys, rev.FILE]), "held", ins[rev.FILE]).assign(
                        **{rev.REASON: why_new[hold_new]}))
                if hold.any():
                    held_new, held_old = changed_new[hold], changed_old[hold]
                    tables.append(rev.side_by_side(held_new[keys], held_old, held_new.drop(
                        columns=[*keys, rev.FILE]), "held", held_new[rev.FILE]).assign(
                        **{rev.REASON: why[hold]}))
                rev.write_parquet_durable(rev.conflict_path(self.root, series, batch),
                                          pd.concat(tables, ignore_index=True))
            put = pd.concat([inserts[~hold_new], changed_new[~hold]], ignore_index=True)
            counts = self._write_batch(series, keys, put, None, action="upsert", batch=batch,
                                       extra={"held": held})
        return UpsertResult(counts["inserted"], counts["updated"], unchanged, held, refused)

    def delete(self, series: str, start: str, end: str) -> dict[str, Any]:
        """Remove the rows of ``series`` dated ``start`` .. ``end`` (inclusive, IST dates).

        The removed rows are kept as a revision; ``revert`` brings them back.
        """
        lo, hi = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
        if hi < lo:
            raise StoreError(f"delete {series}: --from {start} is after --to {end}")
        with self.lock(series):
            frame = _flat(self.read(series))
            keys = _key_columns(frame)
            t = frame[keys[0]]
            days = (t.dt.tz_convert(MARKET_TZ).dt.tz_localize(None)
                    if isinstance(t.dtype, pd.DatetimeTZDtype) else t).dt.normalize()
            gone = frame.loc[(days >= lo) & (days <= hi), keys]
            batch = rev.new_batch_id()
            counts = self._write_batch(series, keys, None, gone, action="delete", batch=batch,
                                       extra={"from": lo.date().isoformat(),
                                              "to": hi.date().isoformat()})
        return {"series": series, "batch": batch, **counts}

    def revert(self, batch: str) -> dict[str, Any]:
        """Undo one batch (upsert, delete, accept or revert): rows back to their old values."""
        series, path = rev.find_batch(self.root, rev.REVISIONS_DIR, batch)
        table = pd.read_parquet(path)
        with self.lock(series):
            keys, put, remove = _undo(table, f"revert of {batch}")
            new = rev.new_batch_id()
            counts = self._write_batch(series, keys, put, remove, action="revert", batch=new,
                                       extra={"reverts": batch})
        return {"series": series, "batch": new, "reverts": batch, **counts}

    def accept(self, batch: str) -> dict[str, Any]:
        """Apply the held conflicts of ``batch`` after review (the old values become a revision)."""
        series, path = rev.find_batch(self.root, rev.CONFLICTS_DIR, batch)
        table = pd.read_parquet(path)
        with self.lock(series):
            keys = [c for c in table.columns if not c.startswith(("old.", "new.", "_"))]
            put = table[keys].copy()
            for c in (c for c in table.columns if c.startswith("new.")):
                put[c[4:]] = table[c].to_numpy()
            put[rev.FILE] = table[rev.FILE].astype("string").to_numpy()
            new = rev.new_batch_id()
            counts = self._write_batch(series, keys, put, None, action="accept", batch=new,
                                       extra={"accepts": batch})
            self._resolve(path)
        return {"series": series, "batch": new, "accepts": batch, **counts}

    def dismiss(self, batch: str) -> dict[str, Any]:
        """Drop the held conflicts of ``batch`` (the stored values stay; the file is kept)."""
        series, path = rev.find_batch(self.root, rev.CONFLICTS_DIR, batch)
        with self.lock(series):
            self._resolve(path)
            line = rev.append_audit(self.root, {"action": "dismiss", "series": series,
                                                "batch": batch})
        return line

    @staticmethod
    def _resolve(path: Path) -> None:
        done = path.parent / rev.RESOLVED_DIR / path.name
        done.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, done)

    def _diff(self, series: str, rows: pd.DataFrame, keys: list[str]
              ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, int]:
        """(rows to insert, changed rows' new values, their old values, unchanged count)."""
        inserts, new_parts, old_parts, unchanged = [], [], [], 0
        years = pd.DatetimeIndex(rows[keys[0]]).year
        for year, new in rows.groupby(years):
            path = self._part(series, int(year))
            old = _read_part(path) if path.exists() else new.iloc[0:0].drop(columns=rev.FILE)
            values = [c for c in new.columns if c not in keys and c != rev.FILE]
            if not old.empty and set(values) ^ (set(old.columns) - set(keys)):
                raise StoreError(f"{path}: columns differ from the stored ones: "
                                 f"{sorted(set(values) ^ (set(old.columns) - set(keys)))}")
            old_idx, new_idx = old.set_index(keys), new.set_index(keys)
            common = new_idx.index.isin(old_idx.index)
            inserts.append(new_idx[~common].reset_index())
            a = new_idx[common]
            b = old_idx.loc[a.index, values]
            same = _same(a[values], b)
            unchanged += int(same.sum())
            new_parts.append(a[~same].reset_index())
            old_parts.append(b[~same].reset_index(drop=True))
        return (pd.concat(inserts, ignore_index=True), pd.concat(new_parts, ignore_index=True),
                pd.concat(old_parts, ignore_index=True), unchanged)

    def _implausible(self, series: str, keys: list[str], old: pd.DataFrame | None,
                     new: pd.DataFrame, batch: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """Which rows to hold, and why (:func:`aegis.market.plausibility.held_for_review`,
        against the stored closes of the years the rows fall in and the years beside them)."""
        near = (self._closes_near(series, keys[0], pd.DatetimeIndex(new[keys[0]]).year)
                if len(keys) == 1 and not new.empty and "close" in new.columns
                else pd.Series(dtype=float))
        return plausibility.held_for_review(series, keys, old, new, batch, near)

    def _closes_near(self, series: str, col: str, years: pd.Index) -> pd.Series:
        """Stored closes of the partitions of ``years`` and the years beside them."""
        wanted = sorted({int(y) + d for y in set(years) for d in (-1, 0, 1)})
        parts = [self._part(series, y) for y in wanted]
        frames = [_read_part(p)[[col, "close"]] for p in parts if p.exists()]
        if not frames:
            return pd.Series(dtype=float)
        stored = pd.concat(frames, ignore_index=True)
        return pd.Series(stored["close"].to_numpy(dtype=float),
                         index=pd.DatetimeIndex(stored[col]))

    def _write_batch(self, series: str, keys: list[str], put: pd.DataFrame | None,
                     remove: pd.DataFrame | None, *, action: str, batch: str,
                     extra: dict[str, Any], always_audit: bool = False) -> dict[str, int]:
        """Apply ``put`` (insert/replace) and ``remove`` (keys) under the held lock: the
        pending marker, the revision, each partition, the audit line, then the marker goes.
        ``always_audit`` writes the audit line even when no row changed (a recovery)."""
        put = put if put is not None else pd.DataFrame(columns=[*keys, rev.FILE])
        remove = remove if remove is not None else pd.DataFrame(columns=keys)
        plan: list[tuple[Path, pd.DataFrame | None]] = []
        revs: list[pd.DataFrame] = []
        counts = {"inserted": 0, "updated": 0, "deleted": 0}
        all_years = set(pd.DatetimeIndex(put[keys[0]]).year) | set(
            pd.DatetimeIndex(remove[keys[0]]).year)
        for year in sorted(all_years):
            path = self._part(series, int(year))
            p = put[pd.DatetimeIndex(put[keys[0]]).year == year]
            r = remove[pd.DatetimeIndex(remove[keys[0]]).year == year]
            old = _read_part(path) if path.exists() else None
            values = [c for c in p.columns if c not in keys and c != rev.FILE] or (
                [c for c in old.columns if c not in keys] if old is not None else [])
            old_idx = (old.set_index(keys) if old is not None
                       else pd.DataFrame(columns=[*keys, *values]).set_index(keys))
            p_idx = p.set_index(keys)
            there = (p_idx.index.isin(old_idx.index) if len(old_idx)
                     else np.zeros(len(p_idx), dtype=bool))
            if there.any():
                before = old_idx.loc[p_idx.index[there], values]
                changed = ~_same(p_idx.loc[there, values], before)
                upd = p_idx[there][changed]
                revs.append(rev.side_by_side(upd.index.to_frame(index=False),
                                             before[changed], upd[values], "update",
                                             upd[rev.FILE]))
                counts["updated"] += int(changed.sum())
            ins = p_idx[~there]
            if len(ins):
                revs.append(rev.side_by_side(ins.index.to_frame(index=False), None,
                                             ins[values], "insert", ins[rev.FILE]))
                counts["inserted"] += len(ins)
            r_idx = pd.MultiIndex.from_frame(r) if len(keys) > 1 else pd.Index(r[keys[0]])
            gone = old_idx.index.isin(r_idx) if len(r) else np.zeros(len(old_idx), dtype=bool)
            if gone.any():
                dropped = old_idx[gone]
                revs.append(rev.side_by_side(dropped.index.to_frame(index=False),
                                             dropped[values], None, "delete", None))
                counts["deleted"] += int(gone.sum())
            if not (len(ins) or gone.any() or (there.any() and changed.any())):
                continue
            kept = old_idx[~gone & ~old_idx.index.isin(p_idx.index)] if len(old_idx) else old_idx
            pieces = [x for x in (kept, p_idx[values] if len(p_idx) else kept.iloc[0:0])
                      if len(x)]
            plan.append((path, pd.concat(pieces).sort_index(kind="stable").reset_index()
                         if pieces else None))
        files = sorted({str(f) for f in put[rev.FILE].dropna().unique()})
        line = {"action": action, "series": series, "batch": batch, **counts, **extra,
                "files": files}
        if not plan:
            if always_audit:
                rev.append_audit(self.root, line)
            return counts
        marker = rev.mark_pending(self.root, series, batch, action, [p for p, _ in plan])
        rev.write_parquet_durable(rev.revision_path(self.root, series, batch),
                                  pd.concat(revs, ignore_index=True))
        for path, combined in plan:
            if combined is None:
                path.unlink(missing_ok=True)
            else:
                rev.write_parquet_durable(path, combined)
        rev.append_audit(self.root, line)
        marker.unlink()
        return counts

    # --- reading ------------------------------------------------------------------------
    def read(self, series: str) -> pd.DataFrame:
        """All rows of ``series``, sorted by key, indexed by ``session``/``timestamp`` if any."""
        folder = self._series_dir(series)
        parts = sorted(folder.glob(f"year=*/{PART}"))
        if not parts:
            raise StoreError(f"series {series!r} is not in the store at {self.root}; "
                             f"present: {self.names()}")
        frame = read_parquet_parts(parts)
        keys = _key_columns(frame)
        frame = frame.sort_values(keys, kind="stable").reset_index(drop=True)
        if keys[0] in ("session", "timestamp") and len(keys) == 1:
            frame = frame.set_index(keys[0])
        return frame

    def names(self) -> list[str]:
        """Series present in the store (with at least one partition)."""
        if not self.root.is_dir():
            return []
        return sorted(p.name.split("=", 1)[1] for p in self.root.glob("series=*")
                      if p.is_dir() and any(p.glob(f"year=*/{PART}")))

    def history(self) -> list[dict[str, Any]]:
        """The audit trail, oldest first: one line per batch (who, when, what, files), then
        each interrupted batch not yet rolled back (``action: interrupted``; the next write to
        its series rolls it back and records a ``recover`` line)."""
        pending = [{"action": "interrupted", "at": p.get("started"), "series": p.get("series"),
                    "batch": p.get("batch"), "interrupted": p.get("action"),
                    "partitions": p.get("partitions", []),
                    "note": "killed mid-batch; rolled back at the next write to the series"}
                   for p in reversed(rev.pending_batches(self.root))]
        return rev.read_audit(self.root) + pending

    def conflicts(self) -> list[dict[str, Any]]:
        """Held revisions awaiting review: one entry per row, with its batch and reason."""
        out = []
        for folder in sorted((self.root / rev.CONFLICTS_DIR).glob("series=*")):
            for batch, table in rev.read_batches(folder).items():
                keys = [c for c in table.columns if not c.startswith(("old.", "new.", "_"))]
                for row in table.to_dict("records"):
                    at = pd.Timestamp(row[keys[0]])
                    out.append({"batch": batch, "series": folder.name.split("=", 1)[1],
                                "at": at.date().isoformat() if keys[0] == "session"
                                else at.isoformat(), "old_close": row.get("old.close"),
                                "new_close": row.get("new.close"), "file": row[rev.FILE],
                                "reason": row[rev.REASON]})
        return out

    def summary(self) -> list[dict[str, Any]]:
        """Per series: name, rows, first, last (ISO), partitions, bytes on disk."""
        out = []
        for name in self.names():
            frame = _flat(self.read(name))
            col = frame[_key_columns(frame)[0]]
            parts = list(self._series_dir(name).glob(f"year=*/{PART}"))
            iso = (lambda t: t.date().isoformat()) if col.name == "session" else \
                (lambda t: t.isoformat())
            out.append({
                "series": name, "rows": len(frame),
                "first": iso(col.min()) if len(col) else None,
                "last": iso(col.max()) if len(col) else None,
                "partitions": len(parts), "bytes": sum(p.stat().st_size for p in parts),
            })
        return out

"""The ledger file: its columns, reading, atomic idempotent appends of published snapshots.

Columns (the contract the AegisMatrix page reads; do not rename):

=================  ========================  ===================================================
column             dtype                     meaning
=================  ========================  ===================================================
generated_at       datetime64[ns, UTC]       when the snapshot was computed (one per snapshot)
as_of              datetime64[ns, UTC]       time of the latest market data it used
field              str                       direction, trap, expiry_stress, buyer, safe_range,
                                             breach_touch, breach_close
key                str                       the strike as text for breach rows, "" otherwise
value              float64                   the probability; for safe_range its confidence
lower, upper       float64                   safe-range bounds (index points), NaN otherwise
model_version      str or null               the champion's version when ``provenance`` is model
provenance         str                       model / empirical / baseline / formula
expiry             datetime64[ns]            the expiry the forecast refers to; for direction
                                             and buyer the next session
horizon_sessions   int64                     sessions from as_of to ``expiry``
outcome            float64                   1/0 once settled, NaN before
settled_on         datetime64[ns]            the session whose close settled it, NaT before
spot               float64                   spot the forecast was made at (NaN in old ledgers)
vix                float64                   India VIX it was made at, annualised percent
days_left          float64                   calendar days from generated_at to the expiry close
=================  ========================  ===================================================

Layout: the ledger is ``forecasts.parquet`` (the settled, compacted ledger) and one small file
per snapshot appended since, in ``forecasts.appended/`` beside it (:func:`appended_dir`). An
append writes only its own file (its cost does not grow with the ledger); :func:`read_ledger`
reads both; a whole-ledger write (model health settling, :func:`update_ledger`) folds every
appended file into ``forecasts.parquet`` and removes them, and an append folds them itself once
:data:`FOLD_AT` have gathered. Rows of an appended file whose ``generated_at`` the compacted file
already holds (a fold killed before it removed them) are read once, from the compacted file.

``spot``, ``vix`` and ``days_left`` settle an intraday forecast from its own moment (the rest of
its session, then the sessions to the expiry); a ledger written before they existed reads with
them NaN and settles as before (from the close of the session of ``as_of``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd

from aegis.atomic import exclusive_lock, remove_stale_temps, write_atomic
from aegis.errors import StoreError
from aegis.market.hours import ist_day

FIELDS: Final = ("direction", "trap", "expiry_stress", "buyer", "safe_range",
                 "breach_touch", "breach_close")
LEDGER_DTYPES: Final[dict[str, Any]] = {
    "generated_at": "datetime64[ns, UTC]",
    "as_of": "datetime64[ns, UTC]",
    "field": "object",
    "key": "object",
    "value": "float64",
    "lower": "float64",
    "upper": "float64",
    "model_version": "object",
    "provenance": "object",
    "expiry": "datetime64[ns]",
    "horizon_sessions": "int64",
    "outcome": "float64",
    "settled_on": "datetime64[ns]",
    "spot": "float64",
    "vix": "float64",
    "days_left": "float64",
}
LEDGER_COLUMNS: Final = tuple(LEDGER_DTYPES)
OPTIONAL_COLUMNS: Final = ("spot", "vix", "days_left")
"""Columns added after the first ledgers were written: NaN when a file lacks them."""


FOLD_AT: Final = 64
"""Appended files an append folds into the compacted ledger (about five sessions of slots)."""
APPENDED_SUFFIX: Final = ".appended"


def appended_dir(path: Path) -> Path:
    """The folder of the snapshots appended to the ledger at ``path`` since its last fold."""
    path = Path(path)
    return path.with_name(path.stem + APPENDED_SUFFIX)


def _appended_files(path: Path) -> list[Path]:
    folder = appended_dir(path)
    return sorted(folder.glob("*.parquet")) if folder.is_dir() else []


def _appended_name(generated: pd.Timestamp) -> str:
    return f"{generated.value:020d}.parquet"


def ledger_path(data_dir: Path) -> Path:
    """Where the ledger lives in the market store: ``data_dir / "ledger" / "forecasts.parquet"``."""
    return Path(data_dir) / "ledger" / "forecasts.parquet"


def empty_ledger() -> pd.DataFrame:
    """A ledger with no rows and every column at its dtype."""
    return _typed(pd.DataFrame({c: pd.Series([], dtype="object") for c in LEDGER_COLUMNS}))


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.loc[:, list(LEDGER_COLUMNS)].copy()
    for col, dtype in LEDGER_DTYPES.items():
        if dtype.startswith("datetime64[ns, UTC]"):
            out[col] = pd.to_datetime(out[col], utc=True).astype(dtype)
        elif dtype.startswith("datetime64"):
            out[col] = pd.to_datetime(out[col]).astype(dtype)
        elif dtype == "object":
            out[col] = out[col].astype("object")
        else:
            out[col] = out[col].astype(dtype)
    for col in ("field", "key", "provenance"):
        out[col] = out[col].astype(str).astype("object")
    out["model_version"] = out["model_version"].where(out["model_version"].notna(), None)
    return out.reset_index(drop=True)


def read_ledger(path: Path) -> pd.DataFrame:
    """The ledger at ``path`` with the contract's dtypes; an empty ledger when there is none.

    Raises
    ------
    StoreError
        When the file exists but lacks a contract column (names the file and the columns).
    """
    path = Path(path)
    parts = _appended_files(path)
    if not path.exists() and not parts:
        return empty_ledger()
    frames = [_read_checked(path)] if path.exists() else []
    if parts:
        from aegis.market.store import read_parquet_parts

        appended = _checked(read_parquet_parts(parts), appended_dir(path))
        if frames:
            appended = appended[~appended["generated_at"].isin(frames[0]["generated_at"])]
        frames.append(appended)
    frame = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
    return _typed(frame)


def _read_checked(path: Path) -> pd.DataFrame:
    try:
        frame = pd.read_parquet(path)
    except (OSError, ValueError) as exc:
        raise StoreError(f"{path}: expected the forecast ledger (Parquet); {exc}") from exc
    return _checked(frame, path)


def _checked(frame: pd.DataFrame, where: Path) -> pd.DataFrame:
    for col in OPTIONAL_COLUMNS:
        if col not in frame.columns:
            frame[col] = np.nan
    missing = [c for c in LEDGER_COLUMNS if c not in frame.columns]
    if missing:
        raise StoreError(f"{where}: expected the ledger columns {list(LEDGER_COLUMNS)}; "
                         f"missing {missing}")
    return frame


def write_ledger(ledger: pd.DataFrame, path: Path) -> None:
    """Write the whole ledger atomically (temporary file, fsync, rename) as the compacted
    file, then remove the appended files (``ledger`` is the whole ledger: read it with
    :func:`read_ledger` under :func:`ledger_lock`, which every writer holds)."""
    frame = _typed(ledger)
    path = Path(path)
    parts = _appended_files(path)
    write_atomic(path, lambda tmp: frame.to_parquet(tmp, index=False))
    for part in parts:
        part.unlink(missing_ok=True)


def _kind_version(provenance: Any) -> tuple[str, str | None]:
    kind = str(provenance.kind)
    return kind, (str(provenance.version) if kind == "model" else None)


def _next_session(as_of: pd.Timestamp) -> pd.Timestamp:
    from aegis.market.calendar import sessions

    day = ist_day(as_of)
    return pd.Timestamp(sessions(day + pd.Timedelta(days=1), day + pd.Timedelta(days=15))[0])


def snapshot_rows(snapshot: Any) -> pd.DataFrame:
    """One ledger row per published number of ``snapshot`` (a :class:`~aegis.snapshot.Snapshot`).

    Blocks the snapshot does not carry (``None``) give no row. Outcomes start unsettled.
    """
    generated = pd.Timestamp(snapshot.generated_at).tz_convert("UTC")
    as_of = pd.Timestamp(snapshot.as_of).tz_convert("UTC")
    expiry = pd.Timestamp(snapshot.expiry.date)
    horizon = int(snapshot.expiry.sessions)
    rows: list[dict[str, Any]] = []

    def add(field: str, value: float, prov: Any, *, key: str = "", lower: float = np.nan,
            upper: float = np.nan, when: pd.Timestamp = expiry, h: int = horizon) -> None:
        kind, version = _kind_version(prov)
        rows.append({"field": field, "key": key, "value": float(value), "lower": float(lower),
                     "upper": float(upper), "model_version": version, "provenance": kind,
                     "expiry": when, "horizon_sessions": h})

    nxt = _next_session(as_of)
    if snapshot.direction is not None:
        add("direction", snapshot.direction.probability_up, snapshot.direction.provenance,
            when=nxt, h=1)
    if snapshot.buyer_signal is not None:
        add("buyer", snapshot.buyer_signal.spike_probability, snapshot.buyer_signal.provenance,
            when=nxt, h=1)
    if snapshot.trap is not None:
        add("trap", snapshot.trap.score, snapshot.trap.provenance)
    if snapshot.expiry_stress is not None:
        add("expiry_stress", snapshot.expiry_stress.score, snapshot.expiry_stress.provenance)
    if snapshot.safe_range is not None:
        sr = snapshot.safe_range
        add("safe_range", sr.confidence, sr.provenance, lower=sr.lower, upper=sr.upper)
    for b in snapshot.breach_probabilities:
        key = f"{b.strike:g}"
        add("breach_touch", b.touch, b.provenance, key=key)
        add("breach_close", b.close_beyond, b.provenance, key=key)
    if not rows:
        return empty_ledger()
    return _rows_frame(rows, generated, as_of, spot=float(snapshot.spot),
                       vix=float(snapshot.vix), days_left=float(snapshot.expiry.days))


def _rows_frame(rows: list[dict[str, Any]], generated: pd.Timestamp, as_of: pd.Timestamp, *,
                spot: float, vix: float, days_left: float) -> pd.DataFrame:
    """``rows`` (and the columns every row shares) as a ledger frame, each column built at its
    contract dtype: what ``_typed(pd.DataFrame(...))`` gives (``_typed`` of it changes nothing:
    ``tests/unit/test_ledger.py``) for a sixth of the cost, paid by every 30-minute publish."""
    n = len(rows)

    def column(name: str) -> list[Any]:
        return [r[name] for r in rows]

    def stamps(values: list[pd.Timestamp], utc: bool) -> pd.DatetimeIndex:
        index = pd.DatetimeIndex(values).as_unit("ns")
        return index.tz_convert("UTC") if utc else index

    def texts(name: str) -> pd.Series:
        return pd.Series(column(name), dtype="object")  # not pandas 3's inferred ``str``

    def floats(values: Any) -> np.ndarray:
        return np.asarray(values, dtype="float64")

    return pd.DataFrame({
        "generated_at": stamps([generated] * n, utc=True),
        "as_of": stamps([as_of] * n, utc=True),
        "field": texts("field"),
        "key": texts("key"),
        "value": floats(column("value")),
        "lower": floats(column("lower")),
        "upper": floats(column("upper")),
        "model_version": texts("model_version"),  # str, or None when not a model's
        "provenance": texts("provenance"),
        "expiry": stamps(column("expiry"), utc=False),
        "horizon_sessions": np.asarray(column("horizon_sessions"), dtype="int64"),
        "outcome": np.full(n, np.nan),
        "settled_on": pd.DatetimeIndex([pd.NaT] * n, dtype="datetime64[ns]"),
        "spot": np.full(n, spot),
        "vix": np.full(n, vix),
        "days_left": np.full(n, days_left),
    })


@contextmanager
def ledger_lock(path: Path) -> Iterator[None]:
    """The one lock of every ledger write (inference's appends, model health's settling).

    A settle or a fold rewrites the ledger whole (read, change, atomic rename), so two writers
    without it lose one's rows. Inside it, temporary files a killed writer left beside the
    ledger or among its appended files are removed.
    """
    path = Path(path)
    with exclusive_lock(path.parent / f".{path.name}.lock"):
        remove_stale_temps(path)
        folder = appended_dir(path)
        if folder.is_dir():
            for stale in folder.glob("*.tmp"):
                stale.unlink(missing_ok=True)
        yield


def update_ledger(path: Path, change: Callable[[pd.DataFrame], pd.DataFrame | None]
                  ) -> pd.DataFrame:
    """Read, ``change`` and rewrite the ledger under :func:`ledger_lock`; returns the ledger
    as left (``change`` returning None writes nothing)."""
    with ledger_lock(path):
        ledger = read_ledger(path)
        changed = change(ledger)
        if changed is None:
            return ledger
        write_ledger(changed, path)
        return changed


def append_snapshot(path: Path, snapshot: Any) -> dict[str, Any]:
    """Append ``snapshot``'s rows to the ledger at ``path``: atomic, idempotent per generated_at,
    under :func:`ledger_lock` (see :func:`append_locked`)."""
    with ledger_lock(path):
        return append_locked(path, snapshot)


def append_locked(path: Path, snapshot: Any) -> dict[str, Any]:
    """:func:`append_snapshot` for a caller already holding :func:`ledger_lock` (a publish).

    A snapshot whose ``generated_at`` is already in the ledger is not appended again (a retried
    task, a re-run, a recovered publish). The rows go to their own file in
    :func:`appended_dir` through a rename, so a crash leaves the ledger as it was; once
    :data:`FOLD_AT` files have gathered they are folded into the compacted file.
    Returns ``{"path", "appended", "folded"}`` (``folded``: the files folded, 0 usually).
    """
    path = Path(path)
    generated = pd.Timestamp(snapshot.generated_at).tz_convert("UTC")
    part = appended_dir(path) / _appended_name(generated)
    if part.exists() or _compacted_holds(path, generated):
        return {"path": str(path), "appended": 0, "folded": 0}
    new = snapshot_rows(snapshot)
    write_atomic(part, lambda tmp: new.to_parquet(tmp, index=False))
    parts = _appended_files(path)
    if len(parts) < FOLD_AT:
        return {"path": str(path), "appended": len(new), "folded": 0}
    write_ledger(read_ledger(path), path)
    return {"path": str(path), "appended": len(new), "folded": len(parts)}


def _compacted_holds(path: Path, generated: pd.Timestamp) -> bool:
    """Whether the compacted ledger has rows of ``generated``: its row groups' statistics
    first (a new snapshot is after all of them), the column only when they cannot tell."""
    if not path.exists():
        return False
    import pyarrow.parquet as pq

    try:
        meta = pq.ParquetFile(path).metadata
        col = meta.schema.names.index("generated_at")
        for i in range(meta.num_row_groups):
            stats = meta.row_group(i).column(col).statistics
            if stats is None or not stats.has_min_max or (
                    pd.Timestamp(stats.min) <= generated <= pd.Timestamp(stats.max)):
                break
        else:
            return False
    except (OSError, ValueError) as exc:
        raise StoreError(f"{path}: expected the forecast ledger (Parquet); {exc}") from exc
    held = pd.read_parquet(path, columns=["generated_at"])["generated_at"]
    return bool((pd.to_datetime(held, utc=True) == generated).any())

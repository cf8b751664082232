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

``spot``, ``vix`` and ``days_left`` settle an intraday forecast from its own moment (the rest of
its session, then the sessions to the expiry); a ledger written before they existed reads with
them NaN and settles as before (from the close of the session of ``as_of``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd

from aegis.atomic import write_atomic
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
    if not path.exists():
        return empty_ledger()
    frame = pd.read_parquet(path)
    for col in OPTIONAL_COLUMNS:
        if col not in frame.columns:
            frame[col] = np.nan
    missing = [c for c in LEDGER_COLUMNS if c not in frame.columns]
    if missing:
        raise StoreError(f"{path}: expected the ledger columns {list(LEDGER_COLUMNS)}; "
                         f"missing {missing}")
    return _typed(frame)


def write_ledger(ledger: pd.DataFrame, path: Path) -> None:
    """Write the whole ledger atomically (temporary file, fsync, rename)."""
    frame = _typed(ledger)
    write_atomic(Path(path), lambda tmp: frame.to_parquet(tmp, index=False))


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
    frame = pd.DataFrame(rows)
    if frame.empty:
        return empty_ledger()
    frame["generated_at"] = generated
    frame["as_of"] = as_of
    frame["spot"] = float(snapshot.spot)
    frame["vix"] = float(snapshot.vix)
    frame["days_left"] = float(snapshot.expiry.days)
    frame["outcome"] = np.nan
    frame["settled_on"] = pd.NaT
    return _typed(frame)


def append_snapshot(path: Path, snapshot: Any) -> dict[str, Any]:
    """Append ``snapshot``'s rows to the ledger at ``path``: atomic, idempotent per generated_at.

    A snapshot whose ``generated_at`` is already in the ledger is not appended again (a retried
    task, a re-run); the whole file is rewritten through a rename, so a crash leaves the
    previous ledger intact. Returns ``{"path", "appended", "rows"}``.
    """
    ledger = read_ledger(path)
    new = snapshot_rows(snapshot)
    generated = pd.Timestamp(snapshot.generated_at).tz_convert("UTC")
    if (ledger["generated_at"] == generated).any():
        return {"path": str(path), "appended": 0, "rows": len(ledger)}
    combined = new if ledger.empty else pd.concat([ledger, new], ignore_index=True)
    write_ledger(combined, path)
    return {"path": str(path), "appended": len(new), "rows": len(combined)}

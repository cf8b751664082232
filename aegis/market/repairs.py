"""Row-level checks of OHLC bars: what is repaired, what is rejected, and why.

The policy (the same for every OHLC series, daily or intraday, index or option):

* **Rejected** (row dropped, listed in ``rejected``): an unparseable date/timestamp; a missing,
  unparseable or non-positive close; a negative open/high/low; a high below the low; a second
  row for a date/timestamp already seen (the first row in file order is kept).
* **Repaired** (row kept, listed in ``repairs``): open/high/low that are zero or missing while
  the close is valid are set to the close (a flat bar: the session's close is real, its range is
  unknown; India VIX 2021-02-12 and 2021-03-30 in real files); an open or close slightly outside
  its own high/low (at most :data:`WIDEN_LIMIT` beyond it) widens the high/low to include it
  (India VIX 2013-08-22, close 27.68 below low 27.99, 1.1 %); a negative volume becomes unknown
  (NaN).
* **Flagged as an outlier** (kept as read, listed in ``flagged``): an open or close further than
  :data:`WIDEN_LIMIT` outside its own high/low (a x10 typo: 181974.5 in a bar whose high is
  18200). A repair never moves a bound to an outlier; the store holds such a row for review
  (:meth:`aegis.market.store.MarketStore.upsert`) with its date and the reason.
* **Kept as they are** (not errors): flat bars with O=H=L=C (circuit halts, illiquid options at
  the 0.05 tick floor), special sessions (Muhurat, Saturdays), gaps between sessions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from aegis.market.frames import OHLC

#: How far (relative) an open or close may lie outside its bar's high/low and still be a
#: repairable rounding or feed slip (the largest in the real files is 1.1 %); further is an
#: outlier and the row is rejected rather than the range widened to it.
WIDEN_LIMIT = 0.05


@dataclass(frozen=True)
class RowNote:
    """One repaired or rejected row.

    ``row`` is the 1-based data row in the file (header rows not counted), ``at`` the row's
    date or timestamp in ISO form ("" when it could not be read), ``column`` the column the
    note is about (``None`` for the whole row), ``reason`` a sentence a person can act on.
    """

    row: int
    at: str
    column: str | None
    reason: str

    def to_json(self) -> dict[str, object]:
        return {"row": self.row, "at": self.at, "column": self.column, "reason": self.reason}


@dataclass
class BarCheck:
    """Outcome of :func:`check_bars`: the accepted, repaired, sorted bars and the notes."""

    frame: pd.DataFrame
    repairs: list[RowNote]
    rejected: list[RowNote]
    reversed_order: bool
    flagged: list[RowNote] = field(default_factory=list)
    """Rows kept as read although an open or close lies outside their range (outliers)."""


def _fmt(x: float) -> str:
    return f"{x:.10g}" if np.isfinite(x) else "missing"


def _cell(value: object) -> str:
    return "missing" if pd.isna(value) else repr(str(value))


def check_bars(
    times: pd.Series,
    prices: pd.DataFrame,
    rows: np.ndarray,
    raw: pd.DataFrame,
    *,
    iso: Callable[[pd.Timestamp], str],
    date_column: str,
    keys: pd.Series | None = None,
) -> BarCheck:
    """Apply the module's policy to bars.

    Parameters
    ----------
    times : Series of datetime64 (one per row, NaT when unparseable).
    prices : DataFrame with float64 ``open, high, low, close`` and ``volume`` (same index).
    rows : 1-based file row numbers, aligned with ``times``.
    raw : the raw cells (for messages), columns named as in ``prices`` plus ``date``.
    iso : formats a timestamp for :attr:`RowNote.at`.
    date_column : the file's name of the date column (for notes about it).
    keys : optional contract key per row (e.g. ``"17500 CE 2023-06-29"``); duplicates are then
        judged on (time, key), so a cross-section of many contracts at one time is no duplicate.

    Returns
    -------
    BarCheck whose ``frame`` has the ``prices`` columns, indexed by the parsed times, sorted
    increasing, without rejected rows.
    """
    repairs: list[RowNote] = []
    rejected: list[RowNote] = []
    n = len(times)
    keep = np.ones(n, dtype=bool)
    p = prices.copy()
    tvals = times.reset_index(drop=True)
    at = _LazyIso(tvals, iso)

    def reject(mask: np.ndarray, column: str | None, why: Callable[[int], str]) -> None:
        for i in np.flatnonzero(mask & keep):
            rejected.append(RowNote(int(rows[i]), at[i], column, why(int(i))))
        keep[mask] = False

    reject(tvals.isna().to_numpy(), date_column,
           lambda i: f"unparseable date {_cell(raw['date'].iloc[i])}")
    close = p["close"].to_numpy()
    reject(~np.isfinite(close), "close",
           lambda i: f"unparseable close {_cell(raw['close'].iloc[i])}")
    reject(np.isfinite(close) & (close <= 0), "close",
           lambda i: f"non-positive close {_fmt(close[i])}")
    for col in ("open", "high", "low"):
        v = p[col].to_numpy()
        reject(np.isfinite(v) & (v < 0), col, _negative(col, v))

    # zero or missing open/high/low with a valid close -> flat bar at the close
    hollow = np.zeros((n, 3), dtype=bool)
    for j, col in enumerate(("open", "high", "low")):
        v = p[col].to_numpy()
        hollow[:, j] = ~np.isfinite(v) | (v == 0)
    for i in np.flatnonzero(hollow.any(axis=1) & keep):
        cols = [c for j, c in enumerate(("open", "high", "low")) if hollow[i, j]]
        was = ", ".join(f"{c}={_fmt(p[c].iat[i])}" for c in cols)
        repairs.append(RowNote(int(rows[i]), at[i], ",".join(cols),
                               f"{was} with a valid close {_fmt(close[i])}: set to the close"))
    for j, col in enumerate(("open", "high", "low")):
        p.loc[hollow[:, j], col] = p.loc[hollow[:, j], "close"]

    high, low = p["high"].to_numpy(), p["low"].to_numpy()
    reject(high < low, "high", lambda i: f"high {_fmt(high[i])} below low {_fmt(low[i])}")

    outlier, excess = _outliers(p)
    flagged = [RowNote(int(rows[i]), at[i], "close", excess[int(i)])
               for i in np.flatnonzero(outlier & keep)]
    _widen(p, keep & ~outlier, rows, at, repairs)
    vol = p["volume"].to_numpy()
    for i in np.flatnonzero(np.isfinite(vol) & (vol < 0) & keep):
        repairs.append(RowNote(int(rows[i]), at[i], "volume",
                               f"negative volume {_fmt(vol[i])}: set to unknown (NaN)"))
    p.loc[np.isfinite(vol) & (vol < 0), "volume"] = np.nan

    ident = (pd.Series(list(zip(tvals, keys.reset_index(drop=True), strict=True)))
             if keys is not None else tvals)
    first_row: dict[object, int] = {}
    dup = np.zeros(n, dtype=bool)
    for i in np.flatnonzero(keep & ident.duplicated(keep=False).to_numpy()):
        t = ident.iat[i]
        if t in first_row:
            dup[i] = True
        else:
            first_row[t] = int(rows[i])
    reject(dup, date_column,
           lambda i: f"duplicate of {at[i]} (row {first_row[ident.iat[i]]} kept)")

    out = p.loc[keep].copy()
    out.index = pd.DatetimeIndex(tvals[keep])
    reversed_order = len(out) > 1 and bool(out.index[0] > out.index[-1])
    out = out.sort_index(kind="stable")
    rejected.sort(key=lambda note: note.row)
    repairs.sort(key=lambda note: note.row)
    flagged = [n for n in flagged if n.row in set(rows[keep].tolist())]
    return BarCheck(out, repairs, rejected, reversed_order, sorted(flagged, key=lambda n: n.row))


def _negative(col: str, values: np.ndarray) -> Callable[[int], str]:
    return lambda i: f"negative {col} {_fmt(values[i])}"


class _LazyIso:
    """``at[i]``: the ISO text of row ``i``'s time, formatted only for rows that get a note."""

    def __init__(self, times: pd.Series, iso: Callable[[pd.Timestamp], str]) -> None:
        self._times = times
        self._iso = iso

    def __getitem__(self, i: int | np.integer) -> str:
        t = self._times.iat[i]
        return "" if pd.isna(t) else self._iso(t)


def _outliers(p: pd.DataFrame) -> tuple[np.ndarray, dict[int, str]]:
    """Rows whose open or close lies more than :data:`WIDEN_LIMIT` outside their high/low,
    and the reason per such row."""
    o, h, lo, c = (p[col].to_numpy() for col in OHLC)
    reasons: dict[int, str] = {}
    mask = np.zeros(len(p), dtype=bool)
    with np.errstate(divide="ignore", invalid="ignore"):
        for name, v in (("close", c), ("open", o)):
            above = v / h - 1
            below = 1 - v / lo
            bad = ((above > WIDEN_LIMIT) | (below > WIDEN_LIMIT)) & np.isfinite(v)
            for i in np.flatnonzero(bad & ~mask):
                side, bound, gap = (("above the high", h[i], above[i]) if above[i] > WIDEN_LIMIT
                                    else ("below the low", lo[i], below[i]))
                reasons[int(i)] = (f"{name} {_fmt(v[i])} lies {gap:.0%} {side} {_fmt(bound)}: "
                                   f"an outlier (a typo?), more than {WIDEN_LIMIT:.0%} outside "
                                   "the bar's range; not widened to it (the store holds the "
                                   "row for review)")
            mask |= bad
    return mask, reasons


def _widen(
    p: pd.DataFrame, keep: np.ndarray, rows: np.ndarray, at: _LazyIso, repairs: list[RowNote]
) -> None:
    """Widen high/low to include open and close, recording each widened row."""
    o, h, lo, c = (p[col].to_numpy() for col in OHLC)
    new_high = np.where(keep, np.maximum.reduce([h, o, c]), h)
    new_low = np.where(keep, np.minimum.reduce([lo, o, c]), lo)
    for i in np.flatnonzero(keep & ((new_high > h) | (new_low < lo))):
        parts = []
        for name, v in (("close", c[i]), ("open", o[i])):
            if v > h[i]:
                parts.append(f"{name} {_fmt(v)} above high {_fmt(h[i])}")
            if v < lo[i]:
                parts.append(f"{name} {_fmt(v)} below low {_fmt(lo[i])}")
        column = "high" if new_high[i] > h[i] else "low"
        if new_high[i] > h[i] and new_low[i] < lo[i]:
            column = "high,low"
        repairs.append(RowNote(
            int(rows[i]), at[i], column,
            "; ".join(parts) + f": range widened to [{_fmt(new_low[i])}, {_fmt(new_high[i])}]",
        ))
    p["high"] = new_high
    p["low"] = new_low

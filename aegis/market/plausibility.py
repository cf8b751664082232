"""Which rows the market store holds for review instead of applying them, and why.

Pure: rows in, a mask and a reason per row out (:func:`held_for_review`); the store
(:mod:`aegis.market.store`) reads the stored neighbours and writes the held rows as conflicts.

* A close outside its own bar's high/low by more than :data:`~aegis.market.repairs.WIDEN_LIMIT`
  (an outlier the loader did not widen the range to) is held, whatever the series.
* A close, new or revised, that moves more than the series' bound
  (:func:`~aegis.market.revisions.plausible_move`) against both its neighbours within
  :data:`~aegis.market.revisions.NEIGHBOUR_DAYS` (stored rows and the batch's own, as the batch
  would leave the series) is held; a revision only when it also moves further than the stored
  value did (correcting a bad value is never held).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from aegis.market import revisions as rev
from aegis.market.repairs import WIDEN_LIMIT


def held_for_review(series: str, keys: list[str], old: pd.DataFrame | None, new: pd.DataFrame,
                batch: pd.DataFrame, stored: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Which rows to hold, and why: price series keyed by time alone, with a close.

    ``new`` are rows to insert (``old`` None) or changed rows (``old`` their stored values);
    ``batch`` every row of the upsert; ``stored`` the stored closes near them, indexed by time.
    A close outside its own bar's range (an outlier the
    loader did not widen to) is held whatever the series. Each close is judged against its
    neighbours in the series as the batch would leave it (stored rows and the batch's own,
    within :data:`~aegis.market.revisions.NEIGHBOUR_DAYS`): held when it moves more than
    the series' bound against both (and, for a revision, further than the stored value
    did).
    """
    why = np.full(len(new), "", dtype=object)
    outside, reason = _outside_range(new)
    for i in np.flatnonzero(outside):
        why[i] = reason[int(i)]
    if new.empty or len(keys) != 1 or "close" not in new.columns:
        return outside, why
    col = keys[0]
    incoming = pd.Series(batch["close"].to_numpy(dtype=float),
                         index=pd.DatetimeIndex(batch[col]))
    after = incoming.combine_first(stored).sort_index()
    t = after.index
    c = after.to_numpy(dtype=float)
    at = pd.DatetimeIndex(new[col])
    pos = t.get_indexer(at)
    window = pd.Timedelta(days=rev.NEIGHBOUR_DAYS)

    def neighbour(step: int) -> tuple[np.ndarray, np.ndarray]:
        j = np.clip(pos + step, 0, len(c) - 1)
        inside = (pos + step >= 0) & (pos + step < len(c))
        near = inside & (np.abs((t[j] - at).to_numpy()) <= window.to_timedelta64())
        return np.where(near, c[j], np.nan), j

    (prev, jp), (nxt, jn) = neighbour(-1), neighbour(1)
    bound = rev.plausible_move(series)
    was = (old["close"].to_numpy(dtype=float) if old is not None
           else np.full(len(new), np.nan))
    close = new["close"].to_numpy(dtype=float)
    hold = rev.implausible(was, close, prev, nxt, bound)
    for i in np.flatnonzero(hold & ~outside):
        around = ", ".join(f"{t[j].date() if col == 'session' else t[j].isoformat()} "
                           f"{c[j]:.10g}" for j, v in ((jp[i], prev[i]), (jn[i], nxt[i]))
                           if np.isfinite(v))
        what = "revised close" if old is not None else "new close"
        why[i] = (f"{what} {close[i]:.10g} moves more than {bound:.0%} against both its "
                  f"neighbours ({around}): held for review (`aegis data conflicts`)")
    return hold | outside, why


def _outside_range(rows: pd.DataFrame) -> tuple[np.ndarray, dict[int, str]]:
    """Rows whose close lies more than :data:`~aegis.market.repairs.WIDEN_LIMIT` outside their
    own high/low (an outlier the loader did not widen the range to), and why."""
    if not {"high", "low", "close"} <= set(rows.columns):
        return np.zeros(len(rows), dtype=bool), {}
    c, h, lo = (rows[k].to_numpy(dtype=float) for k in ("close", "high", "low"))
    with np.errstate(divide="ignore", invalid="ignore"):
        above, below = c / h - 1, 1 - c / lo
    mask = np.nan_to_num(np.maximum(above, below), nan=0.0) > WIDEN_LIMIT
    why = {int(i): (f"close {c[i]:.10g} lies {max(above[i], below[i]):.0%} outside its bar's "
                    f"range [{lo[i]:.10g}, {h[i]:.10g}]: an outlier (a typo?), held for review "
                    "(`aegis data conflicts`); the range is never widened to it")
           for i in np.flatnonzero(mask)}
    return mask, why


__all__ = ["held_for_review"]

"""Settle the ledger's forecasts against what happened, and score the live track record.

Events (DESIGN.md; each forecast row is settled on the daily history, by the session ``t`` that
contains its ``as_of`` in Asia/Kolkata -- the last session on or before that date):

- ``direction``: the next session's close is above ``t``'s close
  (:func:`aegis.models.targets.direction_labels`).
- ``buyer``: next-session spike, ``|ln C1/C0| > sigma*sqrt(1/365)``
  (:func:`aegis.models.targets.spike_labels`).
- ``trap``: the realised variance from ``t`` to the expiry exceeds ``sigma^2*D/365``
  (:func:`aegis.models.targets.trap_labels`, with ``D`` from the row's own expiry).
- ``expiry_stress``: ``|ln(S_exp/S)| > sigma*sqrt(D/365)``
  (:func:`aegis.models.targets.expiry_stress_labels`).
- ``breach_touch`` / ``breach_close``: a daily high (low) of the sessions after ``t`` up to the
  expiry reaches a strike above (below) ``t``'s close; the expiry close is at or beyond it. The
  side is taken against ``t``'s close (the ledger does not store the intraday spot), which can
  differ from the published side for a strike within a fraction of a percent of spot.
- ``safe_range``: the expiry close lies inside ``[lower, upper]``.

The expiry close is the close of the last session on or before the expiry date; a row settles
once the history reaches that date. ``sigma`` is India VIX/100 at ``t``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from aegis.analytics.calibration import brier, expected_calibration_error
from aegis.market.hours import ist_day

PROBABILITY_FIELDS = ("direction", "trap", "expiry_stress", "buyer", "breach_touch",
                      "breach_close")


def _sessions_of(as_of: pd.Series, sessions: pd.DatetimeIndex) -> np.ndarray:
    """Position in ``sessions`` of the session containing each ``as_of`` (-1: before them)."""
    days = ist_day(as_of)
    return np.searchsorted(sessions.values, days.to_numpy("datetime64[ns]"), side="right") - 1


def _days_frame(sessions: pd.DatetimeIndex, expiry: pd.Timestamp) -> pd.DataFrame:
    """A feature-table stand-in whose ``days_to_expiry`` points every session at ``expiry``."""
    days = (expiry - sessions).days.to_numpy(dtype="float64")
    return pd.DataFrame({"days_to_expiry": np.where(days > 0, days, np.nan)}, index=sessions)


def _label_lookup(labels: pd.DataFrame, pos: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    y = labels["y"].to_numpy(dtype="float64")[pos]
    end = labels["label_end"].to_numpy(dtype="datetime64[ns]")[pos]
    return y, end


def _expiry_settle(sessions: pd.DatetimeIndex, expiry: np.ndarray, t_pos: np.ndarray
                   ) -> np.ndarray:
    """Position of each row's expiry session; -1 while the history has not reached it."""
    pos = np.searchsorted(sessions.values, expiry, side="right") - 1
    reached = expiry <= sessions.values[-1]
    return np.where(reached & (pos > t_pos), pos, -1)


def _window_extremes(high: np.ndarray, low: np.ndarray, start: np.ndarray, end: np.ndarray
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Max high and min low over positions ``start+1 .. end`` per row (end > start)."""
    hi = np.array([high[s + 1:e + 1].max() for s, e in zip(start, end, strict=True)])
    lo = np.array([low[s + 1:e + 1].min() for s, e in zip(start, end, strict=True)])
    return hi, lo


def _score_expiry_fields(rows: pd.DataFrame, nifty: pd.DataFrame, t_pos: np.ndarray
                         ) -> tuple[np.ndarray, np.ndarray]:
    """Outcomes of breach and safe-range rows (direct: they depend on the row's strike/range)."""
    sessions = pd.DatetimeIndex(nifty.index)
    close = nifty["close"].to_numpy(dtype="float64")
    end = _expiry_settle(sessions, rows["expiry"].to_numpy("datetime64[ns]"), t_pos)
    y = np.full(len(rows), np.nan)
    settled = np.full(len(rows), np.datetime64("NaT"), dtype="datetime64[ns]")
    ok = end >= 0
    if not ok.any():
        return y, settled
    idx = np.flatnonzero(ok)
    field = rows["field"].to_numpy()[idx]
    settle = close[end[idx]]
    spot = close[t_pos[idx]]
    strike = pd.to_numeric(rows["key"].to_numpy()[idx], errors="coerce")
    hi, lo = _window_extremes(nifty["high"].to_numpy(float), nifty["low"].to_numpy(float),
                              t_pos[idx], end[idx])
    above = strike > spot
    touch = np.where(above, hi >= strike, lo <= strike)
    beyond = np.where(above, settle >= strike, settle <= strike)
    inside = (settle >= rows["lower"].to_numpy()[idx]) & (settle <= rows["upper"].to_numpy()[idx])
    out = np.select([field == "breach_touch", field == "breach_close", field == "safe_range"],
                    [touch, beyond, inside], default=False).astype("float64")
    y[idx] = out
    settled[idx] = sessions.values[end[idx]]
    return y, settled


def score_ledger(ledger: pd.DataFrame, nifty: pd.DataFrame, vix: pd.DataFrame) -> pd.DataFrame:
    """Fill ``outcome`` and ``settled_on`` of every row whose outcome the history now settles.

    Parameters
    ----------
    ledger : the ledger (:func:`aegis.ledger.read_ledger`).
    nifty : NIFTY daily frame (``open, high, low, close``), indexed by session (tz-naive).
    vix : India VIX daily frame (``close``, annualised percent), indexed by session.

    Returns
    -------
    DataFrame
        A copy of ``ledger``; rows already settled and rows not yet settleable are unchanged.
    """
    from aegis.models.targets import (
        direction_labels,
        expiry_stress_labels,
        spike_labels,
        trap_labels,
    )

    out = ledger.copy()
    todo = out["outcome"].isna().to_numpy().copy()
    if not todo.any() or nifty.empty:
        return out
    sessions = pd.DatetimeIndex(nifty.index)
    t_pos_all = _sessions_of(out["as_of"], sessions)
    todo &= t_pos_all >= 0
    y = out["outcome"].to_numpy(dtype="float64").copy()
    settled = out["settled_on"].to_numpy(dtype="datetime64[ns]").copy()
    field = out["field"].to_numpy()
    expiries = out["expiry"].to_numpy("datetime64[ns]")
    for name, labels in (("direction", direction_labels(nifty)),
                         ("buyer", spike_labels(nifty, vix))):
        rows = np.flatnonzero(todo & (field == name))
        if len(rows):
            y[rows], settled[rows] = _label_lookup(labels, t_pos_all[rows])
    for name, label_fn in (("trap", trap_labels), ("expiry_stress", expiry_stress_labels)):
        mask = todo & (field == name)
        for expiry in np.unique(expiries[mask]):
            rows = np.flatnonzero(mask & (expiries == expiry))
            labels = label_fn(nifty, vix, _days_frame(sessions, pd.Timestamp(expiry)))
            y[rows], settled[rows] = _label_lookup(labels, t_pos_all[rows])
    direct = np.flatnonzero(todo & np.isin(field, ("breach_touch", "breach_close", "safe_range")))
    if len(direct):
        y[direct], settled[direct] = _score_expiry_fields(out.iloc[direct], nifty,
                                                          t_pos_all[direct])
    unsettled = ~np.isfinite(y)
    settled[unsettled] = np.datetime64("NaT")
    out["outcome"] = y
    out["settled_on"] = pd.to_datetime(settled)
    return out


def _one_per_session(rows: pd.DataFrame) -> pd.DataFrame:
    """The last forecast of each as_of session per field and key (intraday repeats share one
    outcome; counting each would weigh a session by how often it was published)."""
    day = ist_day(rows["as_of"])
    order = rows.assign(_day=day).sort_values("generated_at", kind="stable")
    return order.drop_duplicates(["field", "key", "_day"], keep="last").drop(columns="_day")


def _frequency_before(y: np.ndarray, ends: np.ndarray, days: np.ndarray) -> np.ndarray:
    """Event frequency of the labels settled strictly before each of ``days`` (NaN: none)."""
    order = np.argsort(ends, kind="stable")
    ends, cum = ends[order], np.cumsum(y[order])
    k = np.searchsorted(ends, days, side="left")
    out = np.full(len(days), np.nan)
    some = k > 0
    out[some] = cum[k[some] - 1] / k[some]
    return out


def walk_forward_climatology(rows: pd.DataFrame, nifty: pd.DataFrame, vix: pd.DataFrame,
                             features: pd.DataFrame) -> pd.Series:
    """Per ledger row (same index): the walk-forward climatology forecast of its session.

    DESIGN.md's reference: the event frequency of everything settled before the row's session
    ``t``, on the labels the models learn (:func:`aegis.models.datasets.build_dataset`); breach
    rows take the frequency of their strike's offset and event, interpolated as the snapshot's
    :class:`~aegis.models.climatology.Climatology` does. NaN where nothing had settled yet or
    the field has no event (``safe_range``).
    """
    from aegis.models.climatology import Climatology
    from aegis.models.datasets import build_dataset, climatology_table

    sessions = pd.DatetimeIndex(nifty.index)
    t_pos = _sessions_of(rows["as_of"], sessions)
    day = np.where(t_pos >= 0, sessions.values[np.clip(t_pos, 0, None)], np.datetime64("NaT"))
    field = rows["field"].to_numpy()
    out = np.full(len(rows), np.nan)
    for name in ("direction", "buyer", "trap", "expiry_stress"):
        mask = (field == name) & (t_pos >= 0)
        if mask.any():
            data = build_dataset(name, nifty, vix, features)
            out[mask] = _frequency_before(data.y.astype(float),
                                          data.label_end.astype("datetime64[ns]"), day[mask])
    mask = np.isin(field, ("breach_touch", "breach_close")) & (t_pos >= 0)
    if mask.any():
        data = build_dataset("breach", nifty, vix, features)
        close = nifty["close"].to_numpy(float)
        strike = pd.to_numeric(rows["key"], errors="coerce").to_numpy(float)
        for d in np.unique(day[mask]):
            settled = data.subset(data.label_end < d)
            at = np.flatnonzero(mask & (day == d))
            if len(settled) == 0:
                continue
            clim = Climatology(name="breach", value=float(settled.y.mean()), n=len(settled),
                               first=pd.Timestamp(settled.session.min()).date(),
                               last=pd.Timestamp(settled.label_end.max()).date(),
                               by_key=climatology_table(settled))
            spot = close[t_pos[at[0]]]
            for event, part in (("touch", at[field[at] == "breach_touch"]),
                                ("close", at[field[at] == "breach_close"])):
                if len(part):
                    out[part] = clim.breach(spot, strike[part], event)
    return pd.Series(out, index=rows.index)


def live_track_record(ledger: pd.DataFrame, *, since: pd.Timestamp | None = None,
                      climatology: pd.Series | None = None) -> dict[str, dict[str, Any]]:
    """Per field, the live scores of the settled forecasts (optionally generated ``since``).

    Per probability field: ``n`` (settled forecasts, the last of each session), ``brier``,
    ``brier_climatology`` (the Brier score of the walk-forward climatology forecast of each
    row's session, ``climatology`` aligned with the ledger's index, from
    :func:`walk_forward_climatology`; None when it is not given, with ``climatology_n`` 0),
    ``frequency``, ``ece`` (10 equal-width bins), ``mean_forecast``. For ``safe_range``: ``n``,
    ``coverage`` (share of expiry closes inside the range), ``confidence`` (the published
    target). Fields with no settled row have ``n = 0`` and ``None`` scores.
    """
    rows = ledger[ledger["outcome"].notna()]
    if since is not None:
        rows = rows[rows["generated_at"] >= pd.Timestamp(since)]
    rows = _one_per_session(rows) if len(rows) else rows
    record: dict[str, dict[str, Any]] = {}
    for name in PROBABILITY_FIELDS:
        sub = rows[rows["field"] == name]
        p, yy = sub["value"].to_numpy(float), sub["outcome"].to_numpy(float)
        if not len(sub):
            record[name] = {"n": 0, "brier": None, "brier_climatology": None,
                            "climatology_n": 0, "frequency": None, "ece": None,
                            "mean_forecast": None}
            continue
        freq = float(yy.mean())
        clim = (np.full(len(sub), np.nan) if climatology is None
                else climatology.reindex(sub.index).to_numpy(float))
        known = np.isfinite(clim)
        record[name] = {"n": int(len(sub)), "brier": brier(p, yy),
                        "brier_climatology": brier(clim[known], yy[known]) if known.any()
                        else None,
                        "climatology_n": int(known.sum()),
                        "frequency": freq, "ece": expected_calibration_error(p, yy),
                        "mean_forecast": float(p.mean())}
    sub = rows[rows["field"] == "safe_range"]
    record["safe_range"] = {
        "n": int(len(sub)),
        "coverage": float(sub["outcome"].mean()) if len(sub) else None,
        "confidence": float(sub["value"].mean()) if len(sub) else None,
    }
    return record


__all__ = ["PROBABILITY_FIELDS", "live_track_record", "score_ledger",
           "walk_forward_climatology"]

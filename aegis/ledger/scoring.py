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

Intraday forecasts (published during a session: ``as_of`` before its day's 15:30 IST close,
with the ``spot``, ``vix`` and ``days_left`` they were made at) are settled from their own
moment, the way DESIGN.md defines the events from ``t``: the rest of their session from its
1-minute bars after ``as_of`` (the day's high/low and close when the store has no bars of it,
said in :data:`INTRADAY_FALLBACK`), then the daily bars to the expiry close -- expiry-day
forecasts included, settled by that day's close. ``expiry_stress`` compares
``|ln(S_exp / spot)|`` with ``sigma * sqrt(days_left/365)``; ``trap`` the squared log returns
from ``spot`` (today's bars, then each later session's close-to-close) with
``sigma^2 * days_left/365``; breach sides are taken against ``spot``. Direction and buyer keep
their meaning (the close after the session of ``as_of`` against that session's close).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from aegis.analytics.calibration import brier, expected_calibration_error
from aegis.market.hours import ist_day

PROBABILITY_FIELDS = ("direction", "trap", "expiry_stress", "buyer", "breach_touch",
                      "breach_close")
EXPIRY_FIELDS = ("trap", "expiry_stress", "breach_touch", "breach_close", "safe_range")
INTRADAY_FALLBACK = ("no 1-minute bars of the session in the store: the rest of the session "
                     "is read from its daily high/low (a touch before the forecast counts) and "
                     "its close (one return for the realised variance)")


def intraday_rows(ledger: pd.DataFrame) -> np.ndarray:
    """Which rows were published during a session (``as_of`` before that day's 15:30 IST close)
    with the spot, VIX and time left they were made at."""
    local = pd.DatetimeIndex(ledger["as_of"]).tz_convert("Asia/Kolkata")
    minutes = local.hour * 60 + local.minute + local.second / 60.0
    made_at = ledger.reindex(columns=["spot", "vix", "days_left"]).notna().all(axis=1).to_numpy()
    return np.asarray(minutes < 15 * 60 + 30) & made_at


def _bars_by_session(bars: pd.DataFrame | None) -> dict[np.datetime64, pd.DataFrame]:
    """The 1-minute bars of each session (IST date), split once for every row to read."""
    if bars is None or bars.empty:
        return {}
    days = ist_day(pd.DatetimeIndex(bars.index)).to_numpy("datetime64[ns]")
    return {day: group for day, group in bars.groupby(days)}


def _session_rest(day_bars: pd.DataFrame | None, after: pd.Timestamp, spot: float,
                  daily: tuple[float, float, float]) -> tuple[float, float, float, bool]:
    """(high, low, squared log returns, from bars?) of a session after ``after``, from ``spot``;
    without bars after ``after``, the session's daily high/low and close
    (:data:`INTRADAY_FALLBACK`)."""
    if day_bars is not None:
        rest = day_bars[pd.DatetimeIndex(day_bars.index) >= after]
        if len(rest):
            closes = np.concatenate([[spot], rest["close"].to_numpy(float)])
            rv = float(np.sum(np.diff(np.log(closes)) ** 2))
            return float(rest["high"].max()), float(rest["low"].min()), rv, True
    high, low, close = daily
    return high, low, float(np.log(close / spot) ** 2), False


def _score_intraday(rows: pd.DataFrame, nifty: pd.DataFrame, bars: pd.DataFrame | None,
                    t_pos: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Outcomes of intraday rows of the expiry fields, from each row's own moment, and how
    many were settled without their session's bars (:data:`INTRADAY_FALLBACK`)."""
    by_session = _bars_by_session(bars)
    fallback = 0
    sessions = pd.DatetimeIndex(nifty.index)
    high, low = nifty["high"].to_numpy(float), nifty["low"].to_numpy(float)
    close = nifty["close"].to_numpy(float)
    log_ret2 = np.concatenate([[np.nan], np.diff(np.log(close)) ** 2])
    expiry = rows["expiry"].to_numpy("datetime64[ns]")
    end = np.searchsorted(sessions.values, expiry, side="right") - 1
    reached = expiry <= sessions.values[-1]
    y = np.full(len(rows), np.nan)
    settled = np.full(len(rows), np.datetime64("NaT"), dtype="datetime64[ns]")
    for i, r in enumerate(rows.itertuples(index=False)):
        d, e = int(t_pos[i]), int(end[i])
        # the row's session must be in the history (its close is the rest's end), e >= d
        if not reached[i] or d < 0 or e < d or sessions.values[d] != ist_day(
                pd.Timestamp(r.as_of)).to_datetime64():
            continue
        spot, sigma, days = float(r.spot), float(r.vix) / 100.0, float(r.days_left)
        hi, lo, rv, from_bars = _session_rest(by_session.get(sessions.values[d]),
                                              pd.Timestamp(r.as_of), spot,
                                              (high[d], low[d], close[d]))
        fallback += not from_bars
        if e > d:
            hi, lo = max(hi, high[d + 1:e + 1].max()), min(lo, low[d + 1:e + 1].min())
            rv += float(np.nansum(log_ret2[d + 1:e + 1]))
        settle = close[e]
        strike = pd.to_numeric(r.key, errors="coerce")
        above = strike > spot
        outcome = {
            "trap": rv > sigma**2 * days / 365.0,
            "expiry_stress": abs(np.log(settle / spot)) > sigma * np.sqrt(days / 365.0),
            "breach_touch": (hi >= strike) if above else (lo <= strike),
            "breach_close": (settle >= strike) if above else (settle <= strike),
            "safe_range": r.lower <= settle <= r.upper,
        }[r.field]
        y[i] = float(outcome)
        settled[i] = sessions.values[e]
    return y, settled, fallback


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


def score_ledger(ledger: pd.DataFrame, nifty: pd.DataFrame, vix: pd.DataFrame,
                 intraday: pd.DataFrame | None = None) -> pd.DataFrame:
    """Fill ``outcome`` and ``settled_on`` of every row whose outcome the history now settles.

    Parameters
    ----------
    ledger : the ledger (:func:`aegis.ledger.read_ledger`).
    nifty : NIFTY daily frame (``open, high, low, close``), indexed by session (tz-naive).
    vix : India VIX daily frame (``close``, annualised percent), indexed by session.
    intraday : NIFTY 1-minute bars (tz-aware index), for the rest of an intraday forecast's
        session; None: the day's high/low and close stand in (:data:`INTRADAY_FALLBACK`).

    Returns
    -------
    DataFrame
        A copy of ``ledger``; rows already settled and rows not yet settleable are unchanged.
        ``attrs["notes"]`` says how many intraday rows settled without their session's bars.
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
    live = intraday_rows(out) & np.isin(field, EXPIRY_FIELDS)
    rows = np.flatnonzero(todo & live)
    fallback = 0
    if len(rows):
        y[rows], settled[rows], fallback = _score_intraday(out.iloc[rows], nifty, intraday,
                                                           t_pos_all[rows])
    todo &= ~live
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
    out.attrs["notes"] = ([f"{fallback} intraday forecasts settled without their session's "
                           f"bars: {INTRADAY_FALLBACK}"] if fallback else [])
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
    slots = _by_slot(ledger, since)
    for name, per_slot in slots.items():
        record.setdefault(name, {})["by_slot"] = per_slot
    sub = rows[rows["field"] == "safe_range"]
    record["safe_range"] = {
        "n": int(len(sub)),
        "coverage": float(sub["outcome"].mean()) if len(sub) else None,
        "confidence": float(sub["value"].mean()) if len(sub) else None,
        "by_slot": slots.get("safe_range", {}),
    }
    return record


def slot_of(generated_at: pd.Series) -> pd.Series:
    """The publish slot (IST ``HH:MM``) of each ``generated_at``: the 30-minute schedule's
    slots start at 09:15 (09:15, 09:45, ..., 15:15), so a time is floored to the slot it falls
    in; from the 15:30 close on, the slot is ``15:30`` (the close's snapshot); before 09:15,
    the previous evening's or the pre-open snapshot, ``pre-open``."""
    local = pd.DatetimeIndex(generated_at).tz_convert("Asia/Kolkata")
    minutes = local.hour * 60 + local.minute
    start = 9 * 60 + 15
    floored = start + ((minutes - start) // 30) * 30
    labels = [("pre-open" if m < start else "15:30" if m >= 15 * 60 + 30
               else f"{f // 60:02d}:{f % 60:02d}") for m, f in zip(minutes, floored, strict=True)]
    return pd.Series(labels, index=generated_at.index)


def _by_slot(ledger: pd.DataFrame, since: pd.Timestamp | None) -> dict[str, dict[str, Any]]:
    """Per field and publish slot: the settled forecasts of that time of day (one per session
    and slot) -- how the live record reads by the hour the trader opens the page."""
    rows = ledger[ledger["outcome"].notna()]
    if since is not None:
        rows = rows[rows["generated_at"] >= pd.Timestamp(since)]
    out: dict[str, dict[str, Any]] = {}
    if rows.empty:
        return out
    rows = rows.assign(_slot=slot_of(rows["generated_at"]), _day=ist_day(rows["generated_at"]))
    rows = rows.sort_values("generated_at", kind="stable").drop_duplicates(
        ["field", "key", "_day", "_slot"], keep="last")
    for (name, slot), sub in rows.groupby(["field", "_slot"]):
        p, yy = sub["value"].to_numpy(float), sub["outcome"].to_numpy(float)
        entry: dict[str, Any] = {"n": int(len(sub))}
        if name == "safe_range":
            entry["coverage"] = float(yy.mean())
        else:
            entry.update(brier=brier(p, yy), frequency=float(yy.mean()),
                         mean_forecast=float(p.mean()))
        out.setdefault(str(name), {})[str(slot)] = entry
    return out


__all__ = ["EXPIRY_FIELDS", "INTRADAY_FALLBACK", "PROBABILITY_FIELDS", "intraday_rows",
           "live_track_record", "score_ledger", "slot_of", "walk_forward_climatology"]

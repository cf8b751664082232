"""Watch the published numbers themselves: calibration drift and frozen fields.

The old engine's trap score sat at 0.95 for weeks while every artifact check stayed green. Two
checks on the ledger catch that class of failure:

- :func:`calibration_drift`: on the live track record of a rolling window, a probability whose
  Brier score is worse than climatology's by more than ``brier_margin``, or whose ECE exceeds
  ``max_ece``, or a safe range whose live coverage is outside its target's Wilson 95% band --
  each only once ``min_n`` forecasts have settled (fewer say nothing either way).
- :func:`frozen_fields`: a field whose published value did not change at all over the last
  ``runs`` sessions (the last snapshot of each) while its inputs moved (spot by at least
  ``min_spot_move`` relative, or India VIX by at least ``min_vix_move`` points). Spot is read
  from the ledger itself (the midpoint of the published safe range is spot, by construction);
  VIX from the daily history.
- :func:`frozen_within_session`: the same within one session: a field that stayed identical
  across a session's snapshots (at least ``runs`` of them) while the spot and India VIX they
  were published at moved. Every number is of the moment (the models read today's bars), so
  an intraday repeat is as suspect as a daily one; only a published climatology (``empirical``
  throughout: an event frequency fixed at the last retrain) is exempt.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from aegis.analytics.intervals import wilson_bounds
from aegis.market.hours import ist_day

WATCHED_FIELDS = ("direction", "trap", "expiry_stress", "buyer")


def calibration_drift(record: dict[str, dict[str, Any]], *, min_n: int = 30,
                      brier_margin: float = 0.02, max_ece: float = 0.15) -> list[str]:
    """One message per field whose live calibration has drifted (empty list: none has).

    Parameters
    ----------
    record : :func:`aegis.ledger.live_track_record` of the window to judge.
    min_n : settled forecasts needed before a field is judged.
    brier_margin : how much worse than climatology's Brier score is tolerated (absolute).
    max_ece : the largest tolerated expected calibration error.
    """
    problems = []
    for name, rec in record.items():
        n = int(rec.get("n") or 0)
        if n < min_n:
            continue
        if name == "safe_range":
            lo, hi = wilson_bounds(float(rec["coverage"]) * n, n)
            target = float(rec["confidence"])
            if not lo <= target <= hi:
                problems.append(f"safe_range: live coverage {rec['coverage']:.3f} over {n} "
                                f"expiries (95% {lo:.3f}-{hi:.3f}) misses the {target:.2f} "
                                "target")
            continue
        if rec["brier"] > rec["brier_climatology"] + brier_margin:
            problems.append(f"{name}: live Brier {rec['brier']:.4f} over {n} settled forecasts "
                            f"is worse than climatology's {rec['brier_climatology']:.4f} "
                            f"by more than {brier_margin}")
        if rec["ece"] > max_ece:
            problems.append(f"{name}: live ECE {rec['ece']:.3f} over {n} settled forecasts "
                            f"exceeds {max_ece}")
    return problems


def _last_per_session(ledger: pd.DataFrame) -> pd.DataFrame:
    """The rows of the last snapshot of each as_of session (IST date), oldest session first."""
    day = ist_day(ledger["as_of"])
    last = ledger.assign(_day=day).groupby("_day")["generated_at"].transform("max")
    out = ledger[ledger["generated_at"] == last].assign(_day=day)
    return out.sort_values(["_day", "generated_at"], kind="stable")


def frozen_fields(ledger: pd.DataFrame, vix: pd.DataFrame | None = None, *, runs: int = 5,
                  min_spot_move: float = 0.002, min_vix_move: float = 0.25) -> list[str]:
    """One message per watched field frozen over the last ``runs`` sessions (empty: none).

    A run is the last snapshot of a session (:func:`frozen_within_session` judges the
    snapshots within one); across sessions the features change and a bit-identical number
    means the model (or its inputs) is stuck. A field published
    with ``empirical`` provenance throughout (the gate's climatology, an event frequency fixed
    at the last retrain) is not judged.

    Parameters
    ----------
    ledger : the ledger.
    vix : India VIX daily frame (``close``) for the VIX movement; ``None`` judges by spot only.
    runs : how many of the latest sessions' last snapshots must agree exactly.
    min_spot_move : relative spot range (max/min - 1) over those runs that counts as moved.
    min_vix_move : VIX range (points) over the sessions of those runs that counts as moved.
    """
    if ledger.empty:
        return []
    per_session = _last_per_session(ledger)
    days = np.sort(per_session["_day"].unique())
    if len(days) < runs:
        return []
    recent = per_session[per_session["_day"].isin(days[-runs:])]
    moved: list[str] = []
    ranges = recent[recent["field"] == "safe_range"]
    if len(ranges):
        spot = (ranges["lower"] + ranges["upper"]).to_numpy(float) / 2.0
        if np.nanmax(spot) / np.nanmin(spot) - 1.0 >= min_spot_move:
            moved.append(f"spot moved {np.nanmin(spot):.1f}-{np.nanmax(spot):.1f}")
    if vix is not None and len(vix):
        pos = np.searchsorted(vix.index.values, days[-runs:], side="right") - 1
        levels = vix["close"].to_numpy(float)[pos[pos >= 0]]
        if len(levels) and float(np.ptp(levels)) >= min_vix_move:
            moved.append(f"VIX moved {levels.min():.2f}-{levels.max():.2f}")
    if not moved:
        return []
    problems = []
    for name in WATCHED_FIELDS:
        rows = recent[recent["field"] == name]
        values = rows["value"].to_numpy(float)
        if (rows["provenance"] == "empirical").all():
            continue  # a published climatology is constant between retrains by design
        if len(values) == runs and float(np.ptp(values)) == 0.0:
            problems.append(f"{name}: published {values[0]:.4f} as the last number of each of "
                            f"the last {runs} sessions while {' and '.join(moved)}: a frozen "
                            "number")
    return problems


def frozen_within_session(ledger: pd.DataFrame, *, runs: int = 4, min_spot_move: float = 0.002,
                          min_vix_move: float = 0.25) -> list[str]:
    """One message per watched field frozen across the latest session's snapshots.

    The latest session is the IST date of the newest ``generated_at`` that has at least
    ``runs`` snapshots; inputs moved when the ``spot`` the snapshots were published at spans
    ``min_spot_move`` (relative) or their ``vix`` spans ``min_vix_move`` points. Rows written
    before the ledger kept spot and VIX are not judged.
    """
    if ledger.empty:
        return []
    rows = ledger[ledger.reindex(columns=["spot", "vix"]).notna().all(axis=1)]
    if rows.empty:
        return []
    day = ist_day(rows["generated_at"])
    counts = rows.assign(_day=day).groupby("_day")["generated_at"].nunique()
    full = counts[counts >= runs]
    if full.empty:
        return []
    latest = full.index.max()
    session = rows[np.asarray(day == latest)]
    per_snapshot = session.drop_duplicates("generated_at")
    spot, vix = per_snapshot["spot"].to_numpy(float), per_snapshot["vix"].to_numpy(float)
    moved = []
    if spot.max() / spot.min() - 1.0 >= min_spot_move:
        moved.append(f"spot moved {spot.min():.1f}-{spot.max():.1f}")
    if float(np.ptp(vix)) >= min_vix_move:
        moved.append(f"VIX moved {vix.min():.2f}-{vix.max():.2f}")
    if not moved:
        return []
    problems = []
    n = int(full[latest])
    for name in WATCHED_FIELDS:
        field = session[session["field"] == name]
        if field.empty or (field["provenance"] == "empirical").all():
            continue
        values = field["value"].to_numpy(float)
        if len(values) >= runs and float(np.ptp(values)) == 0.0:
            problems.append(f"{name}: published {values[0]:.4f} in all {n} snapshots of "
                            f"{pd.Timestamp(latest).date()} while {' and '.join(moved)}: a "
                            "number frozen within the session")
    return problems


__all__ = ["WATCHED_FIELDS", "calibration_drift", "frozen_fields", "frozen_within_session"]

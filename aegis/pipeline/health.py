"""Model-health checks: the champions, the calendar's span and the live track record.

``aegis_model_health`` runs :func:`model_health` (every champion loaded as inference would;
a model the gate refused is published as climatology, not a failure) beside these two.
Each raises a named error with every problem in its message, so the Airflow task
turns red, the failure notifier sends it, and ``docs/operations.md`` says what to do:

- :func:`calendar_health` -- :class:`~aegis.errors.CalendarCoverageError` when fewer than
  ``CALENDAR_WARN_DAYS`` (30) days remain before the last day the NSE calendar knows.
- :func:`snapshot_health` -- :class:`~aegis.errors.SnapshotError` when the published snapshot
  is stale against the 30-minute publishing schedule (a paused ingest DAG shows up here).
- :func:`track_record_health` -- settles the ledger's forecasts on the stored history (the
  ledger is rewritten atomically, under the ledger lock inference's publish holds too),
  computes the live Brier / ECE / coverage over the last ``TRACK_WINDOW_DAYS`` against
  climatology, and raises
  :class:`~aegis.errors.ForecastDriftError` on calibration drift or a frozen number.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

import pandas as pd

from aegis.config import get_settings
from aegis.errors import CalendarCoverageError, ForecastDriftError
from aegis.market.hours import ist_today

CALENDAR_WARN_DAYS: Final = 30
"""Warn this many days before the calendar's known span ends."""
TRACK_WINDOW_DAYS: Final = 90
"""The rolling window (days of ``generated_at``) of the live track record that is judged."""
FROZEN_RUNS: Final = 5
"""Sessions in a row (the last snapshot of each) with an unchanged value while the inputs
moved that count as frozen: a week of trading."""


def model_health() -> dict[str, Any]:
    """Load every champion as inference would; raise naming each one that is not sound."""
    from aegis.errors import ArtifactMissingError
    from aegis.models.specs import MODEL_SPECS
    from aegis.pipeline.champions import Champions
    from aegis.pipeline.paths import gate_log_path
    from aegis.registry.artifacts import read_registry, verify_all
    from aegis.registry.store import StoreConfig, recover_store

    settings = get_settings()
    recover_store(StoreConfig.from_settings(settings))
    models_dir = settings.resolved_models_dir
    results = verify_all(models_dir)
    champions = set(read_registry(models_dir)["champions"])
    missing = sorted(set(MODEL_SPECS) - champions)
    refused = Champions(models_dir, gate_log_path(settings))
    verdicts = {name: refused.verdict(name) for name in missing}
    climatology = {name: decision.reason for name, (decision, _) in verdicts.items()
                   if decision is not None}
    bad = [f"{r.name} ({r.version}): {r.reason}" for r in results if not r.ok]
    bad += [f"{name}: no champion in {models_dir / 'registry.json'}{note}"
            for name, (decision, note) in verdicts.items() if decision is None]
    if bad:
        raise ArtifactMissingError("unhealthy champions: " + "; ".join(bad))
    return {"healthy": sorted(r.name for r in results),
            "versions": {r.name: r.version for r in results},
            # no model beat climatology: published as climatology, honestly; not a failure
            "climatology": climatology}


def calendar_health(today: str | None = None, warn_days: int = CALENDAR_WARN_DAYS
                    ) -> dict[str, Any]:
    """The calendar's coverage from ``today`` (IST date by default); raises ``warn_days`` ahead.

    Raises
    ------
    CalendarCoverageError
        When the calendar knows fewer than ``warn_days`` days ahead, naming the last known day
        and the file to extend.
    """
    from aegis.market.calendar import calendar_coverage

    day = today or ist_today().isoformat()
    info = calendar_coverage(day, warn_days)
    if not info["covered"]:
        raise CalendarCoverageError(
            f"the NSE calendar knows sessions only up to {info['known_until']} "
            f"({info['days_left']} days from {info['today']}; at least {warn_days} expected): "
            f"add the next year's NSE holidays and a year_complete row to "
            f"{info['holiday_file']} (docs/operations.md, 'NSE holidays'); past that day "
            "every expiry is an assumption and each snapshot is degraded")
    return info


def snapshot_health(now: datetime | None = None) -> dict[str, Any]:
    """The published snapshot against the 30-minute schedule (:mod:`aegis.market.slots`).

    Returns ``{"snapshot", "as_of", "due_slot"}`` when fresh.

    Raises
    ------
    SnapshotError
        No snapshot published, or one older than the last due slot allows (while a session is
        open: the slot before the last due one; overnight: the last session's close), naming
        the file, its ``as_of`` and the slot that should have published.
    """
    from aegis.errors import SnapshotError
    from aegis.market.slots import freshness
    from aegis.snapshot import read_snapshot

    settings = get_settings()
    moment = now if now is not None else settings.now()
    path = settings.snapshot_path
    if not path.is_file():
        raise SnapshotError(f"{path}: no snapshot published yet (aegis_market_ingest and "
                            "aegis_inference publish it; are they paused?)")
    snap = read_snapshot(path)
    fresh = freshness(snap.as_of, moment)
    if fresh.stale:
        raise SnapshotError(f"{path}: stale: {fresh.reason}; check that aegis_market_ingest "
                            "and aegis_inference are unpaused and their last runs succeeded")
    return {"snapshot": str(path), "as_of": snap.as_of.isoformat(),
            "due_slot": fresh.due_slot.isoformat()}


def track_record_health(now: pd.Timestamp | None = None) -> dict[str, Any]:
    """Settle the ledger, score the live track record, raise on drift or frozen numbers.

    Returns ``{"ledger", "rows", "settled", "newly_settled", "record"}`` when healthy.

    Raises
    ------
    ForecastDriftError
        Listing every drifted or frozen field (the settled ledger is written first).
    """
    from aegis.ledger import (
        appended_dir,
        calibration_drift,
        frozen_fields,
        frozen_within_session,
        ledger_lock,
        ledger_path,
        live_track_record,
        read_ledger,
        score_ledger,
        write_ledger,
    )
    from aegis.ledger.scoring import walk_forward_climatology
    from aegis.market.store import MarketStore
    from aegis.pipeline.data import load_daily, read_validated_features
    from aegis.pipeline.publish import recover_locked

    settings = get_settings()
    path = ledger_path(settings.resolved_data_dir)
    with ledger_lock(path):  # inference appends under the same lock: no rows lost
        recover_locked(path)
        ledger = read_ledger(path)
        if ledger.empty:
            return {"ledger": str(path), "rows": 0, "settled": 0, "newly_settled": 0,
                    "record": {}}
        nifty, vix = load_daily(settings)
        store = MarketStore(settings.resolved_data_dir)
        bars = store.read("nifty_intraday") if "nifty_intraday" in store.names() else None
        before = int(ledger["outcome"].notna().sum())
        scored = score_ledger(ledger, nifty, vix, bars)
        settled = int(scored["outcome"].notna().sum())
        if settled != before or any(appended_dir(path).glob("*.parquet")):
            write_ledger(scored, path)  # settled, and the day's appended files folded in
    now = now if now is not None else pd.Timestamp.now(tz="UTC")
    settled_rows = scored[scored["outcome"].notna()]
    climatology = walk_forward_climatology(settled_rows, nifty, vix,
                                           read_validated_features(settings))
    record = live_track_record(scored, since=now - pd.Timedelta(days=TRACK_WINDOW_DAYS),
                               climatology=climatology)
    problems = (calibration_drift(record) + frozen_fields(scored, vix, runs=FROZEN_RUNS)
                + frozen_within_session(scored))
    if problems:
        raise ForecastDriftError(f"live track record ({path}): " + "; ".join(problems))
    return {"ledger": str(path), "rows": len(scored), "settled": settled,
            "newly_settled": settled - before, "record": record,
            "notes": list(scored.attrs.get("notes", []))}


__all__ = ["CALENDAR_WARN_DAYS", "FROZEN_RUNS", "TRACK_WINDOW_DAYS", "calendar_health",
           "snapshot_health", "track_record_health"]

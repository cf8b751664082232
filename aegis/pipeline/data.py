"""Data stages: ingest -> features -> validation gate.

Staging is per run: :func:`build_features` writes the table of one run id (the Airflow run id in
the DAGs, a fresh id on the CLI) and :func:`validate` of that id checks and publishes exactly it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from aegis.atomic import exclusive_lock, replace_atomic, write_atomic, write_text_atomic
from aegis.config import Settings, get_settings
from aegis.errors import StoreError
from aegis.market.hours import MARKET_TZ, SESSION_CLOSE
from aegis.market.store import MarketStore
from aegis.pipeline.paths import (
    features_path,
    new_run_id,
    sha256_of,
    staged_features_path,
    validated_marker,
    validation_report_path,
)

if TYPE_CHECKING:
    from aegis.market.ingest import IngestReport
    from aegis.market.sources.base import MarketSource


def last_closed_session_day(moment: str | None) -> pd.Timestamp:
    """The last calendar day whose 15:30 IST close is at or before ``moment`` (default now).

    A run at 01:00 IST stands for the previous day's close, never for a close still to come.
    A bare date (``2024-06-14``) stands for that day's close.
    """
    if moment and len(moment) == 10:
        return pd.Timestamp(moment).normalize()
    ts = pd.Timestamp(moment) if moment else pd.Timestamp.now(tz="UTC")
    ist = (ts.tz_localize("UTC") if ts.tzinfo is None else ts).tz_convert(MARKET_TZ)
    day = ist.normalize().tz_localize(None)
    if ist.time() < SESSION_CLOSE:
        day -= pd.Timedelta(days=1)
    return day


def market_source(settings: Settings, logical_date: str | None = None) -> MarketSource:
    """The configured source, built with the settings it needs (the edge that reads them).

    ``simulator``: the seeded simulator ending at the logical date's last close (or today's),
    so a re-run for the same date gives the same frames. ``history``: every market-data file
    under ``AEGIS_HISTORY_DIR`` (recursively), loaded as ``aegis data ingest`` loads them.
    ``live``: Yahoo daily bars and the NSE option chain, ``AEGIS_LIVE_TIMEOUT_S`` per request.

    Raises
    ------
    StoreError
        ``AEGIS_SOURCE=history`` without an existing ``AEGIS_HISTORY_DIR`` folder.
    """
    if settings.source == "simulator":
        from aegis.market.sources.simulator import SimulatorSource

        return SimulatorSource(settings.seed, settings.sim_years,
                               end=last_closed_session_day(
                                   logical_date or settings.now().isoformat()))
    if settings.source == "history":
        from aegis.market.sources.history import HistorySource

        folder = settings.history_dir
        if folder is None or not folder.is_dir():
            raise StoreError("AEGIS_SOURCE=history needs AEGIS_HISTORY_DIR (a folder of files); "
                             f"got {folder}")
        return HistorySource([folder], now=settings.now())
    from aegis.market.sources.live import LiveSource

    return LiveSource(timeout=settings.live_timeout_s)


def ingest_into_store(source: MarketSource, settings: Settings) -> IngestReport:
    """Upsert what ``source`` returns into the configured store: the one ingestion path.

    ``aegis data ingest PATHS`` calls it with a history source of its paths, the ingest stage
    (DAG task and ``aegis pipeline ingest``) with :func:`market_source`.
    """
    from aegis.market.ingest import ingest_source

    return ingest_source(source, MarketStore(settings.resolved_data_dir), now=settings.now())


def ingest(logical_date: str | None = None) -> dict[str, Any]:
    """Fetch from the configured source and upsert into the store (idempotent).

    Returns the source's name, the upsert counts per series and the source's notes (a
    history folder's repairs, rejections, conflicts and skipped files).

    Raises
    ------
    StoreError
        The source gave no row at all (a history folder without a usable file): the reasons
        per file are in the message.
    """
    settings = get_settings()
    report = ingest_into_store(market_source(settings, logical_date), settings)
    if not any(u.inserted + u.updated + u.unchanged + u.held for u in report.upserts.values()):
        reasons = "; ".join(f"{p}: {why}" for p, why in report.not_stored.items())
        raise StoreError(f"ingest from {report.source}: expected rows of at least one series, "
                         f"got none ({reasons or 'the source returned no frames'})")
    notes = dict(report.notes)
    if report.not_stored:
        notes["not_stored"] = dict(report.not_stored)
    if report.refused:
        notes["refused"] = list(report.refused)
    return {"source": report.source,
            "series": {name: {k: v for k, v in asdict(up).items() if k != "refused"}
                       for name, up in report.upserts.items()},
            "notes": notes}


def load_daily(settings: Settings) -> tuple[pd.DataFrame, pd.DataFrame]:
    """NIFTY and India VIX daily frames from the store."""
    store = MarketStore(settings.resolved_data_dir)
    return store.read("nifty_daily"), store.read("vix_daily")


def build_features(run_id: str | None = None) -> dict[str, Any]:
    """Build the daily feature table from the store and stage it for run ``run_id``.

    ``run_id`` keys the staged file (the DAG passes its Airflow run id; default a fresh id,
    returned): :func:`validate` of the same id validates and publishes exactly this table.
    """
    from aegis.features.daily import build_daily_features

    settings = get_settings()
    run_id = run_id or new_run_id()
    nifty, vix = load_daily(settings)
    table = build_daily_features(nifty, vix)
    path = staged_features_path(settings, run_id)
    write_atomic(path, table.to_parquet)
    return {
        "run_id": run_id,
        "rows": len(table),
        "first": table.index[0].date().isoformat(),
        "last": table.index[-1].date().isoformat(),
        "path": str(path),
    }


def _read_table(path: Path, hint: str) -> pd.DataFrame:
    if not path.exists():
        raise StoreError(f"no feature table at {path}: {hint}")
    return pd.read_parquet(path)


def _validation_frames(settings: Settings, run_id: str) -> dict[str, pd.DataFrame]:
    staged = _read_table(staged_features_path(settings, run_id),
                         f"run {run_id!r} staged nothing: run `aegis pipeline features "
                         f"--run-id {run_id}` first")
    store = MarketStore(settings.resolved_data_dir)
    nifty, vix = load_daily(settings)
    frames = {"nifty_daily": nifty, "vix_daily": vix, "features": staged}
    present = store.names()
    if "option_chain" in present:
        chain = store.read("option_chain")
        latest = chain["timestamp"].max()
        frames["option_chain"] = chain[chain["timestamp"] == latest].reset_index(drop=True)
    if "nifty_intraday" in present:
        frames["intraday_bars"] = store.read("nifty_intraday")
    return frames


@contextmanager
def _publishing(settings: Settings) -> Iterator[None]:
    """One publisher at a time: the validated table and its marker are replaced together."""
    with exclusive_lock(features_path(settings).parent / ".publish.lock"):
        yield


def validate(run_id: str) -> dict[str, Any]:
    """Run every GX suite on the store and run ``run_id``'s staged features; publish on success.

    The table staged by this run (:func:`build_features` with the same id) becomes the
    validated one (an atomic rename, under a lock with its marker) only when every suite
    passes, so inference never reads data that failed validation, and a concurrent run can
    neither validate nor publish this run's table.

    Raises
    ------
    ValidationFailedError
        Any suite failed; the full report is written first, and the validated table is left
        as it was (the last good snapshot stays published).
    """
    from aegis.validation import require_valid, validate_frames

    settings = get_settings()
    report = validate_frames(
        _validation_frames(settings, run_id),
        docs_dir=settings.resolved_output_dir / "data_docs",
    )
    report_path = validation_report_path(settings)
    write_text_atomic(report_path, report.to_json())
    require_valid(report, record_to=report_path)
    staged, validated = staged_features_path(settings, run_id), features_path(settings)
    digest = sha256_of(staged)
    marker = {
        "features_sha256": digest,
        "validated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "report": str(report_path),
        "run_id": run_id,
    }
    with _publishing(settings):
        replace_atomic(staged, validated)
        write_text_atomic(validated_marker(settings), json.dumps(marker, indent=2))
    return {"success": True, "suites": [s.suite for s in report.suites], **marker}


def read_validated_features(settings: Settings) -> pd.DataFrame:
    """The last feature table that passed validation (never a staged one)."""
    return _read_table(
        features_path(settings), "no validated feature table yet: run ingest and validation"
    )

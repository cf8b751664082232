"""Data stages: ingest -> features -> validation gate."""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from aegis.atomic import write_text_atomic
from aegis.config import Settings, get_settings
from aegis.errors import StoreError
from aegis.market.hours import MARKET_TZ, SESSION_CLOSE
from aegis.market.store import MarketStore
from aegis.pipeline.paths import (
    features_path,
    sha256_of,
    staged_features_path,
    validated_marker,
    validation_report_path,
)


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


def source_frames(settings: Settings, logical_date: str | None = None) -> dict[str, Any]:
    """The frames of the configured source, keyed by store series name, and notes about them.

    ``simulator``: the seeded simulator ending at the logical date (or today), so a re-run for
    the same date gives the same frames. ``history``: every daily file under
    ``AEGIS_HISTORY_DIR``, merged. ``live``: Yahoo daily bars and the NSE option chain.
    """
    if settings.source == "simulator":
        end = last_closed_session_day(logical_date)
        from aegis.market.simulator import simulate

        market = simulate(settings.seed, settings.sim_years, end=end)
        return {"frames": market.series(), "notes": {"seed": settings.seed}}
    if settings.source == "history":
        from aegis.market.history import load_history_dir

        if settings.history_dir is None:
            raise StoreError("AEGIS_SOURCE=history needs AEGIS_HISTORY_DIR (a folder of files)")
        history = load_history_dir(settings.history_dir)
        notes = {
            "repairs": sum(len(v) for v in history.repairs.values()),
            "rejected": sum(len(v) for v in history.rejected.values()),
            "conflicts": len(history.conflicts),
            "skipped_files": sorted(history.skipped),
        }
        return {"frames": {"nifty_daily": history.nifty, "vix_daily": history.vix}, "notes": notes}
    from aegis.market import live

    frames = {
        "nifty_daily": live.fetch_yahoo_daily("^NSEI", timeout=settings.live_timeout_s),
        "vix_daily": live.fetch_yahoo_daily("^INDIAVIX", timeout=settings.live_timeout_s),
        "option_chain": live.fetch_nse_option_chain("NIFTY", timeout=settings.live_timeout_s),
    }
    return {"frames": frames, "notes": {"live": True}}


def ingest(logical_date: str | None = None) -> dict[str, Any]:
    """Fetch from the configured source and upsert into the store (idempotent)."""
    settings = get_settings()
    got = source_frames(settings, logical_date)
    store = MarketStore(settings.resolved_data_dir)
    counts = {name: asdict(store.upsert(name, frame)) for name, frame in got["frames"].items()}
    return {"source": settings.source, "series": counts, "notes": got["notes"]}


def load_daily(settings: Settings) -> tuple[pd.DataFrame, pd.DataFrame]:
    """NIFTY and India VIX daily frames from the store."""
    store = MarketStore(settings.resolved_data_dir)
    return store.read("nifty_daily"), store.read("vix_daily")


def build_features() -> dict[str, Any]:
    """Build the daily feature table from the store and stage it for validation."""
    from aegis.features.daily import build_daily_features

    settings = get_settings()
    nifty, vix = load_daily(settings)
    table = build_daily_features(nifty, vix)
    path = staged_features_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    table.to_parquet(tmp)
    tmp.replace(path)
    return {
        "rows": len(table),
        "first": table.index[0].date().isoformat(),
        "last": table.index[-1].date().isoformat(),
        "path": str(path),
    }


def _read_table(path: Path, hint: str) -> pd.DataFrame:
    if not path.exists():
        raise StoreError(f"no feature table at {path}: {hint}")
    return pd.read_parquet(path)


def _validation_frames(settings: Settings) -> dict[str, pd.DataFrame]:
    store = MarketStore(settings.resolved_data_dir)
    nifty, vix = load_daily(settings)
    staged = _read_table(staged_features_path(settings), "run `aegis pipeline features` first")
    frames = {"nifty_daily": nifty, "vix_daily": vix, "features": staged}
    present = store.names()
    if "option_chain" in present:
        chain = store.read("option_chain")
        latest = chain["timestamp"].max()
        frames["option_chain"] = chain[chain["timestamp"] == latest].reset_index(drop=True)
    if "nifty_intraday" in present:
        frames["intraday_bars"] = store.read("nifty_intraday")
    return frames


def validate() -> dict[str, Any]:
    """Run every GX suite on the store and the staged features; on success publish them.

    The staged feature table becomes the validated one (atomic rename) only when every suite
    passes, so inference never reads data that failed validation.

    Raises
    ------
    ValidationFailedError
        Any suite failed; the full report is written first, and the validated table is left
        as it was (the last good snapshot stays published).
    """
    from aegis.validation import require_valid, validate_frames

    settings = get_settings()
    report = validate_frames(
        _validation_frames(settings), docs_dir=settings.resolved_output_dir / "data_docs"
    )
    report_path = validation_report_path(settings)
    write_text_atomic(report_path, report.to_json())
    require_valid(report, record_to=report_path)
    staged, validated = staged_features_path(settings), features_path(settings)
    digest = sha256_of(staged)
    os.replace(staged, validated)
    marker = {
        "features_sha256": digest,
        "validated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "report": str(report_path),
    }
    write_text_atomic(validated_marker(settings), json.dumps(marker, indent=2))
    return {"success": True, "suites": [s.suite for s in report.suites], **marker}


def read_validated_features(settings: Settings) -> pd.DataFrame:
    """The last feature table that passed validation (never a staged one)."""
    return _read_table(
        features_path(settings), "no validated feature table yet: run ingest and validation"
    )

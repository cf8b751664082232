"""Data stages: ingest -> features -> validation gate.

Staging is per run: :func:`build_features` writes the table of one run id (the Airflow run id in
the DAGs, a fresh id on the CLI) and :func:`validate` of that id checks and publishes exactly it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from aegis.atomic import exclusive_lock, replace_atomic, write_atomic, write_text_atomic
from aegis.config import Settings, get_settings
from aegis.errors import StoreError
from aegis.market.hours import CLOSE_AFTER_MIDNIGHT, MARKET_TZ, ist_day
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


def ingest_moment(settings: Settings, logical_date: str | None = None) -> datetime:
    """The moment an ingest stands for (aware): the run's logical date, never after the clock.

    Without a logical date it is ``settings.now()`` (the system clock, or ``AEGIS_CLOCK``). A
    DAG run passes its slot (``2024-06-14T10:15+05:30``; a naive time is read as IST); a bare
    date (``2024-06-14``) stands for that day's 15:30 IST close. A logical moment later than
    the clock is cut to the clock: nothing is fetched that has not happened.
    """
    now = settings.now()
    if not logical_date:
        return now
    if len(logical_date) == 10:
        moment = pd.Timestamp(logical_date).normalize() + pd.Timedelta(CLOSE_AFTER_MIDNIGHT)
    else:
        moment = pd.Timestamp(logical_date)
    moment = moment.tz_localize(MARKET_TZ) if moment.tzinfo is None else moment
    return min(moment.to_pydatetime(), now)


def market_source(settings: Settings, logical_date: str | None = None) -> MarketSource:
    """The configured source, built with the settings and the moment (the edge that reads them).

    The moment is :func:`ingest_moment` (``settings.now()`` unless a DAG run names its slot).
    ``simulator``: the seeded simulator as known at the moment -- the sessions closed by then,
    today's 1-minute NIFTY and India VIX bars finished by then and a chain at the moment --
    so a re-run for the same moment gives the same frames. ``history``: every market-data file
    under ``AEGIS_HISTORY_DIR`` (recursively), loaded as ``aegis data ingest`` loads them.
    ``live``: Yahoo 1-minute and daily bars (no daily bar of a session not closed at the
    moment) and the NSE option chain, ``AEGIS_LIVE_TIMEOUT_S`` per request.

    Raises
    ------
    StoreError
        ``AEGIS_SOURCE=history`` without an existing ``AEGIS_HISTORY_DIR`` folder.
    """
    moment = ingest_moment(settings, logical_date)
    if settings.source == "simulator":
        from aegis.market.sources.simulator import SimulatorSource

        return SimulatorSource(settings.seed, settings.sim_years, now=moment)
    if settings.source == "history":
        from aegis.market.sources.history import HistorySource

        folder = settings.history_dir
        if folder is None or not folder.is_dir():
            raise StoreError("AEGIS_SOURCE=history needs AEGIS_HISTORY_DIR (a folder of files); "
                             f"got {folder}")
        return HistorySource([folder], now=settings.now())
    from aegis.market.sources.live import LiveSource

    return LiveSource(timeout=settings.live_timeout_s, now=moment)


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
    history folder's repairs, rejections, conflicts and skipped files; the live feed's dropped
    bars; ``refused``: the rows that had not happened at the moment, with the reason).

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
    from aegis.market.store import read_parquet_file

    return read_parquet_file(path)


#: Intraday series validated by the ``intraday_bars`` suite, each under its own name.
INTRADAY_SERIES = ("nifty_intraday", "vix_intraday")


def bars_to_validate(bars: pd.DataFrame, after: pd.Timestamp | None) -> pd.DataFrame:
    """The bars a validation checks: those after ``after`` (the last bar validated before;
    None: all of them) and every bar of the latest session (today's, during a session).

    The history validated before is not checked again; the session in progress is checked
    whole on every run (its bars are what the snapshot reads).
    """
    if bars.empty:
        return bars
    day = ist_day(pd.DatetimeIndex(bars.index))
    keep = np.asarray(day == day.max())
    if after is None:
        keep[:] = True
    else:
        keep |= np.asarray(bars.index > after)
    return bars[keep]


#: Frames a validation may skip when they are exactly what the last successful one checked.
REUSABLE = ("nifty_daily", "vix_daily", "features")


def frame_fingerprint(suite: str, frame: pd.DataFrame) -> str:
    """sha256 of a frame's values, index, columns and dtypes, and of the suite and helpers
    that check it: equal fingerprints mean the same rows under the same expectations."""
    from aegis.validation import helpers
    from aegis.validation.suites import suite_path

    digest = hashlib.sha256()
    digest.update(suite_path(suite).read_bytes())
    digest.update(Path(helpers.__file__).read_bytes())
    shape = [str(frame.index.name), [str(c) for c in frame.columns],
             [str(t) for t in frame.dtypes]]
    digest.update(json.dumps(shape).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())
    return digest.hexdigest()


def _previous_marker(settings: Settings) -> dict[str, Any]:
    """The last successful validation's marker (empty before the first one)."""
    path = validated_marker(settings)
    if not path.exists():
        return {}
    try:
        marker = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(marker, dict):
            raise TypeError(f"a JSON object, got {type(marker).__name__}")
        for key in ("intraday_validated_to", "fingerprints"):
            if not isinstance(marker.get(key) or {}, dict):
                raise TypeError(f"{key!r} must map names to strings")
        return marker
    except (ValueError, TypeError) as exc:
        raise StoreError(f"{path}: expected the validation marker (JSON with "
                         f"'intraday_validated_to' and 'fingerprints'); {exc}") from exc


def _last_validated_bars(marker: dict[str, Any]) -> dict[str, pd.Timestamp]:
    """Per intraday series, the last bar the previous successful validation checked."""
    return {name: pd.Timestamp(stamp)
            for name, stamp in (marker.get("intraday_validated_to") or {}).items()}


def _skip_unchanged(frames: dict[str, pd.DataFrame], marker: dict[str, Any]
                    ) -> tuple[dict[str, str], dict[str, Any]]:
    """Fingerprints of the reusable frames; drop from ``frames`` those the last successful
    validation checked as they are (during a session: the daily series and the features).

    At least one frame always stays (a validation that runs no suite passes nothing).
    """
    seen = marker.get("fingerprints") or {}
    prints = {name: frame_fingerprint(name, frames[name]) for name in REUSABLE if name in frames}
    same = [name for name, digest in prints.items() if seen.get(name) == digest]
    if len(same) == len(frames):
        same.remove("features")
    unchanged = {name: {"fingerprint": prints[name], "validated_by_run": marker.get("run_id"),
                        "validated_at": marker.get("validated_at")} for name in same}
    for name in same:
        del frames[name]
    return prints, unchanged


def _validation_frames(settings: Settings, run_id: str, marker: dict[str, Any]
                       ) -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
    """The frames to validate and what was chosen of the intraday series (for the report)."""
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
    since = _last_validated_bars(marker)
    chosen: dict[str, Any] = {}
    for name in INTRADAY_SERIES:
        if name not in present:
            continue
        bars = bars_to_validate(store.read(name), since.get(name))
        frames[name] = bars
        chosen[name] = {"rows": len(bars), "after": _iso(since.get(name)),
                        "first": _iso(bars.index.min()), "last": _iso(bars.index.max())}
    return frames, chosen


def _iso(stamp: pd.Timestamp | None) -> str | None:
    return None if stamp is None or pd.isna(stamp) else pd.Timestamp(stamp).isoformat()


@contextmanager
def _publishing(settings: Settings) -> Iterator[None]:
    """One publisher at a time: the validated table and its marker are replaced together."""
    with exclusive_lock(features_path(settings).parent / ".publish.lock"):
        yield


def validate(run_id: str) -> dict[str, Any]:
    """Run every GX suite on the store and run ``run_id``'s staged features; publish on success.

    The intraday series (``nifty_intraday``, ``vix_intraday``: the ``intraday_bars`` suite,
    each reported under its own name) are checked on their new bars and the latest session's
    (:func:`bars_to_validate`; the marker records the last bar validated), not their whole
    history again; a failure names the series, the bar times and the expectation. The daily
    series and the feature table are checked again only when they changed: one whose
    :func:`frame_fingerprint` (rows, suite and helpers) equals the last successful
    validation's is listed under ``inputs.unchanged_since_last_validation`` of the report
    instead (during a session nothing daily changes between two slots).

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
    previous = _previous_marker(settings)
    frames, chosen = _validation_frames(settings, run_id, previous)
    prints, unchanged = _skip_unchanged(frames, previous)
    report = validate_frames(
        frames,
        docs_dir=settings.resolved_output_dir / "data_docs",
        suites=dict.fromkeys(INTRADAY_SERIES, "intraday_bars"),
    )
    report = report.model_copy(update={"inputs": {**report.inputs, "intraday": chosen,
                                                  "unchanged_since_last_validation": unchanged}})
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
        "intraday_validated_to": {name: c["last"] for name, c in chosen.items() if c["last"]},
        "fingerprints": prints,
    }
    with _publishing(settings):
        replace_atomic(staged, validated)
        write_text_atomic(validated_marker(settings), json.dumps(marker, indent=2))
    return {"success": True, "suites": [s.suite for s in report.suites],
            "unchanged": sorted(unchanged), **marker}


def read_validated_features(settings: Settings) -> pd.DataFrame:
    """The last feature table that passed validation (never a staged one)."""
    return _read_table(
        features_path(settings), "no validated feature table yet: run ingest and validation"
    )

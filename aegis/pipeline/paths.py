"""Where each stage keeps its outputs, derived from the settings (one place)."""

from __future__ import annotations

import hashlib
import re
import uuid
from datetime import UTC, datetime
from pathlib import Path

from aegis.config import Settings
from aegis.errors import StoreError

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def new_run_id() -> str:
    """A fresh run id for a run outside Airflow (``cli-<UTC time>-<random>``)."""
    return f"cli-{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"


def run_key(run_id: str) -> str:
    """``run_id`` as a file-name part: unsafe characters replaced, plus a digest of the raw id.

    Airflow run ids hold ``:`` and ``+`` (``scheduled__2024-06-14T04:00:00+00:00``); the digest
    keeps two ids that differ only in those characters apart.

    Raises
    ------
    StoreError
        An empty run id.
    """
    if not run_id or not run_id.strip():
        raise StoreError(f"run id: expected a non-empty string; got {run_id!r}")
    digest = hashlib.sha256(run_id.encode("utf-8")).hexdigest()[:10]
    return f"{_UNSAFE.sub('_', run_id.strip())[:80]}-{digest}"


def staged_dir(settings: Settings) -> Path:
    """Where runs stage their feature tables, one file per run."""
    return settings.resolved_data_dir / "features" / "staged"


def staged_features_path(settings: Settings, run_id: str) -> Path:
    """The daily feature table built by run ``run_id``, not yet validated (Parquet).

    One file per run: an ingest run and a health-triggered retrain staging at the same time
    each validate (and publish) the table they built, never the other's.
    """
    return staged_dir(settings) / f"daily.{run_key(run_id)}.parquet"


def features_path(settings: Settings) -> Path:
    """The last daily feature table that passed validation; the only one inference reads."""
    return settings.resolved_data_dir / "features" / "daily.parquet"


def validated_marker(settings: Settings) -> Path:
    """JSON naming the sha256 of the feature table that last passed validation."""
    return settings.resolved_data_dir / "features" / "validated.json"


def validation_report_path(settings: Settings) -> Path:
    return settings.resolved_output_dir / "validation.json"


def rates_path(settings: Settings) -> Path:
    return settings.resolved_output_dir / "rates.json"


CLIMATOLOGY_FILE = "climatology.json"
"""The nightly climatology file, beside ``rates.json`` in the output dir."""


def climatology_path(settings: Settings) -> Path:
    """Every model's climatology as the last retrain computed it (inference reads it)."""
    return settings.resolved_output_dir / CLIMATOLOGY_FILE


def gate_log_path(settings: Settings) -> Path:
    """The last retrain's gate decision per model (why a champion was or was not replaced)."""
    return settings.resolved_output_dir / "gate.json"


def challengers_dir(settings: Settings) -> Path:
    """Freshly trained, not yet promoted artifacts."""
    return settings.home / "challengers"


def sha256_of(path: Path) -> str:
    """sha256 of a file (the same digest the model manifests use)."""
    from aegis.registry.artifacts import sha256_file

    return sha256_file(path)



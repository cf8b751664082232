"""Where each stage keeps its outputs, derived from the settings (one place)."""

from __future__ import annotations

from pathlib import Path

from aegis.config import Settings


def staged_features_path(settings: Settings) -> Path:
    """The freshly built daily feature table, not yet validated (Parquet)."""
    return settings.resolved_data_dir / "features" / "daily.staged.parquet"


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



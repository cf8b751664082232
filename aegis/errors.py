"""Every named exception of AegisMatrix, in one module.

Messages say what was expected, what arrived, and where (file, row, column).
Append new exceptions here; do not define exceptions elsewhere.
"""

from __future__ import annotations

from pathlib import Path


class AegisError(Exception):
    """Base of all AegisMatrix errors."""


# --- market data --------------------------------------------------------------------
class DataFormatError(AegisError):
    """A market-data file that cannot be read as any supported format."""

    def __init__(
        self,
        path: Path | str,
        expected: str,
        *,
        row: int | None = None,
        column: str | None = None,
        found: str | None = None,
    ) -> None:
        self.path = Path(path)
        self.expected = expected
        self.row = row
        self.column = column
        self.found = found
        where = str(self.path)
        if row is not None:
            where += f", row {row}"
        if column is not None:
            where += f", column {column!r}"
        msg = f"{where}: expected {expected}"
        if found is not None:
            msg += f"; found {found}"
        super().__init__(msg)


class MergeConflictError(AegisError):
    """Overlapping files of one series disagree beyond tolerance where no precedence applies."""


class LiveSourceError(AegisError):
    """A live source (Yahoo, NSE) could not be reached or answered nonsense."""


class StoreError(AegisError):
    """The Parquet market-data store is missing a series or is inconsistent."""


class CalendarError(AegisError):
    """A date outside the calendar's known range or not a session where one is required."""


# --- validation ---------------------------------------------------------------------
class ValidationFailedError(AegisError):
    """One or more Great Expectations suites failed; carries the report."""

    def __init__(self, message: str, report: object | None = None) -> None:
        super().__init__(message)
        self.report = report


# --- models and artifacts -----------------------------------------------------------
class ModelError(AegisError):
    """Base of model and artifact errors."""


class ArtifactMissingError(ModelError):
    """A champion named in the registry has no model file or manifest."""


class ChecksumMismatchError(ModelError):
    """The model file's sha256 differs from its manifest."""


class ManifestMismatchError(ModelError):
    """The manifest's features, dtypes or versions do not match today's feature builder."""


class RegistryFormatError(ModelError):
    """``registry.json`` (or one entry of it) is not JSON or is wrongly shaped."""


class ProbeMismatchError(ModelError):
    """onnxruntime's predictions on the stored probe batch differ from training time."""


class ModelStoreError(ModelError):
    """DVC / S3 push, pull or rollback failed."""


class RemoteUnavailableError(ModelStoreError):
    """The S3-compatible endpoint could not be reached after retries."""


# --- snapshot -----------------------------------------------------------------------
class SnapshotError(AegisError):
    """The snapshot could not be built or written; the previous one is untouched."""


# --- features -----------------------------------------------------------------------
class FeatureInputError(AegisError):
    """A frame handed to a feature builder lacks a column, is mis-indexed or holds bad values."""


# --- analytics and rates --------------------------------------------------------------
class AnalyticsInputError(AegisError, ValueError):
    """A formula received an input outside its domain (negative days, p outside [0, 1], ...)."""


class ChainError(AnalyticsInputError):
    """An option chain cannot give the asked number (no OI, several expiries, duplicate rows)."""


class InsufficientHistoryError(AegisError):
    """Too little history to compute an empirical rate or fit a multiplier walk-forward."""


# --- models: inputs and training (appended by the models owner) -------------------------
class ModelInputError(ModelError):
    """A feature table or input batch lacks a column, has the wrong shape or holds NaN."""


class TrainingDataError(ModelError):
    """Too few labelled rows (or a single class) to train or evaluate a model."""


# --- validation suites ------------------------------------------------------------------
class SuiteDefinitionError(AegisError):
    """An expectation suite file is missing, is not valid JSON, or holds an expectation GX cannot
    build (GX would drop it silently; we refuse)."""


class ValidationInputError(AegisError):
    """A frame handed to the validation gate has no suite or lacks the index/columns its
    suite's helper columns are computed from."""


class SimulatorInputError(AegisError):
    """Arguments to the market simulator out of range (seed, years, session counts)."""


class ConfigurationError(AegisError):
    """A settings or params file that is missing, unreadable or holds a bad value."""


# --- running it for a year: calendar span and the live track record -----------------------
class CalendarCoverageError(CalendarError):
    """The NSE calendar does not know enough days ahead (the holiday file needs next year)."""


class ForecastDriftError(AegisError):
    """The live track record shows calibration drift or a published number frozen in place."""


# --- dashboard ------------------------------------------------------------------------
class DashboardInputError(AegisError):
    """An input the AegisMatrix page reads (ledger, backtest report, registry) exists but cannot
    be used; the message names the file and what was expected."""


# --- training stage: challenger records and the gate log ---------------------------------
class ChallengerRecordError(ModelError):
    """A challenger record (``<home>/challengers/<name>.json``) is not JSON or is wrongly
    shaped; the message names the file and the field."""


class ClimatologyFileError(ModelError):
    """The nightly ``climatology.json`` is missing, not JSON or wrongly shaped."""


class GateLogFormatError(ModelError):
    """The gate log (``<output>/gate.json``) is not JSON or is wrongly shaped; the message names
    the file and the field."""

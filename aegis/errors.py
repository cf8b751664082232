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


class NotFittedError(ModelError):
    """An estimator was used before ``fit``."""


class ArtifactMissingError(ModelError):
    """A champion named in the registry has no model file or manifest."""


class ChecksumMismatchError(ModelError):
    """The model file's sha256 differs from its manifest."""


class ManifestMismatchError(ModelError):
    """The manifest's features, dtypes or versions do not match today's feature builder."""


class ProbeMismatchError(ModelError):
    """onnxruntime's predictions on the stored probe batch differ from training time."""


class ModelStoreError(ModelError):
    """DVC / S3 push, pull or rollback failed."""


class RemoteUnavailableError(ModelStoreError):
    """The S3-compatible endpoint could not be reached after retries."""


# --- snapshot -----------------------------------------------------------------------
class SnapshotError(AegisError):
    """The snapshot could not be built or written; the previous one is untouched."""

"""The Great Expectations validation gate: suites in ``expectations/``, run on in-memory frames.

``validate_frames(frames, docs_dir=...) -> ValidationReport`` and ``require_valid(report)``.
Importing this package does not import Great Expectations (seconds); running a suite does.
"""

from __future__ import annotations

from aegis.validation.report import (
    FailedExpectation,
    SuiteResult,
    SuiteStatistics,
    ValidationReport,
)
from aegis.validation.runner import require_valid, validate_frames
from aegis.validation.suites import SUITE_NAMES

__all__ = [
    "SUITE_NAMES",
    "FailedExpectation",
    "SuiteResult",
    "SuiteStatistics",
    "ValidationReport",
    "require_valid",
    "validate_frames",
]

"""The typed validation report: per suite, success, statistics and the failed expectations.

Plain pydantic, no Great Expectations import: the report is what the CLI writes, the Airflow task
records before raising, and the dashboard reads.
"""

from __future__ import annotations

import json
import math
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field, computed_field


def json_safe(value: Any) -> Any:
    """``value`` as plain JSON: timestamps to ISO strings, NaN/NaT/inf to None, numpy to Python."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [json_safe(v) for v in value]
    if isinstance(value, pd.Timestamp | datetime | date):
        return None if pd.isna(value) else value.isoformat()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


class FailedExpectation(BaseModel):
    """One expectation that did not hold, with enough evidence to find the bad rows."""

    expectation_type: str = Field(description="GX type, e.g. expect_column_values_to_be_between")
    column: str | None = Field(default=None, description="Column checked (or 'A,B' for a pair)")
    kwargs: dict[str, Any] = Field(default_factory=dict, description="The expectation's arguments")
    notes: str | None = Field(default=None, description="Why the expectation exists (suite file)")
    observed_value: Any = Field(default=None, description="Aggregate expectations: what GX saw")
    element_count: int | None = None
    unexpected_count: int | None = None
    unexpected_percent: float | None = Field(default=None, description="Percent of non-null rows")
    unexpected_values: list[Any] = Field(default_factory=list, description="First few bad values")
    offending_rows: list[dict[str, Any]] = Field(
        default_factory=list, description="First few bad rows of the validated frame, helpers incl."
    )
    exception: str | None = Field(default=None, description="GX raised while evaluating")

    def summary(self) -> str:
        """One line: type, column, how many rows, where (first bad bars) and a sample."""
        parts = [self.expectation_type]
        if self.column:
            parts.append(f"column {self.column!r}")
        if self.unexpected_count is not None:
            parts.append(f"{self.unexpected_count} unexpected of {self.element_count}")
        where = [str(row[key]) for row in self.offending_rows for key in ("timestamp", "session")
                 if row.get(key) is not None]
        if where:
            parts.append(f"at {', '.join(where[:3])}")
        if self.unexpected_values:
            parts.append(f"e.g. {self.unexpected_values[:3]}")
        elif self.observed_value is not None:
            parts.append(f"observed {self.observed_value!r}")
        if self.exception:
            parts.append(f"raised {self.exception}")
        return ", ".join(parts)


class SuiteStatistics(BaseModel):
    """Counts of expectations evaluated in one suite."""

    evaluated_expectations: int = 0
    successful_expectations: int = 0
    unsuccessful_expectations: int = 0
    success_percent: float | None = None


class SuiteResult(BaseModel):
    """The outcome of one suite on one frame."""

    suite: str
    success: bool
    expectation_suite: str | None = Field(
        default=None, description="The suite run, when the frame has its own name "
        "(e.g. nifty_intraday checked by intraday_bars)")
    rows: int = Field(description="Rows of the validated frame")
    statistics: SuiteStatistics = Field(default_factory=SuiteStatistics)
    failed: list[FailedExpectation] = Field(default_factory=list)
    error: str | None = Field(
        default=None, description="Set when the frame could not be built or validated at all"
    )
    checkpoint: str | None = Field(default=None, description="The GX Checkpoint that ran it")
    data_docs_page: str | None = Field(
        default=None, description="Its Data Docs page, relative to the site root (POSIX path)"
    )

    @classmethod
    def not_run(cls, suite: str, reason: str) -> SuiteResult:
        """A failed result for a suite whose frame could not be built (e.g. features)."""
        return cls(suite=suite, success=False, rows=0, error=reason)


class ValidationReport(BaseModel):
    """Every suite run by one call of :func:`aegis.validation.validate_frames`."""

    created_at: str = Field(description="UTC ISO timestamp of the run")
    great_expectations_version: str | None = None
    suites: list[SuiteResult] = Field(default_factory=list)
    data_docs: str | None = Field(default=None, description="Path of the Data Docs index.html")
    inputs: dict[str, Any] = Field(
        default_factory=dict, description="Provenance of the frames (files, repairs, ...)"
    )

    @computed_field  # type: ignore[prop-decorator]
    @property
    def success(self) -> bool:
        """True when at least one suite ran and every suite passed."""
        return bool(self.suites) and all(s.success for s in self.suites)

    def suite(self, name: str) -> SuiteResult:
        """The result of suite ``name`` (``KeyError`` naming the suites run if absent)."""
        for result in self.suites:
            if result.suite == name:
                return result
        run = [s.suite for s in self.suites]
        raise KeyError(f"suite {name!r} not in report; suites run: {run}")

    def failures(self) -> list[tuple[str, FailedExpectation]]:
        """``(suite, failed expectation)`` for every failed expectation, in suite order."""
        return [(s.suite, f) for s in self.suites for f in s.failed]

    def with_result(self, result: SuiteResult) -> ValidationReport:
        """A copy with ``result`` appended (e.g. a suite that could not be run)."""
        return self.model_copy(update={"suites": [*self.suites, result]})

    def to_json(self, indent: int | None = 2) -> str:
        """The report as JSON text (what ``aegis validate --json`` writes)."""
        return json.dumps(self.model_dump(mode="json"), indent=indent, allow_nan=False)

    def describe_failures(self) -> str:
        """Multi-line text listing each failed suite and expectation."""
        lines = []
        for s in self.suites:
            if s.success:
                continue
            why = f": {s.error}" if s.error else ""
            run = f" (suite {s.expectation_suite!r})" if s.expectation_suite else ""
            page = f"; Data Docs page {s.data_docs_page}" if s.data_docs_page else ""
            lines.append(f"suite {s.suite!r}{run} failed ({s.rows} rows){why}{page}")
            lines.extend(f"  - {f.summary()}" for f in s.failed)
        return "\n".join(lines)

"""The report: JSON, ``require_valid`` (record first, then raise), and the GX Data Docs site."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from aegis.config import Settings
from aegis.errors import ValidationFailedError
from aegis.validation import ValidationReport, require_valid, validate_frames
from aegis.validation.report import FailedExpectation, SuiteResult, json_safe
from tests.unit.test_validation_frames import good_features, good_nifty, good_vix


def bad_vix() -> pd.DataFrame:
    vix = good_vix()
    vix.loc[vix.index[15], ["high", "close"]] = 500.0
    return vix


def test_failed_report_json_and_require_valid_records_before_raising(tmp_path: Path) -> None:
    report = validate_frames({"nifty_daily": good_nifty(), "vix_daily": bad_vix()})
    assert report.success is False
    assert report.suite("nifty_daily").success is True
    payload = json.loads(report.to_json())
    assert payload["success"] is False
    vix = payload["suites"][1]
    assert vix["statistics"]["unsuccessful_expectations"] == 2
    assert {f["column"] for f in vix["failed"]} == {"high", "close"}
    close = next(f for f in vix["failed"] if f["column"] == "close")
    assert close["kwargs"] == {"column": "close", "min_value": 5.0, "max_value": 100.0}
    assert close["unexpected_values"] == [500.0]
    assert close["offending_rows"][0]["close"] == 500.0
    assert ValidationReport.model_validate_json(report.to_json()).success is False

    record = tmp_path / "failed" / "validation.json"
    with pytest.raises(ValidationFailedError) as info:
        require_valid(report, record_to=record)
    message = str(info.value)
    assert "suite 'vix_daily' failed" in message
    assert "column 'close'" in message
    assert "column 'high'" in message
    assert str(record) in message
    assert info.value.report is report
    assert json.loads(record.read_text()) == payload


def test_require_valid_passes_a_good_report_through(tmp_path: Path) -> None:
    report = validate_frames({"features": good_features()})
    assert require_valid(report, record_to=tmp_path / "r.json") is report
    assert not (tmp_path / "r.json").exists()


def test_a_report_without_suites_is_not_a_success() -> None:
    empty = ValidationReport(created_at="2024-01-01T00:00:00+00:00")
    assert empty.success is False
    with pytest.raises(ValidationFailedError, match="no suite was run"):
        require_valid(empty)
    not_built = empty.with_result(SuiteResult.not_run("features", "no NIFTY rows"))
    assert not_built.success is False
    assert "suite 'features' failed (0 rows): no NIFTY rows" in not_built.describe_failures()


def test_data_docs_site_is_written_where_the_caller_says(
    settings: Settings, tmp_path: Path
) -> None:
    docs = tmp_path / "data_docs"
    report = validate_frames({"nifty_daily": good_nifty(), "vix_daily": bad_vix()},
                             docs_dir=docs)
    assert report.data_docs == str((docs / "index.html").resolve())
    index = (docs / "index.html").read_text()
    assert "nifty_daily" in index
    assert "vix_daily" in index
    pages = sorted(p.relative_to(docs).parts[:2] for p in docs.glob("validations/**/*.html"))
    assert pages == [("validations", "nifty_daily"), ("validations", "vix_daily")]
    vix_page = next(docs.glob("validations/vix_daily/**/*.html")).read_text()
    assert "500" in vix_page  # the unexpected value is rendered
    # without a docs_dir no site is built, and nothing lands in the settings' output dir
    again = validate_frames({"features": good_features()})
    assert again.data_docs is None
    assert not (settings.resolved_output_dir / "data_docs").exists()


def test_json_safe_handles_timestamps_nan_and_numpy() -> None:
    value = {"t": pd.Timestamp("2024-01-02"), "n": np.float64("nan"), "i": np.int64(3),
             "x": [np.inf, pd.NaT, None, "a"]}
    assert json_safe(value) == {"t": "2024-01-02T00:00:00", "n": None, "i": 3,
                                "x": [None, None, None, "a"]}


def test_failed_expectation_summary_reads_like_a_sentence() -> None:
    failure = FailedExpectation(expectation_type="expect_column_values_to_be_between",
                                column="vix", element_count=10, unexpected_count=1,
                                unexpected_values=[500.0])
    assert failure.summary() == (
        "expect_column_values_to_be_between, column 'vix', 1 unexpected of 10, e.g. [500.0]"
    )

"""The suite files in the top-level ``expectations/``: GX 1.x JSON that loads fully, in sync
with contracts."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from aegis.errors import SuiteDefinitionError, ValidationInputError
from aegis.features.columns import FEATURE_NAMES
from aegis.validation import SUITE_NAMES, validate_frames
from aegis.validation.helpers import PREPARERS
from aegis.validation.suites import build_suite, default_expectations_dir, load_suite_dict


def test_every_suite_has_a_file_and_a_preparer() -> None:
    files = sorted(p.stem for p in default_expectations_dir().glob("*.json"))
    assert files == sorted(SUITE_NAMES)
    assert set(PREPARERS) == set(SUITE_NAMES)


@pytest.mark.parametrize("name", SUITE_NAMES)
def test_suite_loads_every_expectation_and_round_trips(name: str) -> None:
    from great_expectations.core.expectation_suite import ExpectationSuite

    raw = load_suite_dict(name)
    suite = build_suite(name)
    assert suite.name == name
    assert len(suite.expectations) == len(raw["expectations"])
    assert [e.expectation_type for e in suite.expectations] == [
        e["type"] for e in raw["expectations"]
    ]
    # GX's own serialised form reads back to the same expectations
    serialised: dict[str, Any] = suite.to_json_dict()
    again = ExpectationSuite(**serialised)
    assert [e.configuration.to_json_dict()["kwargs"] for e in again.expectations] == [
        e.configuration.to_json_dict()["kwargs"] for e in suite.expectations
    ]
    assert raw["meta"]["helper_columns"], "helper columns are documented in the suite"


def test_features_suite_checks_range_and_type_of_every_feature() -> None:
    raw = load_suite_dict("features")
    ranged = {e["kwargs"]["column"] for e in raw["expectations"]
              if e["type"] == "expect_column_values_to_be_between"}
    typed = {e["kwargs"]["column"] for e in raw["expectations"]
             if e["type"] == "expect_column_values_to_be_of_type"}
    assert ranged == set(FEATURE_NAMES)
    assert typed == set(FEATURE_NAMES)
    (columns,) = [e for e in raw["expectations"]
                  if e["type"] == "expect_table_columns_to_match_set"]
    assert set(columns["kwargs"]["column_set"]) == {
        "session", *FEATURE_NAMES, "late_null_features", "complete_row"
    }


@pytest.mark.parametrize(
    ("column", "low", "high"),
    [("iv_percentile_252", 0, 100), ("rv_percentile_252", 0, 100), ("rsi_14", 0, 100),
     ("rv_cc_20", 0, 3), ("rv_yz_20", 0, 3), ("vix", 5, 100)],
)
def test_feature_ranges_are_the_documented_ones(column: str, low: float, high: float) -> None:
    raw = load_suite_dict("features")
    (rule,) = [e for e in raw["expectations"]
               if e["type"] == "expect_column_values_to_be_between"
               and e["kwargs"]["column"] == column]
    assert (rule["kwargs"]["min_value"], rule["kwargs"]["max_value"]) == (low, high)


def copy_suite(tmp_path: Path, name: str, mutate: Callable[[dict[str, Any]], object]) -> Path:
    raw = json.loads((default_expectations_dir() / f"{name}.json").read_text())
    mutate(raw)
    (tmp_path / f"{name}.json").write_text(json.dumps(raw))
    return tmp_path


def test_an_expectation_gx_cannot_build_is_refused_not_dropped(tmp_path: Path) -> None:
    folder = copy_suite(tmp_path, "vix_daily", lambda raw: raw["expectations"].append(
        {"type": "expect_column_values_to_be_betwen", "kwargs": {"column": "close"}}
    ))
    with pytest.raises(SuiteDefinitionError, match=r"expectation #20 .*betwen"):
        build_suite("vix_daily", folder)


def test_bad_kwargs_are_refused(tmp_path: Path) -> None:
    folder = copy_suite(tmp_path, "vix_daily", lambda raw: raw["expectations"].append(
        {"type": "expect_column_values_to_be_between", "kwargs": {"min_value": 1}}
    ))
    with pytest.raises(SuiteDefinitionError, match="expectation #20"):
        build_suite("vix_daily", folder)


def test_missing_or_broken_suite_files_are_named(tmp_path: Path) -> None:
    with pytest.raises(SuiteDefinitionError, match="nifty_daily.json.*not found"):
        load_suite_dict("nifty_daily", tmp_path)
    (tmp_path / "nifty_daily.json").write_text("{not json")
    with pytest.raises(SuiteDefinitionError, match="expected JSON; line 1"):
        load_suite_dict("nifty_daily", tmp_path)
    (tmp_path / "nifty_daily.json").write_text(json.dumps({"name": "vix_daily"}))
    with pytest.raises(SuiteDefinitionError, match="named 'nifty_daily'; found 'vix_daily'"):
        load_suite_dict("nifty_daily", tmp_path)


def test_unknown_suite_name_is_refused_before_gx_runs() -> None:
    import pandas as pd

    with pytest.raises(ValidationInputError, match=r"\['spx_daily'\]: expected suite names"):
        validate_frames({"spx_daily": pd.DataFrame()})
    with pytest.raises(ValidationInputError, match="at least one frame"):
        validate_frames({})

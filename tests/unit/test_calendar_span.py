"""The NSE calendar past exchange_calendars' span: the holiday file, and saying 'assumed'."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from aegis.cli import app
from aegis.errors import CalendarCoverageError, DataFormatError
from aegis.market import calendar as cal
from aegis.market.holidays import default_holiday_file, read_holiday_file
from aegis.pipeline.health import calendar_health

HEADER = "# comment\ndate,kind,name\n"
FULL_2027 = HEADER + (
    "2027-01-26,holiday,Republic Day\n"
    "2027-03-22,holiday,Test Holi\n"
    "2027-10-31,special_session,Test Muhurat (Sunday)\n"
    "2027-12-31,year_complete,NSE circular TEST/2026\n"
)


@pytest.fixture
def holidays(tmp_path: Path) -> Iterator[Path]:
    """A temporary holiday file in force for the test; the packaged one restored after."""
    path = tmp_path / "nse_holidays.csv"
    path.write_text(FULL_2027, encoding="utf-8")
    cal.use_holiday_file(path)
    yield path
    cal.use_holiday_file(None)


def test_packaged_file_is_valid_and_knows_republic_day_2027() -> None:
    f = read_holiday_file(default_holiday_file())
    assert pd.Timestamp("2027-01-26") in f.holidays
    assert 2027 not in f.complete_years  # the 2027 circular is not in: not claimed complete


def test_past_the_span_republic_day_is_no_session_and_the_expiry_is_assumed() -> None:
    assert cal.known_span()[1] == pd.Timestamp("2026-12-31")
    assert not cal.is_session("2027-01-26")
    assert cal.next_weekly_expiry("2027-01-22") == pd.Timestamp("2027-01-25")
    info = cal.expiry_determination("2027-01-22")
    assert info["expiry"] == "2027-01-25"
    assert info["moved_back"]
    assert info["assumed"]
    assert info["source"] == "assumed"
    assert "ASSUMED" in info["calendar"]
    assert "2026-12-31" in info["reason"]
    assert cal.day_source("2027-02-03") == "assumed"
    assert cal.day_source("2027-01-26") == "holiday_file"


def test_inside_the_span_the_exchange_calendar_decides() -> None:
    info = cal.expiry_determination("2026-12-02")
    assert (info["expiry"], info["source"], info["assumed"]) == (
        "2026-12-08", "exchange_calendar", False)
    assert info["reason"] == ""
    # the expiry day itself is its own expiry (inclusive); strictly after is next week's
    assert cal.expiry_determination("2026-12-08")["expiry"] == "2026-12-08"
    assert cal.expiry_determination("2026-12-08", inclusive=False)["expiry"] == "2026-12-15"


def test_a_complete_year_extends_the_known_span(holidays: Path) -> None:
    assert cal.known_span()[1] == pd.Timestamp("2027-12-31")
    info = cal.expiry_determination("2027-03-18")
    assert (info["expiry"], info["source"], info["assumed"]) == (
        "2027-03-23", "holiday_file", False)
    assert not cal.is_session("2027-03-22")
    assert cal.is_session("2027-10-31")  # special session on a Sunday
    assert pd.Timestamp("2027-10-31") in cal.sessions("2027-10-25", "2027-11-05")
    assert pd.Timestamp("2027-03-22") not in cal.sessions("2027-03-15", "2027-03-26")
    assert cal.day_source("2028-01-04") == "assumed"
    assert cal.calendar_coverage("2027-06-01")["covered"]
    assert not cal.calendar_coverage("2027-11-15")["covered"]


@pytest.mark.parametrize(
    ("body", "row", "column", "fragment"),
    [
        ("2027-02-30,holiday,x\n", 3, "date", "ISO date"),
        ("27-01-26,holiday,x\n", 3, "date", "ISO date"),
        ("2027-01-26,closed,x\n", 3, "kind", "one of holiday"),
        ("2027-01-26,holiday,\n", 3, "name", "non-empty"),
        ("2027-01-30,holiday,Saturday\n", 3, "date", "weekday"),
        ("2027-01-27,special_session,Wed\n", 3, "date", "Saturday or Sunday"),
        ("2027-06-30,year_complete,x\n", 3, "date", "12-31"),
        ("2027-01-26,holiday,a\n2027-01-26,holiday,b\n", 4, "date", "listed once"),
        ("2027-01-26,holiday\n", 3, "name", "3 columns"),
    ],
)
def test_holiday_file_errors_name_file_row_and_column(
    tmp_path: Path, body: str, row: int, column: str, fragment: str
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(HEADER + body, encoding="utf-8")
    with pytest.raises(DataFormatError) as info:
        read_holiday_file(path)
    err = info.value
    assert (err.path, err.row, err.column) == (path, row, column)
    assert fragment in str(err)
    assert str(path) in str(err)


def test_holiday_file_header_is_checked(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("day,kind,name\n2027-01-26,holiday,x\n", encoding="utf-8")
    with pytest.raises(DataFormatError, match="the header date,kind,name"):
        read_holiday_file(path)


def test_cli_expiry_json_and_check_exit_codes(tmp_path: Path) -> None:
    runner = CliRunner()
    out = runner.invoke(app, ["calendar", "expiry", "2027-01-22", "--json"])
    assert out.exit_code == 0, out.output
    info = json.loads(out.stdout)
    assert info["expiry"] == "2027-01-25"
    assert info["source"] == "assumed"
    assert runner.invoke(app, ["calendar", "check", "--today", "2026-12-02"]).exit_code == 1
    assert runner.invoke(app, ["calendar", "check", "--today", "2026-10-01"]).exit_code == 0
    good = tmp_path / "h.csv"
    good.write_text(FULL_2027, encoding="utf-8")
    try:
        ok = runner.invoke(app, ["calendar", "check", "--today", "2026-12-02", "--json",
                                 "--holidays", str(good)])
        assert ok.exit_code == 0, ok.output
        assert json.loads(ok.stdout)["known_until"] == "2027-12-31"
    finally:
        cal.use_holiday_file(None)


def test_calendar_health_warns_thirty_days_ahead() -> None:
    assert calendar_health("2026-11-15")["days_left"] == 46
    with pytest.raises(CalendarCoverageError, match="2026-12-31"):
        calendar_health("2026-12-02")

"""The operator-maintained NSE holiday file, read and validated.

``exchange_calendars``' XBOM calendar ends with its package's last published year (2026-12-31
in 4.13). NSE publishes next year's holidays in a circular each December; the operator copies it
into ``aegis/market/nse_holidays.csv`` (format in that file's header and in
``docs/operations.md``) and closes the year with a ``year_complete`` row. Only complete years
extend the span the calendar *knows*; past it every answer is flagged as an assumption.

Every malformed row is a :class:`~aegis.errors.DataFormatError` naming the file, the row (1-based
line number in the file) and the column.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Final

import pandas as pd

from aegis.errors import DataFormatError

HOLIDAY_FILE_NAME: Final = "nse_holidays.csv"
COLUMNS: Final = ("date", "kind", "name")
KINDS: Final = ("holiday", "special_session", "year_complete")


@dataclass(frozen=True)
class HolidayFile:
    """The validated content of one holiday file.

    Attributes
    ----------
    path : where it was read from.
    holidays : weekday -> name; NSE is closed on these days.
    special_sessions : weekend day -> name; NSE trades on these days.
    complete_years : year -> the circular its list was copied from.
    """

    path: Path
    holidays: dict[pd.Timestamp, str] = field(default_factory=dict)
    special_sessions: dict[pd.Timestamp, str] = field(default_factory=dict)
    complete_years: dict[int, str] = field(default_factory=dict)

    def listed(self, day: pd.Timestamp) -> bool:
        """Whether ``day`` is named in the file (a holiday or a special session)."""
        return day in self.holidays or day in self.special_sessions


def default_holiday_file() -> Path:
    """The holiday file shipped with the package (``aegis/market/nse_holidays.csv``)."""
    return Path(str(resources.files("aegis.market").joinpath(HOLIDAY_FILE_NAME)))


def _parse_date(path: Path, row: int, text: str) -> pd.Timestamp:
    try:
        day = pd.Timestamp(dt_text := text.strip())
    except (TypeError, ValueError) as exc:
        raise DataFormatError(path, "an ISO date YYYY-MM-DD", row=row, column="date",
                              found=repr(text)) from exc
    if day is pd.NaT or len(dt_text) != 10 or day != day.normalize():
        raise DataFormatError(path, "an ISO date YYYY-MM-DD", row=row, column="date",
                              found=repr(text))
    return day


def _check_row(path: Path, row: int, day: pd.Timestamp, kind: str, name: str) -> None:
    if kind not in KINDS:
        raise DataFormatError(path, f"one of {', '.join(KINDS)}", row=row, column="kind",
                              found=repr(kind))
    if not name:
        raise DataFormatError(path, "a non-empty name", row=row, column="name", found="''")
    if kind == "holiday" and day.day_of_week >= 5:
        raise DataFormatError(path, "a holiday on a weekday (weekends are closed anyway)",
                              row=row, column="date", found=f"{day.date()} ({day.day_name()})")
    if kind == "special_session" and day.day_of_week < 5:
        raise DataFormatError(path, "a special session on a Saturday or Sunday", row=row,
                              column="date", found=f"{day.date()} ({day.day_name()})")
    if kind == "year_complete" and (day.month, day.day) != (12, 31):
        raise DataFormatError(path, "year_complete dated YYYY-12-31", row=row, column="date",
                              found=str(day.date()))


def _data_lines(path: Path) -> list[tuple[int, str]]:
    """(line number, text) of the non-comment, non-blank lines."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataFormatError(path, "a readable UTF-8 CSV holiday file",
                              found=f"{type(exc).__name__}: {exc}") from exc
    return [(i, line) for i, line in enumerate(text.splitlines(), start=1)
            if line.strip() and not line.lstrip().startswith("#")]


def read_holiday_file(path: Path | str) -> HolidayFile:
    """Read and validate a holiday file (format: module docstring, ``docs/operations.md``).

    Raises
    ------
    DataFormatError
        Naming the file, the line and the column of the first bad row: an unknown ``kind``, a
        malformed date, a holiday on a weekend, a special session on a weekday, a duplicate date,
        a ``year_complete`` not dated 31 December, a missing or extra column.
    """
    path = Path(path)
    lines = _data_lines(path)
    if not lines:
        raise DataFormatError(path, f"a header row {','.join(COLUMNS)}", found="no data lines")
    header_row, header = lines[0]
    found_cols = tuple(c.strip() for c in next(csv.reader([header])))
    if found_cols != COLUMNS:
        raise DataFormatError(path, f"the header {','.join(COLUMNS)}", row=header_row,
                              found=",".join(found_cols))
    out = HolidayFile(path=path)
    seen: dict[pd.Timestamp, int] = {}
    for row, line in lines[1:]:
        cells = [c.strip() for c in next(csv.reader([line]))]
        if len(cells) != len(COLUMNS):
            raise DataFormatError(path, f"{len(COLUMNS)} columns ({','.join(COLUMNS)})", row=row,
                                  column=COLUMNS[min(len(cells), len(COLUMNS) - 1)],
                                  found=f"{len(cells)} columns: {line!r}")
        day = _parse_date(path, row, cells[0])
        kind, name = cells[1], cells[2]
        _check_row(path, row, day, kind, name)
        if kind == "year_complete":
            if day.year in out.complete_years:
                raise DataFormatError(path, f"one year_complete row for {day.year}", row=row,
                                      column="date", found="a second one")
            out.complete_years[day.year] = name
            continue
        if day in seen:
            raise DataFormatError(path, "each date listed once", row=row, column="date",
                                  found=f"{day.date()} again (first on line {seen[day]})")
        seen[day] = row
        (out.holidays if kind == "holiday" else out.special_sessions)[day] = name
    return out


__all__ = ["COLUMNS", "KINDS", "HolidayFile", "default_holiday_file", "read_holiday_file"]

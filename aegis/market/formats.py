"""Reading raw market-data tables: bytes -> a frame of raw cells with normalised headers.

This module knows about *file* formats (CSV with or without a byte-order mark, the 3-row
yfinance header, a leading unnamed index column, Parquet) and *cell* formats (dates as ISO,
DD-MM-YYYY, M/D/YYYY, DD-MON-YYYY, timestamps with offsets or in UTC). It does not decide what
the table means; :mod:`aegis.market.loaders` does that from the normalised header and content.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import numpy as np
import pandas as pd

from aegis.errors import DataFormatError
from aegis.market.frames import IST

EXPECTED_FORMATS: Final = (
    "a CSV or Parquet market-data table: daily/intraday OHLC (date or timestamp, open, high, "
    "low, close[, volume]), option bars (timestamp, OHLC, open_interest[, strike, option_type, "
    "expiry]), an option chain (strike with ce_*/pe_* columns, or strike, option_type, oi, "
    "last price) or a contract master (expiry, strike, option_type, lot_size)"
)

#: canonical column -> accepted (normalised) header spellings, first match wins
ALIASES: Final[dict[str, tuple[str, ...]]] = {
    "date": ("date", "datetime", "timestamp", "time", "trade_date", "session", "fetch_time",
             "index_date", "dt"),
    "open": ("open", "open_price", "opening_price"),
    "high": ("high", "high_price"),
    "low": ("low", "low_price"),
    "close": ("close", "close_price", "closing_price", "last_price", "ltp", "adj_close"),
    "volume": ("volume", "vol", "shares_traded", "total_traded_quantity", "qty"),
    "oi": ("oi", "open_interest", "openinterest"),
    "strike": ("strike", "strike_price", "strikeprice"),
    "option_type": ("option_type", "optiontype", "type", "instrument_type", "right"),
    "expiry": ("expiry", "expiry_date", "expirydate", "expiration"),
    "lot_size": ("lot_size", "lotsize", "market_lot"),
    "tick_size": ("tick_size", "ticksize"),
    "weekly": ("weekly", "is_weekly"),
}


@dataclass
class RawTable:
    """A table as read from disk, before interpretation.

    ``frame`` holds the data rows with normalised header names (lower case, spaces and
    punctuation as ``_``); ``row_numbers`` are the 1-based data-row numbers in the file;
    ``hints`` carries what the header itself says (e.g. the yfinance ticker). Row numbers do not
    count header rows (the yfinance header has three).
    """

    path: Path
    frame: pd.DataFrame
    row_numbers: np.ndarray
    original_columns: list[str]
    hints: dict[str, str] = field(default_factory=dict)


def normalise_header(name: object) -> str:
    """``' Prev. Close\ufeff'`` -> ``'prev_close'``."""
    text = str(name).replace("\ufeff", "").strip().lower()
    text = re.sub(r"[^0-9a-z%]+", "_", text).strip("_")
    return text.replace("%", "pct")


def find_column(columns: list[str], canonical: str) -> str | None:
    """The first header among ``columns`` that spells ``canonical`` (see :data:`ALIASES`)."""
    for alias in ALIASES[canonical]:
        if alias in columns:
            return alias
    return None


def _sniff(path: Path) -> bytes:
    if not path.is_file():
        raise DataFormatError(path, EXPECTED_FORMATS, found="no such file")
    with path.open("rb") as fh:
        head = fh.read(8192)
    if not head.strip():
        raise DataFormatError(path, EXPECTED_FORMATS, found="an empty file")
    return head


def read_table(path: Path | str) -> RawTable:
    """Read ``path`` (CSV or Parquet, decided by its bytes) into a :class:`RawTable`.

    Raises
    ------
    DataFormatError
        Missing, empty, binary (non-Parquet) or undecodable files, and tables without data rows.
    """
    path = Path(path)
    head = _sniff(path)
    if head.startswith(b"PAR1"):
        frame = _read_parquet(path)
        hints: dict[str, str] = {"container": "parquet"}
    else:
        if b"\x00" in head:
            raise DataFormatError(path, EXPECTED_FORMATS, found="binary content (NUL bytes)")
        frame, hints = _read_csv(path)
    original = [str(c) for c in frame.columns]
    frame.columns = pd.Index([normalise_header(c) for c in original])
    frame = _drop_unnamed_index(frame)
    if frame.empty or frame.shape[1] == 0:
        raise DataFormatError(
            path, EXPECTED_FORMATS, found=f"no data rows (header {original!r})"
        )
    rows = np.arange(1, len(frame) + 1)
    return RawTable(path, frame.reset_index(drop=True), rows, original, hints)


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        frame = pd.read_parquet(path)
    except (OSError, ValueError) as exc:
        raise DataFormatError(path, EXPECTED_FORMATS, found=f"unreadable Parquet ({exc})") from exc
    if isinstance(frame.index, pd.DatetimeIndex) or frame.index.name is not None:
        frame = frame.reset_index()
    return frame


def _read_csv(path: Path) -> tuple[pd.DataFrame, dict[str, str]]:
    """Read a CSV as strings; detect the 3-row yfinance header (Price / Ticker / Date rows)."""
    try:
        frame = pd.read_csv(
            path, dtype=str, encoding="utf-8-sig", skipinitialspace=True, keep_default_na=False,
            na_values=["", "-", "NA", "N/A", "nan", "NaN", "null", "None"],
        )
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DataFormatError(path, EXPECTED_FORMATS, found=f"unparseable text ({exc})") from exc
    hints: dict[str, str] = {}
    cols = [normalise_header(c) for c in frame.columns]
    if cols and cols[0] == "price" and len(frame) >= 2:
        first = str(frame.iloc[0, 0]).strip().lower()
        second = str(frame.iloc[1, 0]).strip().lower()
        if first == "ticker" and second in ("date", "datetime"):
            tickers = {str(v).strip() for v in frame.iloc[0, 1:] if isinstance(v, str)}
            if len(tickers) == 1:
                hints["ticker"] = tickers.pop()
            hints["header"] = "yfinance"
            frame = frame.iloc[2:].copy()
            frame.columns = [second, *frame.columns[1:]]
    return frame, hints


def _drop_unnamed_index(frame: pd.DataFrame) -> pd.DataFrame:
    """Drop a leading index column (header empty, ``unnamed_0`` or ``index``) of integers."""
    if frame.shape[1] < 2:
        return frame
    first = frame.columns[0]
    if first in ("", "unnamed_0", "index"):
        values = pd.to_numeric(frame.iloc[:, 0], errors="coerce")
        if values.notna().all() and (values == values.round()).all():
            return frame.iloc[:, 1:]
    return frame


# --- dates ----------------------------------------------------------------------------
_DATE_PATTERNS: Final = [
    (re.compile(r"^\d{4}-\d{1,2}-\d{1,2}$"), ["%Y-%m-%d"]),
    (re.compile(r"^\d{4}/\d{1,2}/\d{1,2}$"), ["%Y/%m/%d"]),
    (re.compile(r"^\d{1,2}-\d{1,2}-\d{4}$"), ["%d-%m-%Y", "%m-%d-%Y"]),
    (re.compile(r"^\d{1,2}/\d{1,2}/\d{4}$"), ["%m/%d/%Y", "%d/%m/%Y"]),
    (re.compile(r"^\d{1,2}\.\d{1,2}\.\d{4}$"), ["%d.%m.%Y"]),
    (re.compile(r"^\d{1,2}-[A-Za-z]{3}-\d{4}$"), ["%d-%b-%Y"]),
    (re.compile(r"^\d{1,2}-[A-Za-z]{3}-\d{2}$"), ["%d-%b-%y"]),
    (re.compile(r"^\d{1,2} [A-Za-z]{3} \d{4}$"), ["%d %b %Y"]),
    (re.compile(r"^[A-Za-z]{3} \d{1,2},? \d{4}$"), ["%b %d, %Y", "%b %d %Y"]),
    (re.compile(r"^\d{8}$"), ["%Y%m%d"]),
]
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{1,2}:\d{2}")
_OFFSET = re.compile(r"(?:Z|[+-]\d{2}:?\d{2})$")


def parse_datetimes(values: pd.Series, *, path: Path | str | None = None,
                    column: str | None = None) -> tuple[pd.Series, bool]:
    """See :func:`_parse_datetimes`; the result is always in nanoseconds.

    ``path`` and ``column`` name the cells in the error raised when their day/month order
    cannot be decided (:func:`decide_day_month`).
    """
    parsed, has_time = _parse_datetimes(values, path, column)
    return parsed.dt.as_unit("ns"), has_time


def _parse_datetimes(values: pd.Series, path: Path | str | None = None,
                     column: str | None = None) -> tuple[pd.Series, bool]:
    """Parse a column of dates or timestamps written in any supported style.

    Returns ``(parsed, has_time)``: ``parsed`` is ``datetime64`` tz-aware in IST when the cells
    carry a time of day (offsets or ``Z`` are converted; naive times are taken as IST), else
    tz-naive dates; unparseable cells are ``NaT``. Day-first versus month-first is decided from
    the whole column (:func:`decide_day_month`: a field above 12, then date order, then the
    exchange calendar's sessions); when nothing decides, the file is refused naming both
    readings (:class:`~aegis.errors.DataFormatError`), never guessed.
    """
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return values.dt.tz_convert(IST), True
    if pd.api.types.is_datetime64_dtype(values.dtype):
        has_time = bool((values.dropna() != values.dropna().dt.normalize()).any())
        return (values.dt.tz_localize(IST) if has_time else values), has_time
    text = values.astype("string").str.strip()
    valid = text.dropna()
    sample = valid if len(valid) <= 400 else pd.concat([valid.head(200), valid.tail(200)])
    if sample.empty:
        return pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]"), False
    if sample.str.match(_TIMESTAMP).mean() > 0.5:
        return _parse_timestamps(text), True
    if sample.str.fullmatch(r"\d{9,10}").all() and valid.str.fullmatch(r"\d{9,10}").all():
        parsed = pd.to_datetime(pd.to_numeric(text, errors="coerce"), unit="s", utc=True)
        return parsed.dt.tz_convert(IST), True
    for pattern, formats in _DATE_PATTERNS:
        if sample.str.match(pattern).mean() > 0.5:
            fmt = decide_day_month(valid[valid.str.match(pattern)], formats, path, column)
            parsed = pd.to_datetime(text, format=fmt, errors="coerce")
            return parsed.astype("datetime64[ns]"), False
    parsed = pd.to_datetime(text, format="ISO8601", errors="coerce", utc=False)
    return parsed, False


#: a day-first and a month-first reading of the same cells, for :func:`decide_day_month`
DAY_MONTH_STYLES: Final = {"%d-%m-%Y": "DD-MM-YYYY", "%m-%d-%Y": "MM-DD-YYYY",
                           "%m/%d/%Y": "MM/DD/YYYY", "%d/%m/%Y": "DD/MM/YYYY"}


@dataclass(frozen=True)
class DateReading:
    """One candidate format's reading of a date column, scored for :func:`decide_day_month`.

    ``parsed`` cells that parse; ``ordered`` 1 when the parsed dates are monotonic (a file sorted
    either way), else 0; ``sessions`` the parsed dates that are NSE sessions (exchange calendar).
    """

    fmt: str
    dates: pd.Series
    parsed: int
    ordered: int
    sessions: int

    def describe(self) -> str:
        d = self.dates.dropna()
        span = f"{d.min().date()}..{d.max().date()}" if len(d) else "nothing"
        return (f"{DAY_MONTH_STYLES.get(self.fmt, self.fmt)} gives {span}, {self.sessions} of "
                f"{len(d)} dates NSE sessions, {'in' if self.ordered else 'out of'} date order")


def _reading(cells: pd.Series, fmt: str) -> DateReading:
    dates = pd.to_datetime(cells, format=fmt, errors="coerce")
    valid = pd.DatetimeIndex(dates.dropna())
    ordered = int(len(valid) > 1 and (valid.is_monotonic_increasing
                                      or valid.is_monotonic_decreasing))
    return DateReading(fmt, dates, len(valid), ordered, _session_count(valid))


def _session_count(days: pd.DatetimeIndex) -> int:
    """How many of ``days`` are NSE sessions (lazy import: the calendar is only needed when
    the cells themselves do not decide)."""
    if days.empty:
        return 0
    from aegis.market.calendar import sessions

    known = sessions(days.min(), days.max())
    return int(np.isin(days.normalize().to_numpy(), known.to_numpy()).sum())


def decide_day_month(cells: pd.Series, formats: list[str], path: Path | str | None = None,
                     column: str | None = None) -> str:
    """The format of a date column whose style allows day-first and month-first readings.

    Decided from the whole column, by the first criterion on which one reading beats every
    other: (1) the cells it parses (a field above 12 is a day), (2) date order (a file's rows
    are sorted, either way), (3) how many of its dates are NSE sessions. A dd/mm file whose
    days are all <= 12 reads as mm/dd too; its sessions tell them apart (mm/dd puts rows on
    weekends). A single candidate format is returned as is.

    Raises
    ------
    DataFormatError
        When no criterion decides: the file (``path``), the column and both readings are named;
        the fix is to write the dates as ISO (YYYY-MM-DD).
    """
    if len(formats) == 1:
        return formats[0]
    candidates = [_reading(cells, f) for f in formats]
    for criterion in ("parsed", "ordered", "sessions"):
        best = max(getattr(r, criterion) for r in candidates)
        candidates = [r for r in candidates if getattr(r, criterion) == best]
        if len(candidates) == 1:
            return candidates[0].fmt
    readings = "; ".join(r.describe() for r in candidates)
    raise DataFormatError(
        path if path is not None else "<date column>",
        "dates whose day/month order the file decides (a day above 12, the rows' order or the "
        "NSE sessions); write them as ISO YYYY-MM-DD",
        column=column, found=f"{len(cells)} dates that read both ways: {readings}")


def _parse_timestamps(text: pd.Series) -> pd.Series:
    with_offset = text.str.contains(_OFFSET, na=False)
    out = pd.Series(pd.NaT, index=text.index, dtype=f"datetime64[ns, {IST}]")
    if with_offset.any():
        aware = pd.to_datetime(text[with_offset], format="ISO8601", utc=True, errors="coerce")
        out[with_offset] = aware.dt.tz_convert(IST)
    naive = ~with_offset & text.notna()
    if naive.any():
        local = pd.to_datetime(text[naive], format="ISO8601", errors="coerce")
        out[naive] = local.dt.tz_localize(IST, ambiguous="NaT", nonexistent="NaT")
    return out


def parse_numbers(values: pd.Series) -> pd.Series:
    """Numbers as float64; thousands separators and surrounding spaces accepted, else NaN."""
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values):
        return values.astype("float64")
    text = values.astype("string").str.strip().str.replace(",", "", regex=False)
    return pd.to_numeric(text, errors="coerce").astype("float64")

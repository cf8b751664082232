"""The store's Parquet reader gives what ``pd.read_parquet`` gives (it only skips
``pyarrow.dataset``): same values, dtypes and index, for one file and for partitions."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pytest

from aegis.errors import StoreError
from aegis.market.store import _read_part, read_parquet_file, read_parquet_parts


def _frame(start: int, rows: int) -> pd.DataFrame:
    stamps = pd.date_range("2023-01-02 09:15", periods=rows, freq="5min", tz="Asia/Kolkata")
    return pd.DataFrame({
        "timestamp": stamps,
        "session": pd.to_datetime(stamps.date),
        "close": np.linspace(100.0, 101.0, rows),
        "volume": np.arange(start, start + rows, dtype="int64"),
        "expiry": ["2023-01-05" if i % 3 else None for i in range(rows)],
        "flag": [bool(i % 2) for i in range(rows)],
    })


def test_one_file_reads_as_pandas_reads_it(tmp_path: Path) -> None:
    named = _frame(0, 7).set_index("timestamp")
    flat = _frame(0, 5)
    for name, frame in (("named", named), ("flat", flat)):
        path = tmp_path / f"{name}.parquet"
        frame.to_parquet(path)
        ours = read_parquet_file(path)
        pdt.assert_frame_equal(ours, pd.read_parquet(path), check_exact=True)
        assert ours.dtypes.to_dict() == pd.read_parquet(path).dtypes.to_dict()
        assert ours["expiry"].isna().sum() == frame["expiry"].isna().sum() > 0


def test_partitions_read_as_one_dataset_read(tmp_path: Path) -> None:
    parts = []
    for year, start in ((2021, 0), (2022, 4), (2023, 9)):
        path = tmp_path / f"year={year}" / "part.parquet"
        path.parent.mkdir()
        _frame(start, 4 + year % 3).to_parquet(path)
        parts.append(path)
    ours = read_parquet_parts(parts)
    theirs = pd.read_parquet([str(p) for p in parts], partitioning=None)
    pdt.assert_frame_equal(ours, theirs, check_exact=True)
    assert isinstance(ours.index, pd.RangeIndex)
    assert len(ours) == 4 + 5 + 6


def test_an_unreadable_file_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "year=2022" / "part.parquet"
    bad.parent.mkdir()
    bad.write_bytes(b"not parquet at all")
    with pytest.raises(StoreError, match=r"year=2022/part.parquet: expected a readable Parquet"):
        _read_part(bad)
    good = tmp_path / "year=2021" / "part.parquet"
    good.parent.mkdir()
    _frame(0, 3).to_parquet(good)
    with pytest.raises(StoreError, match=r"year=2022/part.parquet"):
        read_parquet_parts([good, bad])

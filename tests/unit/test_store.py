"""MarketStore: partitioned Parquet, idempotent upserts keyed by series and time."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from aegis.errors import StoreError
from aegis.market.loaders import load_file
from aegis.market.store import MarketStore, UpsertResult

FIX = Path(__file__).parents[1] / "fixtures" / "market"


def snapshot(root: Path) -> dict[str, tuple[int, bytes]]:
    return {str(p.relative_to(root)): (p.stat().st_mtime_ns, p.read_bytes())
            for p in sorted(root.rglob("*.parquet"))}


def test_upsert_same_file_twice_changes_nothing(tmp_path: Path) -> None:
    store = MarketStore(tmp_path)
    frame = load_file(FIX / "vix_ddmmyyyy_reverse.csv").frame
    assert store.upsert("vix_daily", frame) == UpsertResult(4, 0, 0)
    assert sorted(p.parent.name for p in tmp_path.glob("series=*/year=*/*.parquet")) == [
        "year=2009", "year=2013"]
    before = snapshot(tmp_path)
    assert store.upsert("vix_daily", frame) == UpsertResult(0, 0, 4)
    assert snapshot(tmp_path) == before
    pd.testing.assert_frame_equal(store.read("vix_daily"), frame, check_freq=False)


def test_upsert_updates_and_inserts(tmp_path: Path) -> None:
    store = MarketStore(tmp_path)
    frame = load_file(FIX / "vix_ddmmyyyy_reverse.csv").frame
    store.upsert("vix_daily", frame)
    changed = frame.copy()
    changed.loc["2013-08-23", "close"] = 27.2
    extra = changed.iloc[[-1]].copy()
    extra.index = pd.DatetimeIndex([pd.Timestamp("2013-08-26")], name="session")
    assert store.upsert("vix_daily", pd.concat([changed, extra])) == UpsertResult(1, 1, 3)
    out = store.read("vix_daily")
    assert len(out) == 5
    assert out.loc["2013-08-23", "close"] == 27.2


def test_chain_keys_include_contract_and_summary(tmp_path: Path) -> None:
    store = MarketStore(tmp_path)
    chain = load_file(FIX / "chain_wide_after_expiry.csv").frame
    assert store.upsert("option_chain", chain) == UpsertResult(4, 0, 0)
    assert store.upsert("option_chain", chain) == UpsertResult(0, 0, 4)
    intraday = load_file(FIX / "intraday_utc.csv").frame
    store.upsert("nifty_intraday", intraday)
    assert store.names() == ["nifty_intraday", "option_chain"]
    summary = {s["series"]: s for s in store.summary()}
    assert summary["nifty_intraday"]["first"] == "2023-04-03T09:15:00+05:30"
    assert summary["option_chain"]["rows"] == 4
    assert str(store.read("nifty_intraday").index.tz) == "Asia/Kolkata"


def test_store_errors(tmp_path: Path) -> None:
    store = MarketStore(tmp_path)
    with pytest.raises(StoreError, match="not in the store"):
        store.read("nifty_daily")
    with pytest.raises(StoreError, match="series name"):
        store.upsert("../evil", load_file(FIX / "vix_mdy_zero_ohl.csv").frame)


def test_partitions_are_read_as_one_dataset_and_named_when_broken(tmp_path: Path) -> None:
    store = MarketStore(tmp_path)
    frame = load_file(FIX / "vix_ddmmyyyy_reverse.csv").frame
    store.upsert("vix_daily", frame)
    parts = sorted(tmp_path.glob("series=vix_daily/year=*/part.parquet"))
    assert len(parts) == 2
    # a partition written with a column the older ones lack: the union, NaN where absent
    late = pd.read_parquet(parts[1]).assign(extra=1.5)
    late.to_parquet(parts[1])
    out = store.read("vix_daily")
    assert len(out) == len(frame)
    assert "extra" in out.columns
    assert out["extra"].isna().sum() == (out.index.year == 2009).sum()
    assert (out.loc[out.index.year == 2013, "extra"] == 1.5).all()
    parts[0].write_bytes(b"not parquet")
    with pytest.raises(StoreError, match=r"year=2009.*part\.parquet: expected a readable "):
        store.read("vix_daily")

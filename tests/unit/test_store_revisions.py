"""The store never destroys data: revisions, held conflicts, revert, delete, future rows,
stray temp files, and what `aegis data ingest` says when a file stores nothing."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from aegis.commands.data import app
from aegis.errors import StoreError
from aegis.market import loaders
from aegis.market.identify import symbol_from_name
from aegis.market.store import MarketStore

runner = CliRunner()
DAYS = pd.bdate_range("2021-01-04", periods=30, name="session")


def bars(close: np.ndarray, days: pd.DatetimeIndex = DAYS) -> pd.DataFrame:
    return pd.DataFrame({"open": close, "high": close * 1.01, "low": close * 0.99,
                         "close": close, "volume": np.nan}, index=days)


def nifty_csv(path: Path, close: np.ndarray, days: pd.DatetimeIndex = DAYS) -> Path:
    frame = bars(close, days)
    frame.index = frame.index.strftime("%Y-%m-%d")
    frame.index.name = "Date"
    frame.to_csv(path)
    return path


CLOSE = 14000.0 + np.arange(30) * 10.0


def test_fat_finger_is_held_not_applied_and_can_be_accepted(tmp_path: Path) -> None:
    store = MarketStore(tmp_path)
    store.upsert("nifty_daily", bars(CLOSE), files="good.csv")
    bad = CLOSE.copy()
    bad[10] *= 10
    bad[20] += 5.0  # a small, plausible revision
    result = store.upsert("nifty_daily", bars(bad), files="fat.csv")
    assert (result.updated, result.held, result.unchanged) == (1, 1, 28)
    stored = store.read("nifty_daily")
    assert stored["close"].iloc[10] == CLOSE[10]  # the good value is still there
    assert stored["close"].iloc[20] == CLOSE[20] + 5.0
    (held,) = store.conflicts()
    assert (held["old_close"], held["new_close"], held["file"]) == (CLOSE[10], bad[10],
                                                                    "fat.csv")
    assert held["at"] == DAYS[10].date().isoformat()
    store.accept(held["batch"])
    assert store.read("nifty_daily")["close"].iloc[10] == bad[10]
    assert store.conflicts() == []
    # a correction of the bad value back to a plausible one is never held
    fixed = store.upsert("nifty_daily", bars(CLOSE), files="fix.csv")
    assert (fixed.updated, fixed.held) == (2, 0)


def test_revert_restores_the_old_values_and_is_itself_revertible(tmp_path: Path) -> None:
    store = MarketStore(tmp_path)
    store.upsert("nifty_daily", bars(CLOSE))
    changed = CLOSE + 1.0
    extra = bars(np.array([15000.0]), pd.DatetimeIndex(["2021-03-01"], name="session"))
    store.upsert("nifty_daily", pd.concat([bars(changed), extra]), files="b.csv")
    batch = store.history()[-1]["batch"]
    assert store.history()[-1]["files"] == ["b.csv"]
    done = store.revert(batch)
    assert (done["updated"], done["deleted"]) == (30, 1)
    np.testing.assert_array_equal(store.read("nifty_daily")["close"], CLOSE)
    store.revert(done["batch"])
    assert len(store.read("nifty_daily")) == 31
    with pytest.raises(StoreError, match="no batch"):
        store.revert("nope")


def test_delete_a_range_then_revert_brings_it_back(tmp_path: Path) -> None:
    store = MarketStore(tmp_path)
    store.upsert("nifty_daily", bars(CLOSE))
    done = store.delete("nifty_daily", "2021-01-11", "2021-01-15")
    assert done["deleted"] == 5
    assert len(store.read("nifty_daily")) == 25
    line = store.history()[-1]
    assert (line["action"], line["from"], line["to"], line["deleted"]) == (
        "delete", "2021-01-11", "2021-01-15", 5)
    assert line["who"]
    store.revert(done["batch"])
    pd.testing.assert_frame_equal(store.read("nifty_daily"), bars(CLOSE), check_freq=False)
    with pytest.raises(StoreError, match="after"):
        store.delete("nifty_daily", "2021-02-01", "2021-01-01")


def test_stray_temp_files_are_never_read_and_are_cleaned(tmp_path: Path) -> None:
    store = MarketStore(tmp_path)
    store.upsert("nifty_daily", bars(CLOSE))
    part = next(tmp_path.glob("series=nifty_daily/year=2021"))
    (part / ".tmp-part.parquet.x1").write_bytes(b"PAR1 half written")
    assert len(store.read("nifty_daily")) == 30
    store.upsert("nifty_daily", bars(CLOSE + 1))
    assert not list(part.glob(".tmp-*"))


def test_unreadable_partition_is_a_store_error_naming_it(tmp_path: Path) -> None:
    store = MarketStore(tmp_path)
    store.upsert("nifty_daily", bars(CLOSE))
    path = next(tmp_path.glob("series=nifty_daily/year=2021/part.parquet"))
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(StoreError, match="part.parquet"):
        store.read("nifty_daily")


@pytest.mark.parametrize(("now", "last"), [
    ("2021-01-29 18:00", "2021-01-29"),   # after the 29th's close
    ("2021-01-29 15:29", "2021-01-28"),   # one minute before it: the 29th is still a session
    ("2021-01-29 00:30", "2021-01-28"),   # 19:00 UTC the evening before, in IST
])
def test_future_rows_are_rejected_with_row_and_reason(tmp_path: Path, now: str,
                                                      last: str) -> None:
    path = nifty_csv(tmp_path / "nifty_x.csv", CLOSE, pd.bdate_range("2021-01-04", periods=30))
    moment = pd.Timestamp(now, tz="Asia/Kolkata").to_pydatetime()
    result = loaders.load_file(path, now=moment)
    assert result.frame.index.max() == pd.Timestamp(last)
    first = result.rejected[0]
    assert first.at == (pd.Timestamp(last) + pd.offsets.BDay()).date().isoformat()
    assert "has not closed" in first.reason
    assert "15:30 IST" in first.reason
    assert len(result.frame) + len(result.rejected) == 30


def test_the_store_refuses_an_unclosed_session_whatever_the_source(tmp_path: Path) -> None:
    """The store's own rule (simulator and live frames do not pass through the loader)."""
    store = MarketStore(tmp_path)
    frame = bars(CLOSE)
    last = pd.Timestamp(frame.index.max())
    before = pd.Timestamp(f"{last.date()} 10:00", tz="Asia/Kolkata").to_pydatetime()
    result = store.upsert("nifty_daily", frame, now=before)
    assert [r["session"][:10] for r in result.refused] == [last.date().isoformat()]
    assert "has not closed" in result.refused[0]["reason"]
    assert store.read("nifty_daily").index.max() < last
    after = pd.Timestamp(f"{last.date()} 16:00", tz="Asia/Kolkata").to_pydatetime()
    assert store.upsert("nifty_daily", frame, now=after).inserted == 1
    assert store.read("nifty_daily").index.max() == last


def test_file_name_and_symbol_option_before_level_bands(aegis_home: Path,
                                                        tmp_path: Path) -> None:
    # a rebased NIFTY series (levels far outside NIFTY's yearly ranges)
    rebased = nifty_csv(tmp_path / "nifty_rebased.csv", 1000.0 + np.arange(30))
    assert loaders.load_file(rebased).symbol == "NIFTY50"
    unnamed = nifty_csv(tmp_path / "series.csv", 1000.0 + np.arange(30))
    out = runner.invoke(app, ["ingest", str(unnamed), "--json"])
    assert out.exit_code == 1
    assert "nothing stored from" in out.stderr
    assert "--symbol" in out.stderr
    out = runner.invoke(app, ["ingest", str(unnamed), "--symbol", "NIFTY50", "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)["upserts"]["nifty_daily"]["inserted"] == 30
    out = runner.invoke(app, ["inspect", str(unnamed), "--symbol", "nifty50", "--json"])
    assert json.loads(out.stdout)["symbol_from"] == "--symbol"
    assert runner.invoke(app, ["inspect", str(unnamed), "--symbol", "BANK"]).exit_code == 2


@pytest.mark.parametrize(("name", "symbol"), [
    ("scrooge_nifty50_yf_2007_2022.csv", "NIFTY50"), ("animesh_indiavix_2016.csv", "INDIAVIX"),
    ("dispersion_banknifty_1min_2023.csv", None),
    ("niftyscreener_NIFTY_2026-08-11_21600PE_5min_oi.csv", None),
    ("nifty_chain_snapshot.csv", None), ("prices.csv", None)])
def test_symbol_from_name(name: str, symbol: str | None) -> None:
    assert symbol_from_name(name) == symbol


def test_a_name_the_levels_contradict_decides_nothing(tmp_path: Path) -> None:
    vix_levels = nifty_csv(tmp_path / "nifty_daily.csv", 15.0 + np.arange(30) * 0.1)
    result = loaders.load_file(vix_levels)
    assert result.symbol is None
    assert "the file name says NIFTY50" in result.symbol_from


def test_range_table_past_its_span_says_so(tmp_path: Path) -> None:
    from aegis.market.identify import NIFTY_RANGE_LAST_YEAR

    days = pd.bdate_range(f"{NIFTY_RANGE_LAST_YEAR + 1}-01-05", periods=30)
    result = loaders.load_file(nifty_csv(tmp_path / "series.csv", 24000.0 + np.arange(30),
                                         days))
    assert result.symbol == "NIFTY50"
    assert f"range table ends in {NIFTY_RANGE_LAST_YEAR}" in result.symbol_from


def test_all_rejected_file_exits_1_and_says_why(aegis_home: Path, tmp_path: Path) -> None:
    path = tmp_path / "nifty_bad.csv"
    path.write_text("Date,Open,High,Low,Close\n2021-01-04,1,1,1,0\n2021-01-05,1,1,1,0\n")
    out = runner.invoke(app, ["ingest", str(path)])
    assert out.exit_code == 1
    assert "all 2 rows rejected" in out.stderr
    assert "non-positive close" in out.stderr

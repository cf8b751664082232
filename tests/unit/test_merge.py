"""merge_series: union of sessions, precedence nse > unknown > yahoo, conflicts reported."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from aegis.errors import MergeConflictError
from aegis.market.history import load_history
from aegis.market.loaders import LoadResult
from aegis.market.merge import merge_series


def daily(path: str, source: str, closes: dict[str, float], symbol: str = "NIFTY50"
          ) -> LoadResult:
    idx = pd.DatetimeIndex(pd.to_datetime(list(closes)), name="session")
    c = pd.Series(list(closes.values()), index=idx, dtype="float64")
    frame = pd.DataFrame({"open": c, "high": c, "low": c, "close": c, "volume": float("nan")})
    return LoadResult(Path(path), "daily_ohlc", symbol, source, frame)  # type: ignore[arg-type]


def test_union_precedence_and_conflicts() -> None:
    yahoo = daily("y.csv", "yahoo", {"2020-01-01": 100.0, "2020-01-02": 101.0,
                                     "2020-01-03": 102.0})
    nse = daily("n.csv", "nse", {"2020-01-02": 101.005, "2020-01-03": 150.0,
                                 "2020-01-04": 103.0})
    unknown = daily("u.csv", "unknown", {"2020-01-01": 100.0, "2020-01-05": 104.0})
    merged = merge_series([yahoo, nse, unknown])
    assert merged.frame.index.tolist() == list(pd.to_datetime(
        ["2020-01-01", "2020-01-02", "2020-01-03", "2020-01-04", "2020-01-05"]))
    assert merged.frame["close"].tolist() == [100.0, 101.005, 150.0, 103.0, 104.0]
    assert [s for _, s in merged.sources] == ["nse", "unknown", "yahoo"]
    # 101.005 vs 101.0 is 5e-5 relative: within tolerance; 150 vs 102 is a conflict
    assert len(merged.conflicts) == 1
    c = merged.conflicts[0]
    assert (c.at, c.kept, c.other, c.kept_path, c.other_path) == (
        "2020-01-03", 150.0, 102.0, "n.csv", "y.csv")
    assert c.relative_difference == pytest.approx(48 / 150)


def test_equal_rank_first_given_wins() -> None:
    a = daily("a.csv", "unknown", {"2020-01-01": 1.0})
    b = daily("b.csv", "unknown", {"2020-01-01": 2.0})
    assert merge_series([b, a]).frame["close"].tolist() == [2.0]


def test_different_series_refused() -> None:
    with pytest.raises(MergeConflictError, match="different series"):
        merge_series([daily("a.csv", "nse", {"2020-01-01": 1.0}),
                      daily("b.csv", "nse", {"2020-01-01": 20.0}, symbol="INDIAVIX")])


def test_load_history_refuses_vix_given_as_nifty() -> None:
    from aegis.errors import DataFormatError

    fix = Path(__file__).parents[1] / "fixtures" / "market"
    with pytest.raises(DataFormatError, match="INDIAVIX"):
        load_history([fix / "vix_mdy_zero_ohl.csv"], [])
    h = load_history([fix / "nifty_iso_index.csv", fix / "nifty_bom_dmon.csv"],
                     [fix / "vix_mdy_zero_ohl.csv", fix / "vix_ddmmyyyy_reverse.csv"])
    assert h.nifty.index.is_unique
    assert h.vix.index.is_unique
    assert len(h.vix) == 7
    assert h.nifty.attrs["symbol"] == "NIFTY50"
    assert len(h.repairs[str(fix / "vix_mdy_zero_ohl.csv")]) == 1

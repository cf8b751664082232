"""The loaders on the real files in AEGIS_REAL_DATA_DIR (see its PROVENANCE.md)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from aegis.market.history import MarketHistory, load_history_dir
from aegis.market.loaders import load_file

pytestmark = pytest.mark.realdata

MUHURAT_AND_SATURDAY = ["2007-11-09", "2008-10-28", "2009-10-17", "2010-11-05", "2011-10-26",
                        "2010-02-06"]


@pytest.fixture(scope="module")
def history(real_data_dir: Path) -> MarketHistory:
    return load_history_dir(real_data_dir / "history")


def test_spans_and_no_duplicate_sessions(history: MarketHistory) -> None:
    n, v = history.nifty, history.vix
    assert (n.index[0], n.index[-1]) == (pd.Timestamp("2000-01-03"), pd.Timestamp("2022-12-30"))
    assert (v.index[0], v.index[-1]) == (pd.Timestamp("2009-03-02"), pd.Timestamp("2022-12-30"))
    assert n.index.is_unique
    assert v.index.is_unique
    assert n.index.is_monotonic_increasing
    assert v.index.is_monotonic_increasing
    assert history.conflicts == []
    assert history.skipped == {}


def test_sanity_values(history: MarketHistory) -> None:
    close = history.nifty["close"]
    for day, value in [("2008-01-02", 6179.4), ("2015-01-02", 8395.45),
                       ("2020-01-02", 12282.2), ("2020-03-23", 7610.25)]:
        assert close[day] == pytest.approx(value, abs=0.01)
    assert history.vix.loc["2020-03-24", "close"] == pytest.approx(83.61, abs=0.01)


def test_nse_only_sessions_present(history: MarketHistory, real_data_dir: Path) -> None:
    nse = load_file(real_data_dir / "history/nifty_daily/vatsalsin_nifty50_2000_2019.csv")
    yahoo = load_file(real_data_dir / "history/nifty_daily/scrooge_nifty50_yf_2007_2022.csv")
    assert (nse.source, yahoo.source) == ("nse", "yahoo")
    overlap = nse.frame.index[nse.frame.index >= yahoo.frame.index[0]]
    only_nse = overlap.difference(yahoo.frame.index)
    assert len(only_nse) == 39
    assert only_nse.isin(history.nifty.index).all()
    assert pd.to_datetime(MUHURAT_AND_SATURDAY).isin(history.nifty.index).all()
    # the two files agree everywhere they overlap (float32 noise only)
    shared = nse.frame.index.intersection(yahoo.frame.index)
    assert len(shared) == 2981
    diff = (nse.frame.loc[shared, "close"] - yahoo.frame.loc[shared, "close"]).abs().max()
    assert diff < 0.001


def test_closure_2014_is_not_an_error(history: MarketHistory) -> None:
    window = history.nifty.loc["2014-09-29":"2014-10-10"].index
    assert pd.Timestamp("2014-10-02") not in window
    assert pd.Timestamp("2014-10-03") not in window
    assert all(not notes for notes in history.rejected.values())


def test_every_oddity_listed(history: MarketHistory, real_data_dir: Path) -> None:
    repairs = {Path(p).name: notes for p, notes in history.repairs.items()}
    animesh = [(n.at, n.column) for n in repairs["animesh_indiavix_2016_2022.csv"]]
    assert animesh == [("2021-02-12", "open,high,low"), ("2021-03-30", "open,high,low")]
    assert history.vix.loc["2021-02-12", ["open", "high", "low"]].eq(23.045).all()
    mj = repairs["mjanbandhu_indiavix_2009_2020.csv"]
    assert [(n.at, n.column) for n in mj] == [("2013-08-22", "low")]
    assert history.vix.loc["2013-08-22", "low"] == 27.68
    for day in ("2009-05-18", "2009-06-23"):  # flat bars kept as they are
        bar = history.vix.loc[day]
        assert bar["open"] == bar["high"] == bar["low"] == bar["close"]
    assert sum(len(v) for v in repairs.values()) == 3

    intraday = load_file(real_data_dir / "intraday/dispersion_indiavix_1min_2023.csv")
    assert intraday.kind == "intraday_ohlc"
    assert intraday.symbol == "INDIAVIX"
    assert all("15:30 close" in n.reason for n in intraday.rejected)
    assert len(intraday.rejected) >= 1
    assert (intraday.frame.index.time < pd.Timestamp("15:30").time()).all()

    bars = load_file(real_data_dir /
                     "option_chain/niftyscreener_NIFTY_2026-08-11_21600PE_5min_oi.csv")
    assert bars.kind == "option_bars"
    assert bars.rows + len(bars.rejected) == 539
    assert {n.at[11:16] for n in bars.rejected} == {"15:30", "15:35"}
    assert (bars.frame["close"] == 0.05).any()  # tick-floor bars kept

    chain = load_file(real_data_dir /
                      "option_chain/niftyscreener_nifty_chain_snapshot_2026-08-19.csv")
    assert chain.kind == "option_chain"
    assert chain.symbol == "NIFTY50"
    assert len(chain.rejected) == 38
    assert chain.rows == 2 * 105 - 38
    assert any("after its expiry" in n for n in chain.notes)
    assert any("ignored (first row says 502.279)" in n for n in chain.notes)
    frame = chain.frame
    pcr = frame.loc[frame.option_type == "PE", "oi"].sum() / \
        frame.loc[frame.option_type == "CE", "oi"].sum()
    assert 0.3 < pcr < 3
    assert frame["iv"].dropna().between(0, 300).all()


def test_inspect_every_file_cli(real_data_dir: Path) -> None:
    files = sorted(p for p in real_data_dir.rglob("*.csv"))
    assert len(files) == 123
    script = ("import json,sys\nfrom aegis.market.loaders import load_file\n"
              "from aegis.errors import DataFormatError\nout={}\n"
              "for p in sys.argv[1:]:\n"
              "    try: out[p]=load_file(p).inspect_json()\n"
              "    except DataFormatError as e: out[p]=str(e)\n"
              "print(json.dumps(out))")
    results = json.loads(subprocess.run([sys.executable, "-c", script, *map(str, files)],
                                        capture_output=True, text=True, check=True).stdout)
    header_only = 0
    for path, j in results.items():
        if isinstance(j, str):  # a header-only file (pandas' dump of an empty frame)
            assert Path(path).read_bytes().strip() == b'""'
            assert "no data rows" in j
            header_only += 1
            continue
        assert j["kind"] in {"daily_ohlc", "intraday_ohlc", "option_chain", "option_bars",
                             "contract_master"}
        assert j["rows"] > 0
        assert j["first"] <= j["last"]
        if "dispersion_nifty23jun_1min" in path:  # per-strike option files, told by content
            assert j["kind"] == "option_bars"
    assert header_only == 17
    # and through the real CLI, one readable and one header-only file
    ok = subprocess.run([sys.executable, "-m", "aegis.cli", "data", "inspect", str(files[0]),
                         "--json"], capture_output=True, text=True, check=False)
    assert ok.returncode == 0
    assert json.loads(ok.stdout)["rows"] > 0
    empty = next(Path(p) for p, j in results.items() if isinstance(j, str))
    bad = subprocess.run([sys.executable, "-m", "aegis.cli", "data", "inspect", str(empty),
                          "--json"], capture_output=True, text=True, check=False)
    assert bad.returncode == 2
    assert len(bad.stderr.strip().splitlines()) == 1

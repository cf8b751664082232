"""Loaders: formats, kinds, and every oddity's repair or rejection, on hand-made fixtures."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from aegis.errors import DataFormatError
from aegis.market.loaders import load_file

FIX = Path(__file__).parents[1] / "fixtures" / "market"


def reasons(notes: list) -> list[tuple[int, str]]:
    return [(n.row, n.reason) for n in notes]


def test_iso_dates_unnamed_index_and_row_rejections() -> None:
    r = load_file(FIX / "nifty_iso_index.csv")
    assert (r.kind, r.symbol) == ("daily_ohlc", "NIFTY50")
    assert r.frame.index.name == "session"
    assert list(r.frame.columns) == ["open", "high", "low", "close", "volume"]
    assert r.rows == 6
    assert r.frame.loc["2020-01-02", "close"] == 12282.2
    rej = {n.row: n for n in r.rejected}
    assert set(rej) == {4, 6, 7, 8}
    assert rej[4].reason == "duplicate of 2020-01-03 (row 3 kept)"
    assert rej[6].reason == "unparseable date 'not-a-date'"
    assert rej[6].at == ""
    assert rej[7].reason == "non-positive close -12025.35"
    assert rej[7].column == "close"
    assert rej[8].reason == "unparseable close missing"
    # volume 0 on an index means "not reported"
    assert np.isnan(r.frame.loc["2020-01-10", "volume"])
    # the Saturday flat bar is a session, not an error
    assert r.frame.loc["2020-01-11", ["open", "high", "low"]].eq(12300.0).all()
    assert r.repairs == []


def test_bom_trailing_spaces_dd_mon_yyyy_any_order() -> None:
    r = load_file(FIX / "nifty_bom_dmon.csv")
    assert (r.kind, r.symbol, r.rows) == ("daily_ohlc", "NIFTY50", 3)
    row = r.frame.loc["2020-01-03"]
    assert (row["open"], row["high"], row["low"], row["close"]) == (
        12261.1, 12265.6, 12191.35, 12226.65)
    assert r.frame["volume"].isna().all()


def test_ddmmyyyy_reverse_order_close_below_low_widened_and_flat_bar_kept() -> None:
    r = load_file(FIX / "vix_ddmmyyyy_reverse.csv")
    assert (r.kind, r.symbol, r.source) == ("daily_ohlc", "INDIAVIX", "nse")
    assert r.frame.index.is_monotonic_increasing
    assert r.span() == ("2009-05-18", "2013-08-23")
    assert any("reverse" in n for n in r.notes)
    assert reasons(r.repairs) == [
        (2, "close 27.68 below low 27.99: range widened to [27.68, 29.86]")]
    assert r.repairs[0].at == "2013-08-22"
    assert r.repairs[0].column == "low"
    assert r.frame.loc["2013-08-22", "low"] == 27.68
    assert r.frame.loc["2013-08-22", "high"] == 29.86
    flat = r.frame.loc["2009-05-18"]
    assert flat["open"] == flat["high"] == flat["low"] == flat["close"] == 52.01
    assert r.rejected == []
    assert r.frame["volume"].isna().all()


def test_mdy_zero_ohl_repaired_to_close_and_negative_rejected() -> None:
    r = load_file(FIX / "vix_mdy_zero_ohl.csv")
    assert (r.kind, r.symbol) == ("daily_ohlc", "INDIAVIX")
    assert r.span() == ("2021-02-11", "2021-02-15")
    assert reasons(r.repairs) == [
        (2, "open=0, high=0, low=0 with a valid close 23.045: set to the close")]
    assert r.frame.loc["2021-02-12", ["open", "high", "low", "close"]].eq(23.045).all()
    assert reasons(r.rejected) == [(4, "negative high -1")]


def test_yfinance_three_row_header() -> None:
    r = load_file(FIX / "nifty_yfinance3.csv")
    assert (r.kind, r.symbol, r.source, r.rows) == ("daily_ohlc", "NIFTY50", "yahoo", 3)
    assert r.frame.loc["2008-01-02", "close"] == pytest.approx(6179.4, abs=1e-3)
    # row numbers count data rows after the three header rows
    assert [n.row for n in r.repairs] == [3]


def test_utc_timestamps_to_ist_and_bar_at_close_rejected() -> None:
    r = load_file(FIX / "intraday_utc.csv")
    assert (r.kind, r.symbol) == ("intraday_ohlc", "NIFTY50")
    assert str(r.frame.index.tz) == "Asia/Kolkata"
    assert r.span() == ("2023-04-03T09:15:00+05:30", "2023-04-03T15:29:00+05:30")
    assert reasons(r.rejected) == [
        (5, "bar starts at or after the 15:30 close (NSE session 09:15-15:30 IST)")]


def test_option_bars_with_oi_after_close_rejected_tick_floor_kept() -> None:
    r = load_file(FIX / "option_bars_oi.csv")
    assert r.kind == "option_bars"
    assert r.rows == 2
    assert [n.row for n in r.rejected] == [3, 4]
    last = r.frame.iloc[-1]
    assert (last["close"], last["oi"], last["strike"], last["option_type"]) == (
        0.05, 1424085.0, 21600.0, "PE")
    assert last["expiry"] == pd.Timestamp("2026-08-11")


def test_option_bars_without_contract_columns_detected_by_content() -> None:
    r = load_file(FIX / "option_bars_nocontract.csv")
    assert (r.kind, r.symbol, r.rows) == ("option_bars", None, 4)
    assert r.frame["strike"].isna().all()


def test_option_bars_keyed_by_contract_symbols() -> None:
    r = load_file(FIX / "option_bars_symbols.csv")
    assert r.kind == "option_bars"
    assert reasons(r.rejected) == [
        (1, "not an option contract symbol: '0'"),
        (5, "duplicate of 2023-06-05T09:45:00+05:30 (row 3 kept)")]
    got = {(s, t, e.date().isoformat()) for s, t, e in
           zip(r.frame["strike"], r.frame["option_type"], r.frame["expiry"], strict=True)}
    # June 2023 monthly expiry: Thursday 29th was a holiday (Bakri Id) -> Wednesday 28th
    assert got == {(17500.0, "CE", "2023-06-28"), (17500.0, "PE", "2023-06-28"),
                   (17600.0, "CE", "2023-06-15")}


def test_chain_after_expiry_zero_sides_rejected_iv_repaired_pcr_recomputed() -> None:
    r = load_file(FIX / "chain_wide_after_expiry.csv")
    assert (r.kind, r.symbol, r.source) == ("option_chain", "NIFTY50", "unknown")
    assert r.rows == 4
    assert [(n.row, n.column) for n in r.rejected] == [(2, "ce_ltp,ce_oi"), (3, "pe_ltp,pe_oi")]
    ivs = r.frame.set_index(["strike", "option_type"])["iv"]
    assert np.isnan(ivs[(24000.0, "CE")])
    assert np.isnan(ivs[(24000.0, "PE")])
    assert ivs[(24100.0, "PE")] == 14.2
    assert ivs[(24200.0, "CE")] == 18.5
    # PCR = put OI / call OI over accepted sides = (3000 + 2000) / (1000 + 4000)
    assert any("= 1.0000" in n for n in r.notes)
    assert any("after its expiry" in n for n in r.notes)
    assert any("PCR column ignored" in n for n in r.notes)
    assert r.frame["oi_change"].tolist() == [100.0, 500.0, -100.0, 1000.0]


def test_chain_iv_repairs_listed_per_side() -> None:
    r = load_file(FIX / "chain_wide_after_expiry.csv")
    assert [(n.row, n.column) for n in r.repairs] == [(1, "ce_iv"), (1, "pe_iv")]
    assert "IV 500 outside (0, 300]" in r.repairs[1].reason


def test_contract_master() -> None:
    r = load_file(FIX / "contracts.csv")
    assert (r.kind, r.symbol, r.rows) == ("contract_master", "NIFTY50", 2)
    assert list(r.frame.columns) == ["expiry", "strike", "option_type", "lot_size", "tick_size",
                                     "weekly"]
    assert reasons(r.rejected) == [(3, "duplicate contract 21600 PE"),
                                   (4, "option type is not CE or PE")]


def test_parquet_same_as_csv(tmp_path: Path) -> None:
    csv = load_file(FIX / "vix_ddmmyyyy_reverse.csv")
    raw = pd.read_csv(FIX / "vix_ddmmyyyy_reverse.csv")
    raw["Date"] = pd.to_datetime(raw["Date"], format="%d-%m-%Y")
    target = tmp_path / "anything.bin"
    raw.to_parquet(target)
    pq = load_file(target)
    assert (pq.kind, pq.symbol) == ("daily_ohlc", "INDIAVIX")
    pd.testing.assert_frame_equal(pq.frame, csv.frame)
    assert reasons(pq.repairs) == reasons(csv.repairs)


def test_detection_ignores_the_file_name(tmp_path: Path) -> None:
    target = tmp_path / "NIFTY_option_chain.csv"
    target.write_bytes((FIX / "vix_mdy_zero_ohl.csv").read_bytes())
    assert load_file(target).symbol == "INDIAVIX"


@pytest.mark.parametrize(
    ("content", "found"),
    [(b"", "an empty file"), (b"\x00\x01\x02PK\x00", "binary content"),
     (b"name,colour\nx,red\n", "columns ['name', 'colour']"), (b'""\n', "no data rows")],
)
def test_unreadable_files_raise_naming_file_and_expectation(
    tmp_path: Path, content: bytes, found: str
) -> None:
    target = tmp_path / "bad.csv"
    target.write_bytes(content)
    with pytest.raises(DataFormatError) as err:
        load_file(target)
    msg = str(err.value)
    assert msg.startswith(str(target))
    assert "expected" in msg
    assert found in msg
    assert "open, high, low, close" in msg
    assert "\n" not in msg


def test_inspect_json_contract() -> None:
    j = load_file(FIX / "vix_mdy_zero_ohl.csv").inspect_json()
    assert list(j) == ["kind", "symbol", "rows", "first", "last", "repairs", "rejected",
                       "symbol_from", "noted", "notes"]  # issue 22: non-sessions noted
    assert j["symbol_from"] == "the file name"
    assert j["rows"] == 3
    assert j["first"] == "2021-02-11"
    assert j["last"] == "2021-02-15"
    assert j["repairs"][0] == {"row": 2, "at": "2021-02-12", "column": "open,high,low",
                               "reason": "open=0, high=0, low=0 with a valid close 23.045: "
                                         "set to the close"}
    assert j["rejected"][0]["row"] == 4


def test_chain_rows_stamped_in_the_future_are_rejected(tmp_path: Path) -> None:
    """A chain snapshot stamped after now has not been taken: rejected with row and reason."""
    text = (FIX / "chain_wide_after_expiry.csv").read_text().splitlines()
    header, first = text[0], text[1]
    future = first.replace("2026-08-19 04:53:41", "2030-01-02 10:00:00", 1)
    path = tmp_path / "nifty_chain_future.csv"
    path.write_text("\n".join([header, first, future]) + "\n")
    r = load_file(path)
    notes = [n for n in r.rejected if n.column == "timestamp"]
    assert [n.row for n in notes] == [2]  # the second data row
    assert "after now" in notes[0].reason
    assert (pd.DatetimeIndex(r.frame["timestamp"]).year < 2030).all()

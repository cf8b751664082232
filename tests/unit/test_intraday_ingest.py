"""``aegis data ingest --symbol NIFTY50|INDIAVIX FILE`` with 1-minute bars, the acceptance
check's format (``timestamp,open,high,low,close,volume``, +05:30 offsets): each symbol lands in
its own series; what has not happened, lies outside the session or is another index is not."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from aegis.commands.data import app as data_app
from aegis.config import get_settings
from aegis.market.sources.simulator import SimulatedMarket, simulate
from aegis.market.store import MarketStore

IST = "Asia/Kolkata"
SLOT = pd.Timestamp("2024-06-14 14:15", tz=IST)


def write(frame: pd.DataFrame, path: Path, *, volume: str = "0") -> Path:
    """Bars as the acceptance check writes them (VIX volume ``0`` or empty)."""
    lines = ["timestamp,open,high,low,close,volume"]
    for ts, row in frame.iterrows():
        vol = volume if pd.isna(row["volume"]) else f"{row['volume']:.0f}"
        lines.append(f"{ts.isoformat()},{row['open']},{row['high']},{row['low']},"
                     f"{row['close']},{vol}")
    path.write_text("\n".join(lines) + "\n")
    return path


def ingest(*args: str) -> tuple[int, dict, str]:
    out = CliRunner().invoke(data_app, ["ingest", *args, "--json"])
    return out.exit_code, json.loads(out.stdout), out.stderr


@pytest.fixture
def at_slot(aegis_home: Path, monkeypatch: pytest.MonkeyPatch) -> MarketStore:
    monkeypatch.setenv("AEGIS_CLOCK", SLOT.isoformat())
    get_settings.cache_clear()
    return MarketStore(get_settings().resolved_data_dir)


@pytest.fixture(scope="module")
def market() -> SimulatedMarket:
    return simulate(9, 0.3, now=SLOT, intraday_sessions=1, chain_sessions=0)


@pytest.mark.parametrize("vix_volume", ["0", ""])
def test_both_symbols_land_in_their_series(at_slot: MarketStore, market: SimulatedMarket,
                                           tmp_path: Path, vix_volume: str) -> None:
    nifty, vix = market.nifty_intraday, market.vix_intraday
    assert len(nifty) == 300  # 09:15 .. 14:14
    code, report, _ = ingest("--symbol", "NIFTY50", str(write(nifty, tmp_path / "bars.csv")))
    assert code == 0
    assert report["upserts"]["nifty_intraday"]["inserted"] == 300
    code, report, _ = ingest("--symbol", "INDIAVIX",
                             str(write(vix, tmp_path / "vixbars.csv", volume=vix_volume)))
    assert code == 0
    assert set(report["upserts"]) == {"vix_intraday"}
    stored = at_slot.read("vix_intraday")
    pd.testing.assert_series_equal(stored["close"], vix["close"], check_freq=False)
    assert stored["volume"].isna().all()
    assert at_slot.read("nifty_intraday").index[-1] == SLOT - pd.Timedelta(minutes=1)


def test_bars_after_now_and_outside_the_session_are_rejected_with_notes(
    at_slot: MarketStore, market: SimulatedMarket, tmp_path: Path,
) -> None:
    bars = market.nifty_intraday
    extra = bars.iloc[[-1, -1]].set_axis(pd.DatetimeIndex(
        ["2024-06-14 09:08", "2024-06-14 14:30"], tz=IST, name="timestamp"))
    path = write(pd.concat([bars, extra]).sort_index(), tmp_path / "bars.csv")
    code, report, _ = ingest("--symbol", "NIFTY50", str(path))
    assert code == 0
    (loaded,) = report["files"]
    reasons = {r["at"]: r["reason"] for r in loaded["rejected"]}
    assert "before the 09:15 open" in reasons["2024-06-14T09:08:00+05:30"]
    assert "stamped after now" in reasons["2024-06-14T14:30:00+05:30"]
    assert report["upserts"]["nifty_intraday"]["inserted"] == 300


def test_five_minute_bars_are_accepted(at_slot: MarketStore, market: SimulatedMarket,
                                       tmp_path: Path) -> None:
    minutes = market.nifty_intraday
    five = minutes.resample("5min", label="left", closed="left").agg(
        {"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum"})
    code, report, _ = ingest("--symbol", "NIFTY50", str(write(five, tmp_path / "five.csv")))
    assert code == 0
    assert report["upserts"]["nifty_intraday"]["inserted"] == 60


def test_another_index_or_vix_is_not_nifty(at_slot: MarketStore, market: SimulatedMarket,
                                           tmp_path: Path) -> None:
    bars = market.nifty_intraday.copy()
    # BANKNIFTY traded near 49,000 in June 2024 (NIFTY near 23,000)
    scale = 49_000.0 / bars["close"].median()
    bank = bars.assign(**{c: (bars[c] * scale).round(2) for c in ("open", "high", "low", "close")})
    code, report, err = ingest("--symbol", "NIFTY50", str(write(bank, tmp_path / "bank.csv")))
    assert code == 1
    assert "BANKNIFTY" in report["not_stored"][0]["reason"]
    assert "nothing stored" in err
    vix = market.vix_intraday
    code, report, _ = ingest("--symbol", "NIFTY50", str(write(vix, tmp_path / "vix.csv")))
    assert code == 1
    assert "India VIX's level" in report["not_stored"][0]["reason"]
    code, report, _ = ingest("--symbol", "INDIAVIX", str(write(bars, tmp_path / "nifty.csv")))
    assert code == 1
    reason = report["not_stored"][0]["reason"]
    assert "--symbol INDIAVIX contradicted by the file's levels" in reason
    assert at_slot.names() == []

"""The real 1-minute samples through ``aegis data ingest --symbol``: each lands in its own
series (BANKNIFTY never becomes NIFTY), bars outside the session are rejected with notes, and
the intraday suite passes on what was stored."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from aegis.commands.data import app as data_app
from aegis.config import get_settings
from aegis.market.store import MarketStore
from aegis.validation import validate_frames

CLOCK = "2026-12-07T10:00:00+05:30"  # after every sample; the sessions are all closed


def ingest(real_data_dir: Path, name: str, *symbol: str) -> tuple[int, dict, str]:
    path = real_data_dir / "intraday" / name
    args = ["ingest", *(["--symbol", symbol[0]] if symbol else []), str(path), "--json"]
    out = CliRunner().invoke(data_app, args)
    return out.exit_code, json.loads(out.stdout), out.stderr


@pytest.fixture
def clocked(aegis_home: Path, monkeypatch: pytest.MonkeyPatch) -> MarketStore:
    monkeypatch.setenv("AEGIS_CLOCK", CLOCK)
    get_settings.cache_clear()
    return MarketStore(get_settings().resolved_data_dir)


def test_india_vix_minutes_become_vix_intraday(real_data_dir: Path,
                                               clocked: MarketStore) -> None:
    code, report, _ = ingest(real_data_dir, "dispersion_indiavix_1min_2023.csv", "INDIAVIX")
    assert code == 0
    assert report["upserts"] == {"vix_intraday": {"inserted": 15000, "updated": 0,
                                                  "unchanged": 0, "held": 0}}
    (loaded,) = report["files"]
    assert [r["reason"] for r in loaded["rejected"]] == [
        "bar starts at or after the 15:30 close (NSE session 09:15-15:30 IST)"]
    assert loaded["rejected"][0]["at"] == "2023-06-01T15:30:00+05:30"
    bars = clocked.read("vix_intraday")
    assert bars["volume"].isna().all()
    assert bars.index.tz is not None
    assert str(bars.index.tz) == "Asia/Kolkata"
    assert bars.index.normalize().nunique() == 40
    result = validate_frames({"vix_intraday": bars}, suites={"vix_intraday": "intraday_bars"})
    assert result.success, result.describe_failures()


def test_banknifty_never_becomes_nifty(real_data_dir: Path, clocked: MarketStore) -> None:
    for symbol in (("NIFTY50",), ()):
        code, report, err = ingest(real_data_dir, "dispersion_banknifty_1min_2023.csv", *symbol)
        assert code == 1
        assert report["upserts"] == {}
        why = report["not_stored"][0]["reason"]
        if symbol:
            assert "cannot be NIFTY 50 in 2023" in why
            assert "BANKNIFTY" in why
        else:
            assert "unrecognised symbol" in why
        assert "nothing stored" in err
    assert "nifty_intraday" not in clocked.names()


def test_nifty_five_minute_session_becomes_nifty_intraday(real_data_dir: Path,
                                                          clocked: MarketStore) -> None:
    code, report, _ = ingest(real_data_dir, "niftyscreener_nifty_5min_2026-08-17.csv", "NIFTY50")
    assert code == 0
    assert report["upserts"]["nifty_intraday"]["inserted"] == 75
    bars = clocked.read("nifty_intraday")
    assert bars.index[0].isoformat() == "2026-08-17T09:15:00+05:30"
    assert bars.index[-1].isoformat() == "2026-08-17T15:25:00+05:30"
    result = validate_frames({"nifty_intraday": bars},
                             suites={"nifty_intraday": "intraday_bars"})
    assert result.success, result.describe_failures()


def test_a_session_in_progress_keeps_only_the_bars_before_now(
    real_data_dir: Path, aegis_home: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    # the clock inside the 5-minute sample's session: later bars have not happened
    monkeypatch.setenv("AEGIS_CLOCK", "2026-08-17T11:02:00+05:30")
    get_settings.cache_clear()
    code, report, _ = ingest(real_data_dir, "niftyscreener_nifty_5min_2026-08-17.csv", "NIFTY50")
    assert code == 0
    bars = MarketStore(get_settings().resolved_data_dir).read("nifty_intraday")
    assert bars.index[-1] <= pd.Timestamp("2026-08-17T11:02:00+05:30")
    assert len(bars) == 22  # 09:15 .. 11:00 every 5 minutes
    (loaded,) = report["files"]
    assert len(loaded["rejected"]) == 75 - 22
    assert all("stamped after now" in r["reason"] for r in loaded["rejected"])

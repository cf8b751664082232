"""``aegis data simulate``: CSV output, store upserts (idempotent), errors with exit 2."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from aegis.cli import app
from aegis.config import get_settings
from aegis.market.sources.simulator import simulate

runner = CliRunner()
ARGS = ["data", "simulate", "--seed", "5", "--years", "1.5", "--end", "2026-11-20",
        "--intraday-sessions", "3", "--chain-sessions", "2"]


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The command simulates as of the settings' moment: pin it after ``--end``."""
    monkeypatch.setenv("AEGIS_CLOCK", "2026-12-01T12:00:00+05:30")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_the_session_in_progress_has_bars_but_no_daily_bar(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    monkeypatch.setenv("AEGIS_CLOCK", "2026-11-20T10:00:00+05:30")
    get_settings.cache_clear()
    proc = runner.invoke(app, [*ARGS, "--out", str(tmp_path / "sim"), "--json"])
    assert proc.exit_code == 0, proc.output
    report = json.loads(proc.stdout)
    assert report["end"] == "2026-11-19"
    assert report["moment"].startswith("2026-11-20T10:00")
    rows = {row["series"]: row for row in report["series"]}
    for name in ("nifty_intraday", "vix_intraday"):
        assert rows[name]["last"] == "2026-11-20T09:59:00+05:30"
    assert rows["option_chain"]["last"] == "2026-11-20T10:00:00+05:30"


def _expected():
    return simulate(5, 1.5, end=date(2026, 11, 20), intraday_sessions=3, chain_sessions=2)


def test_csv_output_round_trips(tmp_path: Path) -> None:
    proc = runner.invoke(app, [*ARGS, "--out", str(tmp_path / "sim"), "--json"])
    assert proc.exit_code == 0, proc.output
    report = json.loads(proc.stdout)
    assert report["destination"] == "csv"
    assert report["end"] == "2026-11-20"
    market = _expected()
    by_name = {row["series"]: row for row in report["series"]}
    assert by_name["nifty_intraday"]["rows"] == 3 * 375
    assert by_name["option_chain"]["rows"] == len(market.option_chain)

    daily = pd.read_csv(by_name["nifty_daily"]["file"], index_col="date", parse_dates=True)
    np.testing.assert_allclose(daily["close"], market.nifty["close"])
    assert by_name["nifty_daily"]["first"] == market.nifty.index[0].date().isoformat()
    vix = pd.read_csv(by_name["vix_daily"]["file"])
    assert list(vix.columns) == ["date", "open", "high", "low", "close"]
    bars = pd.read_csv(by_name["nifty_intraday"]["file"])
    assert bars["timestamp"].iloc[0].endswith("09:15:00+05:30")
    np.testing.assert_allclose(bars["close"], market.nifty_intraday["close"])
    vix_bars = pd.read_csv(by_name["vix_intraday"]["file"])
    assert list(vix_bars.columns) == ["timestamp", "open", "high", "low", "close"]
    np.testing.assert_allclose(vix_bars["close"], market.vix_intraday["close"])
    chain = pd.read_csv(by_name["option_chain"]["file"])
    assert list(chain.columns) == list(market.option_chain.columns)
    np.testing.assert_allclose(chain["last_price"], market.option_chain["last_price"])


def test_store_upsert_is_idempotent(aegis_home: Path) -> None:
    first = runner.invoke(app, [*ARGS, "--json"])
    assert first.exit_code == 0, first.output
    rows = {r["series"]: r for r in json.loads(first.stdout)["series"]}
    assert set(rows) == {"nifty_daily", "vix_daily", "nifty_intraday", "vix_intraday",
                         "option_chain"}
    assert all(r["inserted"] == r["rows"] and r["updated"] == 0 for r in rows.values())

    again = runner.invoke(app, [*ARGS, "--json"])
    assert again.exit_code == 0, again.output
    rows = {r["series"]: r for r in json.loads(again.stdout)["series"]}
    assert all(r["unchanged"] == r["rows"] and r["inserted"] == 0 for r in rows.values())

    from aegis.config import get_settings
    from aegis.market.store import MarketStore

    stored = MarketStore(get_settings().resolved_data_dir).read("nifty_daily")
    np.testing.assert_allclose(stored["close"].to_numpy(), _expected().nifty["close"].to_numpy())


def test_readable_summary(tmp_path: Path) -> None:
    proc = runner.invoke(app, [*ARGS, "--out", str(tmp_path)])
    assert proc.exit_code == 0, proc.output
    assert "seed 5" in proc.stdout
    assert "nifty_intraday" in proc.stdout
    assert "1125 rows" in proc.stdout


def test_bad_arguments_exit_2_with_one_line(tmp_path: Path) -> None:
    for extra in (["--years", "0"], ["--end", "2026-13-01"], ["--seed", "-3"]):
        proc = runner.invoke(app, ["data", "simulate", "--out", str(tmp_path), *extra])
        assert proc.exit_code == 2, proc.output
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1
        assert lines[0].startswith("aegis: error:")

"""``aegis data inspect|ingest|show`` through the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aegis.commands.data import app

FIX = Path(__file__).parents[1] / "fixtures" / "market"
runner = CliRunner()


def test_inspect_json() -> None:
    out = runner.invoke(app, ["inspect", str(FIX / "vix_ddmmyyyy_reverse.csv"), "--json"])
    assert out.exit_code == 0, out.output
    j = json.loads(out.stdout)
    assert (j["kind"], j["symbol"], j["rows"], j["first"], j["last"]) == (
        "daily_ohlc", "INDIAVIX", 4, "2009-05-18", "2013-08-23")
    assert j["repairs"][0]["row"] == 2
    assert j["rejected"] == []


def test_inspect_readable_summary() -> None:
    out = runner.invoke(app, ["inspect", str(FIX / "vix_mdy_zero_ohl.csv")])
    assert out.exit_code == 0
    assert "INDIAVIX" in out.stdout
    assert "set to the close" in out.stdout


@pytest.mark.slow  # runs the CLI in a subprocess: the exit code of a real process
def test_inspect_unreadable_exit_2_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "prices.csv"
    bad.write_text("name,colour\nx,red\n")
    proc = subprocess.run([sys.executable, "-m", "aegis.cli", "data", "inspect", str(bad),
                           "--json"], capture_output=True, text=True, check=False)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1
    assert str(bad) in lines[0]
    assert "open, high, low, close" in lines[0]
    assert proc.stdout == ""


def test_ingest_twice_then_show(aegis_home: Path) -> None:
    args = ["ingest", str(FIX / "vix_ddmmyyyy_reverse.csv"), str(FIX / "vix_mdy_zero_ohl.csv"),
            str(FIX / "nifty_iso_index.csv"), str(FIX / "option_bars_nocontract.csv"), "--json"]
    first = runner.invoke(app, args)
    # the option-bars file stores nothing: exit 1 naming it, the others are stored
    assert first.exit_code == 1, first.output
    assert "nothing stored from" in first.stderr
    assert "option_bars_nocontract.csv" in first.stderr
    report = json.loads(first.stdout)
    assert report["upserts"]["vix_daily"] == {"inserted": 7, "updated": 0, "unchanged": 0,
                                              "held": 0}
    assert report["upserts"]["nifty_daily"]["inserted"] == 6
    assert [s["reason"] for s in report["skipped"]] == [
        "option bars without strike/type/expiry in the file: cannot be keyed"]
    second = json.loads(runner.invoke(app, args).stdout)
    assert second["upserts"]["vix_daily"] == {"inserted": 0, "updated": 0, "unchanged": 7,
                                              "held": 0}
    shown = json.loads(runner.invoke(app, ["show", "--json"]).stdout)
    assert {s["series"]: s["rows"] for s in shown["series"]} == {"nifty_daily": 6,
                                                                 "vix_daily": 7}
    assert Path(shown["root"]) == aegis_home / "data"
    table = runner.invoke(app, ["show"])
    assert table.exit_code == 0
    assert "vix_daily" in table.stdout

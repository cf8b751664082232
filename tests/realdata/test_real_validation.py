"""The real history in ``../shared/data`` passes the gate after the loader's documented repairs;
the same history with an oddity put back (no repair) fails the right expectation."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from aegis.commands import validate as validate_cmd
from aegis.commands._multi import MULTI_VALUE_CONTEXT
from aegis.market.history import MarketHistory, load_history
from aegis.market.loaders import load_file
from aegis.validation import validate_frames

BETWEEN = "expect_column_values_to_be_between"
PAIR = "expect_column_pair_values_a_to_be_greater_than_b"


def history_files(root: Path) -> tuple[list[Path], list[Path]]:
    nifty = sorted((root / "history" / "nifty_daily").glob("*.csv"))
    vix = sorted((root / "history" / "vix_daily").glob("*.csv"))
    assert len(nifty) == 2
    assert len(vix) == 2
    return nifty, vix


@pytest.fixture(scope="module")
def history(real_data_dir: Path) -> MarketHistory:
    return load_history(*history_files(real_data_dir))


def test_real_history_and_features_pass_every_suite(history: MarketHistory) -> None:
    from aegis.features.daily import build_daily_features

    features = build_daily_features(history.nifty, history.vix)
    report = validate_frames(
        {"nifty_daily": history.nifty, "vix_daily": history.vix, "features": features},
    )
    assert report.describe_failures() == ""
    assert report.success
    assert report.suite("nifty_daily").rows == 5720  # 2000-01-03 .. 2022-12-30
    # the loader's repairs are what made the VIX pass: the three PROVENANCE oddities
    repaired = {note.at for notes in history.repairs.values() for note in notes}
    assert {"2013-08-22", "2021-02-12", "2021-03-30"} <= repaired
    # the real 6-day closure and the flat bars are in the data that passed
    gaps = history.nifty.index.to_series().diff().dt.days
    assert gaps.max() == 6
    assert gaps.idxmax() == pd.Timestamp("2014-10-07")
    for day in ("2009-05-18", "2009-06-23"):  # India VIX flat bars (O=H=L=C)
        flat = history.vix.loc[day]
        assert flat["open"] == flat["high"] == flat["low"] == flat["close"]


@pytest.mark.parametrize(
    ("session", "raw", "failed"),
    [
        # animesh file, 2021-02-12: O=H=L=0 with a valid close
        ("2021-02-12", {"open": 0.0, "high": 0.0, "low": 0.0, "close": 23.045},
         {(BETWEEN, "open"), (BETWEEN, "high"), (BETWEEN, "low"), (PAIR, "high,close")}),
        # mjanbandhu file, 2013-08-22: close 27.68 below its own low 27.99
        ("2013-08-22", {"open": 28.09, "high": 29.86, "low": 27.99, "close": 27.68},
         {(PAIR, "close,low")}),
    ],
)
def test_real_vix_with_an_oddity_put_back_fails_the_right_expectation(
    history: MarketHistory, session: str, raw: dict[str, float],
    failed: set[tuple[str, str]],
) -> None:
    vix = history.vix.copy()
    for column, value in raw.items():
        vix.loc[pd.Timestamp(session), column] = value
    report = validate_frames({"vix_daily": vix})
    assert {(f.expectation_type, f.column) for f in report.suite("vix_daily").failed} == failed
    rows = [r for f in report.suite("vix_daily").failed for r in f.offending_rows]
    assert {r["session"][:10] for r in rows} == {session}


def test_real_nifty_with_a_month_cut_out_fails_the_gap_rule(history: MarketHistory) -> None:
    nifty = history.nifty.drop(history.nifty.loc["2016-03-01":"2016-03-31"].index)
    report = validate_frames({"nifty_daily": nifty})
    (failure,) = report.suite("nifty_daily").failed
    assert failure.column == "gap_days"
    assert failure.offending_rows[0]["session"].startswith("2016-04-01")


def test_real_intraday_bars_pass(real_data_dir: Path) -> None:
    for name in ("niftyscreener_nifty_5min_2026-08-17.csv", "dispersion_banknifty_1min_2023.csv"):
        frame = load_file(real_data_dir / "intraday" / name).frame
        report = validate_frames({"intraday_bars": frame})
        assert report.success, report.describe_failures()


def test_real_chain_snapshot_taken_after_its_expiry_is_caught(real_data_dir: Path) -> None:
    path = real_data_dir / "option_chain" / "niftyscreener_nifty_chain_snapshot_2026-08-19.csv"
    chain = load_file(path).frame
    report = validate_frames({"option_chain": chain})
    failed = {(f.expectation_type, f.column) for f in report.suite("option_chain").failed}
    assert failed == {(BETWEEN, "hours_to_expiry")}


def test_cli_on_the_real_files_exits_0(real_data_dir: Path, tmp_path: Path) -> None:
    nifty, vix = history_files(real_data_dir)
    app = typer.Typer()
    app.command("validate", context_settings=MULTI_VALUE_CONTEXT)(validate_cmd.validate)
    app.command("noop")(lambda: None)
    out = tmp_path / "validation.json"
    result = CliRunner().invoke(app, [
        "validate", "--nifty", *map(str, nifty), "--vix", *map(str, vix),
        "--json", str(out), "--docs-dir", str(tmp_path / "docs"),
    ])
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    assert report["success"] is True
    assert report["inputs"]["nifty_sessions"] == 5720
    assert sum(len(v) for v in report["inputs"]["repairs"].values()) >= 3

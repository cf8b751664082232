"""``aegis validate --nifty FILE... --vix FILE... --json OUT`` and its multi-value parsing."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from aegis.commands import validate as validate_cmd
from aegis.commands._multi import MULTI_VALUE_CONTEXT, split_multi_values
from aegis.errors import DataFormatError
from tests.unit.test_validation_frames import ohlc_frame

FLAGS = ("--nifty", "--vix")


# --- the splitter --------------------------------------------------------------------
@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--nifty", "a", "b", "--vix", "c", "d"], {"--nifty": ["a", "b"], "--vix": ["c", "d"]}),
        (["--nifty", "a", "--nifty", "b", "--vix", "c"], {"--nifty": ["a", "b"], "--vix": ["c"]}),
        (["--vix", "c", "--nifty", "a", "b"], {"--nifty": ["a", "b"], "--vix": ["c"]}),
        (["--nifty=a", "b", "--vix=c"], {"--nifty": ["a", "b"], "--vix": ["c"]}),
        (["--nifty", "a"], {"--nifty": ["a"], "--vix": []}),
    ],
)
def test_split_assigns_values_to_the_preceding_flag(
    args: list[str], expected: dict[str, list[str]]
) -> None:
    assert split_multi_values(args, FLAGS) == expected


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["a", "--nifty", "b"], "unexpected argument 'a'"),
        (["--nifty", "a", "--spx", "b"], "unknown option '--spx'"),
        (["--nifty", "--vix", "c"], "--nifty needs at least one value"),
        (["--nifty", "a", "--nifty", "--vix", "c"], "--nifty needs at least one value"),
        (["--nifty=", "--vix", "c"], "--nifty needs at least one value"),
        (["--nifty", "a", "--vix"], "--vix needs at least one value"),
    ],
)
def test_split_rejects_malformed_lines(args: list[str], message: str) -> None:
    with pytest.raises(typer.BadParameter, match=message):
        split_multi_values(args, FLAGS)


def test_split_reports_missing_required_flags() -> None:
    with pytest.raises(typer.BadParameter, match="missing option --vix"):
        split_multi_values(["--nifty", "a"], FLAGS, required=FLAGS)


# --- the command -----------------------------------------------------------------------
def make_app() -> typer.Typer:
    """The command registered as aegis.cli must register it (MULTI_VALUE_CONTEXT)."""
    app = typer.Typer()
    app.command("validate", context_settings=MULTI_VALUE_CONTEXT)(validate_cmd.validate)

    @app.command("noop")
    def noop() -> None:  # a second command keeps "validate" a sub-command, as in aegis.cli
        """Unused."""

    return app


def write_daily_csv(frame: pd.DataFrame, path: Path, *, volume: bool) -> Path:
    out = frame.rename(columns=str.capitalize)
    if not volume:
        out = out.drop(columns="Volume")
    out.index = out.index.strftime("%Y-%m-%d")
    out.index.name = "Date"
    out.to_csv(path)
    return path


@pytest.fixture
def history_files(tmp_path: Path) -> dict[str, Path]:
    """Two overlapping NIFTY files and two overlapping VIX files, 2013-2014 (seeded)."""
    sessions = pd.bdate_range("2013-01-01", "2014-12-31", name="session")
    nifty = ohlc_frame(sessions, 6000.0, 0.003, seed=11, volume=True)
    vix = ohlc_frame(sessions, 16.0, 0.02, seed=12, volume=False)
    half = len(sessions) // 2
    return {
        "n1": write_daily_csv(nifty.iloc[: half + 20], tmp_path / "nifty_a.csv", volume=True),
        "n2": write_daily_csv(nifty.iloc[half:], tmp_path / "nifty_b.csv", volume=True),
        "v1": write_daily_csv(vix.iloc[: half + 20], tmp_path / "vix_a.csv", volume=False),
        "v2": write_daily_csv(vix.iloc[half:], tmp_path / "vix_b.csv", volume=False),
    }


@pytest.mark.parametrize("syntax", ["several-after-one-flag", "repeated-flag"])
def test_validate_passes_on_good_history(
    history_files: dict[str, Path], tmp_path: Path, syntax: str
) -> None:
    f = {k: str(v) for k, v in history_files.items()}
    out = tmp_path / "reports" / "validation.json"
    if syntax == "several-after-one-flag":
        args = ["validate", "--nifty", f["n1"], f["n2"], "--vix", f["v1"], f["v2"]]
    else:
        args = ["validate", "--nifty", f["n1"], "--nifty", f["n2"], "--vix", f["v1"],
                "--vix", f["v2"]]
    args += ["--json", str(out), "--docs-dir", str(tmp_path / "docs")]
    result = CliRunner().invoke(make_app(), args)
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    assert report["success"] is True
    assert [s["suite"] for s in report["suites"]] == ["nifty_daily", "vix_daily", "features"]
    assert report["suites"][0]["rows"] == 522  # weekdays of 2013-2014, overlap merged
    assert report["inputs"]["nifty_files"] == [f["n1"], f["n2"]]
    assert report["inputs"]["vix_files"] == [f["v1"], f["v2"]]
    assert (tmp_path / "docs" / "index.html").is_file()
    assert "nifty_daily: passed" in result.output


def test_validate_exits_1_with_the_report_when_a_suite_fails(
    history_files: dict[str, Path], tmp_path: Path
) -> None:
    frame = pd.read_csv(history_files["n2"])
    frame = frame.drop(index=range(40, 70))  # six weeks of sessions missing
    frame.to_csv(history_files["n2"], index=False)
    out = tmp_path / "validation.json"
    result = CliRunner().invoke(
        make_app(),
        ["validate", "--nifty", str(history_files["n1"]), str(history_files["n2"]),
         "--vix", str(history_files["v1"]), str(history_files["v2"]),
         "--json", str(out), "--docs-dir", str(tmp_path / "docs")],
    )
    assert result.exit_code == 1, result.output
    report = json.loads(out.read_text())
    assert report["success"] is False
    nifty = next(s for s in report["suites"] if s["suite"] == "nifty_daily")
    assert [f["column"] for f in nifty["failed"]] == ["gap_days"]
    assert nifty["failed"][0]["unexpected_values"][0] > 7


def test_validate_unreadable_file_raises_data_format_error(
    history_files: dict[str, Path], tmp_path: Path
) -> None:
    bad = tmp_path / "garbage.csv"
    bad.write_text("this,is\nnot,market data\n")
    result = CliRunner().invoke(
        make_app(),
        ["validate", "--nifty", str(bad), "--vix", str(history_files["v1"]),
         "--json", str(tmp_path / "o.json")],
    )
    assert isinstance(result.exception, DataFormatError)
    assert str(bad) in str(result.exception)
    assert not (tmp_path / "o.json").exists()


def test_validate_usage_errors_exit_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        make_app(), ["validate", "--nifty", "a.csv", "--json", str(tmp_path / "o.json")]
    )
    assert result.exit_code == 2
    assert "missing option --vix" in result.output


def test_aegis_cli_accepts_several_files_after_one_flag(
    history_files: dict[str, Path], tmp_path: Path
) -> None:
    """The real ``aegis`` app: cli.py must register validate with MULTI_VALUE_CONTEXT."""
    from aegis.cli import app

    f = {k: str(v) for k, v in history_files.items()}
    out = tmp_path / "validation.json"
    result = CliRunner().invoke(app, [
        "validate", "--nifty", f["n1"], f["n2"], "--vix", f["v1"], f["v2"],
        "--json", str(out), "--docs-dir", str(tmp_path / "docs"),
    ])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["success"] is True

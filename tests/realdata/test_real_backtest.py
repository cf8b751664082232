"""``aegis backtest`` on the real history files (both NIFTY and both India VIX files).

Evaluates 2021-01-01..2022-12-30 walk-forward (yearly refits, trained only on data before each
block). Measured when written (about 30 s on two cores): 496 sessions; safe range 0.80
coverage 0.788 over 104 weekly windows (Wilson 95% [0.700, 0.856]); trap Brier 0.162 vs
baseline 0.241; expiry stress 0.198 vs 0.237; breach 0.0817 vs 0.0839; direction accuracy
0.554, Brier 0.2481 vs 0.2494; buyer 127 BREAKOUT signals, spike rate 0.40 vs base rate 0.31.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from aegis.cli import app
from tests.unit.test_backtest import PNG_MAGIC, check_report_shape

pytestmark = pytest.mark.realdata

START, END = "2021-01-01", "2022-12-30"


@pytest.fixture(scope="module")
def report(real_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = real_data_dir / "history"
    nifty = sorted((root / "nifty_daily").glob("*.csv"))
    vix = sorted((root / "vix_daily").glob("*.csv"))
    assert len(nifty) == 2
    assert len(vix) == 2
    out = tmp_path_factory.mktemp("real-backtest") / "report.json"
    args = ["backtest", "--nifty", *map(str, nifty), "--vix", *map(str, vix),
            "--from", START, "--to", END, "--json", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert out.with_name("report.reliability.png").read_bytes()[:8] == PNG_MAGIC
    return dict(json.loads(out.read_text()))


def test_report_shape_and_period(report: dict[str, Any]) -> None:
    check_report_shape(report, extra_top={"inputs", "reliability_png"})
    assert report["period"] == {"from": START, "to": END, "sessions": 496}
    assert len(report["inputs"]["nifty_files"]) == 2
    # the known oddities of the VIX files are repaired or rejected, not silently kept
    assert report["inputs"]["repairs"] + report["inputs"]["rejected"] > 0


def test_safe_range_covers_as_promised(report: dict[str, Any]) -> None:
    safe = report["safe_range"]
    assert 100 <= safe["windows"] <= 106  # two years of weekly expiries
    lo, hi = safe["ci95"]
    assert lo <= 0.8 <= hi, safe


@pytest.mark.parametrize("section", ["trap", "expiry_stress"])
def test_model_beats_its_baseline(report: dict[str, Any], section: str) -> None:
    scores = report[section]
    assert scores["n"] > 450
    assert scores["brier"] < scores["brier_baseline"], scores


def test_breach_and_direction_are_no_worse_than_baseline(report: dict[str, Any]) -> None:
    for section in ("breach", "direction"):
        scores = report[section]
        # within 2% of the baseline's Brier (both are hard to beat by much on daily data)
        assert scores["brier"] < 1.02 * scores["brier_baseline"], (section, scores)
    assert report["direction"]["n"] > 450

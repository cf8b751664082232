"""``aegis backtest`` on the real history files (both NIFTY and both India VIX files).

Evaluates 2015-01-01..2022-12-30 walk-forward (yearly refits, trained only on data before each
block; the gate at each year tests the four years before it). Measured when written (45 s on
two cores): 1980 sessions; Brier skill against walk-forward climatology trap +7.8 % (ECE
0.024; LOW / MEDIUM / HIGH event frequencies 0.13 / 0.22 / 0.39), expiry stress +2.6 % (ECE
0.013; CALM / CAUTION / STRESS 0.18 / 0.28 / 0.34), breach +10.9 %, buyer +1.6 %, direction
-0.2 % (never promoted: climatology published every year).
With the live publishing rules replayed day by day (issue #21, measured when written): published
skill trap +6.8 %, stress +0.8 %, breach +10.7 %, buyer +0.5 %, direction 0; worst published
calendar year stress 2022 -0.4 %; spike rate after a published BREAKOUT 0.361 (61) vs base 0.292.
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

START, END = "2015-01-01", "2022-12-30"


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
    assert report["period"] == {"from": START, "to": END, "sessions": 1980}
    assert len(report["inputs"]["nifty_files"]) == 2
    # the known oddities of the VIX files are repaired or rejected, not silently kept
    assert report["inputs"]["repairs"] + report["inputs"]["rejected"] > 0


def test_safe_range_covers_as_promised(report: dict[str, Any]) -> None:
    safe = report["safe_range"]
    assert 410 <= safe["windows"] <= 420  # eight years of weekly expiries
    lo, hi = safe["ci95"]
    assert lo <= 0.8 <= hi, safe


@pytest.mark.parametrize(("section", "min_skill", "class_ratio"),
                         [("trap", 0.05, 2.0), ("expiry_stress", 0.02, 1.5)])
def test_trap_and_stress_beat_climatology(
    report: dict[str, Any], section: str, min_skill: float, class_ratio: float
) -> None:
    """Issue #9: skill against walk-forward climatology, calibrated, classes that inform."""
    scores = report[section]
    assert scores["n"] > 1900
    assert scores["bss_climatology"] >= min_skill, scores
    assert scores["ece"] <= 0.03, scores
    assert scores["brier"] < scores["brier_baseline"], scores
    assert scores["published_brier"] < scores["brier_climatology"], scores
    low, _, high = scores["classes"].values()
    assert high["frequency"] >= class_ratio * low["frequency"], scores["classes"]
    assert all(c["share"] >= 0.05 for c in scores["classes"].values()), scores["classes"]


def test_breach_and_buyer_keep_their_skill(report: dict[str, Any]) -> None:
    for section in ("breach", "buyer"):
        assert report[section]["bss_climatology"] > 0, (section, report[section])
        assert report[section]["brier"] < report[section]["brier_baseline"], section


def test_direction_is_published_only_as_the_gate_allows(report: dict[str, Any]) -> None:
    direction = report["direction"]
    assert direction["n"] > 1900
    promoted = [g for g in direction["gate"] if g["promote"]]
    if not promoted:  # climatology published every day
        assert direction["published_brier"] == pytest.approx(direction["brier_climatology"])


def test_published_probabilities_follow_the_live_rules_year_by_year(report: dict[str, Any]
                                                                     ) -> None:
    """Issue #21: what would have been published (gate at each refit, nightly demotion,
    evidence weight) never loses a calendar year to climatology by more than 3 %, stays
    calibrated, and the spike rate after a *published* BREAKOUT is at least the base rate."""
    for section in ("trap", "expiry_stress", "breach", "buyer", "direction"):
        scores = report[section]
        assert scores["published_brier"] <= 1.01 * scores["brier_climatology"], section
        assert scores["published_ece"] <= 0.05, section
        for year, cell in scores["by_year"].items():
            if cell["n"] >= 60:
                assert cell["published_brier"] <= 1.03 * cell["brier_climatology"], (
                    section, year, cell)
        assert set(scores["by_vix_band"]) <= {"0-15", "15-20", "20-30", "30+"}
    buyer = report["buyer"]
    if buyer["signals"]:
        assert buyer["spike_rate"] >= buyer["base_rate"], buyer
    assert buyer["model_signals"]["signals"] >= buyer["signals"]

"""The walk-forward backtest: the DESIGN.md report shape, the reliability PNG, the CLI contract.

Ten simulated years (seed 3, ending 2024-12-31), the last two evaluated with yearly refits.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from aegis.cli import app
from aegis.features.daily import build_daily_features
from aegis.market.sources.simulator import simulate
from aegis.models.walkforward import walk_forward_predictions
from aegis.rates.backtest import plot_reliability, reliability_png_path, run_backtest

SEED, YEARS, END = 3, 10, "2024-12-31"
# slow: trains every model and backtests it walk-forward (~2 min); make test runs it
pytestmark = pytest.mark.slow
START = "2023-01-01"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

#: DESIGN.md, "Backtest report" (and issue #9's skill keys): section -> key -> type
SKILL: dict[str, type] = {"brier_climatology": float, "bss_climatology": float,
                          "frequency": float, "published_brier": float, "published_ece": float}
SCORES: dict[str, type] = {"n": int, "brier": float, "brier_baseline": float, "ece": float,
                           **SKILL}
REPORT_SHAPE: dict[str, dict[str, type]] = {
    "period": {"from": str, "to": str, "sessions": int},
    "safe_range": {"confidence": float, "windows": int, "coverage": float, "ci95": list,
                   "every_session": dict, "by_sessions_to_expiry": dict, "fit": dict},
    "breach": {**SCORES, "by_sessions_to_expiry": dict},
    "trap": {**SCORES, "classes": dict, "published_classes": dict},
    "expiry_stress": {**SCORES, "classes": dict, "published_classes": dict},
    "direction": {**SCORES, "accuracy": float},
    "buyer": {"signals": int, "spike_rate": float, "ci95": list, "base_rate": float, **SCORES},
}
COUNTS = {"sessions", "windows", "n"}
#: counts that may be zero: the buyer's published BREAKOUTs (none while it is not published)
MAYBE_ZERO = {"signals"}
#: may be negative (a model worse than climatology), never above 1
SKILL_SCORES = {"bss_climatology", "published_bss_climatology"}


def check_report_shape(report: dict[str, Any],
                       extra_top: frozenset[str] | set[str] = frozenset()) -> None:
    """Every section and key of the DESIGN.md report, typed; probabilities in [0, 1]."""
    assert set(report) == set(REPORT_SHAPE) | extra_top
    for section, keys in REPORT_SHAPE.items():
        got = report[section]
        assert set(keys) <= set(got), (section, set(keys) - set(got))
        for key, kind in keys.items():
            value = got[key]
            assert isinstance(value, kind), (section, key, value)
            assert not isinstance(value, bool), (section, key, value)
            if key in COUNTS | MAYBE_ZERO:
                assert isinstance(value, int)
                assert value > 0 or key in MAYBE_ZERO, (section, key)
            elif key == "ci95":
                assert isinstance(value, list)
                assert len(value) == 2
                assert 0.0 <= value[0] <= value[1] <= 1.0, (section, value)
            elif key in SKILL_SCORES:
                assert isinstance(value, float)
                assert value <= 1.0, (section, key, value)
            elif kind is float:
                assert isinstance(value, float)
                assert 0.0 <= value <= 1.0, (section, key, value)
    lo, hi = report["safe_range"]["ci95"]
    assert lo <= report["safe_range"]["coverage"] <= hi
    if report["buyer"]["signals"]:
        lo, hi = report["buyer"]["ci95"]
        assert lo <= report["buyer"]["spike_rate"] <= hi
    for section in ("trap", "expiry_stress"):
        classes = report[section]["classes"]
        assert len(classes) == 3
        assert sum(c["sessions"] for c in classes.values()) == report[section]["n"]
    assert report["buyer"]["model_signals"]["signals"] >= report["buyer"]["signals"]
    for section in ("breach", "trap", "expiry_stress", "direction", "buyer"):
        years = report[section]["by_year"]
        assert sum(y["n"] for y in years.values()) == report[section]["n"], section
        for year in years.values():
            assert {"n", "brier", "published_brier", "brier_climatology", "ece"} <= set(year)
        bands = report[section]["by_vix_band"]
        assert sum(b["n"] for b in bands.values()) == report[section]["n"], section


@pytest.fixture(scope="module")
def market() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    sim = simulate(SEED, YEARS, end=END, intraday_sessions=0, chain_sessions=0)
    return sim.nifty, sim.vix, build_daily_features(sim.nifty, sim.vix)


@pytest.fixture(scope="module")
def backtest(market: tuple[pd.DataFrame, ...]) -> tuple[dict[str, Any], dict[str, pd.DataFrame]]:
    nifty, vix, features = market
    steps: list[str] = []
    report, predictions = run_backtest(nifty, vix, features, START, END, refit="YS", seed=0,
                                       progress=steps.append)
    assert steps == ["safe_range", "breach", "trap", "expiry_stress", "direction", "buyer"]
    return report, predictions


def test_report_has_the_design_shape(backtest: tuple[dict[str, Any], Any]) -> None:
    report, _ = backtest
    check_report_shape(report)
    assert report["period"] == {"from": START, "to": END, "sessions": 490}
    assert report["safe_range"]["confidence"] == 0.8
    # ~52 weekly windows a year; breach: 10 strikes x 2 events per session
    assert 95 <= report["safe_range"]["windows"] <= 106
    assert report["breach"]["n"] == 20 * report["trap"]["n"]


def test_scores_are_recomputable_from_the_predictions(backtest: tuple[dict[str, Any], Any]) -> None:
    report, predictions = backtest
    for key in ("breach", "trap", "expiry_stress", "direction"):
        pred = predictions[key]
        p, base, y = (pred[c].to_numpy(float) for c in ("p_model", "p_baseline", "y"))
        clim, pub = (pred[c].to_numpy(float) for c in ("p_climatology", "p_published"))
        assert report[key]["brier_climatology"] == pytest.approx(np.mean((clim - y) ** 2))
        assert report[key]["published_brier"] == pytest.approx(np.mean((pub - y) ** 2))
        assert report[key]["frequency"] == pytest.approx(y.mean())
        # what was published each day: the model shrunk by that day's weight, else climatology
        w = pred["weight"].to_numpy(float)
        shown = pred["published_model"].to_numpy(bool)
        np.testing.assert_allclose(pub, np.clip(clim + w * (p - clim), 0, 1), atol=1e-12)
        assert (w[~shown] == 0).all()
        assert (w[shown] > 0).all()
        assert not (shown & ~pred["promoted"].to_numpy(bool)).any()  # never without the gate
        for year, part in pred.groupby(pd.DatetimeIndex(pred["session"]).year):
            entry = report[key]["by_year"][str(year)]
            yy = part["y"].to_numpy(float)
            assert entry["published_brier"] == pytest.approx(
                np.mean((part["p_published"].to_numpy(float) - yy) ** 2))
        assert report[key]["n"] == len(pred)
        assert report[key]["brier"] == pytest.approx(np.mean((p - y) ** 2), abs=1e-12)
        assert report[key]["brier_baseline"] == pytest.approx(np.mean((base - y) ** 2),
                                                              abs=1e-12)
    d = predictions["direction"]
    accuracy = np.mean((d["p_model"] >= 0.5) == (d["y"] >= 0.5))
    assert report["direction"]["accuracy"] == pytest.approx(accuracy, abs=1e-12)
    b = predictions["buyer"]
    assert report["buyer"]["model_signals"]["signals"] == int(b["signal"].sum())
    published = b["published_model"] & (b["p_published"] >= b["threshold"])
    assert report["buyer"]["signals"] == int(published.sum())
    assert report["buyer"]["base_rate"] == pytest.approx(b["y"].mean(), abs=1e-12)


def test_each_year_is_a_separate_refit_block(backtest: tuple[dict[str, Any], Any]) -> None:
    _, predictions = backtest
    for key, pred in predictions.items():
        sessions = pd.to_datetime(pred["session"])
        assert sessions.min() >= pd.Timestamp(START), key
        assert sessions.max() <= pd.Timestamp(END), key
        years = pred.groupby("fold")["session"].agg(lambda s: set(pd.DatetimeIndex(s).year))
        assert sorted(len(v) for v in years) == [1, 1], key  # one block per calendar year


def test_no_look_ahead(
    market: tuple[pd.DataFrame, ...], backtest: tuple[dict[str, Any], Any]
) -> None:
    """Dropping every day after 2023 leaves the 2023 predictions unchanged (trap model)."""
    nifty, vix, features = market
    cut = pd.Timestamp("2023-12-31")
    past = walk_forward_predictions("trap", nifty[nifty.index <= cut], vix[vix.index <= cut],
                                    features[features.index <= cut], START, cut, seed=0)
    full = backtest[1]["trap"]
    full = full[pd.to_datetime(full["session"]) <= cut]
    # the last week of 2023 has no settled label in the truncated history
    merged = full.merge(past, on="session", suffixes=("_full", "_past"))
    assert len(merged) >= len(full) - 5
    np.testing.assert_allclose(merged["p_model_full"], merged["p_model_past"], atol=1e-12)


def test_reliability_png(backtest: tuple[dict[str, Any], Any], tmp_path: Path) -> None:
    _, predictions = backtest
    png = plot_reliability(predictions, tmp_path / "deep" / "reliability.png", "walk-forward")
    data = png.read_bytes()
    assert data[:8] == PNG_MAGIC
    assert len(data) > 20_000  # five panels with three curves each
    assert reliability_png_path(tmp_path / "report.json") == tmp_path / "report.reliability.png"


# --- the CLI contract ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def history_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Path]]:
    """``aegis data simulate --out`` CSVs; NIFTY split into two overlapping files."""
    folder = tmp_path_factory.mktemp("sim-csv")
    result = CliRunner().invoke(app, ["data", "simulate", "--seed", str(SEED), "--years", "8",
                                      "--end", END, "--out", str(folder)])
    assert result.exit_code == 0, result.output
    nifty = pd.read_csv(folder / "nifty_daily.csv")
    half = len(nifty) // 2
    nifty.iloc[: half + 100].to_csv(folder / "nifty_a.csv", index=False)
    nifty.iloc[half:].to_csv(folder / "nifty_b.csv", index=False)
    return {"--nifty": [folder / "nifty_a.csv", folder / "nifty_b.csv"],
            "--vix": [folder / "indiavix_daily.csv"]}


def _args(files: dict[str, list[Path]], *rest: str) -> list[str]:
    out = ["backtest"]
    for flag, paths in files.items():
        out += [flag, *map(str, paths)]
    return out + list(rest)


def test_cli_writes_report_and_png(history_files: dict[str, list[Path]], tmp_path: Path) -> None:
    out = tmp_path / "reports" / "bt.json"
    result = CliRunner().invoke(app, _args(history_files, "--from", "2024-10-01",
                                           "--to", END, "--json", str(out)))
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    check_report_shape(report, extra_top={"inputs", "reliability_png"})
    assert report["period"]["from"] == "2024-10-01"
    assert report["inputs"]["nifty_files"] == [str(p) for p in history_files["--nifty"]]
    png = out.with_name("bt.reliability.png")
    assert report["reliability_png"] == str(png)
    assert png.read_bytes()[:8] == PNG_MAGIC


@pytest.mark.parametrize("bad", [("--from", "2024-13-01"), ("--to", "31/12/2024")])
def test_cli_bad_date_exits_2(
    history_files: dict[str, list[Path]], tmp_path: Path, bad: tuple[str, str]
) -> None:
    dates = {"--from": "2024-10-01", "--to": END, bad[0]: bad[1]}
    out = tmp_path / "bt.json"
    result = CliRunner().invoke(app, _args(history_files, *sum(dates.items(), ()),
                                           "--json", str(out)))
    assert result.exit_code == 2
    assert bad[1] in result.output
    assert not out.exists()

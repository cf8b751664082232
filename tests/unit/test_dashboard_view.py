"""The AegisMatrix page's widgets and HTML, rendered from a known snapshot (no Airflow)."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

from aegis.config import Settings
from tests.e2e.sample_snapshot import SPOT, TRAP_REASON, sample_snapshot, write_sample

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "plugins"))

from aegis_dashboard import data
from aegis_dashboard.app import render_page
from aegis_dashboard.view import breach_rows, build_view, metric, number


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path, models_dir=tmp_path / "models", output_dir=tmp_path / "out")


def test_numbers_are_read_bare_or_wrapped() -> None:
    assert number(0.25) == 0.25
    assert number({"score": 0.7, "label": "HIGH"}) == 0.7
    assert number({"probability_up": 0.58, "confidence": 0.58}) == 0.58
    assert number(True) is None
    assert number({"label": "UP"}) is None


def test_view_of_the_sample_snapshot() -> None:
    view = build_view(sample_snapshot())
    assert view["status"] == "degraded"
    assert view["degraded_reasons"] == [f"trap: {TRAP_REASON}"]
    assert view["spot"].value == SPOT
    assert view["spot"].provenance == "formula name=spot expression=last NIFTY 50 close"
    assert view["trap"].value == 0.71
    assert view["trap"].text == "HIGH"
    assert view["trap"].baseline is True
    assert view["stress"].baseline is False
    assert view["direction"].value == 0.58
    assert view["direction"].text == "UP"
    assert view["hit_rate"].extra["ci95"] == [0.7776, 0.8451]
    assert view["hit_rate"].extra["window"] == "2015-01-01 to 2025-01-03"
    assert view["spike_rate"].extra["base_rate"] == 0.1813
    rows = view["breach"]
    assert [r.strike for r in rows] == sorted(r.strike for r in rows)
    assert len(rows) == 6
    assert all(r.close is not None and r.close <= r.touch for r in rows)


def test_breach_rows_accept_the_old_strike_map() -> None:
    rows = breach_rows({"breach_probabilities": {"24000": 0.2, "23000": 0.3}})
    assert [(r.strike, r.touch, r.close) for r in rows] == [(23000.0, 0.3, None),
                                                           (24000.0, 0.2, None)]


def test_missing_fields_render_as_absent_not_as_errors() -> None:
    m = metric({"spot": 100.0}, "Trap", "trap")
    assert m.value is None
    assert m.provenance == ""
    view = build_view({"status": "ok"})
    assert view["degraded_reasons"] == []
    assert view["safe_range"] is None


def test_page_shows_values_provenance_and_the_degraded_banner(settings: Settings) -> None:
    write_sample(settings.resolved_output_dir)
    html = render_page(settings)
    assert 'id="degraded-banner"' in html
    assert TRAP_REASON in html
    assert re.search(r'id="spot-value">23,431.50', html)
    assert '<span id="trap-score">0.71</span> <span id="trap-label">HIGH</span>' in html
    assert 'class="prov baseline" data-provenance="Volatility trap"' in html
    assert "81.4%" in html  # hit rate 0.8137
    assert "95% CI [77.8%, 84.5%]" in html
    assert html.count('class="breach-row"') == 6
    assert "walk-forward: Brier 0.201 vs baseline 0.224 · ECE 0.031 · n = 400" in html
    assert "calibration not measured" in html  # the trap baseline
    assert 'id="snapshot-tree"' in html


def test_page_without_a_snapshot_says_so(settings: Settings) -> None:
    html = render_page(settings)
    assert 'id="no-snapshot"' in html
    assert "registry.json missing" in html


def test_a_corrupt_snapshot_is_reported_with_its_path(settings: Settings) -> None:
    settings.resolved_output_dir.mkdir(parents=True)
    settings.snapshot_path.write_text("{not json", encoding="utf-8")
    html = render_page(settings)
    assert 'id="snapshot-error"' in html
    assert "aegismatrix.json: expected a JSON object" in html


def test_champions_come_from_the_registry_and_manifests(settings: Settings) -> None:
    models = settings.resolved_models_dir
    (models / "trap").mkdir(parents=True)
    (models / "registry.json").write_text(
        json.dumps({"champions": {"trap": {"version": "3"}, "buyer": "1"}}), encoding="utf-8"
    )
    (models / "trap" / "manifest.json").write_text(
        json.dumps({"name": "trap", "version": "3", "metrics": {"brier": 0.2012}}),
        encoding="utf-8",
    )
    champions, problem = data.read_champions(settings)
    assert problem is None
    assert [(c.name, c.version, c.problem) for c in champions] == [
        ("buyer", "1", "manifest.json missing"), ("trap", "3", None)]
    html = render_page(settings)
    assert html.count('class="champion"') == 2
    assert "brier: 0.201" in html


def test_diagrams_are_listed_and_served_only_from_the_output_dir(settings: Settings) -> None:
    out = settings.resolved_output_dir
    (out / "backtest").mkdir(parents=True)
    (out / "backtest" / "reliability.png").write_bytes(b"\x89PNG\r\n")
    assert data.list_diagrams(settings) == ["backtest/reliability.png"]
    assert data.diagram_path(settings, "backtest/reliability.png") == (
        out / "backtest" / "reliability.png")
    assert data.diagram_path(settings, "../secret.png") is None
    assert 'src="diagrams/backtest/reliability.png"' in render_page(settings)

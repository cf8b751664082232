"""Data stages on the session's trained deployment: ingest, build_features, the validation gate.

The gate's law (DESIGN.md, ``aegis_market_ingest``): a failed validation stops the pipeline;
the last validated feature table and the published snapshot stay exactly as they were.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pytest

from aegis import pipeline
from aegis.config import get_settings
from aegis.errors import ValidationFailedError
from aegis.market import calendar
from aegis.market.store import MarketStore
from aegis.pipeline.paths import sha256_of

if TYPE_CHECKING:
    from tests.unit.pipeline_fixtures import Deployment

pytest_plugins = ["tests.unit.pipeline_fixtures"]
# slow: every test runs the real stages (ingest, features, GX gate, rates); make test runs it
pytestmark = pytest.mark.slow

SERIES = ("nifty_daily", "vix_daily", "nifty_intraday", "option_chain")


def test_first_ingest_inserts_every_series(trained_deployment: Deployment) -> None:
    first = trained_deployment.stages["ingest"]
    assert first["source"] == "simulator"
    assert set(first["series"]) == set(SERIES)
    for name in SERIES:
        assert first["series"][name]["inserted"] > 0, name
        assert first["series"][name]["updated"] == 0, name
    # 8 simulated years of NSE sessions
    assert 1900 <= first["series"]["nifty_daily"]["inserted"] <= 2050


def test_ingest_is_idempotent_for_a_logical_date(trained_deployment: Deployment) -> None:
    first, again = trained_deployment.stages["ingest"], trained_deployment.stages["ingest_again"]
    for name in SERIES:
        assert again["series"][name] == {
            "inserted": 0, "updated": 0, "held": 0,
            "unchanged": first["series"][name]["inserted"]}, name


def _move_clock(monkeypatch: pytest.MonkeyPatch, moment: str) -> None:
    """The system clock of the stages is ``moment`` (AEGIS_CLOCK), whatever the hour now."""
    monkeypatch.setenv("AEGIS_CLOCK", moment)
    get_settings.cache_clear()


def test_ingest_of_a_later_date_inserts_only_the_new_sessions(
    deployment_copy: Deployment, monkeypatch: pytest.MonkeyPatch,
) -> None:
    today = pd.Timestamp(deployment_copy.logical_date)
    later = (today + pd.Timedelta(days=7)).date().isoformat()
    _move_clock(monkeypatch, f"{later}T16:00:00+05:30")
    result = pipeline.ingest(later)
    daily = result["series"]["nifty_daily"]
    new_sessions = calendar.sessions(today + pd.Timedelta(days=1), later)
    assert len(new_sessions) == 4  # 2024-06-17 (Bakri Id) is an NSE holiday
    assert daily["inserted"] == len(new_sessions)
    assert daily["updated"] == 0  # the simulator's shared days do not change with ``end``
    store = MarketStore(get_settings().resolved_data_dir)
    assert store.read("nifty_daily").index[-1] == pd.Timestamp(later)


def test_validate_published_the_staged_table_and_marked_it(trained_deployment: Deployment) -> None:
    folder = trained_deployment.features_dir
    validated = folder / "daily.parquet"
    assert not list((folder / "staged").iterdir())  # moved, not copied
    marker = json.loads((folder / "validated.json").read_text())
    assert marker["features_sha256"] == sha256_of(validated)
    assert marker["run_id"] == trained_deployment.stages["features"]["run_id"]
    assert trained_deployment.stages["validate"]["success"] is True
    table = pd.read_parquet(validated)
    assert len(table) == trained_deployment.stages["features"]["rows"]
    assert table.index[-1] == pd.Timestamp(trained_deployment.logical_date)


def test_build_features_only_stages_until_validation_passes(
    deployment_copy: Deployment, monkeypatch: pytest.MonkeyPatch,
) -> None:
    folder = deployment_copy.features_dir
    before = (folder / "daily.parquet").read_bytes()
    today = pd.Timestamp(deployment_copy.logical_date)
    later = (today + pd.Timedelta(days=7)).date().isoformat()
    _move_clock(monkeypatch, f"{later}T16:00:00+05:30")
    pipeline.ingest(later)
    built = pipeline.build_features()
    staged = Path(built["path"])
    assert staged.parent == folder / "staged"
    assert staged.exists()
    assert (folder / "daily.parquet").read_bytes() == before  # not yet published
    staged_bytes = staged.read_bytes()
    pipeline.validate(built["run_id"])
    assert not staged.exists()
    assert (folder / "daily.parquet").read_bytes() == staged_bytes
    assert pd.read_parquet(folder / "daily.parquet").index[-1] > today


def _high_below_low(store: MarketStore) -> str:
    row = store.read("nifty_daily").iloc[[-30]].copy()
    row["high"] = row["low"] - 50.0
    assert store.upsert("nifty_daily", row).updated == 1
    return "nifty_daily"


def _vix_500(store: MarketStore) -> str:
    row = store.read("vix_daily").iloc[[-30]].copy()
    row[["open", "high", "low", "close"]] = 500.0
    assert store.upsert("vix_daily", row).held == 1  # the store holds an implausible close
    (held,) = store.conflicts()
    assert store.accept(held["batch"])["updated"] == 1  # accepted, it must meet the GX gate
    return "vix_daily"


@pytest.mark.parametrize("inject", [_high_below_low, _vix_500], ids=["high<low", "vix=500"])
def test_failed_validation_keeps_the_last_good_table_and_snapshot(
    deployment_copy: Deployment, inject: Callable[[MarketStore], str]
) -> None:
    settings = get_settings()
    folder = deployment_copy.features_dir
    validated, marker = folder / "daily.parquet", folder / "validated.json"
    report_path = deployment_copy.home / "output" / "validation.json"
    kept = {p: p.read_bytes() for p in (validated, marker, deployment_copy.snapshot_path)}
    report_path.unlink()

    bad_suite = inject(MarketStore(settings.resolved_data_dir))
    built = pipeline.build_features()
    with pytest.raises(ValidationFailedError, match=bad_suite) as caught:
        pipeline.validate(built["run_id"])

    assert str(report_path) in str(caught.value)
    report = json.loads(report_path.read_text())  # written before raising
    assert report["success"] is False
    failed = {s["suite"] for s in report["suites"] if not s["success"]}
    assert bad_suite in failed
    for path, data in kept.items():
        assert path.read_bytes() == data, f"{path} changed after a failed validation"
    assert Path(built["path"]).exists()  # staged, never published


def test_rates_on_a_short_history_say_why_the_spike_rate_is_missing(
    aegis_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aegis.pipeline.paths import rates_path

    monkeypatch.setenv("AEGIS_SIM_YEARS", "4")
    get_settings.cache_clear()
    pipeline.ingest("2024-06-14")
    pipeline.validate(pipeline.build_features()["run_id"])
    summary = pipeline.recompute_rates()
    saved = json.loads(rates_path(get_settings()).read_text())
    assert "spike" not in saved
    assert saved["spike_error"].startswith("InsufficientHistoryError")
    assert summary["hit"]["n"] > 0


def test_concurrent_runs_each_validate_the_table_they_staged(
    aegis_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An ingest run and a retrain staging at once: neither validates the other's table.

    Run A stages the features of the store as of 2024-06-14; a later ingest moves the store on
    and run B stages its (longer) table; A validates after B staged. With one shared staging
    file A would publish B's table; keyed by the run, each publishes exactly its own.
    """
    monkeypatch.setenv("AEGIS_SIM_YEARS", "4")
    get_settings.cache_clear()
    pipeline.ingest("2024-06-14")
    run_a = pipeline.build_features("scheduled__2024-06-14T04:00:00+00:00")
    pipeline.ingest("2024-06-21")
    run_b = pipeline.build_features("manual__2024-06-21T20:30:00+00:00")
    staged_a, staged_b = Path(run_a["path"]), Path(run_b["path"])
    assert staged_a != staged_b
    assert (run_a["last"], run_b["last"]) == ("2024-06-14", "2024-06-21")
    bytes_a, bytes_b = staged_a.read_bytes(), staged_b.read_bytes()
    published = get_settings().resolved_data_dir / "features" / "daily.parquet"

    validated_a = pipeline.validate(run_a["run_id"])
    assert published.read_bytes() == bytes_a
    assert validated_a["run_id"] == run_a["run_id"]
    assert staged_b.read_bytes() == bytes_b  # B's staged table untouched by A's publish

    validated_b = pipeline.validate(run_b["run_id"])
    assert published.read_bytes() == bytes_b
    marker = json.loads((published.parent / "validated.json").read_text())
    assert marker["run_id"] == run_b["run_id"]
    assert marker["features_sha256"] == sha256_of(published) == validated_b["features_sha256"]
    assert not staged_a.exists()
    assert not staged_b.exists()


def test_validate_of_a_run_that_staged_nothing_names_the_run(aegis_home: Path) -> None:
    from aegis.errors import StoreError

    with pytest.raises(StoreError, match="'run-b' staged nothing"):
        pipeline.validate("run-b")

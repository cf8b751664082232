"""Retention: revision copies, unpublished staged tables and old Data Docs pages go after
AEGIS_RETENTION_DAYS, by a moment passed in; each run leaves one audit line."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from aegis.config import Settings
from aegis.errors import ConfigurationError
from aegis.market.revisions import new_batch_id, read_audit, revision_path
from aegis.market.store import MarketStore
from aegis.pipeline.retention import batch_time, prune

NOW = datetime(2024, 6, 14, 18, 0, tzinfo=UTC)


def _age(path: Path, days: float) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_bytes(b"x")
    stamp = (NOW - timedelta(days=days)).timestamp()
    os.utime(path, (stamp, stamp))
    return path


@pytest.fixture
def world(tmp_path: Path) -> tuple[Settings, dict[str, Path]]:
    settings = Settings(home=tmp_path)
    data = settings.resolved_data_dir
    old_batch = new_batch_id(NOW - timedelta(days=40))
    new_batch = new_batch_id(NOW - timedelta(days=3))
    files = {
        "old_revision": _age(revision_path(data, "nifty_daily", old_batch), 0),  # mtime: new
        "new_revision": _age(revision_path(data, "nifty_daily", new_batch), 50),  # mtime: old
        "odd_revision": _age(data / "_revisions" / "series=vix_daily" / "notes.parquet", 90),
        "old_staged": _age(data / "features" / "staged" / "daily.run-a.parquet", 31),
        "new_staged": _age(data / "features" / "staged" / "daily.run-b.parquet", 29),
        "old_page": _age(settings.resolved_output_dir / "data_docs" / "validations" / "x"
                         / "old.html", 45),
        "index": _age(settings.resolved_output_dir / "data_docs" / "index.html", 45),
        "conflict": _age(data / "_conflicts" / "series=nifty_daily" / f"{old_batch}.parquet", 90),
    }
    return settings, files


def test_batch_age_comes_from_its_id() -> None:
    assert batch_time(new_batch_id(NOW)) == NOW
    assert batch_time("manual-notes") is None


def test_prune_removes_only_what_is_past_the_retention(
        world: tuple[Settings, dict[str, Path]]) -> None:
    settings, files = world
    report = prune(NOW, 30, settings)
    gone = {k for k, p in files.items() if not p.exists()}
    assert gone == {"old_revision", "old_staged", "old_page"}
    assert report.revisions == [str(files["old_revision"])]
    assert report.skipped == [f"{files['odd_revision']}: not a batch id, kept"]
    (line,) = [a for a in read_audit(settings.resolved_data_dir) if a["action"] == "prune"]
    assert line["days"] == 30
    assert line["cutoff"] == "2024-05-15T18:00:00+00:00"
    assert line["removed"]["revisions"] == [str(files["old_revision"])]
    assert line["removed"]["staged"] == [str(files["old_staged"])]


def test_a_dry_run_lists_and_keeps(world: tuple[Settings, dict[str, Path]]) -> None:
    settings, files = world
    report = prune(NOW, 30, settings, dry_run=True)
    assert report.summary()["revisions"] == 1
    assert all(p.exists() for p in files.values())
    assert not [a for a in read_audit(settings.resolved_data_dir) if a["action"] == "prune"]


def test_the_moment_and_the_days_are_checked(world: tuple[Settings, dict[str, Path]]) -> None:
    settings, _ = world
    with pytest.raises(ConfigurationError, match="aware"):
        prune(datetime(2024, 6, 14), 30, settings)
    with pytest.raises(ConfigurationError, match="days >= 1"):
        prune(NOW, 0, settings)


def test_a_pruned_batch_survives_in_the_store_and_only_its_undo_goes(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    store = MarketStore(settings.resolved_data_dir)
    frame = pd.DataFrame({"open": [1.0], "high": [2.0], "low": [0.5], "close": [1.5],
                          "volume": [10.0]}, index=pd.DatetimeIndex(["2024-06-13"], name="session"))
    store.upsert("nifty_daily", frame)
    prune(datetime.now(UTC) + timedelta(days=31), 30, settings)
    assert not list((settings.resolved_data_dir / "_revisions").rglob("*.parquet"))
    assert store.read("nifty_daily")["close"].tolist() == [1.5]


def test_the_cli_prunes_at_the_pinned_clock(world: tuple[Settings, dict[str, Path]],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from aegis.cli import app
    from aegis.config import get_settings

    settings, files = world
    monkeypatch.setenv("AEGIS_HOME", str(settings.home))
    monkeypatch.setenv("AEGIS_CLOCK", NOW.isoformat())
    monkeypatch.setenv("AEGIS_RETENTION_DAYS", "30")
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["data", "prune"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert result.output.startswith("removed 1 revision copies, 1 staged tables and 1 Data Docs")
    assert not files["old_revision"].exists()
    assert files["new_revision"].exists()

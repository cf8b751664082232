"""The operator's console: names checked before any network call, empty results said, a retrain
that checks its model names before it builds anything."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aegis.cli import app
from aegis.config import get_settings
from aegis.errors import ConfigurationError


@pytest.fixture
def empty_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    with socket.socket() as s:  # a port nothing listens on: any S3 call would fail slowly
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("AEGIS_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("AEGIS_MODELS_DIR", str(tmp_path / "models"))
    monkeypatch.setenv("AEGIS_S3_ENDPOINT_URL", f"http://127.0.0.1:{port}")
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_rollback_of_an_unknown_model_is_refused_before_any_network_call(
        empty_home: Path) -> None:
    started = time.monotonic()
    result = CliRunner().invoke(app, ["models", "rollback", "nosuch"])
    assert isinstance(result.exception, ConfigurationError)
    assert "unknown model 'nosuch'" in str(result.exception)
    assert "'trap'" in str(result.exception)  # the known names are listed
    assert time.monotonic() - started < 5  # no S3 retries (they took 7.7 s)


def test_models_list_on_an_empty_store_says_so(empty_home: Path) -> None:
    result = CliRunner().invoke(app, ["models", "list"])
    assert result.exit_code == 1  # an empty store is a problem to fix, said so
    assert "the model store is empty" in result.stderr
    assert "run `aegis train`" in result.stderr


def test_a_retrain_checks_its_model_names_before_building_anything(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from aegis.pipeline import data, training

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("build_features ran before the names were checked")

    monkeypatch.setattr(data, "build_features", never)
    with pytest.raises(ConfigurationError, match=r"unknown \['nosuch'\]"):
        training.retrain(names=["buyer", "nosuch"])


def test_a_retrain_reports_each_stage_and_model(monkeypatch: pytest.MonkeyPatch) -> None:
    from aegis.pipeline import data, training

    monkeypatch.setattr(data, "build_features", lambda run_id=None: {"run_id": "r", "rows": 9})
    monkeypatch.setattr(data, "validate", lambda run_id: {"suites": []})
    decision = {"promote": False, "reason": "not promoted: no better than climatology"}
    monkeypatch.setattr(training, "train_model",
                        lambda name, seed=None: {"seconds": 1.25, "decision": decision})
    monkeypatch.setattr(training, "promote_and_push", lambda push=True: {"commit": None})
    lines: list[str] = []
    training.retrain(names=["buyer", "trap"], push=False, rates=False, progress=lines.append)
    assert lines == [
        "building features from the market store ...",
        "validating 9 sessions (Great Expectations) ...",
        "training trap (1/2) ...",
        "  trap: 1.2 s, keep: not promoted: no better than climatology",
        "training buyer (2/2) ...",
        "  buyer: 1.2 s, keep: not promoted: no better than climatology",
        "gating and publishing the challengers ...",
    ]


def test_rollback_without_a_previous_version_says_so_before_any_network_call(
        empty_home: Path) -> None:
    from aegis.errors import ModelStoreError

    models = empty_home / "models"
    models.mkdir()
    (models / "registry.json").write_text(
        '{"champions": {"trap": {"version": "v2", "history": []}}}')
    started = time.monotonic()
    result = CliRunner().invoke(app, ["models", "rollback", "trap"])
    assert isinstance(result.exception, ModelStoreError)
    assert "'trap' has no previous version to roll back to" in str(result.exception)
    assert time.monotonic() - started < 5


def test_model_health_alerts_on_a_snapshot_stale_against_the_schedule(
        empty_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import datetime as dt

    from aegis.errors import SnapshotError
    from aegis.pipeline import snapshot_health
    from tests.e2e.sample_snapshot import sample_snapshot, write_sample

    ist = dt.timezone(dt.timedelta(hours=5, minutes=30))
    with pytest.raises(SnapshotError, match="no snapshot published yet"):
        snapshot_health(dt.datetime(2025, 1, 6, 11, 0, tzinfo=ist))
    friday = dt.datetime(2025, 1, 3, 15, 30, tzinfo=ist)
    write_sample(empty_home / "home" / "output", sample_snapshot(degraded=False, as_of=friday))
    assert snapshot_health(dt.datetime(2025, 1, 6, 9, 20, tzinfo=ist))["as_of"].startswith(
        "2025-01-03T15:30")
    with pytest.raises(SnapshotError, match=r"the Mon 06 Jan 10:45 IST slot was due"):
        snapshot_health(dt.datetime(2025, 1, 6, 11, 0, tzinfo=ist))
    monkeypatch.setenv("AEGIS_CLOCK", "2025-01-06T11:00:00+05:30")  # the DAG's moment or now
    get_settings.cache_clear()
    with pytest.raises(SnapshotError, match="are unpaused"):
        snapshot_health()

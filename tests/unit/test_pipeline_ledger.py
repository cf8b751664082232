"""Publishing feeds the forecast ledger; the snapshot's expiry names its calendar and a
calendar past its known span degrades the snapshot (on the session's trained deployment)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
import pytest

from aegis import pipeline
from aegis.config import get_settings
from aegis.ledger import ledger_path, read_ledger
from aegis.market import calendar
from aegis.snapshot import FormulaProvenance, read_snapshot

if TYPE_CHECKING:
    from tests.unit.pipeline_fixtures import Deployment

pytest_plugins = ["tests.unit.pipeline_fixtures"]
# slow: every test reads the session's trained deployment; make test runs it
pytestmark = pytest.mark.slow


def _move_clock(monkeypatch: pytest.MonkeyPatch, moment: str) -> None:
    monkeypatch.setenv("AEGIS_CLOCK", moment)
    get_settings.cache_clear()


def test_each_published_snapshot_is_appended_once(deployment_copy: Deployment,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    path = ledger_path(get_settings().resolved_data_dir)
    before = len(read_ledger(path))
    day = deployment_copy.logical_date
    _move_clock(monkeypatch, f"{day}T15:40:00+05:30")  # a later publish than the deployment's
    first = pipeline.infer()
    snapshot = read_snapshot(first["path"])
    ledger = read_ledger(path)
    mine = ledger[ledger["generated_at"] == pd.Timestamp(snapshot.generated_at)]
    assert first["ledger"]["appended"] == len(mine) == len(ledger) - before
    expected = 5 + 2 * len(snapshot.breach_probabilities)
    assert len(mine) == expected
    trap = mine[mine["field"] == "trap"].iloc[0]
    assert snapshot.trap is not None
    assert trap["value"] == snapshot.trap.score
    assert trap["expiry"] == pd.Timestamp(snapshot.expiry.date)
    assert trap["horizon_sessions"] == snapshot.expiry.sessions
    assert isinstance(snapshot.provenance.expiry, FormulaProvenance)
    assert "exchange_calendars" in snapshot.provenance.expiry.expression
    assert snapshot.status == "ok"
    again = pipeline.infer()  # the same moment again: the same snapshot, appended once
    assert again["ledger"]["appended"] == 0
    _move_clock(monkeypatch, f"{day}T15:50:00+05:30")
    second = pipeline.infer()
    assert second["ledger"]["appended"] == expected
    assert len(read_ledger(path)) == len(ledger) + expected


def test_the_track_record_health_settles_nothing_yet_and_passes(
    deployment_copy: Deployment,
) -> None:
    pipeline.infer()
    health = pipeline.track_record_health()
    assert health["rows"] > 0
    assert health["newly_settled"] == 0  # the data end at the snapshot's session


def test_an_assumed_calendar_degrades_the_snapshot_and_names_it(
    deployment_copy: Deployment, monkeypatch: pytest.MonkeyPatch
) -> None:
    session = pd.Timestamp(deployment_copy.logical_date)
    end = session + pd.Timedelta(days=1)  # the calendar "ends" the day after the data
    monkeypatch.setattr(calendar, "exchange_span",
                        lambda: (pd.Timestamp("2006-12-04"), end))
    monkeypatch.setattr(calendar, "known_span", lambda: (pd.Timestamp("2006-12-04"), end))
    result = pipeline.infer()
    snapshot = read_snapshot(result["path"])
    assert snapshot.status == "degraded"
    reasons = {r.field: r.reason for r in snapshot.degraded_reasons}
    assert "past the last day the NSE calendar knows" in reasons["expiry"]
    assert isinstance(snapshot.provenance.expiry, FormulaProvenance)
    assert "ASSUMED" in snapshot.provenance.expiry.expression

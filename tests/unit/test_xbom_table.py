"""The packaged XBOM table (aegis/market/xbom_sessions.csv) is what the installed
exchange_calendars says, and the calendar serves it without importing exchange_calendars."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from aegis.errors import CalendarError
from aegis.market import xbom


def test_the_table_is_the_live_calendar_of_the_installed_version() -> None:
    table, live = xbom.read_table(xbom.table_path()), xbom.live_sessions()
    assert table.version == live.version == xbom.installed_version()
    assert table.last == live.last
    # the live calendar starts 20 years before today: compare where both are defined
    lo = max(table.first, live.first)
    assert {d for d in table.closed if d >= lo} == {d for d in live.closed if d >= lo}
    days = pd.date_range(lo, table.last)
    assert [table.is_session(d) for d in days[-400:]] == [live.is_session(d) for d in days[-400:]]


def test_the_snapshot_path_does_not_import_exchange_calendars() -> None:
    code = ("import sys; from aegis.market import calendar as c; "
            "d = c.expiry_determination('2024-06-14'); c.sessions('2024-01-01', '2024-12-31'); "
            "print(d['expiry'], d['calendar'], 'exchange_calendars' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=True)
    expiry, *calendar, imported = done.stdout.split()
    assert expiry == "2024-06-20"
    assert " ".join(calendar) == (f"exchange_calendars {xbom.installed_version()} XBOM "
                                  "(to 2026-12-31)")
    assert imported == "False"


def test_a_version_bump_falls_back_to_the_live_calendar(monkeypatch: pytest.MonkeyPatch) -> None:
    xbom.exchange_sessions.cache_clear()
    monkeypatch.setattr(xbom, "installed_version", lambda: "999.0")
    try:
        assert xbom.exchange_sessions().source == "exchange_calendars"
    finally:
        monkeypatch.undo()
        xbom.exchange_sessions.cache_clear()
    assert xbom.exchange_sessions().source == "table"


def test_a_broken_table_is_named(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("# version=1\n# first=2020-01-01\n# last=2020-12-31\nclosed\n2020-13-01\n")
    with pytest.raises(CalendarError, match=r"t.csv:5: expected an ISO date"):
        xbom.read_table(path)
    path.write_text("closed\n")
    with pytest.raises(CalendarError, match="missing"):
        xbom.read_table(path)


def test_the_installed_version_read_from_its_folder_is_its_metadata_s() -> None:
    assert xbom.installed_version() == xbom.metadata_version()


def test_without_one_dist_info_folder_the_version_comes_from_the_metadata(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    monkeypatch.setattr(xbom, "metadata_version", lambda: "from-metadata")
    assert xbom.installed_version() == "from-metadata"

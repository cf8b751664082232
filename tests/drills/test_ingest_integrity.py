"""Drills (issue 22): nothing wrong gets into the market store, and nothing silently.

Each finding of the hostile audit, re-run through the ``aegis data`` command as an operator
would: a dd/mm file whose days are all <= 12, a date order nothing decides, a x10 close on a new
date (whole row, close only, and inside the file itself), ``--symbol`` on the wrong series,
weekend dates, a kill between two partitions of one batch, and a write failure.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from aegis.market.store import MarketStore
from tests.drills.test_store_drills import _aegis, _parts, synthetic_nifty

CLOCK = "2026-12-01T10:00:00+05:30"
REAL = os.environ.get("AEGIS_REAL_DATA_DIR")


def _real(*parts: str) -> Path | None:
    path = Path(REAL, "history", *parts) if REAL else None
    return path if path is not None and path.exists() else None


@pytest.fixture
def nifty_file(tmp_path: Path) -> Path:
    """Real NIFTY daily history (AEGIS_REAL_DATA_DIR) or a synthetic one with the same days."""
    real = _real("nifty_daily", "scrooge_nifty50_yf_2007_2022.csv")
    if real is not None:
        return real
    return synthetic_nifty(tmp_path / "nifty_synthetic.csv", seed=22)


def _ingest(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return _aegis(home, "ingest", *args, clock=CLOCK)


def _rows(path: Path, start: str, end: str) -> pd.DataFrame:
    raw = pd.read_csv(path)
    date_col = next(c for c in raw.columns if c.lower() == "date")
    days = pd.to_datetime(raw[date_col].astype(str).str[:10])
    rows = raw[(days >= start) & (days <= end)].copy()
    rows.insert(0, "_day", days[rows.index])
    return rows.rename(columns={date_col: "Date"})


def _stored(home: Path) -> pd.DataFrame:
    return MarketStore(home / "data").read("nifty_daily")


def test_ddmm_file_with_days_up_to_12_is_read_day_first(tmp_path: Path,
                                                        nifty_file: Path) -> None:
    """NIFTY 2022-12-01..12 written dd/mm/yyyy reads both ways; the exchange calendar decides
    (mm/dd would put 02/12 on a Saturday and 06/12 on a Sunday and overwrite five closes)."""
    home = tmp_path / "home"
    assert _ingest(home, str(nifty_file), "--json").returncode == 0
    before = _stored(home)
    rows = _rows(nifty_file, "2022-12-01", "2022-12-12")
    assert len(rows) == 8
    rows["Date"] = rows.pop("_day").dt.strftime("%d/%m/%Y")
    ddmm = tmp_path / "nifty_dec2022_ddmm.csv"
    rows.to_csv(ddmm, index=False)

    out = _ingest(home, str(ddmm), "--json")
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    (loaded,) = report["files"]
    assert (loaded["first"], loaded["last"]) == ("2022-12-01", "2022-12-12")
    up = report["upserts"]["nifty_daily"]
    assert (up["inserted"], up["updated"], up["held"]) == (0, 0, 0), up
    after = _stored(home)
    pd.testing.assert_frame_equal(after, before)
    assert not (after.index.day_of_week >= 5).any() or set(
        after.index[after.index.day_of_week >= 5]) <= set(before.index)


def test_a_date_order_nothing_decides_refuses_the_file_naming_both_readings(
        tmp_path: Path, nifty_file: Path) -> None:
    home = tmp_path / "home"
    assert _ingest(home, str(nifty_file), "--json").returncode == 0
    before = _parts(home / "data")
    amb = tmp_path / "nifty_one_row.csv"  # 05/06/2024: 6 May and 5 June are both sessions
    amb.write_text("Date,Open,High,Low,Close\n05/06/2024,22500,22600,22400,22550\n")
    out = _ingest(home, str(amb))
    assert out.returncode == 2, out.stdout
    lines = [ln for ln in out.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, out.stderr
    assert str(amb) in lines[0]
    assert "2024-05-06" in lines[0]
    assert "2024-06-05" in lines[0]
    assert "MM/DD/YYYY" in lines[0]
    assert "DD/MM/YYYY" in lines[0]
    after = _parts(home / "data")
    assert after.keys() == before.keys()
    for year in before:
        pd.testing.assert_frame_equal(after[year], before[year])


def _next_day_file(tmp_path: Path, source: Path, day_rows: pd.DataFrame, name: str) -> Path:
    path = tmp_path / name
    day_rows.drop(columns="_day").to_csv(path, index=False)
    return path


def _seed_until(home: Path, tmp_path: Path, source: Path, last: str) -> pd.DataFrame:
    rows = _rows(source, "2021-01-01", last)
    path = tmp_path / "nifty_until.csv"
    rows.drop(columns="_day").to_csv(path, index=False)
    assert _ingest(home, str(path), "--json").returncode == 0
    return rows


def test_x10_row_on_a_new_date_is_held_with_its_date_and_reason(tmp_path: Path,
                                                                nifty_file: Path) -> None:
    home = tmp_path / "home"
    seeded = _seed_until(home, tmp_path, nifty_file, "2021-06-30")
    nxt = _rows(nifty_file, "2021-07-01", "2021-07-01")
    assert len(nxt) == 1
    day = nxt["_day"].iloc[0]
    for col in ("Open", "High", "Low", "Close", "open", "high", "low", "close"):
        if col in nxt.columns:
            nxt[col] = nxt[col] * 10
    bad = _next_day_file(tmp_path, nifty_file, nxt, "nifty_x10.csv")
    out = _ingest(home, str(bad), "--json")
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["upserts"]["nifty_daily"]["held"] == 1
    assert report["upserts"]["nifty_daily"]["inserted"] == 0
    (held,) = report["held"]
    assert held["at"] == day.date().isoformat()
    assert "moves more than 20%" in held["reason"]
    assert "neighbours" in held["reason"]
    assert day not in _stored(home).index
    listed = json.loads(_aegis(home, "conflicts", "--json").stdout)
    assert [(c["at"], c["batch"]) for c in listed] == [(held["at"], held["batch"])]
    assert len(_stored(home)) == len(seeded)


def test_close_only_typo_is_held_not_widened(tmp_path: Path, nifty_file: Path) -> None:
    home = tmp_path / "home"
    _seed_until(home, tmp_path, nifty_file, "2021-06-30")
    nxt = _rows(nifty_file, "2021-07-01", "2021-07-01")
    close_col = next(c for c in nxt.columns if c.lower() == "close")
    nxt[close_col] = nxt[close_col] * 10
    bad = _next_day_file(tmp_path, nifty_file, nxt, "nifty_close_typo.csv")
    out = _ingest(home, str(bad), "--json")
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    (loaded,) = report["files"]
    assert loaded["repairs"] == []  # the high was not widened to the typo
    (noted,) = loaded["noted"]
    assert noted["at"] == "2021-07-01"
    assert "outlier" in noted["reason"]
    assert "above the high" in noted["reason"]
    (held,) = report["held"]
    assert held["at"] == "2021-07-01"
    assert "outside its bar's range" in held["reason"]
    assert pd.Timestamp("2021-07-01") not in _stored(home).index
    listed = json.loads(_aegis(home, "conflicts", "--json").stdout)
    assert [c["at"] for c in listed] == ["2021-07-01"]


def test_x10_row_inside_a_file_is_held_against_the_files_own_neighbours(
        tmp_path: Path, nifty_file: Path) -> None:
    home = tmp_path / "home"
    rows = _rows(nifty_file, "2021-01-01", "2021-03-31")
    target = rows.index[len(rows) // 2]
    day = rows.loc[target, "_day"]
    for col in rows.columns:
        if col.lower() in ("open", "high", "low", "close"):
            rows.loc[target, col] = rows.loc[target, col] * 10
    path = tmp_path / "nifty_q1_x10.csv"
    rows.drop(columns="_day").to_csv(path, index=False)
    out = _ingest(home, str(path), "--json")
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["upserts"]["nifty_daily"]["held"] == 1
    assert [h["at"] for h in report["held"]] == [day.date().isoformat()]
    stored = _stored(home)
    assert day not in stored.index
    assert len(stored) == len(rows) - 1


def test_symbol_declared_against_the_levels_refuses_the_whole_file(
        tmp_path: Path, nifty_file: Path) -> None:
    home = tmp_path / "home"
    assert _ingest(home, str(nifty_file), "--json").returncode == 0
    before = _parts(home / "data")
    vix = _real("vix_daily", "mjanbandhu_indiavix_2009_2020.csv")
    if vix is None:
        vix = tmp_path / "levels.csv"
        days = pd.bdate_range("2009-03-02", "2020-05-08")
        level = 20 + 5 * pd.Series(range(len(days))).mod(7).to_numpy()
        pd.DataFrame({"Date": days.strftime("%Y-%m-%d"), "Open": level, "High": level + 1,
                      "Low": level - 1, "Close": level}).to_csv(vix, index=False)
    out = _ingest(home, str(vix), "--symbol", "NIFTY50", "--json")
    assert out.returncode == 1, out.stdout
    # refused as a whole, whichever check names it first (the levels band or the declaration)
    assert ("contradicted by the file's levels" in out.stderr
            or "are India VIX's level, not NIFTY 50's" in out.stderr)
    report = json.loads(out.stdout)
    assert report["upserts"] == {}
    assert report["held"] == []
    after = _parts(home / "data")
    assert after.keys() == before.keys()
    for year in before:
        pd.testing.assert_frame_equal(after[year], before[year])
    assert MarketStore(home / "data").conflicts() == []


def test_dates_that_are_not_sessions_are_noted(tmp_path: Path, nifty_file: Path) -> None:
    home = tmp_path / "home"
    rows = _rows(nifty_file, "2022-11-28", "2022-12-09")
    saturday = rows.iloc[[3]].copy()
    saturday["Date"] = "2022-12-03"  # a Saturday, no special session
    saturday["_day"] = pd.Timestamp("2022-12-03")
    rows = pd.concat([rows, saturday]).sort_values("_day")
    rows["Date"] = rows.pop("_day").dt.strftime("%Y-%m-%d")
    path = tmp_path / "nifty_with_saturday.csv"
    rows.to_csv(path, index=False)
    out = _ingest(home, str(path), "--json")
    assert out.returncode == 0, out.stderr
    (loaded,) = json.loads(out.stdout)["files"]
    assert [n["at"] for n in loaded["noted"]] == ["2022-12-03"]
    assert "not an NSE session" in loaded["noted"][0]["reason"]
    assert "Saturday" in loaded["noted"][0]["reason"]
    assert any("not NSE sessions" in n for n in loaded["notes"])


KILL_ON_PARTITION = """
import os, signal, sys
from aegis.market import revisions
real = revisions.write_parquet_durable
seen = []
def write(path, frame):
    if path.name == "part.parquet":
        seen.append(path)
        if len(seen) == {n}:
            os.kill(os.getpid(), signal.SIGKILL)
    return real(path, frame)
revisions.write_parquet_durable = write
from aegis.cli import main
sys.argv = ["aegis", "data", "ingest", {path!r}, "--json"]
main()
"""


def test_a_batch_killed_between_partitions_is_rolled_back_and_in_the_history(
        tmp_path: Path) -> None:
    """A deterministic kill after the 1st, 3rd and 6th of a batch's 15 partition writes."""
    old_file = synthetic_nifty(tmp_path / "nifty_old.csv", seed=31)
    new_file = synthetic_nifty(tmp_path / "nifty_new.csv", seed=31, scale=1.004)
    for n in (1, 3, 6):
        home = tmp_path / f"home{n}"
        assert _aegis(home, "ingest", str(old_file), "--json").returncode == 0
        root = home / "data"
        old_parts = _parts(root)
        env = {**os.environ, "AEGIS_HOME": str(home)}
        proc = subprocess.run([sys.executable, "-c",
                               KILL_ON_PARTITION.format(n=n, path=str(new_file))],
                              env=env, capture_output=True, text=True, timeout=300)
        assert proc.returncode == -signal.SIGKILL, proc.stderr
        half = _parts(root)
        changed = [y for y in half if not half[y].equals(old_parts[y])]
        assert len(changed) == n - 1  # the kill left the batch half-applied ...
        history = json.loads(_aegis(home, "history", "--json").stdout)
        interrupted = [h for h in history if h["action"] == "interrupted"]
        assert len(interrupted) == 1, history  # ... and the history says so
        assert interrupted[0]["series"] == "nifty_daily"
        # the next write to the series rolls the batch back first, with an audit line
        assert _aegis(home, "ingest", str(old_file), "--json").returncode == 0
        after = _parts(root)
        assert after.keys() == old_parts.keys()
        for year in old_parts:
            pd.testing.assert_frame_equal(after[year], old_parts[year])
        history = json.loads(_aegis(home, "history", "--json").stdout)
        recovered = [h for h in history if h["action"] == "recover"]
        assert [h["recovers"] for h in recovered] == [interrupted[0]["batch"]]
        assert not [h for h in history if h["action"] == "interrupted"]
        assert not list(root.rglob(".tmp-*"))


def test_a_write_failure_is_one_line_naming_the_file_and_the_cause(tmp_path: Path,
                                                                   nifty_file: Path) -> None:
    home = tmp_path / "home"
    (home / "data").mkdir(parents=True)
    blocker = home / "data" / "series=nifty_daily"
    blocker.write_text("a file where the store expects its series folder")
    out = _ingest(home, str(nifty_file), "--json")
    assert out.returncode != 0
    assert "Traceback" not in out.stderr
    lines = [ln for ln in out.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, out.stderr
    assert lines[0].startswith("aegis: error:")
    assert str(blocker) in lines[0]
    assert "Not a directory" in lines[0]

"""Drills on the market-data store: concurrent ingests, kill -9 mid-ingest, a fat-fingered close,
future rows and files whose every row is rejected. Each ends with nothing lost."""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from aegis.market.ingest import ingest_source
from aegis.market.sources.history import HistorySource
from aegis.market.store import MarketStore

DAYS = pd.bdate_range("2010-01-04", "2024-12-31")


def synthetic_nifty(path: Path, seed: int, scale: float = 1.0,
                    days: pd.DatetimeIndex = DAYS) -> Path:
    """A NIFTY-like daily file (named so; a random walk from 5000), ``scale`` x every price."""
    rng = np.random.default_rng(seed)
    close = 5000 * np.exp(np.cumsum(rng.normal(0.0003, 0.01, len(days)))) * scale
    frame = pd.DataFrame({"Date": days.strftime("%Y-%m-%d"), "Open": close, "High": close * 1.01,
                          "Low": close * 0.99, "Close": close})
    frame.round(2).to_csv(path, index=False)
    return path


def _aegis(home: Path, *args: str, clock: str | None = None
           ) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "AEGIS_HOME": str(home), "AEGIS_MODELS_DIR": str(home / "models")}
    if clock is not None:
        env["AEGIS_CLOCK"] = clock
    return subprocess.run([sys.executable, "-m", "aegis.cli", "data", *args], env=env,
                          capture_output=True, text=True, check=False, timeout=300)


def _parts(root: Path) -> dict[str, pd.DataFrame]:
    return {p.parent.name: pd.read_parquet(p)
            for p in sorted(root.glob("series=nifty_daily/year=*/part.parquet"))}


def _ingest(args: tuple[str, str]) -> dict[str, int]:
    root, path = args
    report = ingest_source(HistorySource([path]), MarketStore(root))
    return dict(report.upserts["nifty_daily"].__dict__)


def test_concurrent_ingests_serialise(tmp_path: Path) -> None:
    """8 trials of two processes ingesting overlapping files into the same series and years."""
    a = synthetic_nifty(tmp_path / "nifty_a.csv", seed=1)
    late = pd.bdate_range("2015-01-01", "2025-06-30")
    b = synthetic_nifty(tmp_path / "nifty_b.csv", seed=1, days=late)  # other values, overlap
    expected_rows = len(DAYS.union(late))
    ctx = mp.get_context("spawn")
    with ctx.Pool(2) as pool:
        for trial in range(8):
            root = tmp_path / f"store{trial}"
            results = pool.map(_ingest, [(str(root), str(a)), (str(root), str(b))])
            store = MarketStore(root)
            frame = store.read("nifty_daily")
            assert len(frame) == expected_rows, (trial, results)
            assert frame.index.is_unique
            assert not list(root.rglob(".tmp-*")), trial
            lines = store.history()
            assert [line["action"] for line in lines] == ["upsert", "upsert"], trial
            # every row in the store is one of the two files' rows, and none is lost
            assert sum(r["inserted"] for r in results) == expected_rows
            revised = {line["batch"] for line in lines if line.get("updated")}
            assert len(revised) <= 1


def test_kill_9_mid_ingest_leaves_old_or_new_partitions(tmp_path: Path) -> None:
    old_file = synthetic_nifty(tmp_path / "nifty_old.csv", seed=3)
    new_file = synthetic_nifty(tmp_path / "nifty_new.csv", seed=3, scale=1.004)
    for trial, delay in enumerate((1.0, 1.6, 2.2, 2.8, 3.4)):
        home = tmp_path / f"home{trial}"
        assert _aegis(home, "ingest", str(old_file), "--json").returncode == 0
        root = home / "data"
        old_parts = _parts(root)
        env = {**os.environ, "AEGIS_HOME": str(home)}
        proc = subprocess.Popen([sys.executable, "-m", "aegis.cli", "data", "ingest",
                                 str(new_file), "--json"], env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        after = _parts(root)
        assert set(after) == set(old_parts), trial
        store = MarketStore(root)
        assert len(store.read("nifty_daily")) == len(DAYS)
        for year, part in after.items():
            old = old_parts[year]
            new_close = (old["close"] * 1.004).round(2)
            is_old = part["close"].equals(old["close"])
            is_new = np.allclose(part["close"], new_close, atol=0.011)
            assert is_old or is_new, (trial, year)
        # the interrupted batch's revision was written before any partition it touched
        changed = [y for y, p in after.items() if not p["close"].equals(old_parts[y]["close"])]
        if changed:
            assert list(root.glob("_revisions/series=nifty_daily/*.parquet"))
        # completing the ingest afterwards converges, and leaves no temp file behind
        done = _aegis(home, "ingest", str(new_file), "--json")
        assert done.returncode == 0, done.stderr
        assert not list(root.rglob(".tmp-*"))
        final = store.read("nifty_daily")
        assert len(final) == len(DAYS)
        assert np.allclose(final["close"], (old_parts_concat(old_parts) * 1.004), atol=0.011)


def old_parts_concat(parts: dict[str, pd.DataFrame]) -> np.ndarray:
    return np.concatenate([p["close"].to_numpy() for _, p in sorted(parts.items())])


def test_fat_finger_x10_keeps_the_good_value(tmp_path: Path, real_or_synthetic: Path) -> None:
    home = tmp_path / "home"
    assert _aegis(home, "ingest", str(real_or_synthetic), "--json").returncode == 0
    raw = pd.read_csv(real_or_synthetic)
    date_col = next(c for c in raw.columns if c.lower() == "date")
    close_col = next(c for c in raw.columns if c.lower() == "close")
    rows = raw[raw[date_col].astype(str).str.startswith("2021")].copy()
    assert len(rows) > 100
    target = rows.index[len(rows) // 2]
    good = float(rows.loc[target, close_col])
    rows.loc[target, close_col] = good * 10
    bad = tmp_path / "nifty_2021_fat.csv"
    rows.to_csv(bad, index=False)
    out = _aegis(home, "ingest", str(bad), "--json")
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["upserts"]["nifty_daily"]["held"] == 1
    (held,) = report["held"]
    assert held["new_close"] == pytest.approx(good * 10)
    day = pd.Timestamp(str(rows.loc[target, date_col])[:10])
    stored = MarketStore(home / "data").read("nifty_daily")
    assert stored.loc[day, "close"] == pytest.approx(good, rel=1e-6)
    listed = json.loads(_aegis(home, "conflicts", "--json").stdout)
    assert [c["batch"] for c in listed] == [held["batch"]]


@pytest.mark.parametrize(("clock", "last_stored"), [
    # 21:43 UTC on 2024-06-13 is 03:13 IST on 06-14: the 14th has not closed (the old rule
    # compared with the machine's naive date and stored it from 18:30 UTC on)
    ("2024-06-13T21:43:00+00:00", "2024-06-13"),
    ("2024-06-14T10:00:00+05:30", "2024-06-13"),   # in session: the 14th lives in its bars
    ("2024-06-14T16:00:00+05:30", "2024-06-14"),   # after the close: final
])
def test_future_rows_are_rejected_and_not_stored(tmp_path: Path, clock: str,
                                                 last_stored: str) -> None:
    """A daily bar is final only after its 15:30 IST close, whatever the hour the test runs:
    the moment is pinned (AEGIS_CLOCK), so the same three cases run at any time of day."""
    home = tmp_path / "home"
    days = pd.bdate_range("2024-04-01", "2024-07-31")
    path = synthetic_nifty(tmp_path / "nifty_future.csv", seed=4, days=days)
    out = _aegis(home, "ingest", str(path), "--json", clock=clock)
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    rejected = report["files"][0]["rejected"]
    assert rejected
    assert all("has not closed" in r["reason"] and "15:30 IST" in r["reason"]
               for r in rejected)
    assert rejected[0]["at"] == (pd.Timestamp(last_stored) + pd.offsets.BDay()).date().isoformat()
    assert rejected[0]["row"] > 1
    stored = MarketStore(home / "data").read("nifty_daily")
    assert stored.index.max() == pd.Timestamp(last_stored)
    assert len(stored) + len(rejected) == len(days)


BAD_FILES = {
    "all_nan": "Date,Open,High,Low,Close\n2021-01-04,,,,\n2021-01-05,,,,\n",
    "all_zero": "Date,Open,High,Low,Close\n2021-01-04,0,0,0,0\n2021-01-05,0,0,0,0\n",
    "bad_dates": "Date,Open,High,Low,Close\nnot-a-date,1,1,1,1\n31/31/2021,1,1,1,1\n",
    "high_below_low": "Date,Open,High,Low,Close\n2021-01-04,14000,13900,14100,14000\n"
                      "2021-01-05,14000,13900,14100,14000\n",
    "year_1900": "Date,Open,High,Low,Close\n1900-01-04,14000,14100,13900,14000\n"
                 "1900-01-05,14000,14100,13900,14000\n",
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_all_rejected_file_exits_non_zero_and_stores_nothing(tmp_path: Path, case: str) -> None:
    home = tmp_path / "home"
    good = synthetic_nifty(tmp_path / "nifty_good.csv", seed=5)
    assert _aegis(home, "ingest", str(good), "--json").returncode == 0
    before = _parts(home / "data")
    path = tmp_path / f"nifty_{case}.csv"
    path.write_text(BAD_FILES[case])
    out = _aegis(home, "ingest", str(path))
    assert out.returncode != 0
    lines = [ln for ln in out.stderr.splitlines() if ln.startswith("aegis:")]
    assert len(lines) == 1, out.stderr
    assert str(path) in lines[0]
    assert "rejected" in lines[0] or "expected" in lines[0]
    after = _parts(home / "data")
    assert after.keys() == before.keys()
    for year in before:
        pd.testing.assert_frame_equal(after[year], before[year])


@pytest.fixture
def real_or_synthetic(tmp_path: Path) -> Path:
    """The real NIFTY daily history when AEGIS_REAL_DATA_DIR has it, else a synthetic one."""
    raw = os.environ.get("AEGIS_REAL_DATA_DIR")
    if raw:
        real = Path(raw) / "history" / "nifty_daily" / "scrooge_nifty50_yf_2007_2022.csv"
        if real.exists():
            return real
    return synthetic_nifty(tmp_path / "nifty_synthetic.csv", seed=6)

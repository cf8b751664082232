"""Ingest benchmarks: one year of simulated 1-minute bars into the store (target < 5 s).

Plain functions returning measured figures (no assertions). ``python -m benchmarks.bench_ingest``
takes no arguments and prints one JSON object on stdout (progress goes to stderr):

- ``intraday_year``: ``simulate(seed, 1.0, intraday_sessions=<every session of the year>)``
  then ``MarketStore(tmp).upsert("nifty_intraday", bars)`` into an empty store (the target is
  on this first upsert), a second identical upsert (idempotent: nothing rewritten), the
  simulation time beside it, peak memory traced by ``tracemalloc`` on a separate run and the
  process's max RSS.
- ``real_daily_history``: ``aegis.market.ingest.ingest_source`` of a ``HistorySource`` of
  ``$AEGIS_REAL_DATA_DIR/history``
  into an empty store, then again (idempotent). When the real data is absent the section says
  so instead of measuring.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import tempfile
import time
import tracemalloc
from datetime import date
from pathlib import Path
from typing import Any

TARGET_INGEST_YEAR_S = 5.0
SEED = 7
END = date(2025, 12, 31)


def log(message: str) -> None:
    """Progress on stderr (stdout carries only the final JSON for ``benchmarks.run``)."""
    print(f"[bench_ingest] {message}", file=sys.stderr, flush=True)


def max_rss_mib() -> float:
    """Peak resident set of this process so far, MiB (``ru_maxrss`` is KiB on Linux)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def real_data_dir() -> Path | None:
    """``$AEGIS_REAL_DATA_DIR`` when it holds ``history/``; else ``None`` (with a message)."""
    raw = os.environ.get("AEGIS_REAL_DATA_DIR")
    if raw and (Path(raw) / "history").is_dir():
        return Path(raw)
    log(f"AEGIS_REAL_DATA_DIR={raw!r} has no history/ folder: real-data figures are skipped")
    return None


def simulated_year(seed: int = SEED) -> tuple[Any, float]:
    """One simulated year with 1-minute bars on every session, and the seconds it took."""
    from aegis.market.sources.simulator import simulate

    daily = simulate(seed, 1.0, end=END, intraday_sessions=0, chain_sessions=0)
    start = time.perf_counter()
    market = simulate(seed, 1.0, end=END, intraday_sessions=len(daily.nifty), chain_sessions=0)
    return market.nifty_intraday, time.perf_counter() - start


def bench_intraday_year(seed: int = SEED) -> dict[str, Any]:
    """Upsert one year of simulated 1-minute bars into an empty store, then again."""
    from aegis.market.store import MarketStore

    bars, simulate_s = simulated_year(seed)
    log(f"simulated {len(bars)} bars in {simulate_s:.2f} s; upserting")
    with tempfile.TemporaryDirectory(prefix="aegis-bench-ingest-") as tmp:
        store = MarketStore(Path(tmp) / "fresh")
        start = time.perf_counter()
        first = store.upsert("nifty_intraday", bars)
        first_s = time.perf_counter() - start
        start = time.perf_counter()
        again = store.upsert("nifty_intraday", bars)
        again_s = time.perf_counter() - start
        parts = list((Path(tmp) / "fresh").rglob("part.parquet"))
        on_disk = sum(p.stat().st_size for p in parts)
        tracemalloc.start()
        MarketStore(Path(tmp) / "traced").upsert("nifty_intraday", bars)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return {
        "source": f"simulator seed {seed}, 1 year ending {END.isoformat()}",
        "minute_bars": len(bars),
        "sessions": int(bars.index.normalize().nunique()),
        "upsert_first_s": round(first_s, 3),
        "upsert_again_s": round(again_s, 3),
        "simulate_s": round(simulate_s, 3),
        "simulate_plus_upsert_s": round(simulate_s + first_s, 3),
        "first": {"inserted": first.inserted, "updated": first.updated,
                  "unchanged": first.unchanged},
        "again": {"inserted": again.inserted, "updated": again.updated,
                  "unchanged": again.unchanged},
        "partitions": len(parts),
        "bytes_on_disk": on_disk,
        "peak_traced_upsert_mib": round(peak / 2**20, 1),
        "target_s": TARGET_INGEST_YEAR_S,
        "meets_target": first_s < TARGET_INGEST_YEAR_S,
    }


def bench_real_history(data_dir: Path) -> dict[str, Any]:
    """Ingest every daily history file (a ``HistorySource``) into an empty store, then again."""
    from aegis.market.ingest import ingest_source
    from aegis.market.sources.history import HistorySource
    from aegis.market.store import MarketStore

    folder = data_dir / "history"
    with tempfile.TemporaryDirectory(prefix="aegis-bench-ingest-") as tmp:
        store = MarketStore(Path(tmp) / "fresh")
        start = time.perf_counter()
        report = ingest_source(HistorySource([folder]), store)
        first_s = time.perf_counter() - start
        start = time.perf_counter()
        again = ingest_source(HistorySource([folder]), store)
        again_s = time.perf_counter() - start
        tracemalloc.start()
        ingest_source(HistorySource([folder]), MarketStore(Path(tmp) / "traced"))
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return {
        "source": str(folder),
        "files": len(report.loaded),
        "rows": {name: r.inserted for name, r in report.upserts.items()},
        "ingest_first_s": round(first_s, 3),
        "ingest_again_s": round(again_s, 3),
        "again_inserted_or_updated": sum(r.inserted + r.updated for r in again.upserts.values()),
        "peak_traced_mib": round(peak / 2**20, 1),
        "note": "the first ingest includes the one-off NSE calendar build of this process; "
                "peak memory traced on a third ingest into another empty store",
    }


def main() -> dict[str, Any]:
    out: dict[str, Any] = {"intraday_year": bench_intraday_year()}
    data_dir = real_data_dir()
    if data_dir is None:
        out["real_daily_history"] = {"skipped": "set AEGIS_REAL_DATA_DIR to the folder holding "
                                                "history/ to measure the real daily ingest"}
    else:
        log(f"ingesting the real daily history from {data_dir / 'history'}")
        out["real_daily_history"] = bench_real_history(data_dir)
    out["max_rss_mib"] = max_rss_mib()
    out["note"] = ("peak_traced_* is tracemalloc (numpy/Python allocations, not Arrow's own "
                   "buffers); max_rss_mib is the whole process's peak resident set")
    return out


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))

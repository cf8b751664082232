"""Market-data benchmarks: loading + merging all daily history files (target < 1 s).

Plain functions returning measured figures (no assertions); run as
``python -m benchmarks.bench_market /path/to/data`` (the folder holding ``history/``).
"""

from __future__ import annotations

import json
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

TARGET_LOAD_MERGE_S = 1.0


def bench_load_merge_history(data_dir: Path | str, repeats: int = 3) -> dict[str, Any]:
    """Wall time (best of ``repeats``, after one warm-up) and peak traced memory of
    ``load_history_dir(data_dir/history)``, with the target."""
    from aegis.market.history import load_history_dir

    folder = Path(data_dir) / "history"
    history = load_history_dir(folder)  # warm-up: imports, calendar, caches
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        history = load_history_dir(folder)
        times.append(time.perf_counter() - start)
    tracemalloc.start()
    load_history_dir(folder)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "benchmark": "load_merge_daily_history",
        "files": len(history.repairs),
        "nifty_sessions": len(history.nifty),
        "vix_sessions": len(history.vix),
        "seconds_best": round(min(times), 4),
        "seconds_all": [round(t, 4) for t in times],
        "target_seconds": TARGET_LOAD_MERGE_S,
        "meets_target": min(times) < TARGET_LOAD_MERGE_S,
        "peak_traced_mib": round(peak / 2**20, 2),
        "note": "tracemalloc sees numpy/Python allocations, not Arrow string buffers; "
                "max_rss_mib is the whole process's peak resident set",
        "max_rss_mib": _max_rss_mib(),
    }


def _max_rss_mib() -> float:
    import resource

    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def bench_ingest_history(data_dir: Path | str, store_dir: Path | str) -> dict[str, Any]:
    """Wall time and peak traced memory of ingesting the daily history into a fresh store,
    and of a second (idempotent, no-write) ingest."""
    from aegis.market.ingest import ingest_source
    from aegis.market.sources.history import HistorySource
    from aegis.market.store import MarketStore

    store = MarketStore(store_dir)
    folder = Path(data_dir) / "history"
    tracemalloc.start()
    start = time.perf_counter()
    ingest_source(HistorySource([folder]), store)
    first = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    start = time.perf_counter()
    ingest_source(HistorySource([folder]), store)
    second = time.perf_counter() - start
    return {"benchmark": "ingest_daily_history", "seconds_first": round(first, 4),
            "seconds_repeat": round(second, 4), "peak_traced_mib": round(peak / 2**20, 2)}


def main(argv: list[str]) -> None:
    import tempfile

    from benchmarks.run import real_data_dir

    data_dir = Path(argv[0]) if argv else real_data_dir()
    if data_dir is None:
        print(json.dumps({"skipped": "no real data: set AEGIS_REAL_DATA_DIR"}))
        return
    result = {"load_merge": bench_load_merge_history(data_dir)}
    with tempfile.TemporaryDirectory() as tmp:
        result["ingest_history"] = bench_ingest_history(data_dir, tmp)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main(sys.argv[1:])

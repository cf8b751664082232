"""Simulator benchmark: one year of 1-minute bars, and 25 years of daily history.

Plain functions returning measured figures (no assertions); ``python -m
benchmarks.bench_simulator`` prints one JSON object. Targets:

- ``simulate(seed, 1.0, intraday_sessions=<all>)`` -- every session of a year as 1-minute bars
  (~250 x 375 = ~93,000 bars) plus the daily series and 10 chain snapshots: < 2 s.
- ``simulate(seed, 25.0)`` with the default 20 intraday sessions and 10 chain snapshots: < 1 s.

Times are the best of ``repeats`` warm runs (the NSE calendar is built once per process, on the
first call, reported separately as ``cold_seconds``); peak memory is traced by ``tracemalloc``
on a separate run (numpy reports its buffers to it), and the process's max RSS is given beside.
Ingesting the simulated bars into the store is benchmarked in ``bench_market``.
"""

from __future__ import annotations

import json
import resource
import sys
import time
import tracemalloc
from datetime import date
from typing import Any

TARGET_INTRADAY_YEAR_S = 2.0
TARGET_DAILY_25Y_S = 1.0
END = date(2026, 11, 20)
ALL_SESSIONS = 10_000


def _run(years: float, intraday_sessions: int, seed: int) -> Any:
    from aegis.market.sources.simulator import simulate

    return simulate(seed, years, end=END, intraday_sessions=intraday_sessions, chain_sessions=10)


def _measure(years: float, intraday_sessions: int, seed: int, repeats: int) -> dict[str, Any]:
    start = time.perf_counter()
    market = _run(years, intraday_sessions, seed)
    cold = time.perf_counter() - start
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        market = _run(years, intraday_sessions, seed)
        times.append(time.perf_counter() - start)
    tracemalloc.start()
    _run(years, intraday_sessions, seed)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "seconds": round(min(times), 4),
        "runs": [round(t, 4) for t in times],
        "cold_seconds": round(cold, 4),
        "peak_traced_mib": round(peak / 2**20, 1),
        "daily_sessions": len(market.nifty),
        "minute_bars": len(market.nifty_intraday),
        "chain_rows": len(market.option_chain),
    }


def bench_intraday_year(seed: int = 7, repeats: int = 3) -> dict[str, Any]:
    """Simulate one year with 1-minute bars for every session."""
    figures = _measure(1.0, ALL_SESSIONS, seed, repeats)
    figures.update(target_seconds=TARGET_INTRADAY_YEAR_S,
                   meets_target=figures["seconds"] < TARGET_INTRADAY_YEAR_S)
    return figures


def bench_daily_25_years(seed: int = 7, repeats: int = 3) -> dict[str, Any]:
    """Simulate 25 years of daily history with the default intraday and chain sessions."""
    figures = _measure(25.0, 20, seed, repeats)
    figures.update(target_seconds=TARGET_DAILY_25Y_S,
                   meets_target=figures["seconds"] < TARGET_DAILY_25Y_S)
    return figures


def _max_rss_mib() -> float:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return round(rss / 1024, 1)


def main(argv: list[str]) -> None:
    repeats = int(argv[0]) if argv else 3
    figures = {
        "intraday_year": bench_intraday_year(repeats=repeats),
        "daily_25_years": bench_daily_25_years(repeats=repeats),
        "max_rss_mib": _max_rss_mib(),
    }
    sys.stdout.write(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])

"""Feature benchmark: the daily feature table on the 2000-2022 history (target < 1 s).

Plain functions returning measured figures (no assertions); run as
``python -m benchmarks.bench_features [/path/to/data]`` (the folder holding ``history/``;
default ``$AEGIS_REAL_DATA_DIR`` or ``../shared/data``). Prints one JSON object.

Besides the total, the figures split the time between the expiry arithmetic (which calls
``aegis.market.calendar.next_weekly_expiry`` once per expiry week) and everything else.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

TARGET_DAILY_FEATURES_S = 1.0


def _best(fn: Any, repeats: int) -> tuple[float, list[float]]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times), times


def bench_daily_features(data_dir: Path | str, repeats: int = 3) -> dict[str, Any]:
    """Best-of-``repeats`` wall time of ``build_daily_features`` on the merged real history
    (loading not timed; one warm-up run first), with the split described in the module doc."""
    from aegis.features import daily
    from aegis.features.percentiles import rolling_percentile
    from aegis.market.history import load_history

    root = Path(data_dir) / "history"
    history = load_history(
        sorted((root / "nifty_daily").glob("*.csv")), sorted((root / "vix_daily").glob("*.csv"))
    )
    nifty, vix = history.nifty, history.vix
    table = daily.build_daily_features(nifty, vix)  # warm-up: imports, calendar caches

    total, total_all = _best(lambda: daily.build_daily_features(nifty, vix), repeats)
    expiry, _ = _best(lambda: daily.expiry_table(nifty.index), repeats)
    percentile, _ = _best(lambda: rolling_percentile(table["vix"], 252), repeats)
    return {
        "benchmark": "build_daily_features",
        "sessions": len(table),
        "first": str(table.index[0].date()),
        "last": str(table.index[-1].date()),
        "columns": table.shape[1],
        "seconds_best": round(total, 4),
        "seconds_all": [round(t, 4) for t in total_all],
        "seconds_expiry_calendar": round(expiry, 4),
        "seconds_without_calendar": round(max(total - expiry, 0.0), 4),
        "seconds_one_percentile_252": round(percentile, 5),
        "target_seconds": TARGET_DAILY_FEATURES_S,
        "meets_target": total < TARGET_DAILY_FEATURES_S,
    }


def main(argv: list[str]) -> None:
    from benchmarks.run import real_data_dir

    data_dir = Path(argv[0]) if argv else real_data_dir()
    if data_dir is None:
        print(json.dumps({"skipped": "no real data: set AEGIS_REAL_DATA_DIR"}))
        return
    print(json.dumps(bench_daily_features(data_dir), indent=2))


if __name__ == "__main__":
    main(sys.argv[1:])

"""Backtest benchmark: the walk-forward backtest over 2015-2022 (target < 5 minutes).

Plain functions returning measured figures (no assertions).
``python -m benchmarks.bench_backtest`` takes no arguments and prints one JSON object on stdout
(per-section progress goes to stderr as it happens).

On the real history (every file under ``$AEGIS_REAL_DATA_DIR/history/nifty_daily`` and
``.../vix_daily``, loaded with ``aegis.market.history.load_history``, features from
``aegis.features.daily.build_daily_features``) it times
``aegis.rates.backtest.run_backtest(..., "2015-01-01", "2022-12-31")`` -- what ``aegis backtest``
runs -- section by section through its progress callback. Without the real data it runs on 15
simulated years (seed 7, ending 2022-12-30) and evaluates the last 8, and says so in the JSON.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from pathlib import Path
from typing import Any

TARGET_BACKTEST_S = 300.0
START, END = "2015-01-01", "2022-12-31"
SIM_SEED, SIM_YEARS, SIM_END = 7, 15.0, "2022-12-30"


def log(message: str) -> None:
    """Progress on stderr (stdout carries only the final JSON for ``benchmarks.run``)."""
    print(f"[bench_backtest] {message}", file=sys.stderr, flush=True)


def real_history_dir() -> Path | None:
    """``$AEGIS_REAL_DATA_DIR/history`` when present; else ``None`` (with a message)."""
    raw = os.environ.get("AEGIS_REAL_DATA_DIR")
    if raw and (Path(raw) / "history").is_dir():
        return Path(raw) / "history"
    log(f"AEGIS_REAL_DATA_DIR={raw!r} has no history/ folder: measuring on {SIM_YEARS:g} "
        f"simulated years instead (evaluating the last 8)")
    return None


def load_market(history: Path | None) -> tuple[Any, Any, str]:
    """NIFTY and India VIX daily frames, and where they came from."""
    if history is not None:
        from aegis.market.history import load_history

        nifty_files = sorted(p for p in (history / "nifty_daily").iterdir() if p.is_file())
        vix_files = sorted(p for p in (history / "vix_daily").iterdir() if p.is_file())
        loaded = load_history(nifty_files, vix_files)
        return loaded.nifty, loaded.vix, (f"real history: {len(nifty_files)} NIFTY + "
                                          f"{len(vix_files)} VIX files under {history}")
    from aegis.market.sources.simulator import simulate

    market = simulate(SIM_SEED, SIM_YEARS, end=SIM_END, intraday_sessions=0, chain_sessions=0)
    return market.nifty, market.vix, (f"simulator seed {SIM_SEED}, {SIM_YEARS:g} years ending "
                                      f"{SIM_END} (no real data)")


def bench_backtest(history: Path | None) -> dict[str, Any]:
    """Wall time of loading, features and each walk-forward section of the backtest."""
    from aegis.features.daily import build_daily_features
    from aegis.rates.backtest import run_backtest

    started = time.perf_counter()
    nifty, vix, source = load_market(history)
    loaded = time.perf_counter()
    features = build_daily_features(nifty, vix)
    featured = time.perf_counter()
    marks: list[tuple[str, float]] = []

    def progress(step: str) -> None:
        now = time.perf_counter()
        if marks:
            log(f"{marks[-1][0]}: {now - marks[-1][1]:.1f} s")
        marks.append((step, now))

    report, _ = run_backtest(nifty, vix, features, START, END, progress=progress)
    done = time.perf_counter()
    log(f"{marks[-1][0]}: {done - marks[-1][1]:.1f} s")
    ends = [t for _, t in marks[1:]] + [done]
    sections = {name: round(end - t, 2) for (name, t), end in zip(marks, ends, strict=True)}
    backtest_s = done - featured
    return {
        "source": source,
        "period": report["period"],
        "load_s": round(loaded - started, 2),
        "features_s": round(featured - loaded, 2),
        "backtest_s": round(backtest_s, 1),
        "sections_s": sections,
        "total_s": round(done - started, 1),
        "target_s": TARGET_BACKTEST_S,
        "meets_target": done - started < TARGET_BACKTEST_S,
        "results": {"safe_range_coverage": round(report["safe_range"]["coverage"], 4),
                    "safe_range_windows": report["safe_range"]["windows"],
                    "direction_accuracy": round(report["direction"]["accuracy"], 4),
                    "buyer_signals": report["buyer"]["signals"]},
        "max_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


if __name__ == "__main__":
    print(json.dumps(bench_backtest(real_history_dir()), indent=2))

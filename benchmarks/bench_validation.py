"""Validation benchmark: the feature-table suite on the 2000-2022 table (target < 3 s).

Plain functions returning measured figures (no assertions); run as
``python -m benchmarks.bench_validation [/path/to/data]`` (the folder holding ``history/``;
default ``$AEGIS_REAL_DATA_DIR`` or ``../shared/data``). Prints one JSON object.

``import great_expectations`` is measured on its own, in a fresh interpreter, and is not part of
the suite time. The suite time is one ``validate_frames({"features": table})`` call: ephemeral
context, helper columns, 54 expectations; Data Docs are timed separately.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

TARGET_FEATURE_SUITE_S = 3.0


def gx_import_seconds() -> float:
    """Wall time of ``import great_expectations`` in a fresh interpreter (seconds)."""
    code = (
        "import time; t = time.perf_counter(); import great_expectations; "
        "print(time.perf_counter() - t)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    return float(proc.stdout.strip().splitlines()[-1])


def _timed(fn: Any, repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def bench_feature_suite(data_dir: Path | str, repeats: int = 3) -> dict[str, Any]:
    """Best-of-``repeats`` wall time of the ``features`` suite on the real 2000-2022 table
    (history loading and feature building not timed; one warm-up run after the import)."""
    import tempfile

    from aegis.features.daily import build_daily_features
    from aegis.market.history import load_history
    from aegis.validation import validate_frames

    root = Path(data_dir) / "history"
    history = load_history(
        sorted((root / "nifty_daily").glob("*.csv")), sorted((root / "vix_daily").glob("*.csv"))
    )
    table = build_daily_features(history.nifty, history.vix)

    start = time.perf_counter()
    import great_expectations  # noqa: F401  (already warm in this process after this line)

    import_in_process = time.perf_counter() - start
    report = validate_frames({"features": table})  # warm-up
    suite_times = _timed(lambda: validate_frames({"features": table}), repeats)
    with tempfile.TemporaryDirectory() as docs:
        docs_times = _timed(
            lambda: validate_frames({"features": table}, docs_dir=Path(docs)), 1
        )
    best = min(suite_times)
    return {
        "benchmark": "features_suite",
        "sessions": len(table),
        "expectations": report.suite("features").statistics.evaluated_expectations,
        "success": report.success,
        "seconds_best": round(best, 3),
        "seconds_all": [round(t, 3) for t in suite_times],
        "seconds_with_data_docs": round(docs_times[0], 3),
        "seconds_gx_import_fresh_interpreter": round(gx_import_seconds(), 3),
        "seconds_gx_import_in_process": round(import_in_process, 3),
        "target_seconds": TARGET_FEATURE_SUITE_S,
        "within_target": best < TARGET_FEATURE_SUITE_S,
    }


def default_data_dir() -> Path:
    """``$AEGIS_REAL_DATA_DIR`` or ``../shared/data`` beside the repository."""
    env = os.environ.get("AEGIS_REAL_DATA_DIR")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "shared" / "data"


if __name__ == "__main__":
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else default_data_dir()
    if not (folder / "history").is_dir():
        print(json.dumps({"skipped": f"no real data at {folder}: set AEGIS_REAL_DATA_DIR"}))
    else:
        print(json.dumps(bench_feature_suite(folder), indent=2))

"""Benchmark: historical hit and spike rates over 25 years of daily data (target < 0.1 s).

Plain functions returning measured figures; ``python -m benchmarks.bench_rates`` prints them.
The data are simulated (seeded GBM with varying volatility on weekday sessions, 25 years); the
timed part is everything the nightly recompute does after loading: weekly windows, the
walk-forward hit rate, the spike definition and the spike rate.
"""

from __future__ import annotations

import json
import time

import numpy as np
import pandas as pd

TARGET_SECONDS = 0.1


def simulated_history(years: float = 25.0, seed: int = 11) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Seeded daily NIFTY and India VIX frames (canonical columns) over ``years`` years."""
    rng = np.random.default_rng(seed)
    sessions = pd.bdate_range("2000-01-03", periods=int(years * 250), name="session")
    n = len(sessions)
    sigma = np.clip(np.exp(np.log(0.16) + 0.3 * np.cumsum(rng.normal(0, 0.03, n))), 0.07, 0.6)
    close = 1500 * np.exp(np.cumsum(sigma / np.sqrt(252) * rng.standard_normal(n)))
    high = close * np.exp(np.abs(rng.normal(0, 0.005, n)))
    low = close * np.exp(-np.abs(rng.normal(0, 0.005, n)))
    nifty = pd.DataFrame(
        {"open": close, "high": high, "low": low, "close": close, "volume": np.nan},
        index=sessions,
    )
    v = 115 * sigma
    vix = pd.DataFrame(
        {"open": v, "high": v, "low": v, "close": v, "volume": np.nan}, index=sessions
    )
    return nifty, vix


def bench_rates(years: float = 25.0, repeats: int = 5) -> dict[str, float | int | bool]:
    """Best-of-``repeats`` wall time of windows + hit rate + spike rate over ``years`` years."""
    from aegis.rates import (
        historical_hit_rate,
        historical_spike_rate,
        next_session_spike,
        session_windows,
    )

    nifty, vix = simulated_history(years)
    as_of = nifty.index[-1]
    rng = np.random.default_rng(1)
    signals = pd.Series(rng.uniform(size=len(nifty)) < 0.15, index=nifty.index)
    timings = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        windows = session_windows(nifty, vix)  # every session, as the snapshot publishes
        hit = historical_hit_rate(windows, 0.8, as_of=as_of)
        spike = historical_spike_rate(signals, next_session_spike(nifty, vix), as_of=as_of)
        timings.append(time.perf_counter() - t0)
    best = min(timings)
    return {
        "sessions": len(nifty),
        "windows": len(windows),
        "hit_rate": hit.value,
        "hit_n": hit.n,
        "spike_rate": spike.value,
        "spike_n": spike.n,
        "seconds_best": round(best, 4),
        "seconds_median": round(float(np.median(timings)), 4),
        "target_seconds": TARGET_SECONDS,
        "within_target": best < TARGET_SECONDS,
    }


if __name__ == "__main__":
    print(json.dumps(bench_rates(), indent=2))

"""Random streams of the simulator, keyed so that a day's data never depends on the window asked.

A simulated market is one fixed history per seed: asking for 5 years or 12, ending today or last
month, with 20 or 250 intraday sessions, gives the same values on the days those requests share.
That makes the store's idempotent upserts meaningful (a re-run with a later end inserts the new
days and leaves the old ones unchanged) and backfills reproducible. Three devices achieve it:

- the daily engine runs from a fixed origin, each kind of draw on its own named stream, so the
  draw for session *i* is the same whatever the number of sessions after it (numpy's generators
  fill arrays element by element);
- per-session draws (minute paths, chain snapshots) come from a generator keyed by the seed and
  the session's date;
- per-strike draws (the open-interest pattern of an expiry) come from a counter-based hash of
  the seed, the expiry and the strike.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd
from scipy.special import ndtri

#: Stream ids of the daily engine; never renumber (it would change every seed's history).
DAILY_STREAMS: Final = {
    "slow": 1,
    "crisis_start": 2,
    "crisis_size": 3,
    "shock": 4,
    "crash": 5,
    "gap": 6,
    "vix_premium": 7,
    "vix_open": 8,
    "vix_range": 9,
    "volume": 10,
    "range": 11,
    "level": 12,
    "shock_sign": 13,
}
INTRADAY_KEY: Final = 1000
VIX_INTRADAY_KEY: Final = 1100
CHAIN_KEY: Final = 2000
EXPIRY_KEY: Final = 3000

_MASK = np.uint64(0xFFFFFFFFFFFFFFFF)


class Streams:
    """Named generators of the daily engine for one seed: ``streams("shock")``."""

    def __init__(self, seed: int) -> None:
        self.seed = int(seed)

    def __call__(self, name: str) -> np.random.Generator:
        return np.random.default_rng([self.seed, DAILY_STREAMS[name]])


def day_generator(seed: int, kind: int, day: pd.Timestamp) -> np.random.Generator:
    """A generator for one calendar day (``kind`` separates intraday from chain draws)."""
    return np.random.default_rng([int(seed), kind, pd.Timestamp(day).toordinal()])


def _splitmix64(x: np.ndarray) -> np.ndarray:
    """The SplitMix64 finaliser: a bijective scramble of 64-bit integers (wrapping arithmetic)."""
    x = (x + np.uint64(0x9E3779B97F4A7C15)) & _MASK
    x = ((x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)) & _MASK
    x = ((x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)) & _MASK
    return x ^ (x >> np.uint64(31))


def hashed_normal(seed: int, *keys: np.ndarray | int) -> np.ndarray:
    """Standard normal draws that are a pure function of ``(seed, *keys)``, element-wise.

    ``keys`` are non-negative integers or integer arrays (broadcast together).
    """
    with np.errstate(over="ignore"):
        state = _splitmix64(np.asarray(int(seed), dtype=np.uint64))
        for key in keys:
            state = _splitmix64(state ^ np.asarray(key, dtype=np.int64).astype(np.uint64))
    # 53 high bits -> uniform in (0, 1), then the normal quantile
    uniform = ((state >> np.uint64(11)).astype(np.float64) + 0.5) / float(2**53)
    return np.asarray(ndtri(uniform))

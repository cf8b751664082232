"""Empirical rates computed walk-forward from history: safe-range hit rate, buyer spike rate."""

from aegis.rates.empirical import (
    Z95,
    EmpiricalRate,
    RateWindow,
    block_bootstrap_interval,
    wilson_interval,
)
from aegis.rates.hit_rate import historical_hit_rate, walk_forward_safe_ranges
from aegis.rates.range_fit import (
    HorizonPools,
    RangeFit,
    fit_range_for_horizon,
    fit_range_for_session,
    walk_forward_fits,
)
from aegis.rates.spike_rate import historical_spike_rate, next_session_spike
from aegis.rates.windows import session_windows, weekly_windows

__all__ = [
    "Z95",
    "EmpiricalRate",
    "HorizonPools",
    "RangeFit",
    "RateWindow",
    "block_bootstrap_interval",
    "fit_range_for_horizon",
    "fit_range_for_session",
    "historical_hit_rate",
    "historical_spike_rate",
    "next_session_spike",
    "session_windows",
    "walk_forward_fits",
    "walk_forward_safe_ranges",
    "weekly_windows",
    "wilson_interval",
]

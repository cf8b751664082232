"""Empirical rates computed walk-forward from history: safe-range hit rate, buyer spike rate."""

from aegis.rates.empirical import Z95, EmpiricalRate, RateWindow, wilson_interval
from aegis.rates.hit_rate import historical_hit_rate, walk_forward_safe_ranges
from aegis.rates.spike_rate import historical_spike_rate, next_session_spike
from aegis.rates.windows import weekly_windows

__all__ = [
    "Z95",
    "EmpiricalRate",
    "RateWindow",
    "historical_hit_rate",
    "historical_spike_rate",
    "next_session_spike",
    "walk_forward_safe_ranges",
    "weekly_windows",
    "wilson_interval",
]

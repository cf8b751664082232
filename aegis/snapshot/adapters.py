"""Build snapshot blocks from library results (no computation here, only shape)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aegis.errors import SnapshotError
from aegis.snapshot.blocks import HitRate, SpikeRate
from aegis.snapshot.provenance import DateWindow, EmpiricalProvenance

if TYPE_CHECKING:
    from aegis.rates.empirical import EmpiricalRate


def _window(rate: EmpiricalRate) -> DateWindow:
    return DateWindow(from_=rate.window.from_, to=rate.window.to)


def hit_rate_block(rate: EmpiricalRate) -> HitRate:
    """The ``historical_hit_rate`` block of an :class:`~aegis.rates.EmpiricalRate` of kind hit."""
    if rate.kind != "hit" or rate.confidence is None:
        raise SnapshotError(f"historical_hit_rate: expected a hit rate; found kind {rate.kind!r}")
    window = _window(rate)
    return HitRate(
        value=rate.value, n=rate.n, ci95=rate.ci95, window=window, as_of=rate.as_of,
        confidence=rate.confidence, provenance=EmpiricalProvenance(n=rate.n, window=window),
    )


def spike_rate_block(rate: EmpiricalRate) -> SpikeRate:
    """The ``historical_spike_rate`` block of an :class:`~aegis.rates.EmpiricalRate` (spike)."""
    if rate.kind != "spike" or rate.base_rate is None:
        raise SnapshotError(f"historical_spike_rate: expected a spike rate; found {rate.kind!r}")
    window = _window(rate)
    return SpikeRate(
        value=rate.value, n=rate.n, ci95=rate.ci95, window=window, as_of=rate.as_of,
        base_rate=rate.base_rate, provenance=EmpiricalProvenance(n=rate.n, window=window),
    )


__all__ = ["hit_rate_block", "spike_rate_block"]

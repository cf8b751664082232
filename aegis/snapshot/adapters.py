"""Build snapshot blocks from library results (no computation here, only shape)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aegis.errors import SnapshotError
from aegis.snapshot.blocks import HitRate, HorizonHitRate, SpikeRate
from aegis.snapshot.provenance import DateWindow, EmpiricalProvenance

if TYPE_CHECKING:
    from aegis.rates.empirical import EmpiricalRate


def _window(rate: EmpiricalRate) -> DateWindow:
    return DateWindow(from_=rate.window.from_, to=rate.window.to)


def hit_rate_block(rate: EmpiricalRate, horizon_reason: str | None = None, *,
                   source: str | None = None) -> HitRate:
    """The ``historical_hit_rate`` block of an :class:`~aegis.rates.EmpiricalRate` of kind hit.

    ``horizon_reason`` says why ``rate.horizon`` is absent (published as ``horizon_reason``);
    ``source`` (where the figures were read or why they were recomputed) ends both methods.
    """
    tail = f"; {source}" if source else ""
    if rate.kind != "hit" or rate.confidence is None:
        raise SnapshotError(f"historical_hit_rate: expected a hit rate; found kind {rate.kind!r}")
    window = _window(rate)
    horizon = None
    h = rate.horizon
    if h is not None and h.sessions_to_expiry is not None:
        hw = _window(h)
        horizon = HorizonHitRate(
            value=h.value, n=h.n, ci95=h.ci95, window=hw, as_of=h.as_of,
            sessions_to_expiry=h.sessions_to_expiry, ci95_block_bootstrap=h.ci95_block_bootstrap,
            interval_note=h.interval_note,
            provenance=EmpiricalProvenance(
                n=h.n, window=hw,
                method=f"past sessions with {h.sessions_to_expiry} sessions to expiry, each "
                       f"scored with the range it published{tail}"),
        )
    return HitRate(
        value=rate.value, n=rate.n, ci95=rate.ci95, window=window, as_of=rate.as_of,
        confidence=rate.confidence, ci95_block_bootstrap=rate.ci95_block_bootstrap,
        interval_note=rate.interval_note, horizon=horizon,
        horizon_reason=None if horizon is not None else horizon_reason,
        provenance=EmpiricalProvenance(
            n=rate.n, window=window,
            method="every past session, each scored with the range it published (k fitted "
                   f"walk-forward for its horizon){tail}"),
    )


def spike_rate_block(rate: EmpiricalRate) -> SpikeRate:
    """The ``historical_spike_rate`` block of an :class:`~aegis.rates.EmpiricalRate` (spike)."""
    if rate.kind != "spike" or rate.base_rate is None:
        raise SnapshotError(f"historical_spike_rate: expected a spike rate; found {rate.kind!r}")
    window = _window(rate)
    return SpikeRate(
        value=rate.value, n=rate.n, ci95=rate.ci95, window=window, as_of=rate.as_of,
        base_rate=rate.base_rate,
        provenance=EmpiricalProvenance(n=rate.n, window=window, method=rate.method),
    )


__all__ = ["hit_rate_block", "spike_rate_block"]

"""The published blocks of ``aegismatrix.json``, each with its provenance beside the values.

Old-dashboard paths stay plain values: ``trap.score`` is a number, ``trap.label`` a string; the
new ``provenance`` and ``calibration`` keys are added beside them.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Literal

from pydantic import AwareDatetime, Field, model_validator

from aegis.analytics.labels import StressLabel, TrapLabel, stress_label, trap_label
from aegis.snapshot.provenance import (
    Calibration,
    DateWindow,
    EmpiricalProvenance,
    Probability,
    Provenance,
    SnapshotModel,
)


class Expiry(SnapshotModel):
    """The weekly expiry the numbers refer to, and the time left to its close.

    ``days`` (calendar) is what India VIX's premium pays for; ``trading_time_years`` (``tau``)
    is what the safe range and breach probabilities use: each later session counts 1/252 and
    today's remaining minutes ``minutes/375 * (1 - overnight_gap_share)``/252.
    """

    date: dt.date = Field(description="Expiry session (Thursday; Tuesday from 2025-09-02).")
    days: float = Field(ge=0.0, description="Calendar days from generated_at (the moment) to "
                        "the expiry close, 15:30 IST of the expiry day; fractional.")
    sessions: int = Field(ge=0, description="Trading sessions left to the expiry close, the "
                          "rest of today's session included.")
    close_at: AwareDatetime | None = Field(
        default=None, description="The expiry close, 15:30 IST of the expiry session.")
    minutes_left: float | None = Field(
        default=None, ge=0.0, description="Trading minutes from the moment to the expiry close "
        "(375 per session; today's from now or from 09:15).")
    trading_time_years: float | None = Field(
        default=None, ge=0.0, description="tau: trading time to the expiry close in years of 252 "
        "sessions (the range's and the breach probabilities' horizon).")
    horizon_sessions: float | None = Field(
        default=None, ge=0.0, description="tau * 252: sessions of variance left (fractional).")
    overnight_gap_share: float | None = Field(
        default=None, ge=0.0, le=1.0, description="g: share of a close-to-close session's "
        "variance carried by the overnight gap (estimated from the daily history).")
    overnight_gap_method: str | None = Field(
        default=None, description="How g was estimated (sessions, span) or why it was assumed.")


class Direction(SnapshotModel):
    """Direction of tomorrow's close against today's."""

    label: Literal["UP", "DOWN"]
    probability_up: Probability
    confidence: Probability = Field(description="max(p, 1 - p).")
    provenance: Provenance
    calibration: Calibration

    @model_validator(mode="after")
    def _consistent(self) -> Direction:
        expected = "UP" if self.probability_up >= 0.5 else "DOWN"
        if self.label != expected:
            raise ValueError(f"direction {self.label} with probability_up {self.probability_up}")
        if not math.isclose(self.confidence, max(self.probability_up, 1 - self.probability_up)):
            raise ValueError(f"direction confidence {self.confidence} != max(p, 1-p)")
        return self


class SafeRange(SnapshotModel):
    """Range the expiry close should stay inside with frequency ``confidence``.

    ``k`` is fitted walk-forward for this range's horizon (``sessions_to_expiry``) on the past
    windows with as many sessions to expiry (``fit_scope: "horizon"``), or on all past windows
    when that horizon has too few (``"pooled"``); ``provenance`` gives ``n``, ``window`` and
    ``method`` of the fit actually used.
    """

    lower: float = Field(gt=0.0, description="Index points.")
    upper: float = Field(gt=0.0, description="Index points.")
    confidence: float = Field(gt=0.0, lt=1.0, description="Target coverage, e.g. 0.8.")
    k: float = Field(gt=0.0, description="Multiplier of the expected move, fitted walk-forward.")
    expected_move: float = Field(
        ge=0.0, description="S * VIX/100 * sqrt(tau), tau = expiry.trading_time_years (points); "
        "in documents without tau, S * VIX/100 * sqrt(days/365).")
    sessions_to_expiry: int | None = Field(
        default=None, ge=1,
        description="Horizon h the range and its k are for (= expiry.sessions).")
    horizon_sessions: float | None = Field(
        default=None, gt=0.0, description="The fractional horizon k was fitted or interpolated "
        "for (= expiry.horizon_sessions).")
    k_session: float | None = Field(
        default=None, gt=0.0,
        description="k in session time: the range is S -+ k_session * S*VIX/100*sqrt(h/252).")
    fit_scope: Literal["horizon", "pooled"] | None = Field(
        default=None, description="k fitted on this horizon's past windows, or on all (pooled).")
    provenance: Provenance

    @model_validator(mode="after")
    def _consistent(self) -> SafeRange:
        if not self.lower < self.upper:
            raise ValueError(f"safe range lower {self.lower} must be below upper {self.upper}")
        if not math.isclose(self.upper - self.lower, 2 * self.k * self.expected_move, rel_tol=1e-6):
            raise ValueError("safe range width must be 2 * k * expected_move")
        return self


class Trap(SnapshotModel):
    """Volatility trap: P(variance realised to expiry > the variance paid for)."""

    score: Probability
    label: TrapLabel = Field(description="LOW < label_cuts[0] <= MEDIUM < label_cuts[1] <= HIGH.")
    label_cuts: tuple[Probability, Probability] | None = Field(
        default=None, description="Class thresholds chosen from history (terciles of the "
        "model's walk-forward probabilities); null when the score is climatology (MEDIUM).")
    provenance: Provenance
    calibration: Calibration

    @model_validator(mode="after")
    def _label(self) -> Trap:
        if self.label != trap_label(self.score, self.label_cuts):
            raise ValueError(f"trap label {self.label} does not match score {self.score}")
        return self


class ExpiryStress(SnapshotModel):
    """Expiry stress: probability that |ln(S_exp/S)| exceeds sigma * sqrt(D/365)."""

    score: Probability
    label: StressLabel = Field(
        description="CALM < label_cuts[0] <= CAUTION < label_cuts[1] <= STRESS.")
    label_cuts: tuple[Probability, Probability] | None = Field(
        default=None, description="Class thresholds chosen from history (terciles of the "
        "model's walk-forward probabilities); null when the score is climatology (CAUTION).")
    provenance: Provenance
    calibration: Calibration

    @model_validator(mode="after")
    def _label(self) -> ExpiryStress:
        if self.label != stress_label(self.score, self.label_cuts):
            raise ValueError(f"expiry stress label {self.label} does not match score {self.score}")
        return self


class BreachCalibration(SnapshotModel):
    """Calibration of both breach probabilities."""

    touch: Calibration
    close_beyond: Calibration


class Breach(SnapshotModel):
    """Probabilities that one strike is touched before expiry and closed beyond at expiry."""

    strike: float = Field(gt=0.0, description="Index points.")
    side: Literal["above", "below"] = Field(description="Strike above or below spot.")
    touch: Probability
    close_beyond: Probability = Field(description="Never above touch: a close beyond the strike "
                                      "has touched it.")
    distance_pct: float = Field(description="(strike / spot - 1) * 100, percent.")
    provenance: Provenance
    calibration: BreachCalibration

    @model_validator(mode="after")
    def _consistent(self) -> Breach:
        if self.close_beyond > self.touch + 1e-9:
            raise ValueError(f"strike {self.strike}: close_beyond exceeds touch")
        if (self.side == "above") != (self.distance_pct >= 0):
            raise ValueError(f"strike {self.strike}: side {self.side} vs {self.distance_pct}%")
        return self


class BuyerSignal(SnapshotModel):
    """BREAKOUT when the next-session spike probability reaches the walk-forward threshold."""

    signal: Literal["BREAKOUT", "WAIT"]
    spike_probability: Probability
    threshold: Probability
    provenance: Provenance
    calibration: Calibration

    @model_validator(mode="after")
    def _consistent(self) -> BuyerSignal:
        expected = "BREAKOUT" if self.spike_probability >= self.threshold else "WAIT"
        if self.signal != expected:
            raise ValueError(f"buyer signal {self.signal} with p {self.spike_probability} "
                             f"and threshold {self.threshold}")
        return self


class _Rate(SnapshotModel):
    value: Probability
    n: int = Field(ge=1)
    ci95: tuple[Probability, Probability] = Field(description="Wilson 95% interval.")
    window: DateWindow
    as_of: dt.date
    provenance: EmpiricalProvenance = Field(description="Always empirical; never a constant.")

    @model_validator(mode="after")
    def _consistent(self) -> _Rate:
        if not self.ci95[0] <= self.value <= self.ci95[1]:
            raise ValueError(f"ci95 {self.ci95} does not bracket value {self.value}")
        if self.provenance.n != self.n or self.provenance.window != self.window:
            raise ValueError("rate provenance must repeat its n and window")
        if self.window.to > self.as_of:
            raise ValueError(f"rate window ends {self.window.to}, after as_of {self.as_of}")
        return self


class HorizonHitRate(_Rate):
    """The hit rate over the past ranges of one horizon (today's) only."""

    sessions_to_expiry: int = Field(ge=1, description="The horizon h (sessions to expiry).")
    ci95_block_bootstrap: tuple[Probability, Probability] | None = Field(
        default=None, description="95% bootstrap interval resampling whole expiry weeks.")
    interval_note: str | None = None


class HitRate(_Rate):
    """Fraction of past sessions' published safe ranges whose expiry close stayed inside.

    Every past session counts, with the range it published (data known then); ranges of one
    expiry week overlap, so ``ci95`` (Wilson) is too narrow and ``ci95_block_bootstrap``
    (expiry weeks resampled) stands beside it, with ``interval_note`` saying which is wider.
    ``horizon`` is the same rate for today's horizon only.
    """

    confidence: float = Field(gt=0.0, lt=1.0)
    ci95_block_bootstrap: tuple[Probability, Probability] | None = Field(
        default=None, description="95% bootstrap interval resampling whole expiry weeks.")
    interval_note: str | None = Field(
        default=None, description="Overlapping windows: how far Wilson's interval can be read.")
    horizon: HorizonHitRate | None = None
    horizon_reason: str | None = Field(
        default=None, description="Why horizon is null (required then, in a document that "
                                  "gives ci95_block_bootstrap).")

    @model_validator(mode="after")
    def _horizon_or_reason(self) -> HitRate:
        if self.ci95_block_bootstrap is not None and self.horizon is None \
                and not self.horizon_reason:
            raise ValueError("historical_hit_rate.horizon is null: horizon_reason must say why")
        if self.horizon is not None and self.horizon.as_of != self.as_of:
            raise ValueError("historical_hit_rate.horizon must share as_of with the rate")
        return self


class SpikeRate(_Rate):
    """Fraction of past BREAKOUT signals followed by a spike, beside the unconditional rate."""

    base_rate: Probability


__all__ = [
    "Breach",
    "BreachCalibration",
    "BuyerSignal",
    "Direction",
    "Expiry",
    "ExpiryStress",
    "HitRate",
    "HorizonHitRate",
    "SafeRange",
    "SpikeRate",
    "Trap",
]

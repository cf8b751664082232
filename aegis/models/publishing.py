"""What is published: the champion shrunk toward climatology, or climatology when it is losing.

Two rules on top of the gate (DESIGN.md, "Live demotion and evidence weight"), one code path for
the nightly retrain and the backtest's day-by-day replay:

- **Evidence weight.** The published probability is ``w * p_model + (1 - w) * p_climatology``.
  For that blend the Brier-optimal ``w`` on a set of forecasts is
  ``w* = sum((p_m - p_c)(y - p_c)) / sum((p_m - p_c)^2)`` (1 for a model whose departures from
  climatology are right on average, 0 for one whose departures carry nothing). Each walk-forward
  fold gives its own ``w*`` out of sample; the weight the record earns is their mean minus
  ``publishing.weight_sd`` standard deviations (strong *and* stable), clipped to
  ``[0, weight_max]``. The live record can take weight away: over the last
  ``live_window_sessions`` settled sessions the weight is capped at that stretch's ``w*`` plus
  ``live_weight_z`` standard errors (so only evidence lowers it).
- **Live demotion.** Every night the champion's settled forecasts are tested against
  climatology with a sequential test: Page's CUSUM of the per-session Brier excess over
  climatology, in units of its spread (``gate.block_sessions``-session block means -- labels
  overlap -- over the last ``live_window_sessions``), with allowance ``cusum_k``. Passing
  ``cusum_h`` demotes the champion to climatology, with the reason and the losing stretch the
  CUSUM found. For a model as good as climatology that is a false alarm about once in 300
  sessions; for one with a few percent of skill, once in several years; a loss of a quarter
  of climatology's Brier is caught in about 60 sessions. A demoted model is
  published again only when the gate passes on data that includes the losing stretch *and* the
  trailing window no longer loses.

Pure (numpy, pandas, pydantic): the caller hands in the record, the gate's verdict and the
previous night's state.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:  # the parameters' models are built by those who pass them (not inference)
    from aegis.params import PublishingParams


@dataclass(frozen=True)
class SessionRecord:
    """Settled out-of-sample forecasts, one entry per session (sorted by session).

    Several rows of one session (breach: strikes and events) are averaged. ``settled``: the
    latest label end of the session's rows; ``loss_model``, ``loss_climatology``: mean squared
    errors; ``cross = mean((p_m - p_c)(y - p_c))`` and ``spread = mean((p_m - p_c)^2)``, the
    sufficient statistics of the blend weight.
    """

    session: NDArray[np.datetime64]
    settled: NDArray[np.datetime64]
    loss_model: NDArray[np.float64]
    loss_climatology: NDArray[np.float64]
    cross: NDArray[np.float64]
    spread: NDArray[np.float64]

    def __len__(self) -> int:
        return int(self.session.size)

    def settled_before(self, day: np.datetime64) -> int:
        """How many leading sessions settled strictly before ``day`` (the record is cut there:
        a session whose outcome is still open ends the usable stretch)."""
        running = np.maximum.accumulate(self.settled) if len(self) else self.settled
        return int(np.searchsorted(running, day, side="left"))


def session_record(pred: pd.DataFrame) -> SessionRecord:
    """The :class:`SessionRecord` of walk-forward predictions ``pred``.

    ``pred`` needs ``session, label_end, y, p_model, p_climatology`` (the walk-forward frame of
    :func:`aegis.models.walkforward.predictions_over_blocks`).
    """
    y = pred["y"].to_numpy(float)
    pm, pc = pred["p_model"].to_numpy(float), pred["p_climatology"].to_numpy(float)
    delta = pm - pc
    frame = pd.DataFrame({
        "session": pd.DatetimeIndex(pred["session"]),
        "settled": pd.DatetimeIndex(pred["label_end"]),
        "loss_model": (pm - y) ** 2, "loss_climatology": (pc - y) ** 2,
        "cross": delta * (y - pc), "spread": delta ** 2,
    })
    g = frame.groupby("session", sort=True)
    means = g[["loss_model", "loss_climatology", "cross", "spread"]].mean()
    return SessionRecord(
        session=means.index.to_numpy("datetime64[ns]"),
        settled=g["settled"].max().to_numpy("datetime64[ns]"),
        loss_model=means["loss_model"].to_numpy(), loss_climatology=means[
            "loss_climatology"].to_numpy(),
        cross=means["cross"].to_numpy(), spread=means["spread"].to_numpy())


def blend_weight(cross: NDArray[np.float64], spread: NDArray[np.float64]) -> float:
    """Brier-optimal weight of the model in the blend with climatology (unclipped)."""
    total = float(np.sum(spread))
    return float(np.sum(cross)) / total if total > 0 else 0.0


class Evidence(BaseModel):
    """The weight the walk-forward record earns, and from what."""

    model_config = ConfigDict(frozen=True)

    weight: float = Field(ge=0.0, le=1.0)
    fold_weights: list[float]
    mean: float
    sd: float | None
    reason: str


def evidence_weight(pred: pd.DataFrame, params: PublishingParams) -> Evidence:
    """The weight earned by the walk-forward folds of ``pred`` (column ``fold``).

    One fold alone says nothing about stability: its weight is halved.
    """
    weights = []
    for _, part in pred.groupby("fold", sort=True):
        rec = session_record(part)
        weights.append(blend_weight(rec.cross, rec.spread))
    if not weights:
        return Evidence(weight=0.0, fold_weights=[], mean=0.0, sd=None,
                        reason="no walk-forward fold: weight 0")
    mean = float(np.mean(weights))
    if len(weights) == 1:
        w = float(np.clip(mean / 2, 0.0, params.weight_max))
        return Evidence(weight=w, fold_weights=weights, mean=mean, sd=None,
                        reason=f"one walk-forward fold (blend weight {mean:.2f}): halved to "
                               f"{w:.2f}, its stability is unknown")
    sd = float(np.std(weights, ddof=1))
    w = float(np.clip(mean - params.weight_sd * sd, 0.0, params.weight_max))
    shown = ", ".join(f"{x:.2f}" for x in weights)
    return Evidence(weight=w, fold_weights=weights, mean=mean, sd=sd,
                    reason=f"walk-forward blend weights per fold [{shown}]: mean {mean:.2f} - "
                           f"{params.weight_sd:g} sd {sd:.2f} -> {w:.2f}")


class LiveCheck(BaseModel):
    """The trailing window's test against climatology and the weight cap it sets."""

    model_config = ConfigDict(frozen=True)

    n: int
    first: str
    last: str
    brier: float
    brier_climatology: float
    z: float
    cusum: float
    losing: bool
    clear: bool
    weight_cap: float = Field(ge=0.0, le=1.0)
    cap_n: int

    def losing_reason(self, name: str, day: str) -> str:
        return (f"{name} demoted on {day}: Brier {self.brier:.3f} vs climatology "
                f"{self.brier_climatology:.3f} over the last {self.n} settled sessions "
                f"({self.first}..{self.last}, z={self.z:.2f}, CUSUM {self.cusum:.1f})")


def _block_means(x: NDArray[np.float64], block: int) -> NDArray[np.float64]:
    """Means of consecutive blocks of ``block`` values, the newest block complete."""
    k = x.size // block
    if k == 0:
        return np.asarray([x.mean()]) if x.size else x
    return x[x.size - k * block:].reshape(k, block).mean(axis=1)


def _weight_cap(rec: SessionRecord, stop: int, params: PublishingParams, block: int
                ) -> tuple[float, int]:
    start = max(0, stop - params.window_sessions)
    if stop - start < params.min_sessions:
        return 1.0, stop - start
    a, b = rec.cross[start:stop], rec.spread[start:stop]
    w = blend_weight(a, b)
    am, bm = _block_means(a, block), _block_means(b, block)
    total = float(np.sum(bm))
    if am.size < 2 or total <= 0:
        return float(np.clip(w, 0.0, 1.0)), stop - start
    se = float(np.sqrt(np.sum((am - w * bm) ** 2) * am.size / (am.size - 1))) / total
    return float(np.clip(w + params.live_weight_z * se, 0.0, 1.0)), stop - start


def _losing_stretch(d: NDArray[np.float64], sigma: float, k: float) -> tuple[float, int]:
    """Page's CUSUM of ``d / sigma - k`` ending at the last value: (statistic, stretch length).

    The statistic is ``max_s sum_{s..t} (d_i / sigma - k)`` (at least 0), the strongest case
    that the model has been losing since some session ``s``; the stretch is ``t - s + 1``.
    """
    if d.size == 0 or sigma <= 0:
        return 0.0, 0
    steps = d / sigma - k
    tail = np.cumsum(steps[::-1])  # sum from each s to the end, s running backwards
    best = int(np.argmax(tail))
    return max(0.0, float(tail[best])), best + 1 if tail[best] > 0 else 0


def live_check(rec: SessionRecord, before: np.datetime64, params: PublishingParams,
               block: int) -> LiveCheck | None:
    """The sequential test of the sessions settled strictly before ``before``; None when fewer
    than ``min_sessions`` settled.

    The per-session Brier excess ``d`` over climatology is scaled by its spread (block means
    of ``block`` sessions over the last ``live_window_sessions``, so overlapping labels do not
    shrink it); the CUSUM over that span names the losing stretch, and the model is losing
    when it passes ``cusum_h``. ``clear``: the last ``window_sessions`` do not lose on average.
    """
    stop = rec.settled_before(before)
    start = max(0, stop - params.window_sessions)
    if stop - start < params.min_sessions:
        return None
    long = max(0, stop - max(params.live_window_sessions, params.window_sessions))
    d_long = rec.loss_model[long:stop] - rec.loss_climatology[long:stop]
    means = _block_means(d_long, block)
    sigma = float(np.std(means, ddof=1)) * np.sqrt(block) if means.size >= 2 else 0.0
    statistic, length = _losing_stretch(d_long, sigma, params.cusum_k)
    first = stop - max(length, params.window_sessions if length == 0 else length)
    first = max(first, long)
    lm, lc = rec.loss_model[first:stop], rec.loss_climatology[first:stop]
    d = lm - lc
    z = float(d.mean()) / (sigma / np.sqrt(d.size)) if sigma > 0 else 0.0
    recent = rec.loss_model[start:stop] - rec.loss_climatology[start:stop]
    cap, cap_n = _weight_cap(rec, stop, params, block)
    return LiveCheck(
        n=stop - first, first=str(rec.session[first])[:10], last=str(rec.session[stop - 1])[:10],
        brier=float(lm.mean()), brier_climatology=float(lc.mean()), z=z, cusum=statistic,
        losing=statistic > params.cusum_h, clear=float(recent.mean()) <= 0.0,
        weight_cap=cap, cap_n=cap_n)


class PublishingState(BaseModel):
    """What a model publishes from a day on, and why (carried night to night)."""

    model_config = ConfigDict(frozen=True)

    name: str
    as_of: str
    published: Literal["model", "climatology"]
    weight: float = Field(ge=0.0, le=1.0, description=(
        "Evidence weight of the model in the published blend (0 when climatology)."))
    weight_walk_forward: float = Field(ge=0.0, le=1.0)
    weight_live_cap: float = Field(ge=0.0, le=1.0)
    reason: str
    demoted_on: str | None = None
    demotion_reason: str | None = None
    live: LiveCheck | None = None


def decide(
    name: str,
    day: dt.date | str,
    *,
    gate_passes: bool,
    gate_reason: str,
    gate_data_end: dt.date | str,
    evidence: Evidence,
    check: LiveCheck | None,
    previous: PublishingState | None,
) -> PublishingState:
    """Tonight's publishing state of ``name`` from the gate, the evidence and the live check.

    ``gate_passes``: the gate against the references (climatology, baseline) on the folds
    ending at ``gate_data_end``. A model demoted before stays demoted until the gate passes on
    data reaching its demotion day and the trailing window no longer loses.
    """
    today = str(day)[:10]
    demoted_on = previous.demoted_on if previous is not None else None
    demotion = previous.demotion_reason if previous is not None else None
    cap = 1.0 if check is None else check.weight_cap
    weight = min(evidence.weight, cap)

    def state(published: Literal["model", "climatology"], reason: str, *, weight: float = 0.0,
              demoted_on: str | None = None, demotion_reason: str | None = None
              ) -> PublishingState:
        return PublishingState(name=name, as_of=today, published=published, weight=weight,
                               weight_walk_forward=evidence.weight, weight_live_cap=cap,
                               reason=reason, demoted_on=demoted_on,
                               demotion_reason=demotion_reason, live=check)

    if demoted_on is not None:
        includes = str(gate_data_end)[:10] >= demoted_on
        cleared = check is None or check.clear
        if gate_passes and includes and cleared:
            demoted_on = demotion = None  # re-promoted: fall through to the usual rules
        else:
            still = ("the gate has not yet run on data including the losing stretch"
                     if not includes else "the gate refuses it" if not gate_passes
                     else "the trailing window still loses to climatology")
            return state("climatology", f"{demotion}; still demoted: {still}",
                         demoted_on=demoted_on, demotion_reason=demotion)
    if not gate_passes:
        return state("climatology", f"the gate refuses {name}: {gate_reason}")
    if check is not None and check.losing:
        why = check.losing_reason(name, today)
        return state("climatology", why, demoted_on=today, demotion_reason=why)
    if weight <= 0.0:
        return state("climatology",
                     f"evidence weight 0 ({evidence.reason}; live cap {cap:.2f})")
    live = "" if check is None else (f"; live cap {cap:.2f} over the last {check.cap_n} "
                                     "settled sessions")
    return state("model", f"published with evidence weight {weight:.2f} "
                          f"({evidence.reason}{live})", weight=weight)


def publish(p_model: NDArray[np.float64] | float, p_climatology: NDArray[np.float64] | float,
            weight: NDArray[np.float64] | float) -> NDArray[np.float64]:
    """The published probability ``w * p_model + (1 - w) * p_climatology``, in [0, 1]
    (``weight`` a scalar or one per forecast)."""
    pm, pc = np.asarray(p_model, dtype=float), np.asarray(p_climatology, dtype=float)
    w = np.asarray(weight, dtype=float)
    return np.asarray(np.clip(pc + w * (pm - pc), 0.0, 1.0), dtype=np.float64)


__all__ = ["Evidence", "LiveCheck", "PublishingState", "SessionRecord", "blend_weight",
           "decide", "evidence_weight", "live_check", "publish", "session_record"]

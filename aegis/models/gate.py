"""Champion/challenger gate: a model is published only when it beats climatology and its baseline.

The challenger's out-of-sample predictions over several walk-forward folds (yearly blocks, each
predicted by a model fitted on what settled before it) are compared with the better of its two
references on the same rows: the heuristic baseline and climatology (the event frequency of
everything settled before the fold). The test is a paired moving-block bootstrap of the
per-session Brier differences (blocks of ``gate.block_sessions`` sessions, since week-long
labels overlap; ``aegis/params.yaml``): promotion needs a one-sided p-value below
``gate.alpha`` *and* an improvement in
at least half of the folds, so one lucky year cannot decide, *and* (``gate.recent_year``) the
most recent fold must not have lost to climatology: a model that stopped working last year is
refused however good the earlier years were. A defending champion must also be
beaten (point estimate) on the fold rows it never trained on; with too few such rows its
recorded Brier stands in, and the reason says so.

Pure: the champion is handed in (:class:`Defender`); loading it is the caller's job.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:  # the parameters' models are built by those who judge (not inference)
    from aegis.params import GateParams

MIN_SHARED_ROWS = 20
BLOCK_SESSIONS = 10
BOOTSTRAP_REPLICATES = 2000
TEST_NAME = "paired moving-block bootstrap of per-session Brier differences"


class Defender(Protocol):
    """What the gate needs of the current champion."""

    @property
    def version(self) -> str: ...

    @property
    def seen_until(self) -> np.datetime64:
        """Last session of the champion's training data."""

    @property
    def recorded_brier(self) -> float:
        """The champion's own walk-forward Brier (its manifest)."""

    def predict_proba(self, X: NDArray[np.float64]) -> NDArray[np.float64]: ...


class FoldResult(BaseModel):
    """One walk-forward fold: the challenger against its reference."""

    model_config = ConfigDict(frozen=True)

    start: str
    end: str
    n: int
    brier: float
    brier_reference: float
    skill: float


class GateVerdict(BaseModel):
    """Whether a challenger replaces the champion, and the evidence, without the per-fold table
    (what the manifest's ``metrics.gate`` holds: the manifest carries the fold scores itself)."""

    model_config = ConfigDict(frozen=True)

    name: str
    promote: bool
    reason: str
    test: str = TEST_NAME
    reference: Literal["climatology", "baseline"]
    p_value: float
    mean_difference: float
    ci95: tuple[float, float]
    challenger_brier: float
    baseline_brier: float
    climatology_brier: float
    climatology_ece: float
    bss_climatology: float
    n: int
    champion_brier: float | None = None
    champion_version: str | None = None
    beats_references: bool | None = Field(default=None, description=(
        "Whether the challenger passed the test against its references alone (before any "
        "champion defended); the nightly publishing decision reads it. None: written before "
        "the field existed."))
    recent_fold_skill: float | None = Field(default=None, description=(
        "Skill against climatology in the most recent fold, 1 - B/B_clim."))


class GateDecision(GateVerdict):
    """Whether a challenger replaces the champion, the evidence and each fold's result."""

    folds: list[FoldResult]

    def verdict(self) -> GateVerdict:
        """The decision without its per-fold table."""
        return GateVerdict.model_validate(self.model_dump(exclude={"folds"}))


@dataclass(frozen=True)
class BootstrapTest:
    """Result of :func:`block_bootstrap_test`."""

    mean: float
    p_value: float
    ci95: tuple[float, float]


def block_bootstrap_test(
    d: NDArray[np.float64], *, block: int = BLOCK_SESSIONS,
    replicates: int = BOOTSTRAP_REPLICATES, seed: int = 0,
) -> BootstrapTest:
    """One-sided test of ``mean(d) < 0`` for a time series of loss differences ``d``.

    Moving blocks of ``block`` consecutive values are drawn with replacement until the series
    length is reached; the p-value is the share of centred replicate means at or below the
    observed mean (H0: mean 0), and ``ci95`` the 2.5/97.5 % percentiles of the replicate means.
    """
    d = np.asarray(d, dtype=np.float64)
    n = d.size
    if n == 0:
        return BootstrapTest(mean=0.0, p_value=1.0, ci95=(0.0, 0.0))
    block = max(1, min(block, n))
    rng = np.random.default_rng(seed)
    per = -(-n // block)
    starts = rng.integers(0, n - block + 1, size=(replicates, per))
    idx = (starts[:, :, None] + np.arange(block)[None, None, :]).reshape(replicates, -1)[:, :n]
    means = d[idx].mean(axis=1)
    observed = float(d.mean())
    centred = means - observed
    p = float((np.sum(centred <= observed) + 1) / (replicates + 1))
    lo, hi = np.percentile(means, [2.5, 97.5])
    return BootstrapTest(mean=observed, p_value=p, ci95=(float(lo), float(hi)))


def _per_session(pred: pd.DataFrame, column: str) -> pd.Series:
    loss = (pred[column].to_numpy(float) - pred["y"].to_numpy(float)) ** 2
    return pd.Series(loss, index=pd.DatetimeIndex(pred["session"])).groupby(level=0).mean()


def _brier(pred: pd.DataFrame, column: str) -> float:
    return float(np.mean((pred[column].to_numpy(float) - pred["y"].to_numpy(float)) ** 2))


def _ece(pred: pd.DataFrame, column: str) -> float:
    from aegis.analytics import expected_calibration_error

    return float(expected_calibration_error(np.clip(pred[column].to_numpy(float), 0, 1),
                                            pred["y"].to_numpy(float)))


def judge(name: str, pred: pd.DataFrame, *, params: GateParams | None = None, seed: int = 0
          ) -> GateDecision:
    """The gate against the references alone (no champion): the backtest's and the first step.

    ``pred`` holds the walk-forward fold predictions (``session, fold, y, p_model, p_baseline,
    p_climatology``; several rows per session for breach). ``params``: the gate's section of
    ``aegis/params.yaml`` (default: the packaged file).
    """
    from aegis.params import default_params

    gp = params or default_params().gate
    model_b, base_b, clim_b = (_brier(pred, c) for c in ("p_model", "p_baseline",
                                                          "p_climatology"))
    reference: Literal["climatology", "baseline"] = (
        "climatology" if clim_b <= base_b else "baseline")
    ref_col = f"p_{reference}"
    d = (_per_session(pred, "p_model") - _per_session(pred, ref_col)).to_numpy()
    test = block_bootstrap_test(d, block=gp.block_sessions,
                                replicates=gp.bootstrap_replicates, seed=seed)
    folds = []
    for start, part in pred.groupby("fold", sort=True):
        b, r = _brier(part, "p_model"), _brier(part, ref_col)
        folds.append(FoldResult(start=str(pd.Timestamp(start).date()),
                                end=str(pd.Timestamp(part["session"].max()).date()),
                                n=len(part), brier=b, brier_reference=r,
                                skill=1.0 - b / r if r > 0 else 0.0))
    better_folds = sum(f.brier < f.brier_reference for f in folds)
    significant = test.p_value < gp.alpha and test.mean < 0
    broad = 2 * better_folds >= len(folds)
    last = pred[pred["fold"] == pred["fold"].max()]
    last_model, last_clim = _brier(last, "p_model"), _brier(last, "p_climatology")
    recent_skill = 1.0 - last_model / last_clim if last_clim > 0 else 0.0
    recent_ok = not gp.recent_year or last_model < last_clim
    promote = significant and broad and recent_ok
    skill = 1.0 - model_b / min(clim_b, base_b) if min(clim_b, base_b) > 0 else 0.0
    evidence = (f"Brier {model_b:.5f} vs {reference} {min(clim_b, base_b):.5f} "
                f"(skill {skill:+.2%}; climatology {clim_b:.5f}, baseline {base_b:.5f}), "
                f"{TEST_NAME}: p={test.p_value:.3f}, better in {better_folds} of "
                f"{len(folds)} folds [{folds[0].start}..{folds[-1].end}, n={len(pred)}]")
    if promote:
        reason = f"beats {reference}: {evidence}"
    elif not significant:
        reason = f"no model beat climatology and the baseline significantly: {evidence}"
    elif not broad:
        reason = f"not better in at least half of the folds: {evidence}"
    else:
        reason = (f"lost to climatology in the most recent fold [{folds[-1].start}.."
                  f"{folds[-1].end}]: Brier {last_model:.5f} vs {last_clim:.5f} (skill "
                  f"{recent_skill:+.2%}); {evidence}")
    return GateDecision(
        name=name, promote=promote, reason=reason, reference=reference,
        p_value=test.p_value, mean_difference=test.mean, ci95=test.ci95, folds=folds,
        challenger_brier=model_b, baseline_brier=base_b, climatology_brier=clim_b,
        climatology_ece=_ece(pred, "p_climatology"),
        bss_climatology=1.0 - model_b / clim_b if clim_b > 0 else 0.0, n=len(pred),
        beats_references=promote, recent_fold_skill=recent_skill,
    )


def gate(
    name: str,
    pred: pd.DataFrame,
    X: NDArray[np.float64],
    champion: Defender | None,
    *,
    champion_note: str = "no champion yet",
    params: GateParams | None = None,
    seed: int = 0,
) -> GateDecision:
    """Decide on a challenger from its fold predictions ``pred`` (rows of inputs ``X``).

    Step 1, :func:`judge` against climatology and the baseline. Step 2, when a ``champion``
    defends: the challenger must have a lower Brier on the fold rows after the champion's
    training span (scored with the champion as inference loads it), or, with fewer than
    :data:`MIN_SHARED_ROWS` of them, lower than the champion's recorded Brier.
    """
    decision = judge(name, pred, params=params, seed=seed)
    if champion is None:
        verdict = "promoted" if decision.promote else "not promoted"
        return decision.model_copy(update={
            "reason": f"{verdict}: {decision.reason}; {champion_note}"})
    unseen = pd.DatetimeIndex(pred["session"]).to_numpy() > champion.seen_until
    y = pred["y"].to_numpy(float)
    if unseen.sum() >= MIN_SHARED_ROWS:
        p_champion = np.clip(champion.predict_proba(X[unseen]), 0.0, 1.0)
        champion_brier = float(np.mean((p_champion - y[unseen]) ** 2))
        challenger = float(np.mean((pred["p_model"].to_numpy(float)[unseen] - y[unseen]) ** 2))
        note = (f"champion {champion.version} Brier {champion_brier:.5f} vs challenger "
                f"{challenger:.5f} on the {int(unseen.sum())} fold rows after "
                f"{str(champion.seen_until)[:10]}")
    else:
        champion_brier = float(champion.recorded_brier)
        challenger = decision.challenger_brier
        note = (f"champion {champion.version} recorded Brier {champion_brier:.5f} (fewer than "
                f"{MIN_SHARED_ROWS} fold rows unseen by it)")
    beats_champion = challenger < champion_brier
    promote = decision.promote and beats_champion
    verdict = "promoted" if promote else "kept champion"
    why = "" if beats_champion else "; does not beat the champion"
    return decision.model_copy(update={
        "promote": promote, "reason": f"{verdict}: {decision.reason}; {note}{why}",
        "champion_brier": champion_brier, "champion_version": champion.version})


__all__ = ["Defender", "FoldResult", "GateDecision", "GateVerdict", "block_bootstrap_test",
           "gate", "judge"]

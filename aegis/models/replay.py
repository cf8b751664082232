"""The live publishing rules replayed day by day on walk-forward predictions (the backtest's
``published`` figures and the published BREAKOUT record behind the spike rate).

At every refit block (a walk-forward fold) the gate (:func:`aegis.models.gate.judge`) tests the
out-of-sample predictions of the ``gate.folds`` blocks before it and the evidence weight is
earned on the same blocks, as the nightly retrain does on its latest folds. Every day of the
block the live check reads the forecasts settled before that day, and
:func:`aegis.models.publishing.decide` -- the function the nightly retrain calls -- carries the
demotion state from day to day. What is published that day is
:func:`aegis.models.publishing.publish` of the model and climatology with that day's weight.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from aegis.models.gate import judge
from aegis.models.publishing import (
    PublishingState,
    decide,
    evidence_weight,
    live_check,
    publish,
    session_record,
)
from aegis.params import Params, default_params


def replay_published(name: str, pred: pd.DataFrame, start: pd.Timestamp, *, seed: int = 0,
                     params: Params | None = None
                     ) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """The rows of the folds from ``start`` on with what would have been published.

    ``pred``: walk-forward predictions (:func:`aegis.models.walkforward.predictions_over_blocks`,
    earlier folds included: the gate, the weight and the live check read them). Adds
    ``p_published``, ``promoted`` (the gate passed at the block's refit), ``published_model``
    (the model was published that day), ``weight`` and, for trap and stress, the label cuts
    ``cut_low``, ``cut_high`` of the earlier folds. Returns the rows and one record per block
    (the gate's verdict, the weight, the demotions that happened in it).
    """
    from aegis.models.training import label_cuts

    params = params or default_params()
    gp, pp = params.gate, params.publishing
    record = session_record(pred)
    folds = sorted(pd.DatetimeIndex(pred["fold"].unique()))
    state: PublishingState | None = None
    parts, records = [], []
    for i, fold in enumerate(folds):
        if fold < start:
            continue
        part = pred[pred["fold"] == fold].copy()
        earlier = pred[pred["fold"].isin(folds[max(0, i - gp.folds):i])]
        if len(earlier):
            verdict = judge(name, earlier, params=gp, seed=seed)
            passes, why = bool(verdict.promote), verdict.reason
            evidence = evidence_weight(earlier, pp)
            data_end = str(pd.Timestamp(earlier["session"].max()).date())
        else:
            passes, why, data_end = False, "no earlier fold to test the model on", ""
            evidence = evidence_weight(earlier, pp)
        days = pd.DatetimeIndex(part["session"]).normalize()
        weight = pd.Series(0.0, index=days.unique().sort_values())
        shown = pd.Series(False, index=weight.index)
        demotions = []
        for day in weight.index:
            check = live_check(record, day.to_datetime64(), pp, gp.block_sessions)
            state = decide(name, day.date(), gate_passes=passes, gate_reason=why,
                           gate_data_end=data_end, evidence=evidence, check=check,
                           previous=state)
            if state.demoted_on == str(day.date()):
                demotions.append(state.reason)
            weight[day] = state.weight
            shown[day] = state.published == "model"
        w = weight.reindex(days).to_numpy()
        part["promoted"] = passes
        part["published_model"] = shown.reindex(days).to_numpy()
        part["weight"] = w
        part["p_published"] = publish(part["p_model"].to_numpy(float),
                                      part["p_climatology"].to_numpy(float), w)
        if "cut_low" not in part and name in ("trap", "expiry_stress"):
            cuts = (label_cuts(earlier["p_model"].to_numpy(float)) if len(earlier)
                    else (np.nan, np.nan))
            part["cut_low"], part["cut_high"] = cuts
        parts.append(part)
        records.append({"fold": str(fold.date()), "promote": passes,
                        "reason": why, "evidence_weight": evidence.weight,
                        "mean_weight_published": float(np.mean(w)),
                        "days_published": int(shown.sum()), "days": len(shown),
                        "demotions": demotions})
    return pd.concat(parts, ignore_index=True), records


__all__ = ["replay_published"]

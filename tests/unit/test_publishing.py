"""Live demotion and the evidence weight on synthetic walk-forward records (no training).

The histories are walk-forward frames as :func:`aegis.models.walkforward.predictions_over_blocks`
returns them: yearly folds, climatology = the event frequency of everything settled before the
fold, a next-session label. In the regime change the event gets rarer (0.25 -> 0.15) and the
signal the model learnt stops working on a known date.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from aegis.models.gate import judge
from aegis.models.publishing import (
    Evidence,
    LiveCheck,
    decide,
    evidence_weight,
    live_check,
    publish,
    session_record,
)
from aegis.models.replay import replay_published
from aegis.params import default_params

CHANGE = pd.Timestamp("2016-07-01")
REPLAY_FROM = pd.Timestamp("2014-01-01")
#: The promise: demoted within this many settled sessions of the change.
DEMOTION_WINDOW = default_params().publishing.window_sessions


def history(change: pd.Timestamp | None, *, strength: float = 0.6, years: int = 9,
            seed: int = 1) -> pd.DataFrame:
    """A walk-forward frame whose model knows the true probability until ``change``."""
    rng = np.random.default_rng(seed)
    sessions = pd.bdate_range("2010-01-01", periods=years * 250)
    x = rng.normal(size=len(sessions))
    p_model = 1.0 / (1.0 + np.exp(-(-1.1 + strength * x)))
    truth = p_model.copy()
    if change is not None:
        truth = np.where(sessions >= change, 0.15, truth)  # rarer, and x says nothing
    y = (rng.uniform(size=len(sessions)) < truth).astype(float)
    frame = pd.DataFrame({"session": sessions, "y": y, "p_model": p_model, "p_baseline": 0.3,
                          "label_end": sessions + pd.offsets.BDay(1)})
    frame["fold"] = pd.DatetimeIndex(sessions.year.map(lambda yr: pd.Timestamp(yr, 1, 1)))
    frame["p_climatology"] = [
        float(frame.loc[frame["label_end"] < f, "y"].mean()) if (frame["label_end"] < f).any()
        else 0.25 for f in frame["fold"]]
    return frame


def _brier(part: pd.DataFrame, column: str) -> float:
    return float(np.mean((part[column] - part["y"]) ** 2))


#: The gate's bootstrap with fewer replicates: these tests replay many histories.
PARAMS = default_params().model_copy(update={
    "gate": default_params().gate.model_copy(update={"bootstrap_replicates": 500})})
SEEDS = range(1, 7)


def test_regime_change_demotes_within_the_window_and_publishes_about_climatology() -> None:
    pub, records = replay_published("trap", history(CHANGE), REPLAY_FROM, params=PARAMS)
    demotions = [d for r in records for d in r["demotions"]]
    assert len(demotions) == 1, demotions
    day = pd.Timestamp(demotions[0].split(" demoted on ")[1][:10])
    settled_since = len(pd.bdate_range(CHANGE, day)) - 1
    assert 0 < settled_since <= DEMOTION_WINDOW, demotions[0]
    assert "Brier" in demotions[0]
    assert "vs climatology" in demotions[0]
    after = pub[pub["session"] >= CHANGE]
    # the model itself loses clearly after the change ...
    assert _brier(after, "p_model") > 1.05 * _brier(after, "p_climatology")
    # ... what was published stays within 1 % of walk-forward climatology
    assert _brier(after, "p_published") <= 1.01 * _brier(after, "p_climatology")
    # never published again while the signal stays broken
    assert not pub.loc[pub["session"] > day, "published_model"].any()


@pytest.mark.slow
def test_every_regime_change_is_published_within_one_percent_of_climatology() -> None:
    """Other draws of the same change: the demotion comes later or the gate's refit refuses
    first, and the weight the live record takes away bounds the loss meanwhile."""
    for seed in SEEDS:
        pub, _ = replay_published("trap", history(CHANGE, seed=seed), REPLAY_FROM, params=PARAMS)
        after = pub[pub["session"] >= CHANGE]
        assert _brier(after, "p_published") <= 1.01 * _brier(after, "p_climatology"), seed
        last_year = after[after["session"] >= CHANGE + pd.DateOffset(years=1)]
        assert last_year["weight"].mean() < 0.25, seed  # little of the model is left


@pytest.mark.slow
def test_a_sound_champion_is_not_demoted_on_noise() -> None:
    """The model is the truth; its yearly skill still ranges from about -1 % to +13 %, so the
    gate refuses an unlucky year now and then, but the live test stays quiet."""
    demotions = 0
    for seed in SEEDS:
        pub, records = replay_published("trap", history(None, seed=seed), REPLAY_FROM,
                                        params=PARAMS)
        demotions += sum(len(r["demotions"]) for r in records)
        assert _brier(pub, "p_published") < _brier(pub, "p_climatology"), seed
        shown = pub[pub["published_model"]]
        assert len(shown) > len(pub) / 3, seed
        assert shown["weight"].max() <= 1.0, seed
    assert demotions <= 1  # at most one false alarm in 6 histories of 5 replayed years


def test_the_weight_is_earned_by_strength_and_stability() -> None:
    params = default_params().publishing
    strong = evidence_weight(history(None, strength=0.9)[lambda f: f["fold"].dt.year < 2014],
                             params)
    weak = evidence_weight(history(None, strength=0.3)[lambda f: f["fold"].dt.year < 2014],
                           params)
    noise = history(None, strength=0.6)
    noise = noise.assign(p_model=np.random.default_rng(5).permutation(noise["p_model"]))
    broken = evidence_weight(noise[noise["fold"].dt.year < 2014], params)
    assert strong.weight > weak.weight > broken.weight
    assert broken.weight == 0.0
    assert len(strong.fold_weights) == 4  # 2010..2013
    # unstable: one fold of the same strength carried by a single year is discounted
    mixed = pd.concat([history(None, strength=0.9)[lambda f: f["fold"].dt.year < 2012],
                       noise[(noise["fold"].dt.year >= 2012) & (noise["fold"].dt.year < 2014)]])
    assert evidence_weight(mixed, params).weight < strong.weight


def test_optimal_blend_weight_is_known_for_a_perfect_and_an_empty_model() -> None:
    frame = pd.DataFrame({"session": pd.bdate_range("2020-01-01", periods=4),
                          "label_end": pd.bdate_range("2020-01-02", periods=4),
                          "y": [1.0, 0.0, 1.0, 0.0], "p_model": [1.0, 0.0, 1.0, 0.0],
                          "p_climatology": 0.5})
    rec = session_record(frame)
    assert float(np.sum(rec.cross) / np.sum(rec.spread)) == pytest.approx(1.0)
    assert publish(np.array([0.9, 0.1]), 0.3, 0.5) == pytest.approx([0.6, 0.2])


def _check(*, losing: bool, clear: bool) -> LiveCheck:
    return LiveCheck(n=80, first="2023-02-01", last="2023-06-13", brier=0.171,
                     brier_climatology=0.158, z=3.0 if losing else -1.0,
                     cusum=15.0 if losing else 0.0, losing=losing,
                     clear=clear, weight_cap=0.4, cap_n=250)


EVIDENCE = Evidence(weight=0.7, fold_weights=[0.8, 0.7, 0.9, 0.6], mean=0.75, sd=0.13,
                    reason="test")


def test_demotion_holds_until_the_gate_passes_on_the_losing_stretch_and_it_stops_losing() -> None:
    kw: dict[str, Any] = {"gate_passes": True, "gate_reason": "beats climatology",
                          "evidence": EVIDENCE}
    ok = decide("trap", "2023-06-13", gate_data_end="2023-06-12",
                check=_check(losing=False, clear=True), previous=None, **kw)
    assert ok.published == "model"
    assert ok.weight == pytest.approx(0.4)
    demoted = decide("trap", "2023-06-14", gate_data_end="2022-12-31",
                     check=_check(losing=True, clear=False), previous=ok, **kw)
    assert demoted.published == "climatology"
    assert demoted.weight == 0.0
    assert demoted.reason == ("trap demoted on 2023-06-14: Brier 0.171 vs climatology 0.158 "
                              "over the last 80 settled sessions (2023-02-01..2023-06-13, "
                              "z=3.00, CUSUM 15.0)")
    # the gate's data predates the demotion: no re-promotion, whatever the window says
    stale = decide("trap", "2023-07-01", gate_data_end="2022-12-31",
                   check=_check(losing=False, clear=True), previous=demoted, **kw)
    assert stale.published == "climatology"
    assert "not yet run on data" in stale.reason
    still = decide("trap", "2023-07-02", gate_data_end="2023-07-01",
                   check=_check(losing=False, clear=False), previous=stale, **kw)
    assert still.published == "climatology"
    assert "still loses" in still.reason
    back = decide("trap", "2023-09-01", gate_data_end="2023-08-31",
                  check=_check(losing=False, clear=True), previous=still, **kw)
    assert back.published == "model"
    assert back.demoted_on is None


def test_live_check_needs_enough_settled_sessions() -> None:
    frame = history(None).iloc[:30]
    rec = session_record(frame)
    params = default_params().publishing
    assert live_check(rec, np.datetime64("2011-01-01"), params, 10) is None


def test_the_gate_refuses_a_model_whose_most_recent_year_lost() -> None:
    frame = history(pd.Timestamp("2016-01-01"), strength=1.2)
    # folds 2013..2016: three strong years, then the year of the change
    folds = frame[(frame["fold"].dt.year >= 2013) & (frame["fold"].dt.year <= 2016)]
    decision = judge("trap", folds)
    assert decision.p_value < 0.05  # significant over the four folds ...
    assert not decision.promote  # ... but the latest year lost
    assert decision.reason.startswith("lost to climatology in the most recent fold")
    assert decision.recent_fold_skill is not None
    assert decision.recent_fold_skill < 0

"""The gate's statistics on synthetic walk-forward predictions (no training: fast)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from aegis.models.gate import block_bootstrap_test, judge


def _predictions(skill: float, *, years: int = 4, seed: int = 0,
                 lucky_fold: int | None = None) -> pd.DataFrame:
    """Daily events with true probability q; the model sees q with weight ``skill``."""
    rng = np.random.default_rng(seed)
    sessions = pd.bdate_range("2015-01-01", periods=250 * years)
    q = np.clip(0.25 + 0.15 * np.sin(np.arange(len(sessions)) / 7.0)
                + rng.normal(0, 0.05, len(sessions)), 0.02, 0.98)
    y = (rng.uniform(size=len(sessions)) < q).astype(float)
    fold = pd.DatetimeIndex([pd.Timestamp(year=d.year, month=1, day=1) for d in sessions])
    clim = np.full(len(sessions), 0.25)
    p = clim + skill * (q - clim)
    if lucky_fold is not None:  # a model that knows the outcomes in one fold only
        in_fold = fold == fold.unique()[lucky_fold]
        p = np.where(in_fold, 0.5 * p + 0.5 * y, clim + rng.normal(0, 0.08, len(y)).clip(-0.2))
    return pd.DataFrame({"session": sessions, "fold": fold, "y": y, "p_model": np.clip(p, 0, 1),
                         "p_climatology": clim, "p_baseline": np.clip(q * 0 + 0.5, 0, 1)})


def test_a_model_with_real_skill_is_promoted():
    decision = judge("trap", _predictions(skill=1.0))
    assert decision.promote
    assert decision.reference == "climatology"
    assert decision.p_value < 0.05
    assert decision.mean_difference < 0
    assert len(decision.folds) == 4
    assert decision.challenger_brier < decision.climatology_brier
    assert decision.bss_climatology == pytest.approx(
        1 - decision.challenger_brier / decision.climatology_brier)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_pure_noise_is_not_promoted(seed):
    pred = _predictions(skill=0.0, seed=seed)
    rng = np.random.default_rng(seed + 100)
    pred["p_model"] = np.clip(pred["p_climatology"] + rng.normal(0, 0.05, len(pred)), 0, 1)
    decision = judge("trap", pred)
    assert not decision.promote
    assert "no model beat climatology" in decision.reason


def test_one_lucky_fold_does_not_decide():
    decision = judge("trap", _predictions(skill=0.0, lucky_fold=3))
    better = sum(f.brier < f.brier_reference for f in decision.folds)
    assert better == 1
    assert not decision.promote


def test_the_better_reference_is_the_bar():
    """A heuristic baseline worse than a constant does not lower the bar."""
    pred = _predictions(skill=0.0)
    pred["p_model"] = pred["p_climatology"] + 0.02  # beats the awful 0.5 baseline, not climatology
    decision = judge("trap", pred)
    assert decision.baseline_brier > decision.climatology_brier
    assert decision.challenger_brier < decision.baseline_brier
    assert decision.reference == "climatology"
    assert not decision.promote


def test_bootstrap_is_seeded_and_one_sided():
    rng = np.random.default_rng(0)
    worse = block_bootstrap_test(rng.normal(0.01, 0.05, 800))
    better = block_bootstrap_test(rng.normal(-0.01, 0.05, 800))
    assert worse.p_value > 0.5 > better.p_value
    assert better.p_value < 0.05
    assert better.ci95[0] < better.mean < better.ci95[1]
    again = block_bootstrap_test(np.random.default_rng(0).normal(0.01, 0.05, 800))
    assert again == worse

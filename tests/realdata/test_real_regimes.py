"""Metrics respond to the market on real history: calm 2017 against the March 2020 crash.

Models are trained with :func:`aegis.models.training.train_model` on data before 2020-01-01 only,
then score every session of 2017 (calm: India VIX about 12.6 on average) and of March 2020
(VIX about 53). Measured when written (about 20 s of training): trap 0.169 -> 0.257, expiry
stress 0.245 -> 0.334, breach touch at +-3% 0.016 -> 0.42, direction 0.517 -> 0.530 (sd 0.058
over 2017); the realised trap / stress label frequencies were 0.15 / 0.23 in 2017 and
0.62 / 0.52 in March 2020, so higher scores in March 2020 are the sensible direction.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from aegis.market.history import MarketHistory
from aegis.models.inputs import breach_inputs, row_inputs, sequence_inputs
from aegis.models.specs import MODEL_SPECS
from aegis.models.targets import expiry_stress_labels, trap_labels
from aegis.models.training import TrainedModel, train_model

pytestmark = pytest.mark.realdata

CUT = pd.Timestamp("2020-01-01")
CALM, CRASH = ("2017-01-01", "2017-12-31"), ("2020-03-01", "2020-03-31")
FROZEN = (0.95, 0.15)


@pytest.fixture(scope="module")
def models(history: MarketHistory, features: pd.DataFrame) -> dict[str, TrainedModel]:
    nifty, vix = history.nifty, history.vix
    before = (nifty[nifty.index < CUT], vix[vix.index < CUT], features[features.index < CUT])
    trained = {name: train_model(name, *before, seed=0)
               for name in ("trap", "expiry_stress", "breach", "direction")}
    for model in trained.values():
        assert pd.Timestamp(model.span[1]) < CUT  # nothing from 2020 on was seen
    return trained


def scores(models: dict[str, Any], features: pd.DataFrame, span: tuple[str, str]) -> pd.DataFrame:
    """Each model's probability for every session of ``span`` (breach: touch at +-3%)."""
    rows = features.loc[span[0]:span[1]]
    out = pd.DataFrame(index=rows.index)
    for name in ("trap", "expiry_stress"):
        out[name] = models[name].predict_proba(row_inputs(name, rows))
    n = len(rows)
    spot, sigma = rows["close"].to_numpy(), rows["vix"].to_numpy() / 100
    days = rows["days_to_expiry"].to_numpy()
    daily = rows[list(MODEL_SPECS["breach"].features)].to_numpy(float)
    out["breach_touch"] = np.mean([models["breach"].predict_proba(
        breach_inputs(spot, spot * (1 + off), sigma, days, np.zeros(n, bool), daily))
        for off in (-0.03, 0.03)], axis=0)
    windows, ends = sequence_inputs("direction", features)
    inside = ends.isin(rows.index)
    direction = pd.Series(models["direction"].predict_proba(windows[inside]), index=ends[inside])
    out["direction"] = direction.reindex(rows.index).to_numpy()
    return out


@pytest.fixture(scope="module")
def calm(models: dict[str, Any], features: pd.DataFrame) -> pd.DataFrame:
    return scores(models, features, CALM)


@pytest.fixture(scope="module")
def crash(models: dict[str, Any], features: pd.DataFrame) -> pd.DataFrame:
    return scores(models, features, CRASH)


def test_the_regimes_are_what_they_say(
    history: MarketHistory, features: pd.DataFrame, calm: pd.DataFrame, crash: pd.DataFrame
) -> None:
    assert len(calm) > 240
    assert len(crash) >= 20
    vix = features["vix"]
    assert vix.reindex(calm.index).mean() < 15 < 40 < vix.reindex(crash.index).mean()
    trap_y = trap_labels(history.nifty, history.vix, features)["y"]
    stress_y = expiry_stress_labels(history.nifty, history.vix, features)["y"]
    for labels in (trap_y, stress_y):  # the sensible direction, as it happened
        assert labels.reindex(crash.index).mean() > labels.reindex(calm.index).mean() + 0.2


@pytest.mark.parametrize(("metric", "shift"), [
    ("trap", 0.05), ("expiry_stress", 0.05), ("breach_touch", 0.2)])
def test_stress_metrics_rise_in_march_2020(
    calm: pd.DataFrame, crash: pd.DataFrame, metric: str, shift: float
) -> None:
    before, during = calm[metric].mean(), crash[metric].mean()
    assert during - before > shift, f"{metric}: calm 2017 {before:.3f}, March 2020 {during:.3f}"


def test_direction_moves(calm: pd.DataFrame, crash: pd.DataFrame) -> None:
    assert calm["direction"].notna().all()
    assert crash["direction"].notna().all()
    assert calm["direction"].std() > 0.01
    assert abs(crash["direction"].mean() - calm["direction"].mean()) > 0.005


@pytest.mark.parametrize("metric", ["trap", "expiry_stress"])
def test_old_frozen_scores_are_impossible(
    models: dict[str, Any], features: pd.DataFrame, metric: str
) -> None:
    """2020-2022, sessions the models never saw: never constant, never the old constants."""
    after = scores(models, features, ("2020-01-01", "2022-12-30"))[metric]
    assert len(after) > 700
    assert after.std() > 0.02
    assert after.nunique() > 300
    for frozen in FROZEN:
        assert not np.isclose(after, frozen, atol=1e-9, rtol=0).any()

"""Negative controls: where nothing is predictable, the gate promotes nothing.

Two histories with no information to find: labels circularly shifted against their features
(every model, the per-session row structure of breach kept), and shuffled returns with a
constant India VIX (the next-session models). Each model is trained and scored over its
walk-forward folds exactly as the nightly retrain does; the gate must refuse it, so the
snapshot publishes climatology. The trap control also shows the control has teeth: on noise
the model still "beats" its heuristic baseline, so a gate loosened to the baseline alone would
promote it and this test would fail.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from aegis.features.daily import build_daily_features
from aegis.models.datasets import Dataset, build_dataset
from aegis.models.gate import judge
from aegis.models.specs import MODEL_NAMES
from aegis.models.training import train_model
from tests.unit.test_models_support import synthetic_features, synthetic_market

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def market() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    nifty, vix = synthetic_market(seed=21, years=8)
    return nifty, vix, synthetic_features(nifty, vix)


def _shifted(name: str, market: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]) -> Dataset:
    data = build_dataset(name, *market)
    per_session = len(data) // len(np.unique(data.session))  # breach: 20 rows a session
    shift = (len(data) // 2) // per_session * per_session
    return replace(data, y=np.roll(data.y, shift))


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_circularly_shifted_labels_are_not_promoted(name, market):
    trained = train_model(name, *market, seed=0, data=_shifted(name, market))
    decision = judge(name, trained.fold_predictions)
    assert not decision.promote, decision.reason
    assert "no model beat climatology" in decision.reason or "half of the folds" in decision.reason
    if name == "trap":  # the control has teeth: the heuristic baseline alone is beaten by noise
        assert decision.challenger_brier < decision.baseline_brier


@pytest.fixture(scope="module")
def shuffled_market():
    """Bars of the synthetic market in a random order (returns i.i.d.), VIX constant at 16."""
    nifty, _ = synthetic_market(seed=5, years=8)
    rng = np.random.default_rng(5)
    ret = np.log(nifty["close"]).diff().fillna(0.0).to_numpy()
    shape = nifty[["open", "high", "low"]].div(nifty["close"], axis=0).to_numpy()
    order = rng.permutation(len(nifty))
    close = 5000.0 * np.exp(np.cumsum(ret[order]))
    bars = pd.DataFrame(shape[order] * close[:, None], columns=["open", "high", "low"],
                        index=nifty.index)
    shuffled = bars.assign(close=close, volume=np.nan)[["open", "high", "low", "close", "volume"]]
    vix = pd.DataFrame({"close": 16.0}, index=nifty.index)
    for col in ("open", "high", "low"):
        vix[col] = 16.0
    return shuffled, vix, build_daily_features(shuffled, vix)


@pytest.mark.parametrize("name", ["direction", "buyer"])
def test_shuffled_returns_with_a_constant_vix_are_not_promoted(name, shuffled_market):
    trained = train_model(name, *shuffled_market, seed=0)
    decision = judge(name, trained.fold_predictions)
    assert not decision.promote, decision.reason

"""Estimator contract, reproducibility, walk-forward purging and the gate."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from aegis.models.datasets import build_dataset
from aegis.models.gate import gate, judge
from aegis.models.metrics import FoldMetrics
from aegis.models.specs import MODEL_NAMES, MODEL_SPECS
from aegis.models.torch_models import choose_threshold
from aegis.models.training import train_model
from aegis.models.walkforward import make_estimator, walk_forward_predictions
from aegis.registry.defender import defending_champion
from tests.store_helpers import write_champion
from tests.unit.test_models_support import synthetic_features, synthetic_market

# slow: fits every estimator, walk-forward included; make test runs it
pytestmark = pytest.mark.slow
Market = tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]
"""NIFTY daily, VIX daily and their daily features (synthetic, 4 years)."""


@pytest.fixture(scope="module")
def market() -> Market:
    nifty, vix = synthetic_market(seed=11, years=4)
    return nifty, vix, synthetic_features(nifty, vix)


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_estimator_contract(name, market):
    data = build_dataset(name, *market)
    est = make_estimator(name, seed=3)
    assert clone(est).get_params() == est.get_params()
    with pytest.raises(Exception, match="not fitted"):
        est.predict_proba(data.X[:2])
    assert est.fit(data.X, data.y) is est
    p = est.predict_proba(data.X[:50])
    assert p.shape == (50, 2)
    assert np.allclose(p.sum(axis=1), 1)
    assert (p >= 0).all()
    fitted = [k for k in vars(est) if k.endswith("_") and not k.startswith("_")]
    assert fitted, "learned state must end in _"


@pytest.mark.parametrize("name", ["direction", "buyer", "trap"])
def test_training_is_reproducible(name, market):
    data = build_dataset(name, *market)
    a = make_estimator(name, seed=5).fit(data.X, data.y).predict_proba(data.X[-30:])
    b = make_estimator(name, seed=5).fit(data.X, data.y).predict_proba(data.X[-30:])
    assert np.array_equal(a, b)


def test_dataset_inputs_follow_spec(market):
    for name in MODEL_NAMES:
        data = build_dataset(name, *market)
        assert data.X.shape[-1] == len(MODEL_SPECS[name].inputs)
        assert np.isfinite(data.X).all()
        assert set(np.unique(data.y)) <= {0.0, 1.0}
        assert (data.label_end > data.session).all()
    assert build_dataset("direction", *market).X.shape[1] == 20


def test_walk_forward_purges_labels_ending_after_block_start(
    market: Market, monkeypatch: pytest.MonkeyPatch
) -> None:
    import aegis.models.walkforward as wf

    seen: list[pd.Timestamp] = []
    real = wf.fit_on

    def spy(name, train, seed, params=None):
        seen.append(train.label_end.max())
        return real(name, train, seed, params)

    monkeypatch.setattr(wf, "fit_on", spy)
    out = walk_forward_predictions("trap", *market, "2012-01-01", "2013-06-30", refit="YS")
    folds = sorted(out["fold"].unique())
    assert [str(f.date()) for f in folds] == ["2012-01-01", "2013-01-01"]
    assert all(end < fold.to_datetime64() for end, fold in zip(seen, folds, strict=True))
    assert list(out.columns[:6]) == ["session", "p_model", "p_baseline", "p_climatology", "y",
                                     "fold"]
    assert out["session"].between("2012-01-01", "2013-06-30").all()
    assert out["p_model"].between(0, 1).all()
    assert out["p_baseline"].between(0, 1).all()


def test_buyer_walk_forward_reports_signals(market: Market) -> None:
    out = walk_forward_predictions("buyer", *market, "2013-01-01", "2013-12-31")
    assert {"threshold", "signal"} <= set(out.columns)
    assert (out["signal"] == (out["p_model"] >= out["threshold"])).all()
    # baseline = training base rate: a constant within a block
    assert out.groupby("fold")["p_baseline"].nunique().eq(1).all()


def test_choose_threshold_prefers_precise_signals():
    p = np.linspace(0, 1, 200)
    y = (p > 0.8).astype(float)
    t = choose_threshold(p, y, min_signal_rate=0.1)
    assert 0.75 < t <= 0.81


def _gate(trained, models_dir):
    champion, note = defending_champion(trained.name, models_dir)
    return gate(trained.name, trained.fold_predictions, trained.fold.X, champion,
                champion_note=note or "no champion yet")


def test_gate_needs_to_beat_the_references_and_champion(market, tmp_path):
    trained = train_model("trap", *market, seed=0)
    first = _gate(trained, tmp_path)
    assert first.promote == judge("trap", trained.fold_predictions).promote
    assert "no champion yet" in first.reason
    assert first.climatology_brier == pytest.approx(trained.metrics.climatology.brier)
    write_champion(trained, tmp_path)
    again = _gate(trained, tmp_path)  # the same model cannot beat itself (recorded Brier)
    assert not again.promote
    assert again.champion_brier == pytest.approx(trained.metrics.model.brier)
    assert "recorded Brier" in again.reason
    assert "does not beat the champion" in again.reason


def test_gate_scores_an_older_champion_on_rows_it_never_saw(market, tmp_path):
    nifty, vix, features = market
    cut = nifty.index[-120]
    old = train_model("trap", nifty[:cut], vix[:cut], features[:cut], seed=0)
    write_champion(old, tmp_path)
    new = train_model("trap", *market, seed=0)
    decision = _gate(new, tmp_path)
    assert "fold rows after" in decision.reason
    assert decision.champion_version is not None
    assert decision.champion_brier is not None
    if decision.promote:
        assert judge("trap", new.fold_predictions).promote


def test_fold_metrics_sit_beside_the_baseline(market):
    trained = train_model("expiry_stress", *market, seed=0)
    m = trained.metrics
    # the manifest's keys: only those that apply to the model (no nulls for the others)
    assert set(m.model_dump(mode="json")) == {"fold", "model", "baseline", "climatology",
                                              "skill", "label_cuts", "hyper_parameters",
                                              "params"}
    assert set(m.model_dump(mode="json")["fold"]) == {"start", "end", "folds", "train_rows"}
    assert m.params.gate.folds == 4
    assert m.hyper_parameters is not None
    assert m.hyper_parameters.C in m.hyper_parameters.C_grid
    assert m.fold.folds >= 2
    assert m.label_cuts is not None
    lo, hi = m.label_cuts
    assert 0 < lo <= hi < 1
    for side in (m.model, m.baseline, m.climatology):
        assert len(side.reliability) == 10
        assert sum(b.count for b in side.reliability) == side.n
    assert pd.Timestamp(m.fold.start) < pd.Timestamp(m.fold.end)
    assert m.skill.bss_climatology == pytest.approx(1 - m.model.brier / m.climatology.brier)
    # what the manifest holds reads back as the same typed metrics
    assert FoldMetrics.model_validate_json(m.model_dump_json()) == m

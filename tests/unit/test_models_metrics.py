"""Typed scores and fold metrics: hand-computed scores, and the manifest's keys on dump."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError

from aegis.models.metrics import FoldMetrics, FoldParams, FoldWindow, Skill
from aegis.models.scoring import Score, ScoreSummary, score
from aegis.params import GateParams, TorchParams
from aegis.registry.manifest import ManifestScore


def test_score_of_a_hand_computed_case() -> None:
    p = np.array([0.05, 0.05, 0.95, 0.55])
    y = np.array([0.0, 1.0, 1.0, 1.0])
    s = score(p, y)
    assert s.n == 4
    assert s.brier == pytest.approx((0.05**2 + 0.95**2 + 0.05**2 + 0.45**2) / 4)
    assert s.log_loss == pytest.approx(-np.mean(np.log([0.95, 0.05, 0.95, 0.55])))
    # bins: [0, .1) holds 0.05, 0.05 (1 of 2 events), [.5, .6) 0.55, [.9, 1] 0.95
    assert s.ece == pytest.approx((2 * 0.45 + 0.45 + 0.05) / 4)
    assert len(s.reliability) == 10
    first, empty = s.reliability[0], s.reliability[1]
    assert (first.count, first.mean_predicted, first.observed_frequency) == (2, 0.05, 0.5)
    assert (empty.count, empty.mean_predicted, empty.observed_frequency) == (0, None, None)
    assert sum(b.count for b in s.reliability) == s.n
    assert s.summary() == ScoreSummary(n=4, brier=s.brier, log_loss=s.log_loss, ece=s.ece)


def test_the_manifest_reader_reads_the_same_score_shape() -> None:
    assert issubclass(ManifestScore, ScoreSummary)
    s = score(np.array([0.2, 0.8]), np.array([0.0, 1.0]))
    read = ManifestScore.model_validate(s.model_dump(mode="json"))
    assert (read.n, read.brier, read.log_loss, read.ece) == (s.n, s.brier, s.log_loss, s.ece)
    assert read.model_dump()["reliability"] == s.model_dump()["reliability"]  # an extra key


def test_the_buyer_keys_of_the_fold_window_only_for_the_buyer() -> None:
    plain = FoldWindow(start="2023-01-02", end="2023-12-29", folds=4, train_rows=900)
    assert set(plain.model_dump(mode="json")) == {"start", "end", "folds", "train_rows"}
    silent = FoldWindow(start="2023-01-02", end="2023-12-29", folds=4, train_rows=900,
                        signals=0, spike_rate=None, base_rate=0.29)
    assert silent.model_dump(mode="json")["spike_rate"] is None  # no signal: null, not absent
    assert FoldWindow.model_validate(silent.model_dump(mode="json")) == silent
    with pytest.raises(ValidationError, match="spike_rate and base_rate need signals"):
        FoldWindow(start="a", end="b", folds=1, train_rows=0, base_rate=0.3)
    with pytest.raises(ValidationError, match="signals need base_rate"):
        FoldWindow(start="a", end="b", folds=1, train_rows=0, signals=3)


def test_fold_metrics_leave_out_what_does_not_apply() -> None:
    s = score(np.array([0.2, 0.8, 0.4]), np.array([0.0, 1.0, 1.0]))
    metrics = FoldMetrics(
        model=s, baseline=s, climatology=s, skill=Skill(bss_climatology=0.0, bss_baseline=0.0),
        fold=FoldWindow(start="2023-01-02", end="2023-12-29", folds=4, train_rows=900),
        params=FoldParams(model=TorchParams(hidden=8, epochs=5),
                          gate=GateParams(folds=4, fold_days=365, alpha=0.05,
                                          block_sessions=10, bootstrap_replicates=500)))
    dumped = metrics.model_dump(mode="json")
    assert set(dumped) == {"model", "baseline", "climatology", "skill", "fold", "params"}
    assert dumped["params"]["model"] == {"hidden": 8, "epochs": 5}
    with_cuts = metrics.model_copy(update={"label_cuts": (0.2, 0.4)})
    assert with_cuts.model_dump(mode="json")["label_cuts"] == [0.2, 0.4]
    assert FoldMetrics.model_validate(with_cuts.model_dump(mode="json")) == with_cuts
    assert isinstance(FoldMetrics.model_validate(dumped).model, Score)

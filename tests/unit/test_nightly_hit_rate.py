"""The safe range's hit rate is a nightly quantity: the retrain writes it for every horizon to
``rates.json`` and the 30-minute snapshot reads it (validated) instead of replaying the whole
walk-forward; a file that cannot give it (missing, older, another session, other inputs,
malformed) is recomputed and the provenance says why."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from aegis.features.daily import build_daily_features
from aegis.market.sources.simulator import simulate
from aegis.pipeline.champions import Champions
from aegis.pipeline.inference import InferenceInputs, SnapshotBuilder
from aegis.pipeline.nightly import hit_rate_entries, nightly_hit_rate
from aegis.rates import historical_hit_rate, session_windows

NOW = datetime(2024, 6, 14, 20, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def history() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    market = simulate(seed=5, years=4, end="2024-06-14")
    return market.nifty, market.vix, build_daily_features(market.nifty, market.vix)


@pytest.fixture(scope="module")
def rates(history: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]) -> dict[str, Any]:
    nifty, vix, features = history
    as_of = pd.Timestamp(features.index[-1])
    out = {"as_of": as_of.date().isoformat()}
    out.update(hit_rate_entries(session_windows(nifty, vix), as_of, confidence=0.8, seed=7,
                                sessions_to_expiry=3))
    return json.loads(json.dumps(out))  # as read back from the file


def test_every_horizon_equals_the_live_walk_forward(
        history: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame], rates: dict[str, Any]) -> None:
    nifty, vix, features = history
    session = pd.Timestamp(features.index[-1])
    horizons = sorted(int(h) for h in rates["hit_by_horizon"])
    assert horizons[0] == 1
    assert len(horizons) >= 5
    windows = session_windows(nifty, vix)
    for h in horizons:
        read, why = nightly_hit_rate(rates, Path("rates.json"), session=session.date(),
                                     confidence=0.8, seed=7, sessions_to_expiry=h)
        assert why == ""
        assert read is not None
        live = historical_hit_rate(windows, 0.8, as_of=session, sessions_to_expiry=h, seed=7)
        assert read.model_dump() == live.model_dump()
        assert read.horizon is not None
        assert read.horizon.sessions_to_expiry == h


@pytest.mark.parametrize(("change", "reason"), [
    (lambda r: r.pop("hit_by_horizon"), "no per-horizon hit rates"),
    (lambda r: r.update(as_of="2024-06-13"), "is as of 2024-06-13"),
    (lambda r: r["hit_inputs"].update(confidence=0.9), "this snapshot uses confidence 0.8"),
    (lambda r: r["hit_by_horizon"]["2"].update(value=1.7), "malformed hit rates"),
])
def test_a_file_that_cannot_give_it_says_why(
        history: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame], rates: dict[str, Any],
        change: Any, reason: str) -> None:
    session = pd.Timestamp(history[2].index[-1]).date()
    broken = json.loads(json.dumps(rates))
    change(broken)
    read, why = nightly_hit_rate(broken, Path("out/rates.json"), session=session,
                                 confidence=0.8, seed=7, sessions_to_expiry=2)
    assert read is None
    assert reason in why
    assert "out/rates.json" in why


def _builder(history: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame],
             rates: dict[str, Any] | None, tmp_path: Path) -> SnapshotBuilder:
    nifty, vix, features = history
    inputs = InferenceInputs(features=features, nifty=nifty, vix=vix, intraday=None, chain=None,
                             rates=rates, rates_path=tmp_path / "rates.json",
                             confidence=0.8, seed=7)
    return SnapshotBuilder(inputs, Champions(tmp_path / "models"), NOW)


def test_the_snapshot_reads_the_file_and_replays_nothing(
        history: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame], rates: dict[str, Any],
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fresh = _builder(history, None, tmp_path).hit_rate()
    assert "recomputed from the history at inference: no " in str(fresh.provenance.method)
    assert "the nightly retrain has not run yet" in str(fresh.provenance.method)

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the walk-forward was replayed at inference")

    monkeypatch.setattr("aegis.rates.hit_rate.walk_forward_safe_ranges", refuse)
    read = _builder(history, rates, tmp_path).hit_rate()
    assert "read from the nightly rates.json" in str(read.provenance.method)
    assert (read.value, read.n, read.ci95) == (fresh.value, fresh.n, fresh.ci95)
    assert read.horizon is not None
    assert fresh.horizon is not None
    assert read.horizon.model_dump(exclude={"provenance"}) == fresh.horizon.model_dump(
        exclude={"provenance"})


@pytest.fixture(scope="module")
def fits(history: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]) -> dict[str, Any]:
    from aegis.pipeline.nightly import range_fit_entries

    nifty, vix, features = history
    as_of = pd.Timestamp(features.index[-1])
    out: dict[str, Any] = {"as_of": as_of.date().isoformat()}
    out.update(range_fit_entries(session_windows(nifty, vix), as_of, confidence=0.8))
    return json.loads(json.dumps(out))


@pytest.mark.parametrize("horizon", [0.4, 1.0, 2.6, 4.0, 5.2])
def test_the_nightly_range_fits_give_the_live_k(
        history: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame], fits: dict[str, Any],
        horizon: float, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from aegis.rates import fit_range_for_horizon

    nifty, vix, features = history
    session = pd.Timestamp(features.index[-1])
    live = fit_range_for_horizon(session_windows(nifty, vix), 0.8, session=session,
                                 horizon=horizon)
    monkeypatch.setattr("aegis.rates.range_fit._pools_before", lambda *a, **k: 1 / 0)
    read = _builder(history, fits, tmp_path).range_fit(horizon)
    assert (read.k_session, read.scope, read.n, read.first_start, read.last_expiry) == (
        live.k_session, live.scope, live.n, live.first_start, live.last_expiry)
    assert read.method == f"{live.method}; fitted nightly (rates.json as of {session.date()})"


@pytest.mark.parametrize(("change", "reason"), [
    (lambda r: r.pop("range_fits"), "no whole-horizon range fits"),
    (lambda r: r.update(as_of="2024-06-13"), "is as of 2024-06-13"),
    (lambda r: r["range_inputs"].update(confidence=0.9), "uses confidence 0.8"),
    (lambda r: r["range_fits"].pop("3"), "no 3-session range fit"),
    (lambda r: r["range_fits"]["3"].update(k_session=-1.0), "is not a fit for 3 sessions"),
    (lambda r: r["range_fits"]["3"].update(first_start="soon"), "malformed 3-session"),
])
def test_range_fits_that_cannot_be_used_are_refitted_and_say_why(
        history: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame], fits: dict[str, Any],
        change: Any, reason: str, tmp_path: Path) -> None:
    broken = json.loads(json.dumps(fits))
    change(broken)
    fit = _builder(history, broken, tmp_path).range_fit(2.5)
    assert "fitted from the history at inference: " in fit.method
    assert reason in fit.method

"""The backtest's safe-range section (every session, by horizon) and breach calibration by horizon.

Pure parts only (no model is trained): the simulated market of tests/unit/test_backtest.py.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from aegis.analytics.calibration import brier, expected_calibration_error
from aegis.features.daily import build_daily_features
from aegis.market.sources.simulator import simulate
from aegis.rates import session_windows, walk_forward_safe_ranges
from aegis.rates.backtest import breach_by_horizon, safe_range_section

SEED, YEARS, END = 3, 10, "2024-12-31"
START, STOP = "2016-01-01", "2022-12-31"  # the simulator's last two years are far wilder


@pytest.fixture(scope="module")
def market() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    sim = simulate(SEED, YEARS, end=END, intraday_sessions=0, chain_sessions=0)
    return sim.nifty, sim.vix, build_daily_features(sim.nifty, sim.vix)


@pytest.mark.parametrize("confidence", [0.8, 0.9])
def test_safe_range_section_scores_every_published_range(market, confidence) -> None:
    nifty, vix, _ = market
    t0, t1 = pd.Timestamp(START), pd.Timestamp(STOP)
    section = safe_range_section(nifty, vix, t0, t1, confidence)
    table = walk_forward_safe_ranges(session_windows(nifty, vix), confidence, as_of=t1)
    table = table[table["start"] >= t0]
    every = section["every_session"]
    assert every["n"] == len(table)
    assert every["coverage"] == pytest.approx(table["hit"].mean())
    lo, hi = every["ci95_block_bootstrap"]
    assert lo <= every["coverage"] <= hi
    assert "overlap" in every["note"]
    by_h = section["by_sessions_to_expiry"]
    assert set(by_h) == {str(h) for h in table["sessions"].unique()}
    assert sum(v["n"] for v in by_h.values()) == every["n"]
    for h, entry in by_h.items():
        assert entry["coverage"] == pytest.approx(table.loc[table["sessions"] == int(h),
                                                            "hit"].mean())
    # the headline: one range per expiry week (first session after each expiry)
    assert 0 < section["windows"] < every["n"] / 3
    assert abs(every["coverage"] - confidence) < 0.05
    assert section["confidence"] == confidence


def test_breach_calibration_by_horizon_is_recomputable(market) -> None:
    _, _, features = market
    rng = np.random.default_rng(0)
    sessions = features.index[-300:]
    pred = pd.DataFrame({
        "session": np.repeat(sessions, 2),
        "event": np.tile(["touch", "close"], len(sessions)),
        "p_model": rng.uniform(size=2 * len(sessions)),
        "p_baseline": rng.uniform(size=2 * len(sessions)),
        "p_climatology": np.full(2 * len(sessions), 0.4),
        "p_published": rng.uniform(size=2 * len(sessions)),
        "y": (rng.uniform(size=2 * len(sessions)) < 0.4).astype(float),
    })
    out = breach_by_horizon(pred, features)
    h = features["sessions_to_expiry"].reindex(pd.DatetimeIndex(pred["session"])).to_numpy()
    assert set(out) == {str(int(x)) for x in np.unique(h)}
    assert sum(v["n"] for v in out.values()) == len(pred)
    for key, entry in out.items():
        rows = pred[h == int(key)]
        p, y = rows["p_model"].to_numpy(), rows["y"].to_numpy()
        assert entry["n"] == len(rows)
        assert entry["brier"] == pytest.approx(brier(p, y))
        assert entry["brier_baseline"] == pytest.approx(brier(rows["p_baseline"], y))
        assert entry["ece"] == pytest.approx(expected_calibration_error(p, y, bins=10))
        assert set(entry["events"]) == {"touch", "close"}

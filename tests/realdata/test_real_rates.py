"""Hit and spike rates on real NIFTY / India VIX history (2009-2022 where both exist).

Measured when written (walk-forward, ranges published on every session 2010-01-01..2022-12-31,
k fitted per horizon on windows whose expiry is strictly before the session):

| sessions to expiry | coverage at 0.80 | coverage at 0.90 | n |
|---|---|---|---|
| 1 | 0.796 | 0.894 | 668 |
| 2 | 0.792 | 0.904 | 668 |
| 3 | 0.790 | 0.898 | 668 |
| 4 | 0.795 | 0.904 | 655 |
| 5 | 0.789 | 0.900 | 511 |
| 6 | 0.800 | 0.800 | 5 |
| all | 0.793 | 0.900 | 3175 |

Before (k fitted on the Friday windows only, applied on every session) all sessions covered 0.73.
Unconditional next-session spike frequency 0.29.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from aegis.config import Settings
from aegis.rates import (
    fit_range_for_session,
    historical_hit_rate,
    historical_spike_rate,
    next_session_spike,
    session_windows,
    weekly_windows,
)
from aegis.rates.backtest import safe_range_section

pytestmark = pytest.mark.realdata

FROM, TO = pd.Timestamp("2010-01-01"), pd.Timestamp("2022-12-31")
HORIZON_BAND, OVERALL_BAND = 0.03, 0.02
MIN_SCORED = 100
"""Horizons with fewer scored ranges (6-session weeks: 5 in 13 years) are listed, not banded."""


@pytest.fixture(scope="module")
def windows(history) -> pd.DataFrame:
    return session_windows(history.nifty, history.vix)


def test_windows_span_the_vix_history(history, windows) -> None:
    weekly = weekly_windows(history.nifty, history.vix)
    assert len(weekly) > 650  # ~52 a year over 2009-2022
    assert len(windows) > 3300  # every session
    assert windows["start"].iloc[0] >= pd.Timestamp("2009-03-02")
    assert windows["expiry"].iloc[-1] == pd.Timestamp("2022-12-29")  # last Thursday of 2022
    assert (pd.DatetimeIndex(windows["expiry"]).day_of_week <= 3).all()


def test_windows_are_the_features_expiries(features, windows) -> None:
    """Snapshot (feature table), rates and backtest agree on each session's expiry."""
    table = features.reindex(pd.DatetimeIndex(windows["start"]))
    np.testing.assert_array_equal(table["days_to_expiry"].to_numpy(), windows["days"].to_numpy())
    np.testing.assert_array_equal(table["sessions_to_expiry"].to_numpy(),
                                  windows["sessions"].to_numpy())


@pytest.mark.parametrize("variable", ["0.80", "0.90"])
def test_published_range_covers_each_horizon(history, monkeypatch, variable) -> None:
    monkeypatch.setenv("AEGIS_SAFE_RANGE_CONFIDENCE", variable)
    confidence = Settings().safe_range_confidence
    assert confidence == float(variable)
    section = safe_range_section(history.nifty, history.vix, FROM, TO, confidence)
    every = section["every_session"]
    assert every["n"] > 3000
    assert abs(every["coverage"] - confidence) <= OVERALL_BAND, every
    by_h = section["by_sessions_to_expiry"]
    assert {"1", "2", "3", "4", "5"} <= set(by_h)
    small = 0
    for h, entry in by_h.items():
        if entry["n"] >= MIN_SCORED:
            assert abs(entry["coverage"] - confidence) <= HORIZON_BAND, (h, entry)
        else:
            small += entry["n"]
    assert small < 0.01 * every["n"]
    lo, hi = every["ci95_block_bootstrap"]
    assert hi - lo > every["ci95"][1] - every["ci95"][0]  # overlapping windows: wider
    assert abs(section["coverage"] - confidence) <= HORIZON_BAND  # one range per week


def test_hit_rate_and_provenance_are_those_of_the_fit_used(windows) -> None:
    rate = historical_hit_rate(windows, 0.8, as_of="2022-12-30", sessions_to_expiry=3)
    assert rate.n > 3000
    assert abs(rate.value - 0.8) <= OVERALL_BAND
    assert rate.horizon is not None
    assert rate.horizon.sessions_to_expiry == 3
    assert abs(rate.horizon.value - 0.8) <= HORIZON_BAND
    fit = fit_range_for_session(windows, 0.8, session="2022-12-30", sessions_to_expiry=4)
    past_h = windows[(windows["expiry"] < "2022-12-30") & (windows["sessions"] == 4)]
    assert (fit.scope, fit.n) == ("horizon", len(past_h))
    assert fit.first_start == past_h["start"].min()
    assert fit.last_expiry == past_h["expiry"].max()
    rare = fit_range_for_session(windows, 0.8, session="2022-12-30", sessions_to_expiry=6)
    assert rare.scope == "pooled"
    assert "pooled" in rare.method


def test_rates_move_with_the_history(windows) -> None:
    before_covid = historical_hit_rate(windows, 0.8, as_of="2020-02-28")
    after = historical_hit_rate(windows, 0.8, as_of="2022-12-30")
    assert after.n > before_covid.n
    assert after.value != before_covid.value
    fit = fit_range_for_session(windows, 0.8, session="2020-03-06", sessions_to_expiry=5)
    march = windows[(windows["start"] == pd.Timestamp("2020-03-05"))]
    assert (march["z_session"] > fit.k_session).all()  # the COVID crash week broke the range


def test_spike_rate_and_base_rate(history) -> None:
    spikes = next_session_spike(history.nifty, history.vix)
    vix_jump = np.log(history.vix["close"]).diff().reindex(spikes.index) > 0.05
    rate = historical_spike_rate(vix_jump, spikes, as_of="2022-12-30")
    assert rate.base_rate == pytest.approx(0.29, abs=0.01)  # measured 0.290
    assert rate.n > 300  # measured 418 sessions with VIX up > 5%
    assert rate.value == pytest.approx(0.316, abs=0.02)
    everyday = historical_spike_rate(
        pd.Series(True, index=spikes.index), spikes, as_of="2022-12-30"
    )
    assert everyday.value == pytest.approx(rate.base_rate)

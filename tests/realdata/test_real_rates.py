"""Hit and spike rates on real NIFTY / India VIX history (2009-2022 where both exist).

Measured when written: 721 weekly windows (2009-03-06 .. 2022-12-29); walk-forward hit rate at
0.80 confidence 0.783 (n=669, Wilson 95% [0.750, 0.813]), at 0.90 0.901; k fitted on all
windows 1.03 at 0.80 (the normal quantile is 1.28: VIX overstates realised moves); unconditional
next-session spike frequency 0.29.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from aegis.rates import (
    historical_hit_rate,
    historical_spike_rate,
    next_session_spike,
    weekly_windows,
)

pytestmark = pytest.mark.realdata


@pytest.fixture(scope="module")
def windows(history) -> pd.DataFrame:
    return weekly_windows(history.nifty, history.vix)


def test_windows_span_the_vix_history(windows) -> None:
    assert len(windows) > 650  # ~52 a year over 2009-2022
    assert windows["start"].iloc[0] >= pd.Timestamp("2009-03-02")
    assert windows["expiry"].iloc[-1] == pd.Timestamp("2022-12-29")  # last Thursday of 2022
    assert (pd.DatetimeIndex(windows["expiry"]).day_of_week <= 3).all()


@pytest.mark.parametrize("confidence", [0.7, 0.8, 0.9])
def test_walk_forward_coverage_matches_the_target(windows, confidence) -> None:
    rate = historical_hit_rate(windows, confidence, as_of="2022-12-30")
    assert rate.n > 600
    assert rate.ci95[0] < confidence < rate.ci95[1]
    assert rate.k_latest is not None


def test_vix_overstates_moves_so_k_is_below_the_normal_quantile(windows) -> None:
    rate = historical_hit_rate(windows, 0.8, as_of="2022-12-30")
    assert rate.k_latest < 1.2816


def test_rates_move_with_the_history(windows) -> None:
    before_covid = historical_hit_rate(windows, 0.8, as_of="2020-02-28")
    after = historical_hit_rate(windows, 0.8, as_of="2022-12-30")
    assert after.n > before_covid.n
    assert (after.value, after.k_latest) != (before_covid.value, before_covid.k_latest)
    march = windows[(windows["start"] >= "2020-03-06") & (windows["start"] <= "2020-03-13")]
    assert (march["z_abs"] > after.k_latest).all()  # the COVID crash weeks broke the range


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

"""Intraday features on hand-built 5-minute sessions."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from aegis.errors import FeatureInputError
from aegis.features.intraday import INTRADAY_FEATURES, build_intraday_features

# one session of 5-minute bars: the opening range (09:15-09:30) spans 99..103
SESSION = [
    # open, high, low, close
    (100.0, 101.5, 99.0, 101.0),
    (101.0, 102.5, 100.5, 102.0),
    (102.0, 103.0, 99.5, 100.0),
    (100.0, 103.5, 99.8, 103.0),
    (103.0, 104.2, 102.9, 104.0),
]


def make_bars(day: str = "2024-01-22", volume: list[float] | None = None) -> pd.DataFrame:
    index = pd.date_range(f"{day} 09:15", periods=len(SESSION), freq="5min", tz="Asia/Kolkata")
    frame = pd.DataFrame(SESSION, columns=["open", "high", "low", "close"], index=index)
    frame.index.name = "timestamp"
    if volume is not None:
        frame["volume"] = volume
    return frame


def test_hand_computed_session() -> None:
    table = build_intraday_features(make_bars(volume=[1.0, 0.0, 0.0, 0.0, 1.0]))
    assert list(table.columns) == list(INTRADAY_FEATURES)
    assert list(table.index) == [pd.Timestamp("2024-01-22")]
    assert table.index.name == "session"
    row = table.iloc[0]
    returns = [
        math.log(101 / 100),
        math.log(102 / 101),
        math.log(100 / 102),
        math.log(103 / 100),
        math.log(104 / 103),
    ]
    assert row["intraday_rv"] == pytest.approx(math.sqrt(252 * sum(r * r for r in returns)))
    assert row["opening_range_position"] == pytest.approx((104.0 - 99.0) / (103.0 - 99.0))
    vwap = ((101.5 + 99.0 + 101.0) / 3 + (104.2 + 102.9 + 104.0) / 3) / 2
    assert row["vwap_distance"] == pytest.approx(104.0 / vwap - 1.0)
    assert row["vwap_volume_weighted"] == 1.0
    assert row["bars"] == 5.0


@pytest.mark.parametrize("volume", [None, [0.0] * 5, [np.nan] * 5])
def test_twap_when_volume_is_absent_or_zero(volume: list[float] | None) -> None:
    row = build_intraday_features(make_bars(volume=volume)).iloc[0]
    twap = np.mean([(h + lo + c) / 3 for _, h, lo, c in SESSION])
    assert row["vwap_distance"] == pytest.approx(104.0 / twap - 1.0)
    assert row["vwap_volume_weighted"] == 0.0


def test_sessions_split_by_ist_date_from_utc_timestamps() -> None:
    both = pd.concat([make_bars("2024-01-22"), make_bars("2024-01-23") * 2.0])
    both.index = both.index.tz_convert("UTC")  # 09:15 IST = 03:45 UTC, same calendar day
    table = build_intraday_features(both.iloc[::-1])  # order does not matter
    assert list(table.index.strftime("%Y-%m-%d")) == ["2024-01-22", "2024-01-23"]
    # prices doubled: ratios, hence every feature, unchanged
    np.testing.assert_allclose(table.iloc[1].to_numpy(), table.iloc[0].to_numpy())


def test_flat_opening_range_is_nan() -> None:
    bars = make_bars()
    bars.iloc[:3] = 100.0
    assert math.isnan(build_intraday_features(bars).iloc[0]["opening_range_position"])


def test_naive_index_and_bad_prices_are_refused() -> None:
    with pytest.raises(FeatureInputError, match="tz-aware"):
        build_intraday_features(make_bars().tz_localize(None))
    bars = make_bars()
    bars.iloc[2, 1] = -1.0
    with pytest.raises(FeatureInputError, match=r"row 3 .*column 'high'"):
        build_intraday_features(bars)


def test_a_session_row_ignores_later_sessions() -> None:
    first = make_bars("2024-01-22", volume=[5.0, 1.0, 2.0, 3.0, 4.0])
    later = make_bars("2024-01-23", volume=[1.0] * 5)
    base = build_intraday_features(pd.concat([first, later]))
    rng = np.random.default_rng(5)
    shaken = later.copy()
    shaken[["open", "high", "low", "close"]] *= rng.uniform(0.8, 1.2, size=(5, 4))
    shaken["volume"] = rng.uniform(0, 100, 5)
    moved = build_intraday_features(pd.concat([first, shaken]))
    pd.testing.assert_series_equal(moved.iloc[0], base.iloc[0])
    assert not np.allclose(moved.iloc[1].to_numpy(), base.iloc[1].to_numpy())

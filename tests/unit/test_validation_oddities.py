"""Each PROVENANCE.md oddity, injected into good data without the loader's repair, fails the
right expectation -- and only the expectations it should."""

from __future__ import annotations

import numpy as np
import pandas as pd

from aegis.validation import validate_frames
from tests.unit.test_validation_frames import (
    IST,
    failed_set,
    good_chain,
    good_features,
    good_intraday,
    good_nifty,
    good_vix,
)

BETWEEN = "expect_column_values_to_be_between"
PAIR = "expect_column_pair_values_a_to_be_greater_than_b"


def run_one(suite: str, frame: pd.DataFrame) -> set[tuple[str, str | None]]:
    report = validate_frames({suite: frame})
    assert not report.success
    return failed_set(report, suite)


def test_zero_open_high_low_with_valid_close_fails_vix_band_and_bar() -> None:
    # India VIX 2021-02-12 in the animesh file: O=H=L=0, close 23.045
    vix = good_vix()
    day = vix.index[10]
    vix.loc[day, ["open", "high", "low", "close"]] = [0.0, 0.0, 0.0, 23.045]
    assert run_one("vix_daily", vix) == {
        (BETWEEN, "open"), (BETWEEN, "high"), (BETWEEN, "low"), (PAIR, "high,close"),
    }


def test_zero_open_on_nifty_fails_positivity() -> None:
    nifty = good_nifty()
    nifty.iloc[5, nifty.columns.get_loc("open")] = 0.0
    assert run_one("nifty_daily", nifty) == {(BETWEEN, "open"), (PAIR, "open,low")}


def test_close_below_its_own_low_fails_the_pair_check() -> None:
    # India VIX 2013-08-22 in the mjanbandhu file: close 27.68 < low 27.99
    vix = good_vix()
    day = vix.index[20]
    vix.loc[day, ["open", "high", "low", "close"]] = [28.09, 29.86, 27.99, 27.68]
    report = validate_frames({"vix_daily": vix})
    assert failed_set(report, "vix_daily") == {(PAIR, "close,low")}
    (failure,) = report.suite("vix_daily").failed
    assert failure.unexpected_count == 1
    assert failure.unexpected_values == [[27.68, 27.99]]
    assert failure.offending_rows[0]["session"] == day.isoformat()
    assert failure.notes is not None
    assert "close >= low" in failure.notes


def test_close_above_high_fails() -> None:
    nifty = good_nifty()
    day = nifty.index[7]
    nifty.loc[day, "close"] = nifty.loc[day, "high"] + 5.0
    assert run_one("nifty_daily", nifty) == {(PAIR, "high,close")}


def test_duplicate_session_fails_uniqueness_and_order() -> None:
    nifty = good_nifty()
    dup = pd.concat([nifty.iloc[:11], nifty.iloc[10:11], nifty.iloc[11:]])
    assert run_one("nifty_daily", dup) == {
        ("expect_column_values_to_be_unique", "session"),
        ("expect_column_values_to_be_increasing", "session"),
        (BETWEEN, "gap_days"),  # zero days between the twins
    }


def test_decreasing_sessions_fail_the_order_check() -> None:
    nifty = good_nifty()
    order = list(range(len(nifty)))
    order[12], order[13] = order[13], order[12]
    failed = run_one("nifty_daily", nifty.iloc[order])
    assert failed == {("expect_column_values_to_be_increasing", "session"),
                      (BETWEEN, "gap_days")}


def test_gap_of_30_days_fails_gap_rule() -> None:
    nifty = good_nifty()
    shifted = nifty.index.where(nifty.index < nifty.index[30],
                                nifty.index + pd.Timedelta(days=30))
    gappy = nifty.set_axis(pd.DatetimeIndex(shifted, name="session"))
    report = validate_frames({"nifty_daily": gappy})
    assert failed_set(report, "nifty_daily") == {(BETWEEN, "gap_days")}
    (failure,) = report.suite("nifty_daily").failed
    assert failure.unexpected_values[0] > 30


def test_vix_500_fails_the_band() -> None:
    vix = good_vix()
    day = vix.index[15]
    vix.loc[day, ["high", "close"]] = 500.0
    assert run_one("vix_daily", vix) == {(BETWEEN, "high"), (BETWEEN, "close")}


def test_negative_price_fails_positivity() -> None:
    nifty = good_nifty()
    day = nifty.index[3]
    nifty.loc[day, ["low", "close"]] = [-8000.0, -7990.0]
    assert run_one("nifty_daily", nifty) == {(BETWEEN, "low"), (BETWEEN, "close")}


def test_missing_close_fails_not_null() -> None:
    vix = good_vix()
    vix.iloc[4, vix.columns.get_loc("close")] = np.nan
    assert run_one("vix_daily", vix) == {("expect_column_values_to_not_be_null", "close")}


def test_chain_with_a_strike_off_the_grid_fails() -> None:
    chain = good_chain()
    chain.loc[chain["strike"] == 17500.0, "strike"] = 17525.0
    failed = run_one("option_chain", chain)
    assert failed == {(BETWEEN, "strike_grid_offset")}


def test_chain_with_call_prices_rising_with_strike_fails() -> None:
    chain = good_chain()
    calls = (chain["option_type"] == "CE") & (chain["last_price"] > 0)
    chain.loc[calls, "last_price"] = np.linspace(10.0, 400.0, int(calls.sum()))
    assert run_one("option_chain", chain) == {(BETWEEN, "call_price_rise")}


def test_chain_with_one_stale_call_price_passes() -> None:
    # one stale last price among ~20 quoted calls is within mostly=0.9
    chain = good_chain()
    calls = chain.index[(chain["option_type"] == "CE") & (chain["strike"] == 17300.0)]
    chain.loc[calls, "last_price"] += 40.0
    assert validate_frames({"option_chain": chain}).success


def test_chain_quoted_after_its_expiry_fails() -> None:
    # the real Upstox snapshot of 2026-08-19 is of the 2026-08-18 expiry
    chain = good_chain()
    chain["timestamp"] = pd.Timestamp("2023-06-09 10:23", tz=IST)
    assert run_one("option_chain", chain) == {(BETWEEN, "hours_to_expiry")}


def test_chain_with_a_bad_side_label_fails() -> None:
    chain = good_chain()
    chain.loc[0, "option_type"] = "XX"
    assert run_one("option_chain", chain) == {("expect_column_values_to_be_in_set", "option_type")}


def test_features_percentile_140_fails_its_range() -> None:
    features = good_features()
    features.loc[features.index[30], "iv_percentile_252"] = 140.0
    assert run_one("features", features) == {(BETWEEN, "iv_percentile_252")}


def test_features_hole_after_warm_up_fails_and_names_the_column() -> None:
    features = good_features()
    features.loc[features.index[35], "rsi_14"] = np.nan
    report = validate_frames({"features": features})
    assert failed_set(report, "features") == {
        ("expect_column_values_to_be_in_set", "late_null_features")
    }
    assert report.suite("features").failed[0].unexpected_values == ["rsi_14"]


def test_features_all_warm_up_fails() -> None:
    features = good_features()
    features["rv_percentile_252"] = np.nan
    assert run_one("features", features) == {("expect_column_max_to_be_between", "complete_row")}


def test_features_vol_above_3_and_missing_column_fail() -> None:
    features = good_features().drop(columns=["bb_pctb_20"])
    features.loc[features.index[40], "rv_yz_20"] = 3.5
    failed = run_one("features", features)
    assert (BETWEEN, "rv_yz_20") in failed
    assert ("expect_table_columns_to_match_set", None) in failed
    assert (BETWEEN, "bb_pctb_20") in failed  # the column does not exist
    assert ("expect_column_values_to_be_of_type", "bb_pctb_20") in failed


def test_intraday_bar_after_the_close_and_naive_timestamps_fail() -> None:
    bars = good_intraday()
    late = bars.iloc[[-1]].set_axis(
        pd.DatetimeIndex([pd.Timestamp("2023-04-03 16:00", tz=IST)], name="timestamp")
    )
    assert run_one("intraday_bars", pd.concat([bars, late])) == {(BETWEEN, "minute_of_day")}
    naive = bars.tz_localize(None)
    assert run_one("intraday_bars", naive) == {
        ("expect_column_values_to_not_be_null", "tz_offset_minutes"),
    }
    utc = bars.tz_convert("UTC")  # same instants, wrong zone
    assert run_one("intraday_bars", utc) == {
        ("expect_column_values_to_be_in_set", "tz_offset_minutes"),
    }

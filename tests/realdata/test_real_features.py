"""Features on the real 2000-2022 NIFTY / India VIX history and the real intraday/chain files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from aegis.features.chain import build_chain_features
from aegis.features.columns import FEATURE_NAMES
from aegis.features.daily import build_daily_features
from aegis.features.intraday import build_intraday_features
from aegis.market.history import MarketHistory
from aegis.market.loaders import load_file

VIX_WARM = "2010-04-01"  # VIX starts 2009-03-02; the 252-session percentiles need a year


def test_table_covers_2000_2022_without_inf(features: pd.DataFrame) -> None:
    assert list(features.columns) == FEATURE_NAMES
    assert features.index[0] == pd.Timestamp("2000-01-03")
    assert features.index[-1] == pd.Timestamp("2022-12-30")
    assert len(features) > 5500
    assert not np.isinf(features.to_numpy()).any()


def test_no_nan_after_warm_up_where_vix_exists(features: pd.DataFrame) -> None:
    late = features.loc[VIX_WARM:]
    assert late.notna().all().all(), late.isna().sum()[late.isna().sum() > 0].to_dict()
    early = features.loc["2000-06-01":"2008-12-31"].drop(
        columns=[
            "vix",
            "vix_change",
            "iv_percentile_252",
            "iv_rank_252",
            "iv_rv_spread",
            "expected_move_pct",
            "vix_change_5",
            "mom_5_em",
            "mom_20_em",
            "iv_minus_har",
            "trap_structural_logit",
            "stress_structural_logit",
        ]
    )
    assert early.loc["2001-02-01":].notna().all().all()
    assert features.loc[:"2009-02-27", "vix"].isna().all()


def test_known_levels(features: pd.DataFrame) -> None:
    assert features.loc["2020-01-02", "close"] == pytest.approx(12282.2, abs=0.05)
    assert features.loc["2020-03-23", "close"] == pytest.approx(7610.25, abs=0.05)
    assert features.loc["2020-03-24", "vix"] == pytest.approx(83.61, abs=0.01)
    # the COVID VIX peak is the highest VIX of its trailing year
    assert features.loc["2020-03-24", "iv_percentile_252"] == 100.0
    assert features.loc["2020-03-24", "iv_rank_252"] == 100.0


def test_realised_vol_sanity(features: pd.DataFrame) -> None:
    rv = features["rv_cc_20"].dropna()
    share_normal = rv.between(0.05, 0.45).mean()
    assert share_normal > 0.9, share_normal
    assert 0.10 < rv.median() < 0.25
    assert features.loc["2020-03-01":"2020-04-30", "rv_cc_20"].max() > 0.5
    assert features.loc["2020-03-31", "rv_cc_20"] > 0.5
    assert features.loc["2008-10-01":"2008-11-30", "rv_cc_20"].max() > 0.5
    # the estimators agree within a factor ~2 on ordinary days
    ratio = (features["rv_yz_20"] / features["rv_cc_20"]).dropna()
    assert ratio.between(0.5, 2.0).mean() > 0.95


def test_oscillators_in_range(features: pd.DataFrame) -> None:
    for column in ("rsi_14", "iv_percentile_252", "iv_rank_252", "rv_percentile_252"):
        values = features[column].dropna()
        assert values.between(0.0, 100.0).all(), column
    assert features["days_to_expiry"].between(1, 10).all()
    assert (features["sessions_to_expiry"] <= features["days_to_expiry"]).all()
    # Thursday weekly expiries: Wednesday 2019-12-18 -> Thursday 2019-12-19
    assert features.loc["2019-12-18", "days_to_expiry"] == 1.0


def test_truncated_history_gives_the_same_past(
    history: MarketHistory, features: pd.DataFrame
) -> None:
    cut = pd.Timestamp("2015-06-30")
    short = build_daily_features(history.nifty.loc[:cut], history.vix.loc[:cut])
    calendar_cols = ["days_to_expiry", "sessions_to_expiry", "expected_move_pct"]
    market_cols = [c for c in FEATURE_NAMES if c not in calendar_cols]
    pd.testing.assert_frame_equal(short[market_cols], features.loc[:cut, market_cols])
    # the calendar columns may only differ where the truncated calendar ends (weekday tail)
    settled = short.index[:-10]
    pd.testing.assert_frame_equal(short.loc[settled], features.loc[settled])


def test_real_intraday_session(real_data_dir: Path) -> None:
    bars = load_file(real_data_dir / "intraday" / "niftyscreener_nifty_5min_2026-08-17.csv").frame
    table = build_intraday_features(bars)
    assert list(table.index) == [pd.Timestamp("2026-08-17")]
    row = table.iloc[0]
    assert row["bars"] == 75.0
    assert row["vwap_volume_weighted"] == 0.0  # the index file's volume is all zero: TWAP
    assert 0.02 < row["intraday_rv"] < 0.5
    assert abs(row["vwap_distance"]) < 0.02


def test_real_chain_snapshot(real_data_dir: Path) -> None:
    path = real_data_dir / "option_chain" / "niftyscreener_nifty_chain_snapshot_2026-08-19.csv"
    raw = pd.read_csv(path)
    chain = load_file(path).frame
    spot = float(raw["spot_price"].iloc[0])
    features = build_chain_features(chain, spot)
    assert features["pcr"] == pytest.approx(raw["pe_oi"].sum() / raw["ce_oi"].sum())
    assert 0.0 < features["oi_concentration_call"] <= 1.0
    assert abs(features["max_pain_distance"]) < 0.05
    # the snapshot was taken after its expiry: the only IV the loader keeps is the ATM put's
    atm = raw.loc[(raw["strike"] - spot).abs().idxmin()]
    assert atm["strike"] == 24150.0
    assert features["atm_iv"] == pytest.approx(atm["pe_iv"])
    assert np.isnan(features["skew"])

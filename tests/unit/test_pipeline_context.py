"""The snapshot's market context: chain and intraday features of its session, or why not.

Known answers: the hand-computed five-strike chain of test_features_chain and the five-bar
session of test_features_intraday; then the pure ``assemble_snapshot`` on a small simulated
market (no model store: every model stands in as climatology, which does not matter here).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from aegis.features.intraday import build_intraday_features
from aegis.pipeline.context import chain_context, chain_features, intraday_context
from aegis.pipeline.inference import Champions, InferenceInputs, SnapshotBuilder, assemble_snapshot
from aegis.snapshot import ChainContext, Snapshot
from tests.unit.test_features_chain import make_chain
from tests.unit.test_features_intraday import SESSION, make_bars

EXPIRY = pd.Timestamp("2024-01-25")
DAY = pd.Timestamp("2024-01-22")


def _chain_block(chain: pd.DataFrame, spot: float = 102.0) -> ChainContext:
    features, reason = chain_features(chain, "", spot=spot, expiry=EXPIRY)
    return chain_context(chain, features, reason, expiry=EXPIRY)


# --- chain -----------------------------------------------------------------------------------
def test_chain_block_has_the_hand_computed_features() -> None:
    block = _chain_block(make_chain())
    assert block.available
    assert block.reason is None
    assert block.expiry == EXPIRY.date()
    assert block.timestamp == pd.Timestamp("2024-01-22 15:00", tz="Asia/Kolkata")
    assert block.pcr == pytest.approx(145.0 / 150.0)
    assert block.max_pain_distance == pytest.approx((100.0 - 102.0) / 102.0)
    assert block.oi_concentration_call == pytest.approx(120.0 / 150.0)
    assert block.oi_concentration_put == pytest.approx(130.0 / 145.0)
    assert block.atm_iv == pytest.approx(16.5)
    assert block.skew == pytest.approx(19.0 - 15.0)
    assert block.null_reasons == {}
    assert block.provenance is not None
    assert block.provenance.name == "chain_features"


def test_chain_missing_is_unavailable_with_the_reason() -> None:
    features, reason = chain_features(None, "no option chain in the store", spot=102.0,
                                      expiry=EXPIRY)
    block = chain_context(None, features, reason, expiry=EXPIRY)
    assert features is None
    assert not block.available
    assert block.reason == "no option chain in the store"
    assert block.pcr is None
    assert block.expiry is None


def test_nan_iv_is_null_with_a_reason_naming_the_sides() -> None:
    block = _chain_block(make_chain().assign(iv=0.0))
    assert block.available
    assert block.atm_iv is None
    assert block.skew is None
    for name in ("atm_iv", "skew"):
        assert "no usable IV on the call (CE) and put (PE) side" in block.null_reasons[name]
    assert block.pcr == pytest.approx(145.0 / 150.0)  # OI features unaffected
    assert set(block.null_reasons) == {"atm_iv", "skew"}


def test_one_side_without_iv_nulls_only_the_skew() -> None:
    chain = make_chain()
    chain.loc[chain["option_type"] == "PE", "iv"] = np.nan
    block = _chain_block(chain)
    assert block.atm_iv == pytest.approx(16.0)  # 100: CE 16 only
    assert block.skew is None
    assert block.null_reasons == {"skew": "no usable IV on the put (PE) side of the chain (0 or "
                                          "missing on every strike, as after the expiry or "
                                          "before the open)"}


def test_a_chain_without_iv_column_says_so() -> None:
    block = _chain_block(make_chain().drop(columns="iv"))
    assert block.null_reasons["atm_iv"] == "the option chain has no IV column"


def test_a_side_without_oi_nulls_its_concentration() -> None:
    chain = make_chain()
    chain.loc[chain["option_type"] == "PE", "oi"] = 0.0
    block = _chain_block(chain)
    assert block.pcr == 0.0
    assert block.oi_concentration_put is None
    assert block.null_reasons == {
        "oi_concentration_put": "no put (PE) open interest on any strike of this expiry"}


def test_a_chain_the_analytics_reject_is_unavailable_with_their_message() -> None:
    features, reason = chain_features(make_chain().assign(oi=0.0), "", spot=102.0,
                                      expiry=EXPIRY)
    assert features is None
    assert reason.startswith("the option chain taken 2024-01-22T15:00:00+05:30 cannot be used")
    assert "call open interest" in reason or "open interest on some strike" in reason


# --- which chain: SnapshotBuilder.chain ------------------------------------------------------
def _builder(chain: pd.DataFrame | None, session: pd.Timestamp = DAY) -> SnapshotBuilder:
    features = pd.DataFrame({"close": [100.0]}, index=pd.DatetimeIndex([session]))
    inputs = InferenceInputs(features=features, nifty=features, vix=features, intraday=None,
                             chain=chain, rates=None, rates_path=Path("rates.json"),
                             confidence=0.8, seed=1)
    return SnapshotBuilder(inputs, Champions(Path("models")), datetime(2024, 1, 23, tzinfo=UTC))


def test_the_chain_of_the_session_and_expiry_is_used() -> None:
    rows, reason = _builder(make_chain()).chain(EXPIRY)
    assert reason == ""
    assert rows is not None
    assert len(rows) == 10


@pytest.mark.parametrize(("chain", "session", "expected"), [
    (None, DAY, "no option chain in the store"),
    (make_chain(when="2024-01-19 15:30"), DAY,
     "the latest option chain was taken 2024-01-19T15:30:00+05:30, before the snapshot's "
     "session 2024-01-22: its open interest is stale"),
    (make_chain(expiry="2024-02-01"), DAY,
     "the latest option chain (2024-01-22T15:00:00+05:30) lists no contracts for the "
     "2024-01-25 expiry"),
])
def test_an_unusable_chain_says_why(chain: pd.DataFrame | None, session: pd.Timestamp,
                                    expected: str) -> None:
    rows, reason = _builder(chain, session).chain(EXPIRY)
    assert rows is None
    assert reason == expected


# --- intraday --------------------------------------------------------------------------------
def test_intraday_block_is_the_sessions_features() -> None:
    bars = make_bars(volume=[1.0, 0.0, 0.0, 0.0, 1.0])
    block = intraday_context(bars, DAY)
    row = build_intraday_features(bars).loc[DAY]
    assert block.available
    assert block.session == DAY.date()
    assert block.bars == len(SESSION)
    assert block.last_bar == pd.Timestamp("2024-01-22 09:35", tz="Asia/Kolkata")
    assert block.opening_range_position == pytest.approx((104.0 - 99.0) / (103.0 - 99.0))
    assert block.intraday_rv == row["intraday_rv"]
    assert block.vwap_distance == row["vwap_distance"]
    assert block.vwap_volume_weighted is True
    assert block.null_reasons == {}


def test_only_the_snapshot_sessions_bars_count() -> None:
    bars = pd.concat([make_bars("2024-01-19"), make_bars("2024-01-22")])
    block = intraday_context(bars, DAY)
    assert block.bars == len(SESSION)
    assert block.vwap_volume_weighted is False  # no volume: TWAP
    assert block.intraday_rv == build_intraday_features(make_bars()).loc[DAY, "intraday_rv"]


@pytest.mark.parametrize(("bars", "session", "expected"), [
    (None, DAY, "no intraday bars in the store"),
    (make_bars("2024-01-19"), DAY,
     "no intraday bars for the snapshot's session 2024-01-22: the latest bars are of 2024-01-19"),
    (make_bars("2024-01-23"), DAY,
     "the latest intraday bars are of 2024-01-23, after the snapshot's session 2024-01-22 (its "
     "daily data is not in the validated features yet)"),
])
def test_intraday_of_another_session_is_unavailable(
        bars: pd.DataFrame | None, session: pd.Timestamp, expected: str) -> None:
    block = intraday_context(bars, session)
    assert not block.available
    assert block.reason == expected
    assert block.intraday_rv is None
    assert block.session is None


def test_a_flat_opening_range_is_null_with_its_reason() -> None:
    bars = make_bars()
    bars.iloc[:3] = 100.0  # the first 15 minutes never move
    block = intraday_context(bars, DAY)
    assert block.available
    assert block.opening_range_position is None
    assert block.null_reasons == {"opening_range_position": (
        "the opening range (bars starting in the first 15 minutes) is flat: its high equals its "
        "low")}


def test_unusable_bars_are_unavailable_with_the_row_named() -> None:
    bars = make_bars()
    bars.iloc[2, bars.columns.get_loc("low")] = -1.0
    block = intraday_context(bars, DAY)
    assert not block.available
    assert block.reason is not None
    assert "row 3" in block.reason
    assert "'low'" in block.reason


# --- in the assembled snapshot ---------------------------------------------------------------
NOW = datetime(2024, 6, 15, 3, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def market() -> dict[str, pd.DataFrame]:
    from aegis.features.daily import build_daily_features
    from aegis.market.sources.simulator.market import simulate

    sim = simulate(7, 3.0, end="2024-06-14", intraday_sessions=2, chain_sessions=2)
    chain = sim.option_chain
    return {"features": build_daily_features(sim.nifty, sim.vix), "nifty": sim.nifty,
            "vix": sim.vix, "intraday": sim.nifty_intraday,
            "chain": chain[chain["timestamp"] == chain["timestamp"].max()]}


def _assemble(market: dict[str, pd.DataFrame], **changes: pd.DataFrame | None) -> Snapshot:
    from aegis.models.specs import MODEL_NAMES

    frames = {**market, **changes}
    inputs = InferenceInputs(features=frames["features"], nifty=frames["nifty"],
                             vix=frames["vix"], intraday=frames["intraday"],
                             chain=frames["chain"], rates=None, rates_path=Path("rates.json"),
                             confidence=0.8, seed=1)
    champions = Champions(Path("models"))
    champions.errors = {name: "no model store in this test" for name in MODEL_NAMES}
    return assemble_snapshot(inputs, champions, NOW)


def test_the_snapshot_carries_the_context_of_its_chain_and_session(
        market: dict[str, pd.DataFrame]) -> None:
    snap = _assemble(market)
    context = snap.market_context
    assert context is not None
    chain, intraday = context.chain, context.intraday
    assert chain.available
    assert intraday.available
    assert chain.expiry == snap.expiry.date
    assert chain.pcr == snap.pcr
    assert snap.max_pain is not None
    assert chain.max_pain_distance == pytest.approx((snap.max_pain - snap.spot) / snap.spot)
    assert chain.atm_iv is not None
    assert 0 < chain.atm_iv < 100
    assert intraday.session == pd.Timestamp(market["features"].index[-1]).date()
    assert intraday.last_bar == pd.Timestamp("2024-06-14 15:29", tz="Asia/Kolkata")
    assert snap.as_of == pd.Timestamp("2024-06-14 15:30", tz="Asia/Kolkata")  # the close
    assert intraday.bars == 375  # 09:15..15:29 minute bars
    assert intraday.vwap_volume_weighted is True
    assert "market_context" not in {r.field for r in snap.degraded_reasons}


def test_no_chain_and_no_bars_in_the_snapshot(market: dict[str, pd.DataFrame]) -> None:
    snap = _assemble(market, chain=None, intraday=None)
    context = snap.market_context
    assert context is not None
    assert context.chain.reason == "no option chain in the store"
    assert context.intraday.reason == "no intraday bars in the store"
    reasons = {r.field: r.reason for r in snap.degraded_reasons}
    assert reasons["max_pain"] == reasons["pcr"] == "no option chain in the store"
    assert "market_context" not in reasons  # context, not a forecast: its reason is in the block


def test_a_stale_chain_degrades_max_pain_and_empties_the_chain_context(
        market: dict[str, pd.DataFrame]) -> None:
    stale = market["chain"].assign(timestamp=market["chain"]["timestamp"] - pd.Timedelta(days=3))
    snap = _assemble(market, chain=stale)
    assert snap.max_pain is None
    assert snap.pcr is None
    assert snap.market_context is not None
    reason = snap.market_context.chain.reason
    assert reason is not None
    assert "before the snapshot's session 2024-06-14: its open interest is stale" in reason
    assert {r.field: r.reason for r in snap.degraded_reasons}["max_pain"] == reason


def test_intraday_bars_of_an_older_session_are_not_published(
        market: dict[str, pd.DataFrame]) -> None:
    bars = market["intraday"]
    older = bars[bars.index < bars.index.max().normalize()]
    snap = _assemble(market, intraday=older)
    assert snap.market_context is not None
    block = snap.market_context.intraday
    assert not block.available
    assert block.reason == ("no intraday bars for the snapshot's session 2024-06-14: the latest "
                            "bars are of 2024-06-13")

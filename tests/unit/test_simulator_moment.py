"""The simulator as known at a moment: nothing after now, the same bars whatever now cuts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from aegis.market.ingest import ingest_source
from aegis.market.sources.simulator import SimulatedMarket, SimulatorSource, simulate
from aegis.market.store import MarketStore

DAY = pd.Timestamp("2024-06-14")  # a Friday session
PREVIOUS = pd.Timestamp("2024-06-13")


def at(clock: str) -> pd.Timestamp:
    return pd.Timestamp(f"2024-06-14 {clock}", tz="Asia/Kolkata")


@pytest.fixture(scope="module")
def runs() -> dict[str, SimulatedMarket]:
    return {clock: simulate(3, 0.5, now=at(clock), intraday_sessions=3, chain_sessions=3)
            for clock in ("06:20", "10:00", "11:00", "16:00")}


def _today(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame.index.tz_convert("Asia/Kolkata").normalize().tz_localize(None) == DAY]


def test_at_10_the_session_in_progress_has_only_its_finished_bars(runs: dict) -> None:
    m = runs["10:00"]
    assert m.nifty.index[-1] == PREVIOUS
    assert m.vix.index[-1] == PREVIOUS
    for bars in (m.nifty_intraday, m.vix_intraday):
        today = _today(bars)
        assert today.index[0] == at("09:15")
        assert today.index[-1] == at("09:59")
        assert len(today) == 45
    chain = m.option_chain
    assert chain["timestamp"].max() == at("10:00")
    live = chain[chain["timestamp"] == at("10:00")]
    assert (live["underlying"] == m.nifty_intraday["close"].iloc[-1]).all()
    assert live["expiry"].iloc[0] == pd.Timestamp("2024-06-20")


def test_at_0620_nothing_of_today_exists(runs: dict) -> None:
    m = runs["06:20"]
    assert m.nifty.index[-1] == PREVIOUS
    assert m.vix.index[-1] == PREVIOUS
    assert m.nifty_intraday.index[-1] == pd.Timestamp("2024-06-13 15:29", tz="Asia/Kolkata")
    assert m.vix_intraday.index[-1] == pd.Timestamp("2024-06-13 15:29", tz="Asia/Kolkata")
    assert m.option_chain["timestamp"].max() == pd.Timestamp("2024-06-13 15:30",
                                                             tz="Asia/Kolkata")


def test_the_bars_do_not_depend_on_the_moment(runs: dict) -> None:
    ten, eleven, closed = runs["10:00"], runs["11:00"], runs["16:00"]
    for name in ("nifty_intraday", "vix_intraday"):
        early = getattr(ten, name)
        for later in (getattr(eleven, name), getattr(closed, name)):
            pd.testing.assert_frame_equal(early, later.loc[early.index])
    pd.testing.assert_frame_equal(ten.nifty, closed.nifty.iloc[:-1])
    pd.testing.assert_frame_equal(ten.vix, closed.vix.iloc[:-1])
    again = simulate(3, 0.5, now=at("10:00"), intraday_sessions=3, chain_sessions=3)
    for first, second in zip(ten.series().values(), again.series().values(), strict=True):
        pd.testing.assert_frame_equal(first, second)


def test_after_the_close_the_daily_bars_are_the_minutes(runs: dict) -> None:
    m = runs["16:00"]
    assert m.nifty.index[-1] == DAY
    for daily, minutes in ((m.nifty, m.nifty_intraday), (m.vix, m.vix_intraday)):
        bars = _today(minutes)
        assert len(bars) == 375
        row = daily.loc[DAY]
        assert bars["open"].iloc[0] == row["open"]
        assert bars["high"].max() == row["high"]
        assert bars["low"].min() == row["low"]
        assert bars["close"].iloc[-1] == row["close"]  # India VIX's last bar: the daily close
    assert _today(m.vix_intraday)["volume"].isna().all()
    assert m.option_chain["timestamp"].max() == at("15:30")


def test_vix_minutes_move_within_the_session(runs: dict) -> None:
    bars = _today(runs["16:00"].vix_intraday)
    assert bars["close"].nunique() > 300
    assert ((bars["high"] >= bars[["open", "close"]].max(axis=1))
            & (bars["low"] <= bars[["open", "close"]].min(axis=1))).all()
    assert (bars["open"].iloc[1:].to_numpy() == bars["close"].iloc[:-1].to_numpy()).all()


def test_on_expiry_day_the_chain_lists_the_series_expiring_at_the_close() -> None:
    m = simulate(3, 0.5, now=pd.Timestamp("2024-06-20 14:15", tz="Asia/Kolkata"),
                 intraday_sessions=1, chain_sessions=2)
    live = m.option_chain[m.option_chain["timestamp"] == m.option_chain["timestamp"].max()]
    assert live["timestamp"].iloc[0] == pd.Timestamp("2024-06-20 14:15", tz="Asia/Kolkata")
    assert (live["expiry"] == pd.Timestamp("2024-06-20")).all()
    # 75 minutes before expiry an option far out of the money is nearly worthless
    far = live[(live["option_type"] == "CE") & (live["strike"] > live["underlying"] * 1.03)]
    assert (far["last_price"] <= 0.10).all()
    assert np.isfinite(live["iv"]).all()


def test_a_naive_moment_is_ist() -> None:
    aware = simulate(3, 0.5, now=at("10:00"), intraday_sessions=1, chain_sessions=1)
    naive = simulate(3, 0.5, now=pd.Timestamp("2024-06-14 10:00"), intraday_sessions=1,
                     chain_sessions=1)
    utc = simulate(3, 0.5, now=pd.Timestamp("2024-06-14 04:30", tz="UTC"), intraday_sessions=1,
                   chain_sessions=1)
    for other in (naive, utc):
        pd.testing.assert_frame_equal(aware.nifty_intraday, other.nifty_intraday)


def test_the_store_takes_everything_the_source_gives_at_its_moment(tmp_path: Path) -> None:
    store = MarketStore(tmp_path)
    for clock in ("10:00", "11:00"):
        moment = at(clock).to_pydatetime()
        report = ingest_source(SimulatorSource(3, 0.5, now=moment), store, now=moment)
        assert report.refused == []
        assert report.notes["moment"].startswith(f"2024-06-14T{clock}")
    assert store.read("vix_intraday").index[-1] == at("10:59")
    assert store.read("nifty_daily").index[-1] == PREVIOUS
    # the 11:00 run only added the bars since 10:00 (the earlier ones are unchanged)
    assert report.upserts["nifty_intraday"].inserted == 60

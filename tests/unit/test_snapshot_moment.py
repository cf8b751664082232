"""The snapshot of the moment, replayed through a simulated expiry week at every 30-minute slot.

The clock moves (``now`` is each slot in IST, whatever the machine's zone or the hour the test
runs); the inputs are what the 30-minute chain has at the slot: the daily bars of closed
sessions, today's NIFTY and India VIX 1-minute bars *before* the slot. No model store: every
model stands in as climatology (the model path is checked on the trained deployment in
tests/unit/test_pipeline_moment.py); what is checked here is that every number is of the moment.
"""

from __future__ import annotations

from datetime import datetime, time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from aegis.analytics import touch_probability
from aegis.features.daily import build_daily_features
from aegis.market import calendar
from aegis.market.hours import IST
from aegis.market.moment import moment_at
from aegis.market.sources.simulator import simulate
from aegis.pipeline.inference import Champions, InferenceInputs, assemble_snapshot
from aegis.snapshot import EmpiricalProvenance, FormulaProvenance, Snapshot

# a Thursday expiry week with a holiday-free run-up; the simulator's last session is the expiry
EXPIRY = pd.Timestamp("2024-03-07")
WEEK = calendar.sessions("2024-03-04", EXPIRY)
#: the 30-minute DAG's slots of a session after its first bars: 09:45, 10:15, ..., 15:15
SLOTS = [time(9 + (45 + 30 * i) // 60, (45 + 30 * i) % 60) for i in range(12)]


def _slot(day: pd.Timestamp, at: time) -> datetime:
    return datetime.combine(day.date(), at, IST)


def _vix_bars(nifty_bars: pd.DataFrame, vix_daily: pd.DataFrame, seed: int) -> pd.DataFrame:
    """India VIX 1-minute bars for the simulator's sessions: a bridge from the previous close to
    the day's close with noise (the simulator's VIX is daily only)."""
    rng = np.random.default_rng(seed)
    out = []
    for day, bars in nifty_bars.groupby(nifty_bars.index.tz_convert(IST).normalize()):
        d = pd.Timestamp(day).tz_localize(None)
        prev = float(vix_daily["close"][vix_daily.index < d].iloc[-1])
        close = float(vix_daily.loc[d, "close"])
        n = len(bars)
        path = prev + (close - prev) * np.linspace(0, 1, n) + rng.normal(0, 0.05, n)
        path[-1] = close
        out.append(pd.DataFrame({"open": path, "high": path + 0.02, "low": path - 0.02,
                                 "close": path, "volume": np.nan}, index=bars.index))
    return pd.concat(out)


@pytest.fixture(scope="module")
def market() -> dict[str, pd.DataFrame]:
    sim = simulate(11, 4.0, end=EXPIRY, intraday_sessions=len(WEEK), chain_sessions=0)
    vix_bars = _vix_bars(sim.nifty_intraday, sim.vix, seed=3)
    return {"nifty": sim.nifty, "vix": sim.vix, "bars": sim.nifty_intraday, "vix_bars": vix_bars}


@pytest.fixture(scope="module")
def champions(tmp_path_factory: pytest.TempPathFactory) -> Champions:
    return Champions.load(tmp_path_factory.mktemp("no-models"))


def _snapshot_at(market: dict[str, pd.DataFrame], champions: Champions, at: datetime
                 ) -> Snapshot:
    """What the chain publishes at ``at``: closed sessions' daily bars, bars before ``at``."""
    day = pd.Timestamp(at.date())
    closed = market["nifty"].index < day if at.time() < time(15, 30) else (
        market["nifty"].index <= day)
    nifty, vix = market["nifty"][closed], market["vix"][market["vix"].index.isin(
        market["nifty"].index[closed])]
    stamp = pd.Timestamp(at)
    inputs = InferenceInputs(
        features=build_daily_features(nifty, vix), nifty=nifty, vix=vix,
        intraday=market["bars"][market["bars"].index < stamp],
        vix_intraday=market["vix_bars"][market["vix_bars"].index < stamp], chain=None,
        confidence=0.8, seed=1)
    return assemble_snapshot(inputs, champions, at)


@pytest.fixture(scope="module")
def expiry_day(market: dict[str, pd.DataFrame], champions: Champions) -> list[Snapshot]:
    return [_snapshot_at(market, champions, _slot(EXPIRY, s)) for s in SLOTS]


@pytest.fixture(scope="module")
def day_before(market: dict[str, pd.DataFrame], champions: Champions) -> list[Snapshot]:
    return [_snapshot_at(market, champions, _slot(WEEK[-2], s)) for s in SLOTS]


def test_every_slot_publishes_spot_and_vix_of_the_last_bars_before_it(
        market: dict[str, pd.DataFrame], expiry_day: list[Snapshot],
        day_before: list[Snapshot]) -> None:
    for day, snaps in ((EXPIRY, expiry_day), (WEEK[-2], day_before)):
        for at, snap in zip(SLOTS, snaps, strict=True):
            stamp = pd.Timestamp(_slot(day, at))
            bars = market["bars"][market["bars"].index < stamp]
            vix = market["vix_bars"][market["vix_bars"].index < stamp]
            assert snap.spot == pytest.approx(float(bars["close"].iloc[-1]))
            assert snap.vix == pytest.approx(float(vix["close"].iloc[-1]))
            assert snap.session_state == "open"
            assert "1-minute bar" in snap.provenance.spot.expression  # type: ignore[union-attr]
            assert snap.market_context is not None
            assert snap.market_context.intraday.available
            assert snap.market_context.intraday.session == day.date()


def test_the_expiry_is_the_exchanges_and_the_time_left_falls_slot_by_slot(
        expiry_day: list[Snapshot], day_before: list[Snapshot]) -> None:
    snaps = day_before + expiry_day
    assert {s.expiry.date for s in snaps} == {EXPIRY.date()}
    days = [s.expiry.days for s in snaps]
    assert all(a > b for a, b in zip(days, days[1:], strict=False))
    minutes = [s.expiry.minutes_left for s in expiry_day]
    assert minutes == [375 - 30 * (i + 1) for i in range(12)]
    assert [s.expiry.sessions for s in expiry_day] == [1] * 12
    assert [s.expiry.sessions for s in day_before] == [2] * 12
    assert expiry_day[-1].moment is not None
    assert "15 trading minutes to the 15:30 close" in expiry_day[-1].moment


def test_the_range_narrows_through_the_session(expiry_day: list[Snapshot],
                                               day_before: list[Snapshot]) -> None:
    for snaps in (expiry_day, day_before):
        width = [s.safe_range.upper - s.safe_range.lower for s in snaps
                 if s.safe_range is not None]
        assert len(width) == 12
        assert width[-1] < width[0]


def test_expiry_day_1415_range_and_touch_fit_the_time_left(expiry_day: list[Snapshot]) -> None:
    """The acceptance check: 75 minutes left at 14:15."""
    snap = expiry_day[SLOTS.index(time(14, 15))]
    assert snap.expiry.minutes_left == 75
    tau = 75 / (375 * 252)
    sigma = snap.vix / 100
    reference = 1.2816 * snap.spot * sigma * np.sqrt(tau)
    sr = snap.safe_range
    assert sr is not None
    half = (sr.upper - sr.lower) / 2
    assert 0.5 * reference <= half <= 1.6 * reference
    assert isinstance(sr.provenance, EmpiricalProvenance)
    assert "carried to the fraction left" in (sr.provenance.method or "")
    for b in snap.breach_probabilities:
        if abs(b.distance_pct) >= 1.0:
            p = float(touch_probability(snap.spot, b.strike, sigma, tau * 365))
            assert b.touch <= max(3 * p, p + 0.03), (b.strike, b.touch, p)
        assert b.close_beyond <= b.touch
        assert b.provenance.kind == "formula"


def test_trap_and_stress_move_with_the_moment_on_expiry_day(expiry_day: list[Snapshot]) -> None:
    traps = {s.trap.score for s in expiry_day if s.trap is not None}
    stresses = {s.expiry_stress.score for s in expiry_day if s.expiry_stress is not None}
    assert len(traps) >= 5
    assert len(stresses) >= 5
    assert expiry_day[0].trap is not None
    prov = expiry_day[0].trap.provenance
    assert isinstance(prov, FormulaProvenance)
    assert "trained at closes" in (prov.reason or "")


def test_the_day_before_uses_the_models_path_with_the_moments_inputs(
        day_before: list[Snapshot]) -> None:
    """Without a store every model is climatology (degraded), but the range and breach move."""
    touches = {round(s.breach_probabilities[0].touch, 12) for s in day_before}
    assert all(s.expiry.horizon_sessions is not None and s.expiry.horizon_sessions > 1
               for s in day_before)
    assert len({s.safe_range.k for s in day_before if s.safe_range}) > 1  # interpolated k
    assert touches  # climatology of the strike offset (no model): published, with its reason
    assert all(s.status == "degraded" for s in day_before)


def test_the_store_refuses_todays_daily_bar_until_the_close(tmp_path: Path) -> None:
    """The evening before in UTC (already the session's day in IST), in session, after."""
    from aegis.market.store import MarketStore

    sim = simulate(11, 1.0, end=EXPIRY, intraday_sessions=0, chain_sessions=0)
    for moment, stored_last in (("2024-03-06T21:43:00+00:00", "2024-03-06"),
                                ("2024-03-07T10:00:00+05:30", "2024-03-06"),
                                ("2024-03-07T16:00:00+05:30", "2024-03-07")):
        store = MarketStore(tmp_path / moment.replace(":", ""))
        result = store.upsert("nifty_daily", sim.nifty,
                              now=datetime.fromisoformat(moment))
        assert store.read("nifty_daily").index[-1] == pd.Timestamp(stored_last)
        assert len(result.refused) == (0 if stored_last == "2024-03-07" else 1)


def test_moment_after_the_expiry_close_moves_to_next_week() -> None:
    m = moment_at(datetime(2024, 3, 7, 15, 45, tzinfo=IST))
    assert m.state == "closed"
    assert m.expiry.isoformat() == "2024-03-14"
    before = moment_at(datetime(2024, 3, 7, 15, 29, tzinfo=IST))
    assert before.expiry.isoformat() == "2024-03-07"
    assert before.minutes_left == pytest.approx(1.0)


# --- the ledger: intraday forecasts settle from their moment, expiry day included -----------
def test_expiry_day_forecasts_settle_from_their_own_moment(
        market: dict[str, pd.DataFrame], expiry_day: list[Snapshot],
        day_before: list[Snapshot]) -> None:
    from aegis.ledger import live_track_record, score_ledger, snapshot_rows

    ledger = pd.concat([snapshot_rows(s) for s in day_before + expiry_day], ignore_index=True)
    closed = market["nifty"][market["nifty"].index <= EXPIRY]
    scored = score_ledger(ledger, closed, market["vix"], market["bars"])
    expiry_rows = scored[scored["field"].isin(["trap", "expiry_stress", "breach_touch",
                                               "breach_close", "safe_range"])]
    assert expiry_rows["outcome"].notna().all()  # expiry-day snapshots settle too
    assert (pd.DatetimeIndex(expiry_rows["settled_on"]) == EXPIRY).all()
    settle = float(closed["close"].iloc[-1])
    for snap in expiry_day:
        row = scored[(scored["generated_at"] == pd.Timestamp(snap.generated_at))
                     & (scored["field"] == "expiry_stress")].iloc[0]
        band = snap.vix / 100 * np.sqrt(snap.expiry.days / 365)
        assert row["outcome"] == float(abs(np.log(settle / snap.spot)) > band)
        sr = snap.safe_range
        assert sr is not None
        inside = scored[(scored["generated_at"] == pd.Timestamp(snap.generated_at))
                        & (scored["field"] == "safe_range")].iloc[0]["outcome"]
        assert inside == float(sr.lower <= settle <= sr.upper)
    # a touch is read from the bars after the forecast, not the whole day's range
    last = expiry_day[-1]
    after = market["bars"][(market["bars"].index >= pd.Timestamp(last.as_of))
                           & (market["bars"].index.normalize() == EXPIRY.tz_localize(IST))]
    for b in last.breach_probabilities:
        row = scored[(scored["generated_at"] == pd.Timestamp(last.generated_at))
                     & (scored["field"] == "breach_touch") & (scored["key"] == f"{b.strike:g}")]
        hit = after["high"].max() >= b.strike if b.strike > last.spot else \
            after["low"].min() <= b.strike
        assert row["outcome"].iloc[0] == float(hit)
    record = live_track_record(scored)
    assert set(record["expiry_stress"]["by_slot"]) == {f"{t:%H:%M}" for t in SLOTS}
    assert record["safe_range"]["by_slot"]["14:15"]["n"] == 2  # the day before and expiry day


def _session_ledger(values: list[float], spots: list[float], provenance: str = "model"
                    ) -> pd.DataFrame:
    stamps = pd.date_range("2024-03-06 04:15", periods=len(values), freq="30min", tz="UTC")
    return pd.DataFrame({
        "generated_at": stamps, "as_of": stamps, "field": "trap", "key": "", "value": values,
        "provenance": provenance, "spot": spots, "vix": 14.0})


def test_a_number_frozen_within_a_session_is_flagged_while_its_inputs_moved() -> None:
    from aegis.ledger import frozen_within_session

    moving = [22000.0 + 40 * i for i in range(6)]
    problems = frozen_within_session(_session_ledger([0.31] * 6, moving))
    assert len(problems) == 1
    assert "trap: published 0.3100 in all 6 snapshots of 2024-03-06" in problems[0]
    assert frozen_within_session(_session_ledger([0.31 + 0.01 * i for i in range(6)],
                                                 moving)) == []
    assert frozen_within_session(_session_ledger([0.31] * 6, [22000.0] * 6)) == []  # inputs still
    assert frozen_within_session(_session_ledger([0.25] * 6, moving, "empirical")) == []


def test_one_field_failing_its_checks_degrades_that_field_and_the_rest_publishes(
        market: dict[str, pd.DataFrame], champions: Champions,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Replayed on expiry day the old code published nothing when one strike's close-beyond
    exceeded its touch; now close-beyond is capped by construction, and any block that still
    fails its own checks is that field's degraded reason, not a missing snapshot."""
    from aegis.pipeline.inference import SnapshotBuilder
    from aegis.snapshot import Breach

    def broken(self: SnapshotBuilder, strikes: list[float]) -> list[Breach]:
        prov = {"kind": "formula", "name": "x", "expression": "x"}
        cal = {"reason": "x"}
        return [Breach.model_validate({"strike": 19150.0, "side": "below", "touch": 0.01,
                                       "close_beyond": 0.02, "distance_pct": -5.0,
                                       "provenance": prov,
                                       "calibration": {"touch": cal, "close_beyond": cal}})]

    monkeypatch.setattr(SnapshotBuilder, "breach", broken)
    snap = _snapshot_at(market, champions, _slot(EXPIRY, time(11, 45)))
    assert snap.breach_probabilities == []
    reason = next(r.reason for r in snap.degraded_reasons if r.field == "breach_probabilities")
    assert "strike 19150.0: close_beyond exceeds touch" in reason
    assert snap.safe_range is not None
    assert snap.trap is not None


def test_unreadable_bars_degrade_spot_and_the_snapshot_still_publishes(
        market: dict[str, pd.DataFrame], champions: Champions) -> None:
    at = _slot(EXPIRY, time(11, 15))
    bad = market["bars"].copy()
    today = bad.index.tz_convert(IST).normalize().tz_localize(None) == EXPIRY
    bad.loc[today, "low"] = -1.0  # a broken feed: every bar of today unusable
    snap = _snapshot_at({**market, "bars": bad}, champions, at)
    reason = next(r.reason for r in snap.degraded_reasons if r.field == "spot")
    assert "cannot be read as a provisional daily bar" in reason
    assert snap.spot == float(market["nifty"]["close"][market["nifty"].index < EXPIRY].iloc[-1])


def test_with_intraday_history_the_expiry_session_k_is_fitted_on_session_remainders(
        champions: Champions) -> None:
    """Thirty sessions of bars in the store: ``k`` for the expiry day's remainder is the
    quantile of past sessions' slot-to-close moves (empirical), not the carried daily fit."""
    sim = simulate(11, 4.0, end=EXPIRY, intraday_sessions=31, chain_sessions=0)
    market = {"nifty": sim.nifty, "vix": sim.vix, "bars": sim.nifty_intraday,
              "vix_bars": _vix_bars(sim.nifty_intraday, sim.vix, seed=5)}
    snap = _snapshot_at(market, champions, _slot(EXPIRY, time(14, 15)))
    sr = snap.safe_range
    assert sr is not None
    assert isinstance(sr.provenance, EmpiricalProvenance)
    assert "session remainders (30 sessions of intraday bars" in (sr.provenance.method or "")
    assert sr.provenance.window.to < EXPIRY.date()  # fitted on earlier sessions only
    reference = 1.2816 * snap.spot * snap.vix / 100 * np.sqrt(75 / (375 * 252))
    assert 0.5 * reference <= (sr.upper - sr.lower) / 2 <= 1.6 * reference

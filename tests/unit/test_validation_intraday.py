"""The intraday suite on both series: a bad bar fails, named by series, bar time and rule;
the pipeline's gate checks the new bars and the session in progress, not the whole history."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from aegis import pipeline
from aegis.config import get_settings
from aegis.market.ingest import ingest_source
from aegis.market.sources.history import HistorySource
from aegis.market.sources.simulator import simulate
from aegis.market.store import MarketStore
from aegis.pipeline.data import bars_to_validate
from aegis.pipeline.paths import features_path, sha256_of
from aegis.validation import validate_frames
from tests.unit.test_validation_frames import failed_set

SUITES = {"nifty_intraday": "intraday_bars", "vix_intraday": "intraday_bars"}
BETWEEN = "expect_column_values_to_be_between"
IST = "Asia/Kolkata"


def minutes(clock: str = "11:00", seed: int = 5) -> tuple[pd.DataFrame, pd.DataFrame]:
    m = simulate(seed, 0.3, now=pd.Timestamp(f"2024-06-14 {clock}", tz=IST),
                 intraday_sessions=2, chain_sessions=0)
    return m.nifty_intraday, m.vix_intraday


def test_both_series_pass_and_a_bad_vix_bar_is_named() -> None:
    nifty, vix = minutes()
    bad_at = pd.Timestamp("2024-06-14 10:03", tz=IST)
    vix = vix.copy()
    vix.loc[bad_at, "high"] = vix.loc[bad_at, "low"] - 0.5  # high below low
    report = validate_frames({"nifty_intraday": nifty, "vix_intraday": vix}, suites=SUITES)
    assert report.suite("nifty_intraday").success
    failed = report.suite("vix_intraday")
    assert not failed.success
    assert failed.expectation_suite == "intraday_bars"
    assert ("expect_column_pair_values_a_to_be_greater_than_b", "high,low") in failed_set(
        report, "vix_intraday")
    text = report.describe_failures()
    assert "suite 'vix_intraday' (suite 'intraday_bars') failed" in text
    assert "expect_column_pair_values_a_to_be_greater_than_b" in text
    assert "at 2024-06-14T10:03:00+05:30" in text
    assert "nifty_intraday" not in text


def test_a_slipped_decimal_and_a_live_tick_fail_their_rules() -> None:
    _, vix = minutes()
    slip_at = pd.Timestamp("2024-06-14 10:30", tz=IST)
    vix = vix.copy()
    vix.loc[slip_at, ["open", "high", "low", "close"]] = [1325.0, 1325.0, 1325.0, 1325.0]
    tick = vix.iloc[[-1]].set_axis(pd.DatetimeIndex(
        [pd.Timestamp("2024-06-14 10:59:23", tz=IST)], name="timestamp"))
    report = validate_frames({"vix_intraday": pd.concat([vix, tick])}, suites=SUITES)
    failed = {f.column: f for f in report.suite("vix_intraday").failed}
    assert failed["minute_move"].expectation_type == BETWEEN
    # the jump into the slipped bar and the one back out of it
    assert failed["minute_move"].unexpected_count == 2
    assert "2024-06-14T10:30:00+05:30" in failed["minute_move"].summary()
    assert "2024-06-14T10:59:23+05:30" in failed["second_of_minute"].summary()


def test_bars_to_validate_are_the_new_ones_and_the_latest_session() -> None:
    nifty, _ = minutes()
    days = nifty.index.tz_convert(IST).normalize()
    assert bars_to_validate(nifty, None).equals(nifty)
    yesterday_close = nifty.index[days < days.max()][-1]
    today = bars_to_validate(nifty, yesterday_close)
    assert today.index[0] == pd.Timestamp("2024-06-14 09:15", tz=IST)
    assert len(today) == 105
    # a validation at 10:00 saw bars to 09:59: at 11:00 the whole session is checked again
    again = bars_to_validate(nifty, pd.Timestamp("2024-06-14 09:59", tz=IST))
    assert again.equals(today)
    # bars of an older session that arrived after the last validation are new rows too
    two_days = bars_to_validate(nifty, nifty.index[200])
    assert two_days.index[0] == nifty.index[201]


def test_the_gate_checks_todays_bars_of_both_series(
    aegis_home: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:
    monkeypatch.setenv("AEGIS_SIM_YEARS", "2")
    monkeypatch.setenv("AEGIS_CLOCK", "2024-06-14T11:00:00+05:30")
    get_settings.cache_clear()
    pipeline.ingest()
    run = pipeline.build_features()["run_id"]
    first = pipeline.validate(run)
    settings = get_settings()
    validated_sha = sha256_of(features_path(settings))
    assert first["intraday_validated_to"] == {
        "nifty_intraday": "2024-06-14T10:59:00+05:30",
        "vix_intraday": "2024-06-14T10:59:00+05:30"}
    # a later slot: the new file's bad VIX bar fails the gate, which publishes nothing
    monkeypatch.setenv("AEGIS_CLOCK", "2024-06-14T11:30:00+05:30")
    get_settings.cache_clear()
    settings = get_settings()
    _, vix = minutes("11:30", seed=settings.seed)
    bars = vix[vix.index >= pd.Timestamp("2024-06-14 11:00", tz=IST)].copy()
    # a slipped decimal: a consistent bar the loader keeps, 100 times India VIX's level
    bars.loc[pd.Timestamp("2024-06-14 11:12", tz=IST), ["open", "high", "low", "close"]] *= 100
    path = tmp_path / "vixbars.csv"
    bars.drop(columns="volume").to_csv(path)
    store = MarketStore(settings.resolved_data_dir)
    moment = settings.now()
    report = ingest_source(HistorySource([path], symbol="INDIAVIX", now=moment), store,
                           now=moment)
    # the store's plausibility check holds it for review before any suite runs (issue 22):
    # nothing wrong gets in, so the gate sees only sound bars
    assert report.upserts["vix_intraday"].held == 1
    stored = store.read("vix_intraday")
    assert pd.Timestamp("2024-06-14 11:12", tz=IST) not in stored.index  # held, not stored
    run = pipeline.build_features()["run_id"]
    result = pipeline.validate(run)
    assert result["success"] is True
    assert sha256_of(features_path(settings)) == validated_sha
    assert result["intraday_validated_to"]["vix_intraday"] == "2024-06-14T11:29:00+05:30"

"""Live sources: parsing recorded responses; failing fast when offline."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from aegis.errors import LiveSourceError
from aegis.market.sources import live

FIX = Path(__file__).parents[1] / "fixtures" / "market" / "live"


def recorded(name: str) -> object:
    return json.loads((FIX / name).read_text())


def test_parse_yahoo_chart_daily() -> None:
    frame = live.parse_yahoo_chart(recorded("yahoo_chart_nsei.json"))
    assert frame.attrs["symbol"] == "NIFTY50"
    assert frame.index.name == "session"
    # 1711424700 = 2024-03-26 03:45 UTC = 09:15 IST; the null first bar is dropped
    assert list(frame.index) == list(pd.to_datetime(["2024-03-26", "2024-03-27", "2024-03-28"]))
    assert frame["close"].tolist() == [21962.0, 22123.65, 22326.9]
    assert frame["volume"].iloc[0] == 282100
    assert np.isnan(frame["volume"].iloc[-1])


def test_parse_yahoo_error_and_garbage() -> None:
    with pytest.raises(LiveSourceError, match="Not Found"):
        live.parse_yahoo_chart(recorded("yahoo_chart_error.json"))
    with pytest.raises(LiveSourceError, match="expected chart.result"):
        live.parse_yahoo_chart({"something": 1})


def test_parse_nse_option_chain() -> None:
    chain = live.parse_nse_option_chain(recorded("nse_option_chain.json"))
    assert len(chain) == 4
    assert chain["timestamp"].iloc[0] == pd.Timestamp("2024-03-27 15:30", tz="Asia/Kolkata")
    first = chain.iloc[0]
    assert (first["expiry"], first["strike"], first["option_type"], first["oi"],
            first["last_price"], first["iv"]) == (
        pd.Timestamp("2024-03-28"), 22000.0, "CE", 51234.0, 160.5, 12.5)
    pe = chain[(chain["strike"] == 22000.0) & (chain["option_type"] == "PE")].iloc[0]
    assert np.isnan(pe["iv"])  # NSE's 0 means "not computed"
    assert set(chain["expiry"]) == {pd.Timestamp("2024-03-28"), pd.Timestamp("2024-04-04")}
    with pytest.raises(LiveSourceError, match="blocks"):
        live.parse_nse_option_chain({})


def test_offline_fails_fast(monkeypatch: pytest.MonkeyPatch) -> None:
    # port 9 on loopback refuses the connection: the same path as no network at all
    monkeypatch.setattr(live, "YAHOO_CHART_URL", "http://127.0.0.1:9/{symbol}")
    monkeypatch.setattr(live, "NSE_HOME_URL", "http://127.0.0.1:9/option-chain")
    start = time.monotonic()
    with pytest.raises(LiveSourceError, match="127.0.0.1"):
        live.fetch_yahoo_daily("^NSEI", timeout=2.0)
    with pytest.raises(LiveSourceError, match="unreachable"):
        live.fetch_nse_option_chain(timeout=2.0)
    assert time.monotonic() - start < 30  # generous: proves "never hangs", not speed


CAPTURED = pd.Timestamp("2024-06-14 09:25:40", tz="Asia/Kolkata")  # when the 1m charts were taken


def test_parse_yahoo_intraday_nifty_drops_nulls_and_the_minute_in_progress() -> None:
    frame = live.parse_yahoo_chart(recorded("yahoo_chart_nsei_1m.json"))
    assert frame.index.name == "timestamp"
    assert str(frame.index.tz) == "Asia/Kolkata"
    # UTC epoch 1718336700 with gmtoffset 19800 is 09:15 IST; the null 09:19 bar is dropped
    assert frame.index[0] == pd.Timestamp("2024-06-14 09:15", tz="Asia/Kolkata")
    assert pd.Timestamp("2024-06-14 09:19", tz="Asia/Kolkata") not in frame.index
    bars, notes = live.finished_bars(frame, CAPTURED.to_pydatetime(), what="^NSEI intraday")
    assert bars.attrs["symbol"] == "NIFTY50"
    assert bars.index[-1] == pd.Timestamp("2024-06-14 09:24", tz="Asia/Kolkata")
    assert len(bars) == 9  # 09:15..09:24 without 09:19; 09:25 ends at 09:26, after the capture
    assert bars["close"].iloc[-1] == 23463.7
    assert bars["volume"].isna().all()  # ^NSEI reports volume 0: unknown
    assert any("09:25:00+05:30 dropped: still in progress" in n for n in notes)
    assert any("1 bars with null prices" in n for n in notes)
    later, later_notes = live.finished_bars(frame, (CAPTURED + pd.Timedelta(minutes=1)
                                                    ).to_pydatetime())
    assert later.index[-1] == pd.Timestamp("2024-06-14 09:25", tz="Asia/Kolkata")
    assert not any("in progress" in n for n in later_notes)


def test_parse_yahoo_intraday_vix_drops_the_live_tick() -> None:
    frame = live.parse_yahoo_chart(recorded("yahoo_chart_indiavix_1m.json"))
    bars, notes = live.finished_bars(frame, CAPTURED.to_pydatetime(), what="^INDIAVIX intraday")
    assert bars.attrs["symbol"] == "INDIAVIX"
    # the last element is the live quote at 09:25:38 (not on the minute): never a bar
    assert bars.index[-1] == pd.Timestamp("2024-06-14 09:24", tz="Asia/Kolkata")
    assert len(bars) == 9
    assert bars["volume"].isna().all()
    assert (bars.index == bars.index.floor("min")).all()
    assert any("09:25:38+05:30 dropped: still in progress" in n for n in notes)
    assert (bars["high"] >= bars[["open", "close"]].max(axis=1)).all()


def test_the_in_progress_daily_bar_is_never_returned() -> None:
    frame = live.parse_yahoo_chart(recorded("yahoo_chart_nsei_daily_in_session.json"))
    assert frame.index[-1] == pd.Timestamp("2024-06-14")  # Yahoo's bar of the open session
    at_10 = pd.Timestamp("2024-06-14 10:07", tz="Asia/Kolkata").to_pydatetime()
    bars, notes = live.finished_bars(frame, at_10, what="^NSEI daily")
    assert bars.index[-1] == pd.Timestamp("2024-06-13")
    assert notes == ["^NSEI daily: daily bar of 2024-06-14 dropped: the session has not closed "
                     "at 2024-06-14T10:07+05:30 IST (Yahoo's in-progress bar; the session "
                     "lives in its 1-minute bars)"]
    # whatever the machine's zone: 21:43 UTC the evening before is 03:13 IST, before the close
    evening = pd.Timestamp("2024-06-13 21:43", tz="UTC").to_pydatetime()
    assert live.finished_bars(frame, evening)[0].index[-1] == pd.Timestamp("2024-06-13")
    closed = pd.Timestamp("2024-06-14 16:00", tz="Asia/Kolkata").to_pydatetime()
    assert live.finished_bars(frame, closed)[0].index[-1] == pd.Timestamp("2024-06-14")


def test_bars_outside_the_session_are_dropped_with_a_note() -> None:
    stamps = pd.DatetimeIndex(["2024-06-14 09:14", "2024-06-14 15:29", "2024-06-14 15:30"],
                              tz="Asia/Kolkata", name="timestamp")
    frame = pd.DataFrame({c: [1.0, 1.0, 1.0] for c in ("open", "high", "low", "close")}
                         | {"volume": [np.nan] * 3}, index=stamps)
    bars, notes = live.finished_bars(frame, pd.Timestamp("2024-06-14 16:00",
                                                         tz="Asia/Kolkata").to_pydatetime())
    assert list(bars.index) == [stamps[1]]
    assert len(notes) == 2
    assert all("outside the NSE session" in n for n in notes)


def test_live_source_returns_only_what_happened(monkeypatch: pytest.MonkeyPatch) -> None:
    charts = {("^NSEI", "1m"): "yahoo_chart_nsei_1m.json",
              ("^INDIAVIX", "1m"): "yahoo_chart_indiavix_1m.json",
              ("^NSEI", "1d"): "yahoo_chart_nsei_daily_in_session.json",
              ("^INDIAVIX", "1d"): "yahoo_chart_nsei_daily_in_session.json"}
    asked: list[str] = []

    class Recorded:
        def get(self, url: str, **kwargs: object) -> object:
            asked.append(url)
            symbol = url.split("/chart/")[1].split("?")[0]
            interval = url.split("interval=")[1]
            payload = recorded(charts[(symbol, interval)])

            class Answer:
                def raise_for_status(self) -> None: ...
                def json(self) -> object:
                    return payload
            return Answer()

    monkeypatch.setattr("requests.Session", Recorded)
    monkeypatch.setattr(live, "fetch_nse_option_chain",
                        lambda symbol, *, timeout: live.parse_nse_option_chain(
                            recorded("nse_option_chain.json")))
    frames = live.LiveSource(timeout=3.0, now=CAPTURED.to_pydatetime()).fetch()
    assert set(frames.series()) == {"nifty_intraday", "vix_intraday", "nifty_daily",
                                    "vix_daily", "option_chain"}
    assert "range=1d&interval=1m" in asked[0]
    assert frames.nifty_intraday is not None
    assert frames.vix_intraday is not None
    assert frames.nifty_intraday.index.max() < CAPTURED - pd.Timedelta(minutes=1)
    assert frames.nifty_daily is not None
    assert frames.nifty_daily.index.max() == pd.Timestamp("2024-06-13")
    assert any("2024-06-14 dropped" in n for n in frames.notes["dropped"])
    assert frames.notes["moment"].startswith("2024-06-14T09:25:40")

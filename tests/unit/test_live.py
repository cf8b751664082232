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

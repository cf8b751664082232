"""Live sources for users with internet: Yahoo's chart API and NSE's option-chain JSON.

Both fetchers use ``requests`` with the timeout they are given (the edge passes
``Settings.live_timeout_s``; nothing here reads settings) and turn every network or format
failure into :class:`~aegis.errors.LiveSourceError` at once -- they never retry forever or hang.
The parsers are pure functions of the decoded JSON, tested on recorded responses
(``tests/fixtures/market/live``). :class:`LiveSource` is the two together as a market source.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pandas as pd

from aegis.errors import LiveSourceError
from aegis.market.frames import CHAIN_COLUMNS, INDIAVIX, IST, NIFTY, OHLCV
from aegis.market.sources.base import MarketFrames

YAHOO_CHART_URL: Final = "https://query1.finance.yahoo.com/v8/finance/chart/{symbol}"
NSE_HOME_URL: Final = "https://www.nseindia.com/option-chain"
NSE_CHAIN_URL: Final = "https://www.nseindia.com/api/option-chain-indices?symbol={symbol}"
YAHOO_SYMBOLS: Final = {"^NSEI": NIFTY, "^INDIAVIX": INDIAVIX}
HEADERS: Final = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) AegisMatrix/0.1",
                  "Accept": "application/json,text/html;q=0.9", "Accept-Language": "en-US"}


def _get_json(session: Any, url: str, timeout: float) -> Any:
    import requests

    try:
        response = session.get(url, headers=HEADERS, timeout=(min(timeout, 5.0), timeout))
        response.raise_for_status()
        return response.json()
    except requests.RequestException as exc:
        raise LiveSourceError(f"{url}: no usable answer within {timeout:g} s "
                              f"({type(exc).__name__}: {exc})") from exc
    except ValueError as exc:
        raise LiveSourceError(f"{url}: expected JSON, got something else ({exc})") from exc


def fetch_yahoo_daily(symbol: str = "^NSEI", *, range_: str = "1y", interval: str = "1d",
                      timeout: float, session: Any = None) -> pd.DataFrame:
    """Daily (or intraday, with ``interval`` like ``"1m"``) bars of ``^NSEI``/``^INDIAVIX``.

    ``timeout`` is the read timeout in seconds (connecting gets at most 5 s of it).

    Raises
    ------
    LiveSourceError
        Offline, timed out, HTTP error, or an answer that is not a chart.
    """
    import requests

    url = YAHOO_CHART_URL.format(symbol=symbol) + f"?range={range_}&interval={interval}"
    payload = _get_json(session or requests.Session(), url, timeout)
    return parse_yahoo_chart(payload, source=url)


def parse_yahoo_chart(payload: Any, *, source: str = "yahoo chart") -> pd.DataFrame:
    """Yahoo v8 chart JSON -> canonical daily frame (``session``) or intraday (``timestamp``).

    Daily bars are dated by their IST date; rows with a null close (Yahoo's placeholder for a
    bar in progress or a holiday) are dropped; India VIX volume is NaN.
    """
    try:
        chart = payload["chart"]
        if chart.get("error"):
            raise LiveSourceError(f"{source}: Yahoo error {chart['error']}")
        result = chart["result"][0]
        meta = result.get("meta", {})
        stamps = result["timestamp"]
        quote = result["indicators"]["quote"][0]
    except (KeyError, IndexError, TypeError) as exc:
        raise LiveSourceError(f"{source}: expected chart.result[0] with timestamp and "
                              f"indicators.quote; got keys {_keys(payload)}") from exc
    times = pd.to_datetime(pd.Series(stamps, dtype="int64"), unit="s", utc=True).dt.tz_convert(IST)
    frame = pd.DataFrame({c: pd.to_numeric(pd.Series(quote.get(c, [None] * len(stamps))),
                                           errors="coerce").astype("float64") for c in OHLCV})
    symbol = YAHOO_SYMBOLS.get(str(meta.get("symbol", "")).upper())
    daily = str(meta.get("dataGranularity", "1d")).endswith(("d", "wk", "mo"))
    if daily:
        frame.index = pd.DatetimeIndex(times.dt.tz_localize(None).dt.normalize(), name="session")
    else:
        frame.index = pd.DatetimeIndex(times, name="timestamp")
    frame = frame[frame["close"].notna() & (frame["close"] > 0)]
    frame = frame[~frame.index.duplicated(keep="last")].sort_index()
    frame.loc[frame["volume"] == 0, "volume"] = np.nan
    if symbol == INDIAVIX:
        frame["volume"] = np.nan
    frame.attrs["symbol"] = symbol
    return frame


def fetch_nse_option_chain(symbol: str = "NIFTY", *, timeout: float,
                           session: Any = None) -> pd.DataFrame:
    """The current NSE option chain of an index (cookie from the NSE page, then the JSON API).

    Raises
    ------
    LiveSourceError
        Offline, timed out, blocked (NSE answers ``{}``), or an unexpected shape.
    """
    import requests

    sess = session or requests.Session()
    limit = timeout
    try:
        sess.get(NSE_HOME_URL, headers=HEADERS, timeout=(min(limit, 5.0), limit))
    except requests.RequestException as exc:
        raise LiveSourceError(f"{NSE_HOME_URL}: unreachable within {limit:g} s ({exc})") from exc
    url = NSE_CHAIN_URL.format(symbol=symbol)
    return parse_nse_option_chain(_get_json(sess, url, limit), source=url)


def parse_nse_option_chain(payload: Any, *, source: str = "nse option chain") -> pd.DataFrame:
    """NSE ``option-chain-indices`` JSON -> canonical long chain (one row per strike and side).

    The snapshot time is ``records.timestamp`` (IST). Sides without a quote (no ``CE``/``PE``
    object) are absent; IV 0 means "not computed" and becomes NaN.
    """
    try:
        records = payload["records"]
        rows = records["data"]
        stamp = pd.Timestamp(pd.to_datetime(records["timestamp"], format="%d-%b-%Y %H:%M:%S"))
        spot = float(records.get("underlyingValue", np.nan))
    except (KeyError, TypeError, ValueError) as exc:
        raise LiveSourceError(f"{source}: expected records.data and records.timestamp; got "
                              f"keys {_keys(payload)} (NSE answers {{}} when it blocks)") from exc
    out = []
    for item in rows:
        for side in ("CE", "PE"):
            q = item.get(side)
            if not isinstance(q, dict):
                continue
            out.append({
                "timestamp": stamp.tz_localize(IST),
                "expiry": pd.to_datetime(item["expiryDate"], format="%d-%b-%Y"),
                "strike": float(item["strikePrice"]), "option_type": side,
                "oi": q.get("openInterest"), "oi_change": q.get("changeinOpenInterest"),
                "last_price": q.get("lastPrice"), "iv": q.get("impliedVolatility"),
                "bid": q.get("bidprice"), "ask": q.get("askPrice"),
                "volume": q.get("totalTradedVolume"),
                "underlying": q.get("underlyingValue", spot),
            })
    if not out:
        raise LiveSourceError(f"{source}: the chain has no strikes")
    frame = pd.DataFrame(out)
    for c in ("oi", "oi_change", "last_price", "iv", "bid", "ask", "volume", "underlying"):
        frame[c] = pd.to_numeric(frame[c], errors="coerce").astype("float64")
    frame.loc[frame["iv"] <= 0, "iv"] = np.nan
    frame = frame.sort_values(["expiry", "strike", "option_type"], kind="stable")
    return frame[CHAIN_COLUMNS].reset_index(drop=True)


def _keys(payload: Any) -> list[str]:
    return sorted(payload)[:10] if isinstance(payload, dict) else [type(payload).__name__]


@dataclass(frozen=True)
class LiveSource:
    """Yahoo daily bars of NIFTY 50 and India VIX, and NSE's current NIFTY option chain.

    ``timeout`` (seconds, per request) comes from the caller (``Settings.live_timeout_s``).
    """

    timeout: float
    name: str = "live"

    def fetch(self) -> MarketFrames:
        """One request per series; any failure raises :class:`~aegis.errors.LiveSourceError`."""
        return MarketFrames(
            nifty_daily=fetch_yahoo_daily("^NSEI", timeout=self.timeout),
            vix_daily=fetch_yahoo_daily("^INDIAVIX", timeout=self.timeout),
            option_chain=fetch_nse_option_chain("NIFTY", timeout=self.timeout),
            notes={"live": True},
        )

"""Live sources for users with internet: Yahoo's chart API and NSE's option-chain JSON.

Both fetchers use ``requests`` with the timeout they are given (the edge passes
``Settings.live_timeout_s``; nothing here reads settings) and turn every network or format
failure into :class:`~aegis.errors.LiveSourceError` at once -- they never retry forever or hang.
The parsers are pure functions of the decoded JSON, tested on recorded responses
(``tests/fixtures/market/live``). :class:`LiveSource` is the two together as a market source.

What has not happened is never returned (:func:`finished_bars`, given the moment): Yahoo's
daily chart carries, during a session, a bar for today that moves until the close (dropped: a
daily bar is final only after 15:30 IST), and its 1-minute chart ends with the minute in
progress (dropped: a bar is kept once its minute has ended). Yahoo marks minutes without a
quote with nulls (dropped); bars outside the 09:15-15:30 IST session are dropped. Each drop is
said in the fetch's notes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

import numpy as np
import pandas as pd

from aegis.errors import LiveSourceError
from aegis.market.frames import CHAIN_COLUMNS, INDIAVIX, IST, NIFTY, OHLC, OHLCV
from aegis.market.hours import CLOSE_AFTER_MIDNIGHT, OPEN_AFTER_MIDNIGHT
from aegis.market.sources.base import MarketFrames

YAHOO_CHART_URL: Final = "https://query1.finance.yahoo.com/v8/finance/chart/{symbol}"
NSE_HOME_URL: Final = "https://www.nseindia.com/option-chain"
NSE_CHAIN_URL: Final = "https://www.nseindia.com/api/option-chain-indices?symbol={symbol}"
YAHOO_SYMBOLS: Final = {"^NSEI": NIFTY, "^INDIAVIX": INDIAVIX}
#: Yahoo's 1-minute chart of the current (or last) session.
INTRADAY_RANGE: Final = "1d"
INTRADAY_INTERVAL: Final = "1m"
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


def fetch_yahoo_intraday(symbol: str = "^NSEI", *, timeout: float,
                         session: Any = None) -> pd.DataFrame:
    """1-minute bars of the current (or last) session of ``^NSEI``/``^INDIAVIX``.

    Unfiltered: :func:`finished_bars` drops the minute in progress and bars outside the session.

    Raises
    ------
    LiveSourceError
        Offline, timed out, HTTP error, or an answer that is not a chart.
    """
    return fetch_yahoo_daily(symbol, range_=INTRADAY_RANGE, interval=INTRADAY_INTERVAL,
                             timeout=timeout, session=session)


def parse_yahoo_chart(payload: Any, *, source: str = "yahoo chart") -> pd.DataFrame:
    """Yahoo v8 chart JSON -> canonical daily frame (``session``) or intraday (``timestamp``).

    Timestamps are UTC epoch seconds (``meta.gmtoffset`` 19800 is IST's offset; converted
    here). Daily bars are dated by their IST date; intraday bars keep their start. Rows with
    a null or non-positive close (Yahoo's placeholder for a minute without a quote or a
    holiday) are dropped, and so are rows with a null open, high or low beside a close
    (counted in ``attrs["dropped_null"]``); India VIX volume is NaN.
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
    usable = frame["close"].notna() & (frame["close"] > 0) & frame[OHLC].notna().all(axis=1)
    dropped = int((~usable).sum())
    frame = frame[usable]
    frame = frame[~frame.index.duplicated(keep="last")].sort_index()
    frame.loc[frame["volume"] == 0, "volume"] = np.nan
    if symbol == INDIAVIX:
        frame["volume"] = np.nan
    frame.attrs["symbol"] = symbol
    frame.attrs["dropped_null"] = dropped
    return frame


def finished_bars(frame: pd.DataFrame, now: datetime, *, interval: pd.Timedelta | None = None,
                  what: str = "yahoo") -> tuple[pd.DataFrame, list[str]]:
    """The bars of a parsed chart that have happened at ``now`` (aware), and notes on the rest.

    Daily frames (``session``): a bar whose session's 15:30 IST close is after ``now`` is
    Yahoo's in-progress bar and is dropped. Intraday frames (``timestamp``): a bar is kept when
    it starts on the minute and its ``interval`` (default 1 minute) has ended by ``now``, and
    it lies inside the 09:15-15:30 IST session; the rest are dropped. Each drop is one note.
    """
    moment = pd.Timestamp(now).tz_convert(IST)
    when = moment.isoformat(timespec="minutes")
    notes: list[str] = []
    if frame.attrs.get("dropped_null"):
        notes.append(f"{what}: {frame.attrs['dropped_null']} bars with null prices dropped "
                     "(Yahoo's placeholder for a minute without a quote)")
    if frame.empty:
        return frame, notes
    index = pd.DatetimeIndex(frame.index)
    if frame.index.name == "session":
        closes = (index.normalize() + CLOSE_AFTER_MIDNIGHT).tz_localize(IST)
        open_ = np.asarray(closes > moment)
        notes.extend(f"{what}: daily bar of {day.date()} dropped: the session has not closed "
                     f"at {when} IST (Yahoo's in-progress bar; the session lives in its "
                     "1-minute bars)" for day in index[open_])
        return _keep(frame, ~open_), notes
    step = interval if interval is not None else pd.Timedelta(minutes=1)
    local = index.tz_convert(IST)
    offset = local - local.normalize()
    aligned = np.asarray(local == local.floor("min"))
    ended = np.asarray(local + step <= moment)
    inside = np.asarray((offset >= OPEN_AFTER_MIDNIGHT) & (offset < CLOSE_AFTER_MIDNIGHT))
    for ts in local[~(aligned & ended)]:
        notes.append(f"{what}: bar {ts.isoformat()} dropped: still in progress at {when} IST")
    for ts in local[aligned & ended & ~inside]:
        notes.append(f"{what}: bar {ts.isoformat()} dropped: outside the NSE session "
                     "09:15-15:30 IST")
    return _keep(frame, aligned & ended & inside), notes


def _keep(frame: pd.DataFrame, mask: np.ndarray) -> pd.DataFrame:
    out = frame[mask]
    out.attrs = {k: v for k, v in frame.attrs.items() if k != "dropped_null"}
    return out


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
    """Yahoo 1-minute and daily bars of NIFTY 50 and India VIX, and NSE's NIFTY option chain.

    ``timeout`` (seconds, per request) comes from the caller (``Settings.live_timeout_s``);
    ``now`` (aware) is the moment of the fetch (the edge passes ``Settings.now()``; default
    the system clock): nothing that has not happened by then is returned
    (:func:`finished_bars`), and every bar dropped is said in the notes.
    """

    timeout: float
    now: datetime | None = None
    name: str = "live"

    def fetch(self) -> MarketFrames:
        """One request per series; any failure raises :class:`~aegis.errors.LiveSourceError`."""
        moment = self.now if self.now is not None else pd.Timestamp.now(tz=IST).to_pydatetime()
        frames: dict[str, pd.DataFrame] = {}
        notes: list[str] = []
        for key, ticker in (("nifty", "^NSEI"), ("vix", "^INDIAVIX")):
            for kind, fetch in (("intraday", fetch_yahoo_intraday), ("daily", fetch_yahoo_daily)):
                bars, said = finished_bars(fetch(ticker, timeout=self.timeout), moment,
                                           what=f"{ticker} {kind}")
                frames[f"{key}_{kind}"] = bars
                notes.extend(said)
        frames["option_chain"] = fetch_nse_option_chain("NIFTY", timeout=self.timeout)
        return MarketFrames.from_series(
            frames, notes={"live": True, "moment": pd.Timestamp(moment).isoformat(),
                           "dropped": notes})

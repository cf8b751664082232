"""The "Market context" panel: the snapshot's chain and intraday features, with their units.

Values come from the typed :class:`~aegis.snapshot.MarketContext` of the snapshot (its
``market_context`` field, read through the contract); an unavailable sub-block shows the reason
the snapshot gives, a value published as ``null`` shows its ``null_reasons`` entry, and a
snapshot written before the block existed says so. The wording of the definitions takes its
numbers (top strikes, skew moneyness, opening-range length) from the feature modules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from aegis.features.chain import SKEW_MONEYNESS, TOP_STRIKES
from aegis.features.intraday import OPENING_RANGE
from aegis.market.hours import IST
from aegis_dashboard.reading import Published
from aegis_dashboard.words import DASH, count, is_number, pct, plain_reason

FIELD = "market_context"


@dataclass(frozen=True)
class ContextRow:
    """One number of the panel: its name, value with unit, meaning and, when null, why."""

    key: str
    name: str
    value: str
    meaning: str
    missing: str = ""


@dataclass(frozen=True)
class ContextSection:
    """The chain or the intraday half of the panel."""

    key: str  # "chain" | "intraday"
    title: str
    state: str  # "" (available), "missing" (unavailable, with reason), "malformed"
    of: str = ""
    reason: str = ""
    rows: list[ContextRow] = field(default_factory=list)


def _signed_pct(x: float, digits: int = 2) -> str:
    return f"{100 * x:+.{digits}f} %"


def _minutes(delta: pd.Timedelta) -> int:
    return int(delta.total_seconds() // 60)


def _row(block: Any, key: str, name: str, text: str, meaning: str) -> ContextRow:
    """A row of ``block``'s field ``key``: ``text`` when it is a number, else its null reason."""
    if getattr(block, key) is not None:
        return ContextRow(key, name, text, meaning)
    why = block.null_reasons.get(key, "")
    return ContextRow(key, name, DASH, meaning, plain_reason(why) + "." if why else "")


def chain_section(chain: Any, spot: float | None, vix: float | None) -> ContextSection:
    """The chain half from a :class:`~aegis.snapshot.ChainContext`."""
    title = "Option chain"
    if not chain.available:
        return ContextSection("chain", title, "missing",
                              reason="Not available: " + plain_reason(chain.reason) + ".")
    taken = pd.Timestamp(chain.timestamp).tz_convert(IST).strftime("%a %d %b %Y %H:%M IST")
    of = f"Expiry {chain.expiry.strftime('%a %d %b %Y')}; chain taken {taken}."
    d = chain.max_pain_distance
    distance = _signed_pct(d) if is_number(d) else DASH
    if is_number(d) and is_number(spot):
        distance += f" ({d * spot:+,.0f} points)"
    moneyness = pct(SKEW_MONEYNESS)
    versus_vix = f" (India VIX {vix:.2f} %)" if is_number(vix) else ""
    rows = [
        _row(chain, "pcr", "Put/call ratio", f"{chain.pcr:.2f}" if chain.pcr is not None else "",
             "Total put open interest over total call open interest, this expiry."),
        _row(chain, "max_pain_distance", "Max pain from spot", distance,
             "(max pain − spot) / spot: above zero, max pain is above spot."),
        _row(chain, "oi_concentration_call", "Call OI concentration",
             pct(chain.oi_concentration_call),
             f"Share of call open interest in the {TOP_STRIKES} largest call strikes."),
        _row(chain, "oi_concentration_put", "Put OI concentration",
             pct(chain.oi_concentration_put),
             f"Share of put open interest in the {TOP_STRIKES} largest put strikes."),
        _row(chain, "atm_iv", "ATM implied volatility",
             f"{chain.atm_iv:.2f} %" if chain.atm_iv is not None else "",
             "Mean call/put IV at the strike nearest spot, annualised percent" + versus_vix
             + "."),
        _row(chain, "skew", "IV skew", f"{chain.skew:+.2f} pp" if chain.skew is not None else "",
             f"IV of the put about {moneyness} below spot minus IV of the call about "
             f"{moneyness} above, percentage points (above zero: puts dearer)."),
    ]
    return ContextSection("chain", title, "", of=of, rows=rows)


def intraday_section(intraday: Any, vix: float | None) -> ContextSection:
    """The intraday half from an :class:`~aegis.snapshot.IntradayContext`."""
    title = "Intraday session"
    if not intraday.available:
        return ContextSection("intraday", title, "missing",
                              reason="Not available: " + plain_reason(intraday.reason) + ".")
    last = pd.Timestamp(intraday.last_bar).tz_convert(IST).strftime("%H:%M IST")
    of = (f"Session {intraday.session.strftime('%a %d %b %Y')}; {count(intraday.bars)} bars, "
          f"the last starting {last}.")
    weighted = intraday.vwap_volume_weighted
    average = "VWAP" if weighted else "TWAP"
    how = ("volume-weighted average of the typical price (H+L+C)/3" if weighted else
           "the bars carry no volume, so the time-weighted average of the typical price "
           "(H+L+C)/3 stands in for the VWAP")
    rv = intraday.intraday_rv
    versus_vix = f" (India VIX {vix:.2f} %)" if is_number(vix) else ""
    orp = intraday.opening_range_position
    minutes = _minutes(OPENING_RANGE)
    rows = [
        _row(intraday, "intraday_rv", "Realised volatility (session)",
             f"{100 * rv:.1f} %" if rv is not None else "",
             "sqrt(252 × sum of squared log returns of the bars), annualised percent"
             + versus_vix + "."),
        _row(intraday, "opening_range_position", "Opening-range position",
             f"{orp:.2f}" if orp is not None else "",
             f"Where the last close sits in the first {minutes} minutes' high-low range: 0 at "
             "its low, 1 at its high, below 0 or above 1 after a breakout."),
        _row(intraday, "vwap_distance", f"Distance from {average}",
             _signed_pct(intraday.vwap_distance) if intraday.vwap_distance is not None else "",
             f"Last close / {average} − 1; {how}."),
    ]
    return ContextSection("intraday", title, "", of=of, rows=rows)


def market_context_panel(pub: Published) -> list[ContextSection]:
    """The panel's two sections from the snapshot's ``market_context`` field."""
    titles = (("chain", "Option chain"), ("intraday", "Intraday session"))
    if pub.malformed(FIELD) is not None:
        why = "Not shown: this field of the snapshot is malformed (see above)."
        return [ContextSection(k, t, "malformed", reason=why) for k, t in titles]
    context = pub.get(FIELD)
    if context is None:
        why = ("Not in this snapshot: it was written before the market context was published."
               if pub.raw is not None and FIELD not in pub.raw else
               "Not in this snapshot.")
        return [ContextSection(k, t, "missing", reason=why) for k, t in titles]
    spot, vix = pub.get("spot"), pub.get("vix")
    return [chain_section(context.chain, spot, vix), intraday_section(context.intraday, vix)]


__all__ = ["ContextRow", "ContextSection", "chain_section", "intraday_section",
           "market_context_panel"]

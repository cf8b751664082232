"""What an option trader reads beside the forecasts: IV level, open interest, the ATM straddle.

All observed, none forecast: India VIX's percentile and rank over 252 sessions (the validated
feature table), open interest by strike of the snapshot's expiry and the ATM straddle's price
(the market store's ``option_chain``, the latest chain of that expiry taken at or before the
snapshot's ``as_of``). The straddle's price is what the market charges for the move to expiry:
a straddle bought at the ATM strike breaks even at strike -+ its price, set beside the safe
range. A part the data does not have says why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from aegis_dashboard.charts import oi_chart
from aegis_dashboard.words import points

OI_WINDOW = 0.05
"""Strikes within this fraction of spot are drawn in the open-interest chart."""


@dataclass(frozen=True)
class Straddle:
    strike: float
    call: float
    put: float
    taken: pd.Timestamp

    @property
    def price(self) -> float:
        return self.call + self.put


def atm_straddle(chain: pd.DataFrame, spot: float) -> Straddle | None:
    """The straddle at the listed strike nearest spot that has both a call and a put price."""
    priced = chain[chain["last_price"].astype(float) > 0]
    sides = priced.pivot_table(index="strike", columns="option_type", values="last_price",
                               aggfunc="last")
    if not {"CE", "PE"} <= set(sides.columns):
        return None
    both = sides.dropna(subset=["CE", "PE"])
    if both.empty:
        return None
    strike = float(min(both.index, key=lambda k: abs(float(k) - spot)))
    row = both.loc[strike]
    return Straddle(strike, float(row["CE"]), float(row["PE"]),
                    pd.Timestamp(chain["timestamp"].max()))


def oi_by_strike(chain: pd.DataFrame, spot: float, window: float = OI_WINDOW) -> pd.DataFrame:
    """Call and put open interest per strike within ``window`` of spot (index: strike)."""
    strikes = chain["strike"]
    near = chain[(strikes >= spot * (1 - window)) & (strikes <= spot * (1 + window))]
    table = near.pivot_table(index="strike", columns="option_type", values="oi", aggfunc="sum",
                             fill_value=0.0)
    return pd.DataFrame({"call_oi": table.get("CE", 0.0), "put_oi": table.get("PE", 0.0)},
                        index=table.index).astype(float).sort_index()


@dataclass(frozen=True)
class OptionsPanel:
    rows: list[tuple[str, str, str]] = field(default_factory=list)  # (key, name, value)
    notes: list[str] = field(default_factory=list)
    chart: str = ""


def options_panel(pub: Any, iv: dict[str, Any] | None, chain: pd.DataFrame | None
                  ) -> OptionsPanel:
    """The panel's rows (IV percentile and rank, straddle, implied move), chart and notes."""
    rows: list[tuple[str, str, str]] = []
    notes: list[str] = []
    if iv is not None:
        rows.append(("iv_percentile", "India VIX percentile (252 sessions)",
                     f"{iv['percentile']:.0f} (rank {iv['rank']:.0f})"))
        notes.append(f"VIX percentile: share of the last 252 sessions' closes at or below it; "
                     f"rank: where it sits between their low (0) and high (100); session "
                     f"{iv['session']:%d %b %Y}.")
    else:
        notes.append("India VIX percentile and rank: no validated feature table yet.")
    spot, sr = pub.get("spot"), pub.get("safe_range")
    if chain is None or spot is None:
        notes.append("Open interest and the ATM straddle: no option chain of this expiry in the "
                     "market store at or before the snapshot's time.")
        return OptionsPanel(rows, notes)
    straddle = atm_straddle(chain, spot)
    if straddle is not None:
        move = straddle.price / spot
        rows.append(("straddle", f"ATM straddle ({points(straddle.strike)})",
                     f"{straddle.price:,.2f} (call {straddle.call:,.2f} + put "
                     f"{straddle.put:,.2f})"))
        rows.append(("implied_move", "Move the straddle prices in",
                     f"± {points(straddle.price)} points (± {100 * move:.2f} %): breakevens "
                     f"{points(straddle.strike - straddle.price)} – "
                     f"{points(straddle.strike + straddle.price)}"))
        if sr is not None:
            half = (sr.upper - sr.lower) / 2
            rows.append(("vs_safe_range", "Beside the safe range",
                         f"safe range ± {points(half)} points = {half / straddle.price:.2f}x "
                         "the straddle's move"))
        notes.append(f"Straddle prices from the chain taken "
                     f"{straddle.taken.tz_convert('Asia/Kolkata'):%d %b %H:%M} IST (last traded "
                     "prices).")
    else:
        notes.append("ATM straddle: no strike near spot has both a call and a put price.")
    table = oi_by_strike(chain, spot)
    chart = oi_chart(table, spot, pub.get("max_pain")) if len(table) else ""
    return OptionsPanel(rows, notes, chart)


__all__ = ["OptionsPanel", "Straddle", "atm_straddle", "oi_by_strike", "options_panel"]

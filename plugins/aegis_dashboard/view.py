"""Turn the published snapshot into the page's cards and banners, in plain words.

Every card says what its number means and how far to trust it in one line each; provenance,
versions and calibration numbers go behind a details toggle. Values come only from the typed
:class:`~aegis.snapshot.Snapshot` fields (:mod:`aegis_dashboard.reading`): a field that is absent
says so, a field the contract rejects is named in the error panel and its card says malformed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from aegis.market.hours import MARKET_TZ
from aegis_dashboard.reading import Published
from aegis_dashboard.words import (
    calibration_details,
    calibration_words,
    count,
    pct,
    plain_reason,
    points,
    provenance_words,
)

IST = MARKET_TZ
LABELLED = ("trap", "stress")
"""Gauges with label classes: their thresholds are the snapshot's ``label_cuts``."""
FIELD_NAMES = {
    "spot": "Spot", "vix": "India VIX", "expiry": "Weekly expiry", "max_pain": "Max pain",
    "pcr": "Put/call ratio", "direction": "Direction tomorrow", "safe_range": "Safe range",
    "trap": "Volatility trap", "expiry_stress": "Expiry stress",
    "breach_probabilities": "Breach probabilities", "buyer_signal": "Buyer signal",
    "historical_hit_rate": "Historical hit rate", "historical_spike_rate": "Historical spike rate",
    "market_context": "Market context", "snapshot": "The snapshot as a whole",
}


@dataclass(frozen=True)
class Card:
    """One number on the page."""

    key: str
    title: str
    value: str
    label: str = ""
    meaning: str = ""
    trust: str = ""
    details: list[tuple[str, str]] = field(default_factory=list)
    state: str = ""  # "", "fallback", "missing", "malformed"
    gauge: float | None = None
    cuts: tuple[float, float] | None = None  # label thresholds drawn as green/amber/red


def _unavailable(pub: Published, key: str, title: str, meaning: str,
                 css_key: str | None = None) -> Card:
    """The card of field ``key`` that is absent or malformed (``css_key``: the card's id)."""
    problem = pub.malformed(key)
    if problem is not None:
        return Card(css_key or key, title, "—", meaning=meaning, state="malformed",
                    trust="Not shown: this field of the snapshot is malformed (see above).")
    return Card(css_key or key, title, "—", meaning=meaning, state="missing",
                trust="Not published in this snapshot" + _reason_for(pub, key))


def _reason_for(pub: Published, key: str) -> str:
    reasons = [r.reason for r in (pub.get("degraded_reasons") or []) if r.field == key]
    return ": " + plain_reason(reasons[0]) + "." if reasons else "."


def _prov_card(key: str, title: str, value: str, prov: Any, **kw: Any) -> Card:
    state = "fallback" if getattr(prov, "kind", "") == "baseline" else ""
    details = [("Source", provenance_words(prov)), *kw.pop("details", [])]
    if state and "trust" not in kw:
        kw["trust"] = (f"Fallback, not the model: {plain_reason(prov.reason)}. "
                       "Treat as a rough guide.")
    return Card(key, title, value, details=details, state=state, **kw)


def probability_cards(pub: Published, hit_by_horizon: str = "", *, settled: bool = False
                      ) -> dict[str, Card]:
    """The cards of the gauges, the signals, the safe range and the historical rates."""
    cards: dict[str, Card] = {}
    trap = pub.get("trap")
    meaning = ("Was the chance that the volatility realised until the expiry, now settled, "
               "exceeded what premiums paid for." if settled else
               "Chance that the volatility realised until expiry exceeds what premiums pay for.")
    cards["trap"] = _gauge_card(pub, "trap", "trap", "Volatility trap", meaning, trap, "score")
    stress = pub.get("expiry_stress")
    meaning = ("Was the chance that NIFTY ended the settled expiry more than one VIX-implied "
               "move away." if settled else
               "Chance that NIFTY ends the week more than one VIX-implied move away from here.")
    cards["stress"] = _gauge_card(pub, "expiry_stress", "stress", "Expiry stress", meaning,
                                  stress, "score")
    direction = pub.get("direction")
    meaning = "Chance that tomorrow's close is above today's."
    cards["direction"] = _gauge_card(pub, "direction", "direction", "Direction tomorrow", meaning,
                                     direction, "probability_up")
    buyer = pub.get("buyer_signal")
    meaning = ("Chance of a next-session move big enough to pay an option buyer; BREAKOUT from "
               f"{pct(buyer.threshold)} on.") if buyer else "Chance of a next-session move."
    cards["buyer"] = _gauge_card(pub, "buyer_signal", "buyer", "Buyer signal", meaning, buyer,
                                 "spike_probability")
    cards.update(_range_cards(pub, hit_by_horizon, settled))
    return cards


def _gauge_card(pub: Published, field_name: str, key: str, title: str, meaning: str,
                block: Any, attr: str) -> Card:
    if block is None:
        return _unavailable(pub, field_name, title, meaning, key)
    p = float(getattr(block, attr))
    kw: dict[str, Any] = {"label": forecast_tag(block), "meaning": meaning, "gauge": p}
    if key in LABELLED:  # thresholds chosen from history (null: climatology, no classes)
        kw["cuts"] = block.label_cuts
    if _is_climatology(block.provenance):
        kw["trust"] = ("No model beat the plain base rate, so this is the base rate itself "
                       f"({count(block.provenance.n)} settled cases).")
        why = getattr(block.provenance, "reason", None)
        kw["details"] = [("Why no model", plain_reason(str(why)))] if why else []
        return _prov_card(key, title, pct(p), block.provenance, **kw)
    if block.provenance.kind != "baseline":
        kw["trust"] = calibration_words(block.calibration)
        kw["details"] = calibration_details(block.calibration)
    return _prov_card(key, title, pct(p), block.provenance, **kw)


def forecast_tag(block: Any) -> str:
    """The tag beside a probability: its label (``UP``, ``HIGH``, ``BREAKOUT``) only when a model
    produced it; ``base rate`` for climatology and ``fallback`` for a baseline substitute, whose
    labels would read as forecasts they are not."""
    prov = getattr(block, "provenance", None)
    if _is_climatology(prov):
        return "base rate"
    if getattr(prov, "kind", "") == "baseline":
        return "fallback"
    return str(getattr(block, "label", None) or getattr(block, "signal", ""))


def _is_climatology(prov: Any) -> bool:
    return getattr(prov, "kind", "") == "empirical" and getattr(prov, "name", None) == "climatology"


def _horizon_words(hit: Any) -> str:
    """``1-session-to-expiry ranges held 79 %`` from the snapshot's own horizon hit rate."""
    horizon = getattr(hit, "horizon", None)
    if horizon is None:
        return ""
    h = int(horizon.sessions_to_expiry)
    return (f"{h}-{'session' if h == 1 else 'sessions'}-to-expiry ranges held "
            f"{pct(horizon.value)} ({count(horizon.n)})")


def _range_cards(pub: Published, hit_by_horizon: str, settled: bool) -> dict[str, Card]:
    cards: dict[str, Card] = {}
    sr, hit, spike = (pub.get(k) for k in ("safe_range", "historical_hit_rate",
                                           "historical_spike_rate"))
    expiry = pub.get("expiry")
    when = expiry.date.strftime("%a %d %b") if expiry else "expiry"
    conf = pct(sr.confidence) if sr else ""
    meaning = (f"Was forecast to contain NIFTY's close at the {when} expiry {conf} of the time; "
               "that expiry has settled." if settled else
               f"NIFTY should close inside this range at expiry ({when}) {conf} of the time.")
    if sr is None:
        cards["safe_range"] = _unavailable(pub, "safe_range", "Safe range", meaning)
    else:
        held = f"{pct(hit.value)} of past ranges held" if hit else "no historical hit rate"
        by_horizon = (_horizon_words(hit) if hit else "") or hit_by_horizon
        trust = held + (f"; {by_horizon}" if by_horizon else "") + "."
        move = "Expected move it was for" if settled else "Expected move to expiry"
        cards["safe_range"] = _prov_card(
            "safe_range", "Safe range", f"{points(sr.lower)} – {points(sr.upper)}",
            sr.provenance, meaning=meaning, trust=trust,
            label="settled" if settled else "",
            details=[(move, f"± {points(sr.expected_move)} points"),
                     ("Multiplier k (fitted walk-forward)", f"{sr.k:.2f}")])
    meaning = "Share of past weekly safe ranges whose expiry close stayed inside."
    if hit is None:
        cards["hit_rate"] = _unavailable(pub, "historical_hit_rate", "Historical hit rate", meaning,
                                          "hit_rate")
    else:
        interval, which = hit_interval(hit)
        details = [("Wilson 95 % interval", f"{pct(hit.ci95[0])} to {pct(hit.ci95[1])}")]
        boot = getattr(hit, "ci95_block_bootstrap", None)
        if boot is not None:
            details.append(("Block-bootstrap 95 % interval (expiry weeks resampled)",
                            f"{pct(boot[0])} to {pct(boot[1])}"))
        note = getattr(hit, "interval_note", None)
        if note:
            details.append(("Which interval to read", str(note)))
        cards["hit_rate"] = _prov_card(
            "hit_rate", "Historical hit rate", pct(hit.value), hit.provenance, meaning=meaning,
            trust=f"Out of {count(hit.n)} past ranges; 95 % interval {pct(interval[0])} to "
                  f"{pct(interval[1])} ({which}).", details=details)
    meaning = "Share of past BREAKOUT signals followed by a spike."
    if spike is None:
        cards["spike_rate"] = _unavailable(pub, "historical_spike_rate", "Historical spike rate",
                                           meaning, "spike_rate")
    else:
        cards["spike_rate"] = _prov_card(
            "spike_rate", "Historical spike rate", pct(spike.value), spike.provenance,
            meaning=meaning,
            trust=f"After {count(spike.n)} past signals (95 % interval {pct(spike.ci95[0])} to "
                  f"{pct(spike.ci95[1])}); spikes on any day: {pct(spike.base_rate)}.")
    return cards


def hit_interval(hit: Any) -> tuple[tuple[float, float], str]:
    """The interval the snapshot says to read: the block bootstrap when its ``interval_note``
    says to read it (or, without a note, when it is the wider one), else Wilson's."""
    wilson = (float(hit.ci95[0]), float(hit.ci95[1]))
    boot = getattr(hit, "ci95_block_bootstrap", None)
    if boot is None:
        return wilson, "Wilson"
    bootstrap = (float(boot[0]), float(boot[1]))
    note = str(getattr(hit, "interval_note", None) or "")
    wider = bootstrap[1] - bootstrap[0] > wilson[1] - wilson[0]
    if "read it" in note or (not note and wider):
        return bootstrap, "block bootstrap over expiry weeks"
    return wilson, "Wilson; the block bootstrap is not materially wider"


def market_cards(pub: Published, left: str = "", *, settled: bool = False) -> dict[str, Card]:
    """Spot, VIX, expiry, max pain and PCR; their provenance is the snapshot's ``provenance``."""
    prov = pub.get("provenance")
    spot, vix, expiry = pub.get("spot"), pub.get("vix"), pub.get("expiry")
    cards: dict[str, Card] = {}

    def card(key: str, title: str, value: Any, text: str, meaning: str, trust: str = "") -> None:
        if value is None:
            cards[key] = _unavailable(pub, key, title, meaning)
            return
        source = getattr(prov, key, None) if prov is not None else None
        trust = trust or ("Observed, not forecast: " + provenance_words(source)[0].lower()
                          + provenance_words(source)[1:])
        cards[key] = _prov_card(key, title, text, source, meaning=meaning, trust=trust)

    card("spot", "Spot", spot, points(spot, 2) if spot else "", "NIFTY 50, index points.")
    em = ""
    sr = pub.get("safe_range")
    if sr is not None and not settled:
        em = f"About ± {points(sr.expected_move)} points to the expiry close at this VIX."
    card("vix", "India VIX", vix, f"{vix:.2f}" if vix else "",
         "The market's expected volatility, annualised percent.", em)
    trust = ""
    if expiry is not None:
        trust = (f"Settled at the {expiry.date:%a %d %b} 15:30 IST close; the numbers on this "
                 "page were for it." if settled else (left[:1].upper() + left[1:] + "."
                                                      if left else ""))
    card("expiry", "Weekly expiry", expiry, expiry.date.strftime("%a %d %b %Y") if expiry else "",
         "The expiry every number on this page refers to.", trust)
    max_pain = pub.get("max_pain")
    card("max_pain", "Max pain", max_pain, points(max_pain) if max_pain else "",
         "The strike at which option holders would collect the least at expiry.")
    pcr = pub.get("pcr")
    card("pcr", "Put/call ratio", pcr, f"{pcr:.2f}" if pcr is not None else "",
         "Open interest in puts over calls, this expiry.")
    return cards


@dataclass(frozen=True)
class Banner:
    """The status line under the header: ok, degraded (by kind), stale."""

    kind: str
    headline: str
    items: list[str] = field(default_factory=list)
    details: list[str] = field(default_factory=list)


def degraded_banner(pub: Published) -> Banner | None:
    """Words that match the reasons: a fallback standing in, a number missing, something else."""
    reasons = pub.get("degraded_reasons") or []
    if not reasons and pub.get("status") != "degraded":
        return None
    fallback, missing, other, items = [], [], [], []
    for r in reasons:
        name = FIELD_NAMES.get(r.field, r.field)
        value = pub.get(r.field)
        prov_kind = getattr(getattr(value, "provenance", None), "kind", None)
        if r.field == "breach_probabilities" and value:
            prov_kind = "baseline" if any(b.provenance.kind == "baseline" for b in value) else None
        if value is None or value == []:
            missing.append(name)
            items.append(f"{name}: not published. {plain_reason(r.reason)}.")
        elif prov_kind == "baseline":
            fallback.append(name)
            items.append(f"{name}: a fallback stands in for the model. {plain_reason(r.reason)}.")
        else:
            other.append(name)
            items.append(f"{name}: {plain_reason(r.reason)}.")
    parts = []
    if fallback:
        parts.append(f"{_n(len(fallback))} from a fallback instead of the model")
    if missing:
        parts.append(f"{_n(len(missing))} not published")
    if other:
        parts.append(f"{_n(len(other))} with a caveat")
    headline = "Degraded: " + ("; ".join(parts) if parts else "no reason given") + "."
    return Banner("degraded", headline, items, [f"{r.field}: {r.reason}" for r in reasons])


def _n(k: int) -> str:
    return f"{k} number" if k == 1 else f"{k} numbers"


def header(pub: Published) -> dict[str, str]:
    """Generation time (IST), schema version and status for the page's raw-data line."""
    generated = pub.get("generated_at")
    return {
        "generated": _ist(pd.Timestamp(generated)) if generated else "unknown",
        "schema": str(pub.get("schema_version") or "unknown"),
        "status": str(pub.get("status") or "unknown"),
    }


def _ist(ts: pd.Timestamp) -> str:
    return ts.tz_convert(IST).strftime("%a %d %b %Y %H:%M IST")


__all__ = ["Banner", "Card", "degraded_banner", "forecast_tag", "header", "hit_interval",
           "market_cards", "probability_cards"]

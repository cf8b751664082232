"""Everything the page template needs, gathered from the stores in one call.

Each input is read on its own; one that is missing or broken turns into a sentence on the page
(``notes``) and never stops the rest from rendering.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from aegis.config import Settings
from aegis.errors import AegisError
from aegis_dashboard import data
from aegis_dashboard.charts import intraday_chart, price_chart
from aegis_dashboard.context_panel import market_context_panel
from aegis_dashboard.dag_runs import DagRunRow
from aegis_dashboard.reading import Published, read_published
from aegis_dashboard.track import gauge_history, horizon_sentence, track_record
from aegis_dashboard.view import (
    FIELD_NAMES,
    degraded_banner,
    header,
    market_cards,
    probability_cards,
    staleness_banner,
)
from aegis_dashboard.words import pct, plain_reason


def _optional(read: Any, what: str, notes: dict[str, str], key: str) -> Any:
    """``read()``, or ``None`` with a note when the input exists but cannot be used."""
    try:
        return read()
    except AegisError as exc:
        reason = plain_reason(str(exc))
        notes[key] = f"{what} cannot be used: {reason[:1].lower()}{reason[1:]}."
        return None


def _charts(settings: Settings, pub: Published, notes: dict[str, str]) -> dict[str, str]:
    as_of = pub.get("as_of")
    prices = _optional(lambda: data.read_prices(settings, pd.Timestamp(as_of) if as_of else None),
                       "The market store", notes, "prices")
    if prices is None or prices.closes.empty:
        notes.setdefault("prices", "No NIFTY history in the market store yet: no price chart.")
        return {}
    expiry = pub.get("expiry")
    breaches = key_strikes(pub.get("breach_probabilities") or [], pub.get("spot"))
    out = {"price": price_chart(
        prices.closes, spot=pub.get("spot"), sessions_to_expiry=expiry.sessions if expiry else None,
        expiry_label=expiry.date.strftime("%d %b") if expiry else "unknown",
        safe_range=pub.get("safe_range"), breaches=breaches, max_pain=pub.get("max_pain"))}
    if prices.intraday is not None:
        day = pd.Timestamp(as_of).strftime("%d %b %Y")
        out["intraday"] = intraday_chart(prices.intraday, day)
        out["intraday_day"] = day
    elif prices.note:
        notes["intraday"] = prices.note.capitalize() + "."
    return out


def key_strikes(breaches: list[Any], spot: float | None) -> list[Any]:
    """The listed strikes nearest to spot -5 % ... -1 % and +1 % ... +5 % (one each, sorted).

    The snapshot may list every strike of the chain (dozens); a chart and a first table need the
    few a trader reads off: one per percent of distance on each side.
    """
    if not breaches or not spot:
        return list(breaches)
    chosen = {}
    for step in (-5, -4, -3, -2, -1, 1, 2, 3, 4, 5):
        side = [b for b in breaches if (b.distance_pct > 0) == (step > 0)]
        if side:
            best = min(side, key=lambda b: abs(b.distance_pct - step))
            chosen[best.strike] = best
    return [chosen[k] for k in sorted(chosen)]


def _champions(settings: Settings, notes: dict[str, str]) -> list[dict[str, Any]]:
    results, problem = data.verify_champions(settings)
    if problem:
        notes["champions"] = problem[:1].upper() + problem[1:] + "."
    entries = data.read_registry_entries(settings)
    gate = _optional(lambda: data.read_gate_log(settings), "The gate log", notes, "gate")
    rows = []
    for r in results:
        decision = None if gate is None else gate.get(r.name)
        rows.append({
            "name": r.name, "version": r.version or "—", "ok": r.ok,
            "check": "verified: checksum, features and probe" if r.ok else plain_reason(r.reason),
            "technical": r.reason,
            "promoted_at": str(entries.get(r.name, {}).get("promoted_at") or "—")[:16]
            .replace("T", " "),
            "gate": "no decision logged" if decision is None else decision.reason,
            "promoted": None if decision is None else decision.promote,
        })
    return rows


def page_context(settings: Settings, *, now: pd.Timestamp, runs: list[DagRunRow] | None
                 ) -> dict[str, Any]:
    """The template's variables (see templates/dashboard.html)."""
    notes: dict[str, str] = {}
    pub = read_published(settings.snapshot_path)
    ledger = _optional(lambda: data.read_ledger(data.ledger_path(settings)), "The forecast ledger",
                       notes, "ledger")
    backtest = _optional(lambda: data.read_backtest(settings), "The backtest report", notes,
                         "backtest")
    ctx: dict[str, Any] = {
        "pub": pub, "notes": notes, "field_names": FIELD_NAMES, "runs": runs,
        "champions": _champions(settings, notes), "cards": {}, "charts": {}, "banners": [],
        "context": [],
        "header": None, "breach": [], "history": gauge_history(ledger),
        "track": track_record(ledger, backtest), "has_backtest": backtest is not None,
        "backtest_diagram": data.served_file(settings, data.BACKTEST_DIAGRAM) is not None,
        "diagram_url": "files/" + data.BACKTEST_DIAGRAM,
    }
    if pub is None or pub.unreadable:
        return ctx
    expiry = pub.get("expiry")
    sentence = horizon_sentence(backtest, expiry.sessions if expiry else None)
    ctx["cards"] = {**market_cards(pub), **probability_cards(pub, sentence)}
    ctx["context"] = market_context_panel(pub)
    ctx["header"] = header(pub, now)
    ctx["charts"] = _charts(settings, pub, notes)
    every = sorted(pub.get("breach_probabilities") or [], key=lambda b: b.strike)
    key = {b.strike for b in key_strikes(every, pub.get("spot"))}
    ctx["breach"] = [{"strike": f"{b.strike:,.0f}", "side": b.side,
                      "distance": f"{b.distance_pct:+.1f} %",
                      "touch": pct(b.touch), "close": pct(b.close_beyond), "touch_p": b.touch,
                      "close_p": b.close_beyond,
                      "fallback": b.provenance.kind == "baseline", "key": b.strike in key}
                     for b in every]
    stale = staleness_banner(pub.get("as_of"), now)
    degraded = degraded_banner(pub)
    ctx["banners"] = [b for b in (stale, degraded) if b is not None]
    return ctx


__all__ = ["page_context"]

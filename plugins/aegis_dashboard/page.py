"""Everything the page template needs, gathered from the stores in one call.

Each input is read on its own; one that is missing or broken turns into a sentence on the page
(``notes``) and never stops the rest from rendering.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from aegis.config import Settings
from aegis.errors import AegisError
from aegis.market.hours import IST
from aegis_dashboard import data
from aegis_dashboard.charts import intraday_chart, price_chart
from aegis_dashboard.context_panel import market_context_panel
from aegis_dashboard.dag_pause import PauseStates
from aegis_dashboard.dag_runs import DagRunRow
from aegis_dashboard.moment import (
    freshness_banner,
    headline,
    left_words,
    settled_banner,
    time_left,
)
from aegis_dashboard.options import options_panel
from aegis_dashboard.reading import Published, read_published
from aegis_dashboard.track import gauge_history, horizon_sentence, track_record
from aegis_dashboard.view import (
    FIELD_NAMES,
    degraded_banner,
    header,
    market_cards,
    probability_cards,
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


def _charts(settings: Settings, pub: Published, notes: dict[str, str], settled: bool = False
            ) -> dict[str, str]:
    as_of = pub.get("as_of")
    prices = _optional(lambda: data.read_prices(settings, pd.Timestamp(as_of) if as_of else None),
                       "The market store", notes, "prices")
    if prices is None or prices.closes.empty:
        notes.setdefault("prices", "No NIFTY history in the market store yet: no price chart.")
        return {}
    expiry = pub.get("expiry")
    breaches = key_strikes(pub.get("breach_probabilities") or [], pub.get("spot"))
    label = expiry.date.strftime("%d %b") if expiry else "unknown"
    out = {"price": price_chart(
        prices.closes, spot=pub.get("spot"), sessions_to_expiry=expiry.sessions if expiry else None,
        expiry_label=label, safe_range=pub.get("safe_range"), breaches=breaches,
        max_pain=pub.get("max_pain"))}
    if prices.intraday is not None:
        stamp = pd.Timestamp(as_of).tz_convert(IST)
        day = stamp.strftime("%d %b %Y")
        today = expiry is not None and expiry.date == stamp.date()
        band = None if settled else pub.get("safe_range")  # a settled range has no time left
        out["intraday"] = intraday_chart(prices.intraday, day, safe_range=band,
                                         expiry_today=today, expiry_label=label)
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


def ist_words(stamp: Any) -> str:
    """An ISO timestamp as ``2025-01-06 15:32 IST`` (naive ones are UTC, as Airflow and the
    registry write them); missing -> em dash."""
    if not stamp:
        return "—"
    try:
        ts = pd.Timestamp(stamp)
    except (TypeError, ValueError):
        return str(stamp)
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts
    return ts.tz_convert(IST).strftime("%Y-%m-%d %H:%M IST")


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
            "promoted_at": ist_words(entries.get(r.name, {}).get("promoted_at")),
            "gate": "no decision logged" if decision is None else decision.reason,
            "promoted": None if decision is None else decision.promote,
        })
    return rows


def page_context(settings: Settings, *, now: pd.Timestamp, runs: list[DagRunRow] | None,
                 pauses: PauseStates | None = None) -> dict[str, Any]:
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
        "context": [], "headline": None, "options": None,
        "operator": operator_warnings(now, runs, pauses),
        "paused": pauses.paused_dags if pauses is not None else [],
        "pause_known": list(pauses.paused) if pauses is not None else [],
        "header": None, "breach": [], "history": gauge_history(ledger),
        "track": track_record(ledger, backtest), "has_backtest": backtest is not None,
        "backtest_diagram": data.served_file(settings, data.BACKTEST_DIAGRAM) is not None,
        "diagram_url": "files/" + data.BACKTEST_DIAGRAM,
    }
    if pub is None or pub.unreadable:
        return ctx
    _snapshot_context(ctx, settings, pub, now, pauses, backtest)
    return ctx


def _snapshot_context(ctx: dict[str, Any], settings: Settings, pub: Published,
                      now: pd.Timestamp, pauses: PauseStates | None,
                      backtest: dict[str, Any] | None) -> None:
    notes = ctx["notes"]
    expiry, as_of = pub.get("expiry"), pub.get("as_of")
    moment_now = now.to_pydatetime()
    previous: dict[str, float | None] = {}
    if as_of is not None:
        previous = _optional(lambda: data.previous_closes(settings, pd.Timestamp(as_of)),
                             "The market store", notes, "changes") or {}
    ctx["headline"] = headline(pub, moment_now, previous)
    settled = bool(ctx["headline"].settled)
    left = time_left(pub)
    sentence = horizon_sentence(backtest, expiry.sessions if expiry else None)
    ctx["cards"] = {**market_cards(pub, left_words(left) if left else "", settled=settled),
                    **probability_cards(pub, sentence, settled=settled)}
    ctx["context"] = market_context_panel(pub)
    ctx["header"] = header(pub)
    ctx["charts"] = _charts(settings, pub, notes, settled)
    if as_of is not None and expiry is not None:
        stamp = pd.Timestamp(as_of)
        iv = _optional(lambda: data.read_iv_levels(settings, stamp), "The feature table", notes,
                       "iv")
        chain = _optional(lambda: data.read_chain(settings, pd.Timestamp(expiry.date), stamp),
                          "The option chain", notes, "chain")
        ctx["options"] = options_panel(pub, iv, chain)
    every = sorted(pub.get("breach_probabilities") or [], key=lambda b: b.strike)
    key = {b.strike for b in key_strikes(every, pub.get("spot"))}
    ctx["breach"] = [{"strike": f"{b.strike:,.0f}", "side": b.side,
                      "distance": f"{b.distance_pct:+.1f} %",
                      "touch": pct(b.touch), "close": pct(b.close_beyond), "touch_p": b.touch,
                      "close_p": b.close_beyond, "tag": _breach_tag(b),
                      "fallback": b.provenance.kind == "baseline", "key": b.strike in key}
                     for b in every]
    settlement = None
    if settled and expiry is not None:
        settlement = _optional(lambda: data.settlement_close(settings, pd.Timestamp(expiry.date)),
                               "The market store", notes, "settlement")
    banners = (freshness_banner(pub, moment_now, pauses),
               settled_banner(pub, moment_now, settlement), degraded_banner(pub))
    ctx["banners"] = [b for b in banners if b is not None]


def _breach_tag(b: Any) -> str:
    kind = b.provenance.kind
    if kind == "baseline":
        return "fallback"
    if kind == "empirical" and getattr(b.provenance, "name", None) == "climatology":
        return "base rate"
    return ""


def operator_warnings(now: pd.Timestamp, runs: list[DagRunRow] | None,
                      pauses: PauseStates | None) -> list[str]:
    """The operator's corner's warnings: paused DAGs and a calendar that runs out soon."""
    from aegis.market.calendar import calendar_coverage
    from aegis.pipeline.health import CALENDAR_WARN_DAYS

    out = []
    if pauses is not None:
        for dag in pauses.paused_dags:
            out.append(f"{dag} is paused in Airflow: it will not run until it is unpaused "
                       "(the DAG's toggle in the Airflow UI).")
    day = now.tz_convert(IST).tz_localize(None).normalize()
    info = calendar_coverage(day, CALENDAR_WARN_DAYS)
    if not info["covered"]:
        out.append(f"The NSE calendar knows sessions only up to {info['known_until']} "
                   f"({info['days_left']} days from today): add next year's holidays and a "
                   "year_complete row to the holiday file (docs/operations.md, 'NSE holidays'); "
                   "past that day every expiry is an assumption.")
    return out


__all__ = ["key_strikes", "operator_warnings", "page_context"]

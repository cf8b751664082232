"""Whether yesterday's numbers held: the backtest figures beside the live track record.

Backtest: the latest ``aegis backtest`` report (``<output>/backtest/report.json``). Live: the
forecast ledger's settled rows. For each probability the live Brier score is compared with
climatology measured on the same settled forecasts (the observed event frequency ``f``, Brier
``f (1 - f)``): an in-sample base rate, so the live skill shown is, if anything, conservative.
The safe range's hit rate is given by horizon (sessions to expiry) from both sources.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import pandas as pd

from aegis_dashboard.charts import gauge_history_chart, reliability_chart
from aegis_dashboard.words import count, decimal, is_number, pct

PROBABILITIES: Final = {
    "trap": ("Volatility trap", "trap"),
    "expiry_stress": ("Expiry stress", "expiry_stress"),
    "direction": ("Direction (up tomorrow)", "direction"),
    "buyer": ("Buyer spike", "buyer"),
    "breach_touch": ("Breach: touch before expiry", "breach.touch"),
    "breach_close": ("Breach: close beyond at expiry", "breach.close"),
}
"""Ledger field -> (name on the page, key of the backtest report section; ``breach.<event>``
is that event's own section of the breach report, see :func:`backtest_section`)."""
BREACH_EVENTS: Final = {"touch": ("touch",), "close": ("close", "close_beyond")}
"""The keys under which a backtest report may score each breach event apart."""
GAUGES: Final = ("trap", "expiry_stress", "direction", "buyer")
HISTORY_DAYS: Final = 56


@dataclass(frozen=True)
class TrackRow:
    """One probability's record: backtest and live figures, already formatted."""

    field: str
    name: str
    backtest: dict[str, str]
    live: dict[str, str]
    live_chart: str = ""


@dataclass(frozen=True)
class TrackRecord:
    rows: list[TrackRow] = field(default_factory=list)
    horizons: list[dict[str, str]] = field(default_factory=list)
    backtest_period: str = ""
    live_note: str = ""
    backtest_note: str = ""
    years: list[str] = field(default_factory=list)
    year_rows: list[dict[str, Any]] = field(default_factory=list)


def backtest_section(backtest: dict[str, Any] | None, key: str) -> dict[str, Any] | None:
    """The report's section for ``key``; ``breach.touch`` / ``breach.close`` look for that
    event's own scores (``breach.by_event.<event>`` or ``breach.<event>``), never the pooled
    figure (``None`` when the report pools them)."""
    report = backtest or {}
    if not key.startswith("breach."):
        section = report.get(key)
        return section if isinstance(section, dict) else None
    breach = report.get("breach")
    if not isinstance(breach, dict):
        return None
    event = key.split(".", 1)[1]
    for name in BREACH_EVENTS[event]:
        for holder in (breach.get("by_event"), breach):
            cell = holder.get(name) if isinstance(holder, dict) else None
            if isinstance(cell, dict) and is_number(cell.get("brier")):
                return cell
    return None


def _skill(brier_value: Any, clim: Any) -> str:
    if is_number(brier_value) and is_number(clim) and clim:
        return pct(1 - brier_value / clim, 1)
    return "—"


def _backtest_figures(section: Any) -> dict[str, str]:
    """What was published (the live rules replayed) beside the model's own record."""
    if not isinstance(section, dict):
        return {}
    clim = section.get("brier_climatology")
    n = section.get("n", section.get("signals"))
    published = section.get("published_brier")
    return {"n": count(n), "brier": decimal(section.get("brier")),
            "published": decimal(published),
            "baseline": decimal(section.get("brier_baseline")), "climatology": decimal(clim),
            "skill": _skill(section.get("brier"), clim),
            "published_skill": _skill(published, clim),
            "ece": decimal(section.get("ece"))}


def by_year(backtest: dict[str, Any] | None) -> tuple[list[str], list[dict[str, Any]]]:
    """Years side by side: (years, one row per probability with a cell per year).

    Each cell is ``{"published", "model", "climatology", "n"}`` formatted, from the report's
    ``by_year`` (``{"n", "brier", "published_brier", "brier_climatology", "ece"}`` per year).
    """
    years: set[str] = set()
    rows = []
    for field_name, (title, key) in PROBABILITIES.items():
        section = backtest_section(backtest, key)
        table = (section or {}).get("by_year")
        if not isinstance(table, dict) or not table:
            continue
        cells = {}
        for year, cell in table.items():
            if not isinstance(cell, dict):
                continue
            years.add(str(year))
            cells[str(year)] = {"n": count(cell.get("n")),
                                "published": decimal(cell.get("published_brier")),
                                "model": decimal(cell.get("brier")),
                                "climatology": decimal(cell.get("brier_climatology")),
                                "skill": _skill(cell.get("published_brier"),
                                                cell.get("brier_climatology"))}
        rows.append({"field": field_name, "name": title, "cells": cells})
    return sorted(years), rows


def _live_figures(rows: pd.DataFrame) -> dict[str, str]:
    settled = rows[rows["outcome"].notna()]
    if settled.empty:
        return {"n": "0", "brier": "—", "climatology": "—", "skill": "—", "ece": "—"}
    from aegis.analytics.calibration import brier, expected_calibration_error

    p, y = settled["value"].to_numpy(float), settled["outcome"].to_numpy(float)
    f = float(y.mean())
    b, clim = brier(p, y), f * (1 - f)
    return {"n": count(len(settled)), "brier": decimal(b), "climatology": decimal(clim),
            "skill": pct(1 - b / clim, 1) if clim > 0 else "—",
            "ece": decimal(expected_calibration_error(p, y, bins=10))}


def track_record(ledger: pd.DataFrame | None, backtest: dict[str, Any] | None) -> TrackRecord:
    """The track-record table, the live reliability diagrams and the hit rate by horizon."""
    from aegis.analytics.calibration import reliability_bins

    rows = []
    for name, (title, section) in PROBABILITIES.items():
        live: dict[str, str] = {}
        chart = ""
        if ledger is not None:
            mine = ledger[ledger["field"] == name]
            live = _live_figures(mine)
            settled = mine[mine["outcome"].notna()]
            if len(settled):
                bins = reliability_bins(settled["value"].to_numpy(float),
                                        settled["outcome"].to_numpy(float))
                chart = reliability_chart(bins, f"reliability-{name}", title)
        rows.append(TrackRow(name, title, _backtest_figures(backtest_section(backtest, section)),
                             live, chart))
    period = ""
    note = ""
    if backtest is not None:
        per = backtest.get("period", {})
        period = (f"{per.get('from', '?')} to {per.get('to', '?')}, "
                  f"{count(per.get('sessions'))} sessions")
        if not any(is_number((backtest.get(s) or {}).get("brier_climatology"))
                   for s in ("trap", "expiry_stress", "direction")):
            note = ("This backtest report predates the skill-against-climatology keys; "
                    "re-run aegis backtest to get them.")
        pooled = backtest.get("breach")
        if isinstance(pooled, dict) and backtest_section(backtest, "breach.touch") is None:
            note += (" The report scores touch and close-beyond pooled (n "
                     f"{count(pooled.get('n'))}, Brier {decimal(pooled.get('brier'))}): the "
                     "breach rows' backtest cells stay empty rather than repeat the pooled "
                     "figure for each.")
    live_note = _live_note(ledger)
    years, year_rows = by_year(backtest)
    return TrackRecord(rows, horizons(ledger, backtest), period, live_note, note.strip(),
                       years, year_rows)


def _live_note(ledger: pd.DataFrame | None) -> str:
    if ledger is None:
        return "No live track record yet: no forecast ledger has been written."
    if ledger.empty:
        return "No live track record yet: the forecast ledger is empty."
    settled = int(ledger["outcome"].notna().sum())
    snaps = ledger["generated_at"].nunique()
    first, last = ledger["generated_at"].min(), ledger["generated_at"].max()
    span = f"{first:%d %b %Y} to {last:%d %b %Y}"
    if settled == 0:
        return (f"No live track record yet: {_plural(snaps, 'published snapshot')} ({span}), none "
                "settled (outcomes settle at each forecast's expiry).")
    return (f"Live: {_plural(snaps, 'published snapshot')} ({span}); "
            f"{_plural(settled, 'forecast')} settled.")


def _plural(n: int, noun: str) -> str:
    return f"{count(n)} {noun}" + ("" if n == 1 else "s")


def horizons(ledger: pd.DataFrame | None, backtest: dict[str, Any] | None
             ) -> list[dict[str, str]]:
    """Safe-range coverage per sessions-to-expiry, backtest and live side by side."""
    by: dict[int, dict[str, str]] = {}
    section = ((backtest or {}).get("safe_range") or {}).get("by_sessions_to_expiry") or {}
    for h, cell in section.items():
        if isinstance(cell, dict) and str(h).isdigit():
            by.setdefault(int(h), {}).update(
                backtest=f"{pct(cell.get('coverage'))} of {count(cell.get('n'))}")
    if ledger is not None:
        sr = ledger[(ledger["field"] == "safe_range") & ledger["outcome"].notna()]
        for h, grp in sr.groupby("horizon_sessions"):
            by.setdefault(int(h), {}).update(
                live=f"{pct(grp['outcome'].mean())} of {count(len(grp))}")
    return [{"h": str(h), "backtest": v.get("backtest", "—"), "live": v.get("live", "—")}
            for h, v in sorted(by.items())]


def horizon_sentence(backtest: dict[str, Any] | None, sessions: int | None) -> str:
    """``1-session-to-expiry ranges held 79 %`` for today's horizon, from the backtest."""
    if sessions is None:
        return ""
    section = ((backtest or {}).get("safe_range") or {}).get("by_sessions_to_expiry") or {}
    cell = section.get(str(sessions))
    if not isinstance(cell, dict) or not is_number(cell.get("coverage")):
        return ""
    plural = "session" if sessions == 1 else "sessions"
    return (f"{sessions}-{plural}-to-expiry ranges held {pct(cell['coverage'])} "
            f"(backtest, {count(cell.get('n'))})")


@dataclass(frozen=True)
class GaugeHistory:
    field: str
    name: str
    chart: str
    summary: str


def gauge_history(ledger: pd.DataFrame | None) -> list[GaugeHistory]:
    """Trap, stress, direction and spike probability over the last weeks of the ledger."""
    if ledger is None or ledger.empty:
        return []
    end = ledger["generated_at"].max()
    recent = ledger[ledger["generated_at"] >= end - pd.Timedelta(days=HISTORY_DAYS)]
    out = []
    for name in GAUGES:
        rows = recent[recent["field"] == name].sort_values("generated_at")
        if rows.empty:
            continue
        title = PROBABILITIES[name][0]
        settled = rows[rows["outcome"].notna()]
        summary = _plural(len(rows), "published value")
        if len(settled):
            summary += (f"; {count(len(settled))} settled: forecast {pct(settled['value'].mean())} "
                        f"on average, happened {pct(float(np.mean(settled['outcome'])))}")
        else:
            summary += "; none settled yet"
        out.append(GaugeHistory(name, title, gauge_history_chart(rows, f"history-{name}", title),
                                summary))
    return out


__all__ = ["GaugeHistory", "TrackRecord", "TrackRow", "backtest_section", "by_year",
           "gauge_history", "horizon_sentence", "horizons", "track_record"]

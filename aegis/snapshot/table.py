"""The snapshot as a readable table for a terminal (``aegis infer``, ``make demo``)."""

from __future__ import annotations

import io
from typing import Any

from aegis.snapshot.contract import Snapshot


def _source(prov: Any) -> str:
    if prov is None:
        return ""
    if prov.kind == "model":
        return f"model {prov.name} {prov.version}"
    if prov.kind == "empirical":
        name = f" {prov.name}" if prov.name else ""
        return f"empirical{name} n={prov.n} {prov.window.from_}..{prov.window.to}"
    if prov.kind == "baseline":
        return f"BASELINE {prov.name}: {prov.reason}"
    return f"formula {prov.name}"


def _calib(cal: Any) -> str:
    if cal is None:
        return ""
    if cal.brier is None:
        return f"not measured ({cal.reason})"
    versus = f"baseline {cal.brier_baseline:.3f}"
    if cal.brier_climatology is not None and cal.bss_climatology is not None:
        versus += (f", climatology {cal.brier_climatology:.3f} "
                   f"(skill {cal.bss_climatology:+.1%})")
    return f"Brier {cal.brier:.3f} vs {versus}, ECE {cal.ece:.3f}, n={cal.n}"


def _headline_breaches(s: Snapshot) -> list[Any]:
    """The strikes nearest to spot +-1..5% (the JSON keeps every listed strike)."""
    chosen: dict[float, Any] = {}
    for pct in (-5, -4, -3, -2, -1, 1, 2, 3, 4, 5):
        side = [b for b in s.breach_probabilities if (b.distance_pct > 0) == (pct > 0)]
        if side:
            best = min(side, key=lambda b: abs(b.distance_pct - pct))
            chosen[best.strike] = best
    return [chosen[k] for k in sorted(chosen)]


def snapshot_rows(s: Snapshot) -> list[tuple[str, str, str, str]]:
    """(number, value, provenance, calibration) rows in the trader's reading order."""
    rows: list[tuple[str, str, str, str]] = [
        ("status", s.status.upper(), "; ".join(f"{r.field}: {r.reason}"
                                               for r in s.degraded_reasons), ""),
        ("as of", s.as_of.isoformat(), "", ""),
        ("spot", f"{s.spot:,.2f}", _source(s.provenance.spot), ""),
        ("India VIX", f"{s.vix:.2f}", _source(s.provenance.vix), ""),
        ("expiry", f"{s.expiry.date} ({s.expiry.days:g} days, {s.expiry.sessions} sessions)",
         _source(s.provenance.expiry), ""),
    ]
    if s.direction:
        d = s.direction
        rows.append(("direction tomorrow", f"{d.label} (p_up {d.probability_up:.3f}, "
                     f"confidence {d.confidence:.0%})", _source(d.provenance),
                     _calib(d.calibration)))
    if s.safe_range:
        r = s.safe_range
        rows.append((f"safe range {r.confidence:.0%}", f"{r.lower:,.0f} - {r.upper:,.0f} "
                     f"(k {r.k:.2f} x EM {r.expected_move:,.0f})", _source(r.provenance), ""))
    rows.append(("max pain", "n/a" if s.max_pain is None else f"{s.max_pain:,.0f}",
                 _source(s.provenance.max_pain), ""))
    rows.append(("PCR", "n/a" if s.pcr is None else f"{s.pcr:.2f}",
                 _source(s.provenance.pcr), ""))
    if s.trap:
        rows.append(("volatility trap", f"{s.trap.score:.3f} {s.trap.label}",
                     _source(s.trap.provenance), _calib(s.trap.calibration)))
    if s.expiry_stress:
        e = s.expiry_stress
        rows.append(("expiry stress", f"{e.score:.3f} {e.label}", _source(e.provenance),
                     _calib(e.calibration)))
    if s.buyer_signal:
        b = s.buyer_signal
        rows.append(("buyer signal", f"{b.signal} (p_spike {b.spike_probability:.3f} vs "
                     f"threshold {b.threshold:.3f})", _source(b.provenance),
                     _calib(b.calibration)))
    for br in _headline_breaches(s):
        rows.append((f"breach {br.strike:,.0f} ({br.distance_pct:+.1f}%)",
                     f"touch {br.touch:.3f}, close beyond {br.close_beyond:.3f}",
                     _source(br.provenance), _calib(br.calibration.touch)))
    for label, rate in (("historical hit rate", s.historical_hit_rate),
                        ("historical spike rate", s.historical_spike_rate)):
        if rate is None:
            rows.append((label, "n/a", "", ""))
            continue
        extra = f", base rate {rate.base_rate:.3f}" if hasattr(rate, "base_rate") else ""
        rows.append((label, f"{rate.value:.3f} [{rate.ci95[0]:.3f}, {rate.ci95[1]:.3f}] "
                     f"n={rate.n}{extra}", _source(rate.provenance), ""))
    if s.market_context is not None:
        rows += _context_rows(s.market_context)
    return rows


def _num(value: float | None, spec: str, unit: str = "") -> str:
    return "null" if value is None else f"{value:{spec}}{unit}"


def _context_rows(context: Any) -> list[tuple[str, str, str, str]]:
    """The chain and intraday features (or why they are unavailable)."""
    c, i = context.chain, context.intraday
    if c.available:
        chain = (f"PCR {_num(c.pcr, '.2f')}, max pain {_num(c.max_pain_distance, '+.2%')} from "
                 f"spot, OI top-3 CE {_num(c.oi_concentration_call, '.0%')} / PE "
                 f"{_num(c.oi_concentration_put, '.0%')}, ATM IV {_num(c.atm_iv, '.2f', '%')}, "
                 f"skew {_num(c.skew, '+.2f', ' pp')} ({c.expiry}, {c.timestamp.isoformat()})")
        chain += "".join(f"; {k} null: {v}" for k, v in c.null_reasons.items())
    else:
        chain = f"unavailable: {c.reason}"
    if i.available:
        vwap = "VWAP" if i.vwap_volume_weighted else "TWAP"
        intraday = (f"RV {_num(i.intraday_rv, '.1%')} ann., opening-range position "
                    f"{_num(i.opening_range_position, '.2f')}, {vwap} distance "
                    f"{_num(i.vwap_distance, '+.2%')} ({i.session}, {i.bars} bars to "
                    f"{i.last_bar.strftime('%H:%M')})")
        intraday += "".join(f"; {k} null: {v}" for k, v in i.null_reasons.items())
    else:
        intraday = f"unavailable: {i.reason}"
    return [("chain context", chain, _source(c.provenance), ""),
            ("intraday context", intraday, _source(i.provenance), "")]


def snapshot_table(snapshot: Snapshot, width: int = 150) -> str:
    """The rows above as a rich table, exported as plain text."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title="AegisMatrix snapshot", show_lines=False)
    for column in ("number", "value", "source", "walk-forward calibration"):
        table.add_column(column, overflow="fold")
    for row in snapshot_rows(snapshot):
        table.add_row(*row)
    console = Console(width=width, record=True, file=io.StringIO())
    console.print(table)
    return console.export_text()

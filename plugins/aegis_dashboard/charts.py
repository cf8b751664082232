"""The page's pictures, drawn in Python as inline SVG (:mod:`aegis_dashboard.svg`).

- :func:`price_chart`: recent NIFTY closes, the safe-range band to the expiry, the breach
  strikes with their touch probabilities, max pain.
- :func:`intraday_chart`: the snapshot day's bars (high-low band and close).
- :func:`gauge_history_chart`: one probability over the published snapshots of the last weeks
  (forecast ledger), each point marked with what happened once it settled.
- :func:`reliability_chart`: observed frequency against forecast probability per bin.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from aegis_dashboard.svg import Plot, nice_ticks, spread, thin_ticks
from aegis_dashboard.words import pct


def _points_fmt(v: float) -> str:
    return f"{v:,.0f}"


def price_chart(closes: pd.Series, *, spot: float | None, sessions_to_expiry: int | None,
                expiry_label: str, safe_range: Any = None, breaches: Sequence[Any] = (),
                max_pain: float | None = None) -> str:
    """Daily closes (index: sessions) with the safe range, the breach strikes and max pain.

    ``safe_range`` is a :class:`~aegis.snapshot.SafeRange` (or ``None``), ``breaches`` a list of
    :class:`~aegis.snapshot.Breach`; x is in sessions (the last close at ``len(closes) - 1``, the
    expiry ``sessions_to_expiry`` sessions later).
    """
    n = len(closes)
    ahead = max(int(sessions_to_expiry or 0), 1)
    now = n - 1
    ys = [float(v) for v in closes.to_numpy()]
    ys += [b.strike for b in breaches]
    if safe_range is not None:
        ys += [safe_range.lower, safe_range.upper]
    if max_pain is not None:
        ys.append(max_pain)
    lo, hi = min(ys), max(ys)
    pad = (hi - lo) * 0.04 or 1.0
    plot = Plot(x=(0, now + ahead + 0.5), y=(lo - pad, hi + pad), height=360,
                margin=(14, 170, 32, 64))
    step = max(1, n // 6)
    x_ticks = [(float(i), closes.index[i].strftime("%d %b")) for i in range(0, n, step)]
    x_ticks.append((float(now + ahead), f"expiry {expiry_label}"))
    x_ticks = thin_ticks(x_ticks, plot.px, min_gap=72)  # "expiry 09 Jan" is ~70 px wide
    y_ticks = [(t, _points_fmt(t)) for t in nice_ticks(lo - pad, hi + pad, 6)]
    plot.axes(x_ticks, y_ticks, y_label="NIFTY 50, index points")
    plot.vline(now + ahead, "expiry-line")
    if safe_range is not None:
        plot.band(now, now + ahead, safe_range.lower, safe_range.upper, "safe-band",
                  f"safe range {safe_range.lower:,.0f} - {safe_range.upper:,.0f}")
        plot.text(now - 0.2, safe_range.lower, f"safe range {safe_range.confidence:.0%}",
                  "band-label", dy=4, anchor="end")
    top, _, bottom, _ = plot.margin
    label_ys = spread([plot.py(b.strike) for b in breaches], 13.0, top + 4,
                      plot.height - bottom - 4)
    for b, label_y in zip(breaches, label_ys, strict=True):
        arrow = "above" if b.side == "above" else "below"
        plot.hline(b.strike, f"strike {arrow}", f"{b.strike:,.0f}  touch {pct(b.touch)}",
                   x0=now, data_attr=f'data-strike="{b.strike:.0f}"', label_y=label_y)
    if max_pain is not None:
        plot.hline(max_pain, "max-pain", "", x0=0)
        plot.text(0.3, max_pain, f"max pain {max_pain:,.0f}", "max-pain-label")
    plot.line([(float(i), v) for i, v in enumerate(ys[:n])], "closes", "daily close")
    if spot is not None:
        plot.marker(float(now), spot, "spot-dot", f"spot {spot:,.2f}", r=4.5)
    return plot.render("price-chart", f"NIFTY closes of the last {n} sessions with the safe range "
                                      f"to the expiry {expiry_label}, breach strikes and max pain")


def intraday_chart(bars: pd.DataFrame, day_label: str, *, safe_range: Any = None,
                   expiry_today: bool = False, expiry_label: str = "") -> str:
    """The day's 1-minute (or coarser) bars: high-low band and close line, x in IST minutes.

    With ``safe_range`` the range for the time left is drawn from the last bar to the close:
    on the expiry day it ends at the expiry close (15:30); on another day the band at the
    session's end stands for the range to the later expiry (``expiry_label``).
    """
    idx = pd.DatetimeIndex(bars.index)
    minutes = (idx.hour * 60 + idx.minute - (9 * 60 + 15)).to_numpy(dtype=float)
    lo, hi = float(bars["low"].min()), float(bars["high"].max())
    if safe_range is not None:
        lo, hi = min(lo, safe_range.lower), max(hi, safe_range.upper)
    pad = (hi - lo) * 0.05 or 1.0
    plot = Plot(x=(0.0, 375.0), y=(lo - pad, hi + pad), height=220, margin=(10, 20, 30, 64))
    ticks = [(m, f"{(555 + m) // 60:02.0f}:{(555 + m) % 60:02.0f}") for m in (0, 75, 165, 255, 375)]
    plot.axes(ticks, [(t, _points_fmt(t)) for t in nice_ticks(lo - pad, hi + pad, 4)])
    if safe_range is not None and len(minutes):
        last = float(minutes[-1]) + 1.0
        to = "to the 15:30 expiry close" if expiry_today else f"to the expiry {expiry_label}"
        plot.band(min(last, 374.0), 375.0, safe_range.lower, safe_range.upper,
                  "safe-band intraday-range",
                  f"safe range {safe_range.lower:,.0f} - {safe_range.upper:,.0f} {to}")
        plot.text(min(last, 374.0) - 2, safe_range.upper, f"range {to}", "band-label", dy=-4,
                  anchor="end")
    plot.area(list(zip(minutes, bars["high"], strict=True)),
              list(zip(minutes, bars["low"], strict=True)), "intraday-band")
    plot.line(list(zip(minutes, bars["close"], strict=True)), "intraday-close", "close")
    return plot.render("intraday-chart", f"NIFTY intraday bars of {day_label} ({len(bars)} bars)")


def oi_chart(strikes: pd.DataFrame, spot: float, max_pain: float | None = None) -> str:
    """Open interest by strike for one expiry: calls and puts side by side (``strikes``: index
    strike, columns ``call_oi`` and ``put_oi``, contracts), spot and max pain marked."""
    ks = strikes.index.to_numpy(dtype=float)
    width = float(np.min(np.diff(ks))) if len(ks) > 1 else 50.0
    top = float(max(strikes["call_oi"].max(), strikes["put_oi"].max(), 1.0))
    plot = Plot(x=(ks.min() - width, ks.max() + width), y=(0.0, top * 1.08), height=220,
                margin=(12, 16, 32, 64))
    step = max(1, len(ks) // 6)
    x_ticks = thin_ticks([(k, f"{k:,.0f}") for k in ks[::step]], plot.px, min_gap=48,
                         keep_last=False)
    y_ticks = [(t, _compact(t)) for t in nice_ticks(0.0, top * 1.08, 4)]
    plot.axes(x_ticks, y_ticks, y_label="open interest")
    for k, row in strikes.iterrows():
        k = float(k)
        plot.band(k - 0.42 * width, k, 0.0, float(row["put_oi"]), "oi-put",
                  f"{k:,.0f} put OI {row['put_oi']:,.0f}")
        plot.band(k, k + 0.42 * width, 0.0, float(row["call_oi"]), "oi-call",
                  f"{k:,.0f} call OI {row['call_oi']:,.0f}")
    plot.vline(spot, "spot-line", f"spot {spot:,.0f}")
    if max_pain is not None:
        plot.vline(max_pain, "max-pain-line", "")
    return plot.render("oi-chart", f"open interest by strike, {len(ks)} strikes around spot")


def _compact(v: float) -> str:
    if abs(v) >= 1e7:
        return f"{v / 1e7:.1f} cr"
    if abs(v) >= 1e5:
        return f"{v / 1e5:.1f} L"
    return f"{v:,.0f}"


def gauge_history_chart(rows: pd.DataFrame, css_id: str, label: str) -> str:
    """One probability over time (``rows``: ledger rows of one field, sorted by generated_at).

    Settled points are filled when the event happened (outcome 1) and hollow when it did not;
    unsettled points are small and grey.
    """
    t = rows["generated_at"]
    t0 = t.min()
    days = ((t - t0).dt.total_seconds() / 86400.0).to_numpy(dtype=float)
    span = max(float(days.max()) if len(days) else 0.0, 1.0)
    plot = Plot(x=(-0.02 * span, span * 1.02), y=(0.0, 1.0), width=340, height=170,
                margin=(10, 14, 30, 40))
    count = min(4, max(len(rows) - 1, 1))
    x_ticks = [(float(d), (t0 + pd.Timedelta(days=float(d))).strftime("%d %b"))
               for d in np.linspace(0, span, count + 1)] if len(rows) > 1 else \
        [(0.0, t0.strftime("%d %b"))]
    plot.axes(x_ticks, [(v, f"{v:.0%}") for v in (0.0, 0.25, 0.5, 0.75, 1.0)])
    values = rows["value"].to_numpy(dtype=float)
    plot.line(list(zip(days, values, strict=True)), "gauge-line", label)
    for d, v, o, when in zip(days, values, rows["outcome"].to_numpy(dtype=float), t, strict=True):
        stamp = when.strftime("%d %b %H:%M")
        if math.isnan(o):
            plot.marker(d, v, "open-point", f"{stamp}: {v:.0%}, not settled yet", r=2.5)
        elif o >= 0.5:
            plot.marker(d, v, "event-yes", f"{stamp}: {v:.0%}, it happened")
        else:
            plot.marker(d, v, "event-no", f"{stamp}: {v:.0%}, it did not happen")
    return plot.render(css_id, f"{label}: {len(rows)} published values")


def reliability_chart(bins: pd.DataFrame, css_id: str, label: str) -> str:
    """Observed frequency vs mean forecast per bin (``aegis.analytics.reliability_bins``)."""
    plot = Plot(x=(0.0, 1.0), y=(0.0, 1.0), width=230, height=210, margin=(10, 12, 34, 40))
    ticks = [(v, f"{v:.0%}") for v in (0.0, 0.5, 1.0)]
    plot.axes(ticks, ticks, x_label="forecast", y_label="happened")
    plot.line([(0.0, 0.0), (1.0, 1.0)], "diagonal", "perfect calibration")
    shown = bins[bins["count"] > 0]
    total = max(int(shown["count"].sum()), 1)
    for _, b in shown.iterrows():
        r = 2.5 + 6.0 * math.sqrt(float(b["count"]) / total)
        plot.marker(float(b["mean_predicted"]), float(b["observed_frequency"]), "rel-point",
                    f"forecast {b['mean_predicted']:.0%}: happened {b['observed_frequency']:.0%}"
                    f" of {int(b['count'])}", r=r)
    plot.line([(float(b["mean_predicted"]), float(b["observed_frequency"]))
               for _, b in shown.iterrows()], "rel-line")
    return plot.render(css_id, f"reliability of {label}, {total} settled forecasts")


__all__ = ["gauge_history_chart", "intraday_chart", "oi_chart", "price_chart",
           "reliability_chart"]

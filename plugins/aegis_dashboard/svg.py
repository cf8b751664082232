"""A tiny server-side SVG plotter: the page's charts need no JavaScript, no CDN, no network.

:class:`Plot` maps data coordinates to pixels inside a frame with margins and collects SVG
elements; :meth:`Plot.render` returns one ``<svg>`` string (escaped text, fixed precision) that
the template inserts as markup. Only what the page draws is here: lines, bands, markers,
horizontal reference lines with labels, and axes with ticks.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from html import escape

Point = tuple[float, float]


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """About ``count`` round tick values covering [lo, hi] (1, 2, 2.5 or 5 times 10^k steps)."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return [lo]
    raw = (hi - lo) / max(count, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    first = math.ceil(lo / step) * step
    return [first + i * step for i in range(int((hi - first) / step + 1e-9) + 1)]


def spread(pixels: Sequence[float], gap: float, lo: float, hi: float) -> list[float]:
    """Label positions near ``pixels`` but at least ``gap`` apart, inside [lo, hi].

    Labels of close values (strikes 1 % apart on a wide chart) would print over each other;
    each keeps its order and moves the least it must (a forward pass pushes down, a backward
    pass pulls back inside the frame).
    """
    order = sorted(range(len(pixels)), key=lambda i: pixels[i])
    placed = [float(pixels[i]) for i in order]
    for j in range(len(placed)):
        floor = lo if j == 0 else placed[j - 1] + gap
        placed[j] = max(placed[j], floor)
    for j in range(len(placed) - 1, -1, -1):
        ceiling = hi if j == len(placed) - 1 else placed[j + 1] - gap
        placed[j] = min(placed[j], ceiling)
    out = [0.0] * len(pixels)
    for j, i in enumerate(order):
        out[i] = placed[j]
    return out


def thin_ticks(ticks: Sequence[tuple[float, str]], px: Callable[[float], float],
               min_gap: float, keep_last: bool = True) -> list[tuple[float, str]]:
    """Drop x ticks whose labels would touch: from the last (kept) backwards, each tick at
    least ``min_gap`` pixels from the one kept after it."""
    items = sorted(ticks, key=lambda t: t[0])
    if not items:
        return []
    kept = [items[-1]] if keep_last else []
    for tick in reversed(items[:-1] if keep_last else items):
        if not kept or px(kept[-1][0]) - px(tick[0]) >= min_gap:
            kept.append(tick)
    return sorted(kept, key=lambda t: t[0])


@dataclass
class Plot:
    """One chart: data ranges ``x`` and ``y`` drawn in a ``width`` x ``height`` pixel box."""

    x: tuple[float, float]
    y: tuple[float, float]
    width: int = 720
    height: int = 300
    margin: tuple[int, int, int, int] = (14, 150, 30, 64)  # top, right, bottom, left
    title: str = ""
    elements: list[str] = field(default_factory=list)

    def px(self, x: float) -> float:
        top, right, bottom, left = self.margin
        span = (self.x[1] - self.x[0]) or 1.0
        return left + (x - self.x[0]) / span * (self.width - left - right)

    def py(self, y: float) -> float:
        top, right, bottom, left = self.margin
        span = (self.y[1] - self.y[0]) or 1.0
        return top + (self.y[1] - y) / span * (self.height - top - bottom)

    def _pts(self, points: Sequence[Point]) -> str:
        return " ".join(f"{self.px(x):.1f},{self.py(y):.1f}" for x, y in points
                        if math.isfinite(x) and math.isfinite(y))

    def line(self, points: Sequence[Point], cls: str, title: str = "") -> None:
        """A polyline through ``points`` (non-finite points are skipped)."""
        tip = f"<title>{escape(title)}</title>" if title else ""
        self.elements.append(f'<polyline class="{cls}" fill="none" '
                             f'points="{self._pts(points)}">{tip}</polyline>')

    def band(self, x0: float, x1: float, y0: float, y1: float, cls: str, title: str = "") -> None:
        """A filled rectangle from (x0, y0) to (x1, y1) in data coordinates."""
        left, right = sorted((self.px(x0), self.px(x1)))
        top, bottom = sorted((self.py(y0), self.py(y1)))
        tip = f"<title>{escape(title)}</title>" if title else ""
        self.elements.append(f'<rect class="{cls}" x="{left:.1f}" y="{top:.1f}" '
                             f'width="{right - left:.1f}" height="{bottom - top:.1f}">{tip}</rect>')

    def area(self, upper: Sequence[Point], lower: Sequence[Point], cls: str) -> None:
        """A filled polygon between two curves (e.g. intraday high and low)."""
        pts = self._pts(list(upper) + list(reversed(lower)))
        self.elements.append(f'<polygon class="{cls}" points="{pts}"/>')

    def marker(self, x: float, y: float, cls: str, title: str = "", r: float = 3.5) -> None:
        tip = f"<title>{escape(title)}</title>" if title else ""
        self.elements.append(f'<circle class="{cls}" cx="{self.px(x):.1f}" cy="{self.py(y):.1f}" '
                             f'r="{r}">{tip}</circle>')

    def hline(self, y: float, cls: str, label: str = "", x0: float | None = None,
              data_attr: str = "", label_y: float | None = None) -> None:
        """A horizontal reference line across the plot (from ``x0`` when given), labelled right
        (at pixel height ``label_y`` when given: :func:`spread` keeps labels apart)."""
        start = self.px(self.x[0] if x0 is None else x0)
        end = self.px(self.x[1])
        extra = f" {data_attr}" if data_attr else ""
        text_y = (self.py(y) if label_y is None else label_y) + 4
        self.elements.append(f'<g class="{cls}"{extra}><line x1="{start:.1f}" x2="{end:.1f}" '
                             f'y1="{self.py(y):.1f}" y2="{self.py(y):.1f}"/>'
                             f'<text x="{end + 4:.1f}" y="{text_y:.1f}">{escape(label)}'
                             f'</text></g>')

    def vline(self, x: float, cls: str, label: str = "") -> None:
        top, _, bottom, _ = self.margin
        self.elements.append(f'<g class="{cls}"><line x1="{self.px(x):.1f}" x2="{self.px(x):.1f}" '
                             f'y1="{top}" y2="{self.height - bottom}"/>'
                             f'<text x="{self.px(x) + 3:.1f}" y="{top + 10}">{escape(label)}'
                             f'</text></g>')

    def text(self, x: float, y: float, label: str, cls: str = "note", dy: float = 0.0,
             anchor: str = "start") -> None:
        """``label`` at (x, y), shifted ``dy`` pixels down (``anchor``: SVG text-anchor)."""
        self.elements.append(f'<text class="{cls}" x="{self.px(x):.1f}" '
                             f'y="{self.py(y) + dy:.1f}" text-anchor="{anchor}">'
                             f'{escape(label)}</text>')

    def axes(self, x_ticks: Sequence[tuple[float, str]], y_ticks: Sequence[tuple[float, str]],
             x_label: str = "", y_label: str = "") -> None:
        """Frame, tick labels and light grid lines."""
        top, right, bottom, left = self.margin
        w, h = self.width, self.height
        parts = [f'<rect class="frame" x="{left}" y="{top}" width="{w - left - right}" '
                 f'height="{h - top - bottom}"/>']
        for value, label in y_ticks:
            y = self.py(value)
            parts.append(f'<line class="grid" x1="{left}" x2="{w - right}" y1="{y:.1f}" '
                         f'y2="{y:.1f}"/><text class="tick" x="{left - 5}" y="{y + 4:.1f}" '
                         f'text-anchor="end">{escape(label)}</text>')
        for value, label in x_ticks:
            x = self.px(value)
            parts.append(f'<text class="tick" x="{x:.1f}" y="{h - bottom + 15}" '
                         f'text-anchor="middle">{escape(label)}</text>')
        if x_label:
            parts.append(f'<text class="axis" x="{(left + w - right) / 2:.1f}" y="{h - 2}" '
                         f'text-anchor="middle">{escape(x_label)}</text>')
        if y_label:
            mid = -(top + h - bottom) / 2
            parts.append(f'<text class="axis" transform="rotate(-90)" x="{mid:.1f}" y="12" '
                         f'text-anchor="middle">{escape(y_label)}</text>')
        self.elements[:0] = parts

    def render(self, css_id: str, description: str) -> str:
        """The ``<svg>`` element (``role="img"`` with a text alternative for screen readers).

        It scales to the width of its container (``width="100%"`` with the ``viewBox``; the
        height follows the aspect ratio), up to its drawn width, so a phone shows all of it.
        """
        return (f'<svg id="{escape(css_id)}" class="chart" role="img" viewBox="0 0 {self.width} '
                f'{self.height}" width="100%" preserveAspectRatio="xMidYMid meet" '
                f'style="max-width: {self.width}px" '
                f'xmlns="http://www.w3.org/2000/svg"><desc>{escape(description)}</desc>'
                + "".join(self.elements) + "</svg>")


__all__ = ["Plot", "nice_ticks", "spread", "thin_ticks"]

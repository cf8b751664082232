"""Numbers and reasons in a trader's words: percent, points, counts, provenance, reasons.

Integers print as integers (``4,960``, never ``4,960.000``), missing values as an em dash (never
``None``), probabilities as ``58 %``. :func:`plain_reason` strips what is for developers from a
reason (exception class names, file paths, hex digests) so the banner speaks plainly; the full
text stays behind the details toggle.
"""

from __future__ import annotations

import math
import re
from typing import Any

DASH = "—"
_EXCEPTION = re.compile(r"\b[A-Z][A-Za-z]*(?:Error|Exception|Mismatch)\b:?\s*")
_HEX = re.compile(r"\s*\b[0-9a-f]{12,}(?:\.\.\.|…)?")
_PATH = re.compile(r"(?:[A-Za-z]:)?(?:/[\w.+\-]+){2,}/?")
_SPACES = re.compile(r"\s{2,}")
_BEFORE_PUNCT = re.compile(r"\s+([,;.)])")


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def pct(p: Any, digits: int | None = None) -> str:
    """``0.583`` -> ``58 %``; below 1 % one decimal (``0.4 %``), below 0.05 % ``<0.1 %`` (a small
    chance never reads as none); missing -> em dash."""
    if not is_number(p):
        return DASH
    value = 100 * float(p)
    if digits is None:
        if 0 < value < 0.05:
            return "<0.1 %"
        digits = 1 if 0 < abs(value) < 1 else 0
    return f"{value:.{digits}f} %"


def points(v: Any, digits: int = 0) -> str:
    """Index points with thousands separators (``35,101``); missing -> em dash."""
    return f"{float(v):,.{digits}f}" if is_number(v) else DASH


def count(n: Any) -> str:
    """An integer count (``4,960``); missing -> em dash."""
    return f"{int(n):,}" if is_number(n) else DASH


def decimal(v: Any, digits: int = 3) -> str:
    return f"{float(v):.{digits}f}" if is_number(v) else DASH


def plain_reason(text: str) -> str:
    """``text`` without exception names, paths and digests; first letter upper-case."""
    out = _EXCEPTION.sub("", text)
    out = _PATH.sub(lambda m: m.group(0).rstrip("/").rsplit("/", 1)[-1], out)
    out = _HEX.sub("", out).replace("sha256", "checksum")
    out = _BEFORE_PUNCT.sub(r"\1", _SPACES.sub(" ", out)).strip(" :;,")
    return out[:1].upper() + out[1:] if out else "No reason given"


def _weight_words(prov: Any) -> str:
    """How much of a model's number is the model (its evidence weight), when below one."""
    w = getattr(prov, "evidence_weight", None)
    if not is_number(w) or float(w) >= 1.0:
        return ""
    return (f", weighted {pct(w, 0)} against the base rate (climatology {pct(1 - float(w), 0)}):"
            " it has not earned more on its record")


def provenance_words(prov: Any) -> str:
    """Where a number comes from, in one plain sentence (``prov``: a snapshot provenance)."""
    kind = getattr(prov, "kind", None)
    if kind == "model":
        return f"Model {prov.name}, version {prov.version}{_weight_words(prov)}."
    if kind == "formula":
        source = "Market data" if prov.name == "market_data" else f"Formula {prov.name}"
        return f"{source}: {prov.expression}."
    if kind == "empirical":
        span = f"{prov.window.from_.isoformat()} to {prov.window.to.isoformat()}"
        if getattr(prov, "name", None) == "climatology":
            return f"Climatology: the event frequency of {count(prov.n)} settled cases, {span}."
        return f"Measured on history: {count(prov.n)} cases, {span}."
    if kind == "baseline":
        return f"Fallback {prov.name} stood in for the model: {plain_reason(prov.reason)}."
    return "Provenance not given."


def calibration_words(cal: Any) -> str:
    """How far to trust a probability, in one line, from its walk-forward calibration block."""
    if cal is None:
        return "No calibration published."
    if getattr(cal, "brier", None) is None:
        return f"Not measured yet: {plain_reason(str(getattr(cal, 'reason', '') or ''))}."
    clim = getattr(cal, "brier_climatology", None)
    skill = getattr(cal, "bss_climatology", None)
    if is_number(clim) and clim and not is_number(skill):
        skill = 1 - cal.brier / clim
    scored = f"over {count(cal.n)} back-tested days"
    off = f"typical calibration error {pct(cal.ece)}"
    if skill is not None and is_number(skill):
        if float(skill) > 0:
            return f"{pct(skill, 1)} more accurate than the plain base rate {scored}; {off}."
        return f"No more accurate than the plain base rate {scored}; {off}."
    better = "better" if cal.brier < cal.brier_baseline else "no better"
    return (f"Brier {decimal(cal.brier)} vs {decimal(cal.brier_baseline)} for the simple rule "
            f"({better}) {scored}; {off}.")


def calibration_details(cal: Any) -> list[tuple[str, str]]:
    """Every number of a calibration block as (name, value) rows for the details toggle."""
    if cal is None or getattr(cal, "brier", None) is None:
        return []
    rows = [("Brier (lower is better)", decimal(cal.brier)),
            ("Brier of the heuristic baseline", decimal(cal.brier_baseline))]
    for key, name in (("brier_climatology", "Brier of climatology (base rate)"),
                      ("bss_climatology", "Skill against climatology")):
        value = getattr(cal, key, None)
        if is_number(value):
            rows.append((name, pct(value, 1) if key.startswith("bss") else decimal(value)))
    rows += [("Calibration error (ECE, 10 bins)", decimal(cal.ece)),
             ("Forecasts scored", count(cal.n))]
    return rows


__all__ = ["DASH", "calibration_details", "calibration_words", "count", "decimal", "is_number",
           "pct", "plain_reason", "points", "provenance_words"]

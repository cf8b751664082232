"""Turn a snapshot (``aegismatrix.json``) into the dashboard's widgets.

The snapshot schema grows (``schema_version``); the page must never break on a field it does not
know. So each widget looks its number up under the documented path first and a few tolerated
aliases, reads numbers whether they are bare or wrapped (``{"value": ..., "provenance": ...}``),
and everything else is still shown by the generic tree at the bottom of the page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

PROBABILITY_KEYS = (
    "value", "score", "probability_up", "spike_probability", "probability", "p", "p_up",
)


def lookup(snapshot: dict[str, Any], *paths: str) -> Any:
    """The value at the first dotted path present in ``snapshot`` (``None`` if none is)."""
    for path in paths:
        node: Any = snapshot
        for part in path.split("."):
            if not isinstance(node, dict) or part not in node:
                node = None
                break
            node = node[part]
        if node is not None:
            return node
    return None


def number(node: Any, keys: tuple[str, ...] = PROBABILITY_KEYS) -> float | None:
    """A float from a bare number or the first of ``keys`` in a mapping; ``None`` otherwise."""
    if isinstance(node, bool):
        return None
    if isinstance(node, int | float):
        return float(node)
    if isinstance(node, dict):
        for key in keys:
            if key in node:
                found = number(node[key], keys)
                if found is not None:
                    return found
    return None


def provenance_text(node: Any) -> str:
    """One line saying where a number comes from: model, formula, empirical or baseline."""
    prov = node.get("provenance") if isinstance(node, dict) else None
    if prov is None:
        return ""
    if isinstance(prov, str):
        return prov
    if not isinstance(prov, dict):
        return str(prov)
    kind = str(prov.get("kind") or prov.get("type") or prov.get("source") or "")
    details = [
        f"{k}={' to '.join(map(str, v.values())) if isinstance(v, dict) else v}"
        for k, v in prov.items()
        if k not in {"kind", "type", "source"}
    ]
    return " ".join([kind, *details]).strip()


def is_baseline(node: Any) -> bool:
    """True when the number's provenance says it is a baseline substitute."""
    return provenance_text(node).startswith("baseline")


@dataclass(frozen=True)
class Metric:
    """One published number with its label and provenance."""

    label: str
    value: float | None
    text: str = ""
    provenance: str = ""
    baseline: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def metric(snapshot: dict[str, Any], label: str, *paths: str) -> Metric:
    """The :class:`Metric` at the first present path; label and score from the node.

    A plain top-level number (``spot``, ``vix``, ``max_pain``, ``pcr``) takes its provenance
    from the snapshot's top-level ``provenance`` map, as schema 1.0.0 publishes it.
    """
    path = next((p for p in paths if lookup(snapshot, p) is not None), None)
    node = lookup(snapshot, path) if path else None
    text = ""
    extra: dict[str, Any] = {}
    if isinstance(node, dict):
        text = str(node.get("label") or node.get("signal") or "")
        for key in ("n", "ci95", "window", "base_rate", "confidence", "threshold",
                    "calibration", "as_of"):
            if key in node:
                extra[key] = node[key]
        if isinstance(extra.get("window"), dict):
            extra["window"] = " to ".join(str(v) for v in extra["window"].values())
        prov_node: Any = node
    else:
        prov_node = {"provenance": lookup(snapshot, f"provenance.{path}")} if path else None
    return Metric(label, number(node), text, provenance_text(prov_node), is_baseline(prov_node),
                  extra)


@dataclass(frozen=True)
class BreachRow:
    """Breach probabilities of one strike: touch before expiry and close beyond at expiry."""

    strike: float
    touch: float | None
    close: float | None
    side: str = ""
    provenance: str = ""


def breach_rows(snapshot: dict[str, Any]) -> list[BreachRow]:
    """Rows of the breach table, sorted by strike; accepts a list of rows or ``{strike: p}``."""
    node = lookup(snapshot, "breach_probabilities", "breach.strikes", "breach")
    rows: list[BreachRow] = []
    if isinstance(node, dict) and isinstance(node.get("strikes"), list):
        node = node["strikes"]
    if isinstance(node, list):
        for item in node:
            if not isinstance(item, dict) or number(item.get("strike")) is None:
                continue
            rows.append(
                BreachRow(
                    strike=float(item["strike"]),
                    touch=number(_first(item, "touch", "p_touch", "touch_probability")),
                    close=number(_first(item, "close", "p_close", "close_beyond")),
                    side=str(item.get("side", "")),
                    provenance=provenance_text(item),
                )
            )
    elif isinstance(node, dict):
        for key, value in node.items():
            strike = number(_to_float(key))
            if strike is not None:
                rows.append(BreachRow(strike, number(value), None, "", provenance_text(value)))
    return sorted(rows, key=lambda r: r.strike)


def _first(node: dict[str, Any], *keys: str) -> Any:
    return next((node[k] for k in keys if node.get(k) is not None), None)


def _to_float(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def safe_range(snapshot: dict[str, Any]) -> dict[str, Any] | None:
    """``{lower, upper, confidence, spot, provenance}`` of the safe range, or ``None``."""
    node = lookup(snapshot, "safe_range")
    if not isinstance(node, dict):
        return None
    bounds = node.get("range") if isinstance(node.get("range"), list) else None
    lower = number(node.get("lower", node.get("low", node.get("lo")))) or (
        number(bounds[0]) if bounds else None
    )
    upper = number(node.get("upper", node.get("high", node.get("hi")))) or (
        number(bounds[1]) if bounds else None
    )
    if lower is None or upper is None:
        return None
    return {
        "lower": lower,
        "upper": upper,
        "confidence": number(node.get("confidence")),
        "spot": number(lookup(snapshot, "spot", "market.spot")),
        "provenance": provenance_text(node),
    }


def degraded_reasons(snapshot: dict[str, Any]) -> list[str]:
    """The reasons the snapshot is degraded, as plain sentences (empty when it is not)."""
    raw = lookup(snapshot, "degraded_reasons", "degraded.reasons", "degraded")
    reasons: list[str] = []
    if isinstance(raw, list):
        for item in raw:
            if isinstance(item, dict):
                reasons.append(": ".join(str(v) for v in item.values()))
            else:
                reasons.append(str(item))
    elif isinstance(raw, str):
        reasons.append(raw)
    if not reasons and str(snapshot.get("status", "")).lower() == "degraded":
        reasons.append("snapshot status is degraded (no reason given)")
    return reasons


def build_view(snapshot: dict[str, Any]) -> dict[str, Any]:
    """Everything the page template needs from one snapshot."""
    expiry = lookup(snapshot, "expiry")
    return {
        "status": str(snapshot.get("status", "unknown")),
        "as_of": lookup(snapshot, "as_of", "generated_at", "timestamp") or "",
        "schema_version": snapshot.get("schema_version", ""),
        "degraded_reasons": degraded_reasons(snapshot),
        "spot": metric(snapshot, "Spot", "spot", "market.spot"),
        "vix": metric(snapshot, "India VIX", "vix", "market.vix"),
        "safe_range": safe_range(snapshot),
        "trap": metric(snapshot, "Volatility trap", "trap"),
        "stress": metric(snapshot, "Expiry stress", "expiry_stress"),
        "direction": metric(snapshot, "Direction tomorrow", "direction"),
        "max_pain": metric(snapshot, "Max pain", "max_pain"),
        "pcr": metric(snapshot, "PCR", "pcr"),
        "expiry": expiry if isinstance(expiry, dict) else {},
        "buyer": metric(snapshot, "Buyer signal", "buyer_signal", "buyer"),
        "hit_rate": metric(
            snapshot, "Historical hit rate", "historical_hit_rate", "rates.hit_rate",
            "historical_rates.hit_rate", "hit_rate",
        ),
        "spike_rate": metric(
            snapshot, "Historical spike rate", "historical_spike_rate", "rates.spike_rate",
            "historical_rates.spike_rate", "spike_rate",
        ),
        "breach": breach_rows(snapshot),
    }

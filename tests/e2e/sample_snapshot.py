"""A degraded schema-1.0.0 snapshot with known numbers, for the dashboard tests.

Built as a dict and checked against :class:`aegis.snapshot.contract.Snapshot`, so the page is
tested on exactly what the writer may publish. The trap is a baseline substitute (its model
failed its checksum), so ``status`` is ``"degraded"`` with one reason naming ``trap``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

SPOT = 23431.5
VIX = 14.2
DAYS = 6.25
K = 0.93
TRAP_REASON = "model trap v3 failed verification: sha256 mismatch; baseline used"


def _cal(n: int = 400) -> dict[str, Any]:
    return {"brier": 0.2012, "brier_baseline": 0.2244, "ece": 0.031, "n": n}


def sample_snapshot() -> dict[str, Any]:
    """The snapshot as a JSON-able dict (validated against the contract)."""
    em = SPOT * VIX / 100 * math.sqrt(DAYS / 365)
    window = {"from": "2015-01-01", "to": "2025-01-03"}
    breach = []
    for pct in (-3, -2, -1, 1, 2, 3):
        strike = round(SPOT * (1 + pct / 100) / 50) * 50
        touch = round(0.62 / (1 + abs(pct)), 4)
        breach.append({
            "strike": float(strike), "side": "above" if pct > 0 else "below", "touch": touch,
            "close_beyond": round(touch * 0.45, 4), "distance_pct": (strike / SPOT - 1) * 100,
            "provenance": {"kind": "model", "name": "breach", "version": "4"},
            "calibration": {"touch": _cal(), "close_beyond": _cal()},
        })
    snap = {
        "schema_version": "1.0.0",
        "status": "degraded",
        "degraded_reasons": [{"field": "trap", "reason": TRAP_REASON}],
        "generated_at": "2025-01-06T10:16:02+00:00",
        "as_of": "2025-01-06T15:30:00+05:30",
        "spot": SPOT,
        "vix": VIX,
        "expiry": {"date": "2025-01-09", "days": DAYS, "sessions": 3},
        "max_pain": 23500.0,
        "pcr": 0.87,
        "provenance": {
            "spot": {"kind": "formula", "name": "spot", "expression": "last NIFTY 50 close"},
            "vix": {"kind": "formula", "name": "vix", "expression": "last India VIX close"},
            "max_pain": {"kind": "formula", "name": "max_pain", "expression": "argmin payout"},
            "pcr": {"kind": "formula", "name": "pcr", "expression": "put OI / call OI"},
            "expiry": {"kind": "formula", "name": "weekly_expiry", "expression": "NSE calendar"},
        },
        "direction": {"label": "UP", "probability_up": 0.58, "confidence": 0.58,
                      "provenance": {"kind": "model", "name": "direction", "version": "2"},
                      "calibration": _cal()},
        "safe_range": {"lower": SPOT - K * em, "upper": SPOT + K * em, "confidence": 0.8, "k": K,
                       "expected_move": em,
                       "provenance": {"kind": "formula", "name": "safe_range",
                                      "expression": "S +- k*EM, k fitted walk-forward"}},
        "trap": {"score": 0.71, "label": "HIGH", "label_cuts": [0.2, 0.4],
                 "provenance": {"kind": "baseline", "name": "trap_baseline",
                                "reason": TRAP_REASON},
                 "calibration": {"reason": "baseline substitute: model unavailable"}},
        "expiry_stress": {"score": 0.21, "label": "CALM", "label_cuts": [0.24, 0.31],
                          "provenance": {"kind": "model", "name": "expiry_stress",
                                         "version": "3"},
                          "calibration": _cal()},
        "breach_probabilities": breach,
        "buyer_signal": {"signal": "WAIT", "spike_probability": 0.12, "threshold": 0.3,
                         "provenance": {"kind": "model", "name": "buyer", "version": "1"},
                         "calibration": _cal()},
        "historical_hit_rate": {"value": 0.8137, "n": 510, "ci95": [0.7776, 0.8451],
                                "window": window, "as_of": "2025-01-06", "confidence": 0.8,
                                "provenance": {"kind": "empirical", "n": 510, "window": window}},
        "historical_spike_rate": {"value": 0.4167, "n": 48, "ci95": [0.2878, 0.5579],
                                  "window": window, "as_of": "2025-01-06", "base_rate": 0.1813,
                                  "provenance": {"kind": "empirical", "n": 48,
                                                 "window": window}},
    }
    from aegis.snapshot.contract import Snapshot

    Snapshot.model_validate(snap)
    return snap


def write_sample(output_dir: Path) -> Path:
    """Write the sample snapshot as ``aegismatrix.json`` under ``output_dir``; return the path."""
    output_dir.mkdir(parents=True, exist_ok=True)
    path = output_dir / "aegismatrix.json"
    path.write_text(json.dumps(sample_snapshot(), indent=2), encoding="utf-8")
    return path

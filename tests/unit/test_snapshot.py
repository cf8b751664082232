"""The aegismatrix.json contract: old paths, provenance, the degradation law, consistency."""

from __future__ import annotations

import copy
import json
import math
from datetime import date
from typing import Any

import pytest
from pydantic import ValidationError

from aegis.analytics import close_beyond_probability, expected_move, touch_probability
from aegis.errors import SnapshotError
from aegis.rates import EmpiricalRate, RateWindow, wilson_interval
from aegis.snapshot import (
    SCHEMA_VERSION,
    Snapshot,
    hit_rate_block,
    render_snapshot,
    spike_rate_block,
)

SPOT, VIX, DAYS = 24500.0, 13.2, 5.0
CAL = {"brier": 0.21, "brier_baseline": 0.24, "ece": 0.03, "n": 900}
MODEL = {"kind": "model", "name": "trap", "version": "2026-08-14T02:00:00Z-3"}


def formula(name: str) -> dict[str, str]:
    return {"kind": "formula", "name": name, "expression": f"{name} per DESIGN.md"}


def example() -> dict[str, Any]:
    """A consistent, fully populated snapshot document (status ok)."""
    em = expected_move(SPOT, VIX, DAYS)
    k = 1.05
    window = {"from": "2010-01-08", "to": "2026-08-13"}
    breaches = []
    for pct in (-3, -1, 1, 3):
        strike = round(SPOT * (1 + pct / 100) / 50) * 50
        breaches.append(
            {
                "strike": strike,
                "side": "above" if strike >= SPOT else "below",
                "touch": touch_probability(SPOT, strike, VIX / 100, DAYS),
                "close_beyond": close_beyond_probability(SPOT, strike, VIX / 100, DAYS),
                "distance_pct": (strike / SPOT - 1) * 100,
                "provenance": {"kind": "model", "name": "breach", "version": "7"},
                "calibration": {"touch": CAL, "close_beyond": CAL},
            }
        )
    return {
        "schema_version": SCHEMA_VERSION,
        "status": "ok",
        "degraded_reasons": [],
        "generated_at": "2026-08-14T10:05:00Z",
        "as_of": "2026-08-14T15:30:00+05:30",
        "spot": SPOT,
        "vix": VIX,
        "expiry": {"date": "2026-08-18", "days": DAYS, "sessions": 2},
        "max_pain": 24450.0,
        "pcr": 0.93,
        "provenance": {
            "spot": formula("market_data"),
            "vix": formula("market_data"),
            "max_pain": formula("max_pain"),
            "pcr": formula("pcr"),
            "expiry": formula("next_weekly_expiry"),
        },
        "direction": {
            "label": "UP",
            "probability_up": 0.57,
            "confidence": 0.57,
            "provenance": {"kind": "model", "name": "direction", "version": "4"},
            "calibration": CAL,
        },
        "safe_range": {
            "lower": SPOT - k * em,
            "upper": SPOT + k * em,
            "confidence": 0.8,
            "k": k,
            "expected_move": em,
            "provenance": {"kind": "empirical", "n": 850, "window": window},
        },
        "trap": {"score": 0.41, "label": "MEDIUM", "label_cuts": [0.18, 0.45], "provenance": MODEL,
                 "calibration": CAL},
        "expiry_stress": {
            "score": 0.22,
            "label": "CALM",
            "label_cuts": [0.24, 0.31],
            "provenance": {"kind": "model", "name": "expiry_stress", "version": "3"},
            "calibration": CAL,
        },
        "breach_probabilities": breaches,
        "buyer_signal": {
            "signal": "WAIT",
            "spike_probability": 0.31,
            "threshold": 0.45,
            "provenance": {"kind": "model", "name": "buyer", "version": "2"},
            "calibration": CAL,
        },
        "historical_hit_rate": {
            "value": 0.8,
            "n": 850,
            "ci95": list(wilson_interval(680, 850)),
            "window": window,
            "as_of": "2026-08-14",
            "confidence": 0.8,
            "provenance": {"kind": "empirical", "n": 850, "window": window},
        },
        "historical_spike_rate": {
            "value": 0.5,
            "n": 120,
            "ci95": list(wilson_interval(60, 120)),
            "window": window,
            "as_of": "2026-08-14",
            "base_rate": 0.33,
            "provenance": {"kind": "empirical", "n": 120, "window": window},
        },
        "market_context": market_context(),
    }


def market_context() -> dict[str, Any]:
    """Both sub-blocks available; consistent with :func:`example`'s max pain, PCR and times."""
    return {
        "chain": {
            "available": True, "expiry": "2026-08-18", "timestamp": "2026-08-14T15:30:00+05:30",
            "pcr": 0.93, "max_pain_distance": (24450.0 - SPOT) / SPOT,
            "oi_concentration_call": 0.31, "oi_concentration_put": 0.27, "atm_iv": 12.4,
            "skew": 2.1, "provenance": formula("chain_features"),
        },
        "intraday": {
            "available": True, "session": "2026-08-14", "last_bar": "2026-08-14T15:29:00+05:30",
            "bars": 375, "intraday_rv": 0.104, "opening_range_position": 0.62,
            "vwap_distance": -0.0011, "vwap_volume_weighted": False,
            "provenance": formula("intraday_features"),
        },
    }


def test_example_is_valid_and_keeps_old_paths_plain() -> None:
    snap = Snapshot.model_validate(example())
    doc = json.loads(render_snapshot(snap))
    assert isinstance(doc["spot"], float)
    assert isinstance(doc["vix"], float)
    assert isinstance(doc["max_pain"], float)
    assert isinstance(doc["trap"]["score"], float)
    assert doc["trap"]["label"] == "MEDIUM"
    assert isinstance(doc["expiry_stress"]["score"], float)
    assert doc["expiry_stress"]["label"] == "CALM"
    assert doc["direction"]["label"] == "UP"
    assert doc["safe_range"]["lower"] < doc["safe_range"]["upper"]
    assert doc["buyer_signal"]["signal"] == "WAIT"
    assert isinstance(doc["historical_hit_rate"]["value"], float)
    assert isinstance(doc["historical_spike_rate"]["value"], float)
    assert doc["historical_hit_rate"]["window"] == {"from": "2010-01-08", "to": "2026-08-13"}
    assert doc["provenance"]["spot"]["kind"] == "formula"
    assert doc["trap"]["provenance"] == MODEL
    assert doc["schema_version"] == "1.0.0"
    assert Snapshot.model_validate_json(json.dumps(doc)) == snap


def mutate(**changes: Any) -> dict[str, Any]:
    doc = copy.deepcopy(example())
    for path, value in changes.items():
        node: Any = doc
        keys = path.split("__")
        for key in keys[:-1]:
            node = node[int(key)] if key.isdigit() else node[key]
        node[keys[-1]] = value
    return doc


BASELINE_TRAP = {
    "kind": "baseline",
    "name": "trap_baseline",
    "reason": "champion checksum mismatch",
}


def test_baseline_requires_reason_and_degraded_status() -> None:
    with pytest.raises(ValidationError, match="baseline provenance without a degraded reason"):
        Snapshot.model_validate(mutate(trap__provenance=BASELINE_TRAP))
    reasons = [{"field": "trap", "reason": "model trap: checksum mismatch"}]
    with pytest.raises(ValidationError, match="status 'ok' but expected 'degraded'"):
        Snapshot.model_validate(mutate(trap__provenance=BASELINE_TRAP, degraded_reasons=reasons))
    snap = Snapshot.model_validate(
        mutate(trap__provenance=BASELINE_TRAP, degraded_reasons=reasons, status="degraded")
    )
    assert snap.status == "degraded"
    assert [name for name, p in snap.iter_provenance() if p.kind == "baseline"] == ["trap"]


def test_degraded_without_reasons_is_invalid() -> None:
    with pytest.raises(ValidationError, match="expected 'ok'"):
        Snapshot.model_validate(mutate(status="degraded"))


def test_baseline_in_a_breach_row_needs_a_breach_reason() -> None:
    doc = mutate(breach_probabilities__2__provenance=BASELINE_TRAP)
    with pytest.raises(ValidationError, match="breach_probabilities"):
        Snapshot.model_validate(doc)
    doc["status"] = "degraded"
    doc["degraded_reasons"] = [{"field": "breach_probabilities", "reason": "breach model missing"}]
    Snapshot.model_validate(doc)


def test_null_block_needs_a_reason() -> None:
    no_chain = {"available": False, "reason": "no option chain in the store"}
    doc = mutate(max_pain=None, provenance__max_pain=None, market_context__chain=no_chain)
    with pytest.raises(ValidationError, match="max_pain"):
        Snapshot.model_validate(doc)
    doc["status"] = "degraded"
    doc["degraded_reasons"] = [{"field": "max_pain", "reason": "no option chain in the store"}]
    Snapshot.model_validate(doc)
    with pytest.raises(ValidationError, match="null together"):
        Snapshot.model_validate(doc | {"provenance": example()["provenance"]})


def test_unknown_reason_field_rejected() -> None:
    doc = mutate(status="degraded", degraded_reasons=[{"field": "trapp", "reason": "typo"}])
    with pytest.raises(ValidationError, match="unknown fields"):
        Snapshot.model_validate(doc)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"trap__score": 0.7}, "trap label MEDIUM does not match"),
        ({"expiry_stress__label": "STRESS"}, "expiry stress label"),
        ({"trap__score": 1.2}, "less than or equal to 1"),
        ({"direction__label": "DOWN"}, "direction DOWN"),
        ({"direction__confidence": 0.6}, "max"),
        ({"buyer_signal__signal": "BREAKOUT"}, "buyer signal"),
        ({"breach_probabilities__0__touch": 0.0}, "close_beyond exceeds touch"),
        ({"breach_probabilities__0__side": "above"}, "side"),
        ({"safe_range__k": 2.0}, "2 \\* k"),
        ({"spot": 25000.0}, "centred on spot"),
        ({"historical_hit_rate__value": 0.2}, "bracket"),
        (
            {
                "historical_hit_rate__provenance": {
                    "kind": "formula",
                    "name": "x",
                    "expression": "0.72",
                }
            },
            "empirical",
        ),
        ({"historical_spike_rate__n": 121}, "repeat its n"),
        ({"trap__calibration": {"brier": 0.2}}, "together"),
        ({"trap__calibration": {}}, "reason is required"),
        ({"generated_at": "2026-08-14T09:00:00"}, "timezone"),
        ({"as_of": "2026-08-15T15:30:00+05:30"}, "after generated_at"),
        ({"schema_version": "0.9.0"}, "1.0.0"),
        ({"extra_key": 1}, "Extra inputs"),
        ({"trap__provenance": {"kind": "guess"}}, "kind"),
    ],
)
def test_inconsistent_documents_rejected(changes, message) -> None:
    with pytest.raises(ValidationError, match=message):
        Snapshot.model_validate(mutate(**changes))


def test_nan_rejected() -> None:
    with pytest.raises(ValidationError):
        Snapshot.model_validate(mutate(vix=math.nan))


def test_calibration_may_be_absent_with_a_reason_only() -> None:
    reason = {"reason": "model trained on 12 windows; too few to score"}
    snap = Snapshot.model_validate(mutate(trap__calibration=reason))
    assert snap.trap is not None
    assert snap.trap.calibration.brier is None


def test_rate_blocks_from_empirical_rates() -> None:
    window = RateWindow(from_=date(2012, 1, 5), to=date(2026, 8, 13))
    hit = EmpiricalRate(
        kind="hit",
        value=0.79,
        n=100,
        successes=79,
        ci95=wilson_interval(79, 100),
        window=window,
        as_of=date(2026, 8, 14),
        confidence=0.8,
    )
    spike = EmpiricalRate(
        kind="spike",
        value=0.5,
        n=40,
        successes=20,
        ci95=wilson_interval(20, 40),
        window=window,
        as_of=date(2026, 8, 14),
        base_rate=0.31,
    )
    doc = example()
    doc["historical_hit_rate"] = hit_rate_block(hit).model_dump(mode="json")
    doc["historical_spike_rate"] = spike_rate_block(spike).model_dump(mode="json")
    snap = Snapshot.model_validate(doc)
    assert snap.historical_hit_rate is not None
    assert snap.historical_hit_rate.value == 0.79
    assert snap.historical_hit_rate.provenance.n == 100
    assert snap.historical_spike_rate is not None
    assert snap.historical_spike_rate.base_rate == 0.31
    with pytest.raises(SnapshotError, match="hit rate"):
        hit_rate_block(spike)


def test_hit_rate_block_carries_todays_horizon_and_both_intervals() -> None:
    window = RateWindow(from_=date(2012, 1, 5), to=date(2026, 8, 13))
    as_of = date(2026, 8, 14)
    horizon = EmpiricalRate(kind="hit", window=window, as_of=as_of, confidence=0.8,
                            value=0.75, n=200, successes=150,
                            ci95=wilson_interval(150, 200), sessions_to_expiry=3,
                            ci95_block_bootstrap=(0.69, 0.81), interval_note="one per week")
    hit = EmpiricalRate(kind="hit", window=window, as_of=as_of, confidence=0.8,
                        value=0.79, n=1000, successes=790,
                        ci95=wilson_interval(790, 1000), ci95_block_bootstrap=(0.76, 0.82),
                        interval_note="overlapping windows", horizon=horizon)
    block = hit_rate_block(hit)
    assert block.horizon is not None
    assert (block.horizon.sessions_to_expiry, block.horizon.n) == (3, 200)
    assert block.horizon.provenance.n == 200
    assert block.ci95_block_bootstrap == (0.76, 0.82)
    assert "overlapping" in (block.interval_note or "")
    doc = example()
    doc["historical_hit_rate"] = block.model_dump(mode="json")
    assert Snapshot.model_validate(doc).historical_hit_rate == block
    # a new-style rate without today's horizon must say why
    bare = hit.model_copy(update={"horizon": None})
    with pytest.raises(ValidationError, match="horizon_reason"):
        hit_rate_block(bare)
    assert hit_rate_block(bare, "no past range with 6 sessions").horizon_reason


def test_safe_range_horizon_must_match_the_expiry() -> None:
    doc = example()
    days, h = doc["expiry"]["days"], doc["expiry"]["sessions"]
    k_session = doc["safe_range"]["k"] / math.sqrt(365 * h / (252 * days))
    doc["safe_range"] |= {"sessions_to_expiry": h, "k_session": k_session,
                          "fit_scope": "horizon"}
    Snapshot.model_validate(doc)
    with pytest.raises(ValidationError, match="sessions_to_expiry"):
        Snapshot.model_validate(doc | {"safe_range": doc["safe_range"]
                                       | {"sessions_to_expiry": h + 1}})
    with pytest.raises(ValidationError, match="k_session"):
        Snapshot.model_validate(doc | {"safe_range": doc["safe_range"]
                                       | {"k_session": 2 * k_session}})

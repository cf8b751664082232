"""Schema-1.0.0 snapshots with known numbers, and the stores around them, for the page's tests.

Built as dicts and checked against :class:`aegis.snapshot.contract.Snapshot`, so the page is
tested on exactly what the writer may publish. Three flavours:

- ``sample_snapshot()``: degraded; the trap is a baseline substitute (its model failed its
  checksum) and max pain is missing (no option chain), each with a reason naming its field;
  ``market_context.chain`` is unavailable for the same reason, ``market_context.intraday`` is
  available (5-minute bars without volume, so the VWAP is the TWAP).
- ``sample_snapshot(degraded=False)``: ok; both market-context sub-blocks available, the ATM IV
  ``null`` with its reason.
- any of them with an old ``as_of`` is stale.

:func:`write_world` also writes the market store (daily closes, the day's intraday bars), a
forecast ledger with exactly the columns of the ledger contract (issue #13) and a backtest
report, so every element of the page has data.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from aegis.ledger import LEDGER_COLUMNS

SPOT = 23431.5
VIX = 14.2
DAYS = 6.25
K = 0.93
AS_OF = dt.datetime(2025, 1, 6, 15, 30, tzinfo=dt.timezone(dt.timedelta(hours=5, minutes=30)))
TRAP_REASON = ("champion 'trap' unavailable (ChecksumMismatchError: "
               "/srv/aegis/models/trap/model.onnx: sha256 3f2a9c0d1e2b4a5f... differs from the "
               "manifest's 9b8a7c6d5e4f3a2b...)")
TRAP_PLAIN = "Champion 'trap' unavailable (model.onnx: checksum differs from the manifest's)"
MAX_PAIN_REASON = "no option chain in the store"
MAX_PAIN = 23500.0
PCR = 0.87
ATM_IV_REASON = ("no usable IV on the call (CE) and put (PE) side of the chain (0 or missing on "
                 "every strike, as after the expiry or before the open)")
INTRADAY = {"intraday_rv": 0.1124, "opening_range_position": 0.64, "vwap_distance": 0.0012,
            "vwap_volume_weighted": False, "bars": 75}


def _cal(n: int = 400) -> dict[str, Any]:
    return {"brier": 0.2012, "brier_baseline": 0.2244, "ece": 0.031, "n": n}


def snapshot_expiry(as_of: dt.datetime) -> dt.date:
    """The expiry a snapshot of ``as_of`` is for: the first whose 15:30 IST close is after it
    (on the expiry day before the close, that day's)."""
    from aegis.market.calendar import next_weekly_expiry
    from aegis.market.slots import expiry_close

    day = pd.Timestamp(as_of).tz_convert("Asia/Kolkata").date()
    expiry = pd.Timestamp(next_weekly_expiry(day - dt.timedelta(days=1))).date()
    while expiry_close(expiry) <= as_of:
        expiry = pd.Timestamp(next_weekly_expiry(expiry)).date()
    return expiry


def sample_snapshot(*, degraded: bool = True, as_of: dt.datetime = AS_OF,
                    climatology: bool = False) -> dict[str, Any]:
    """The snapshot as a JSON-able dict (validated against the contract).

    The expiry, its calendar days, sessions and trading minutes are those of ``as_of`` (an
    intraday ``as_of`` gives the fractional days and the minutes to the expiry close, as the
    intraday contract publishes them). ``climatology``: direction and trap published as the
    base rate (the gate refused their models), with ``empirical`` climatology provenance.
    """
    from aegis.market.slots import expiry_close, sessions_left, trading_minutes_between

    day = as_of.date()
    expiry = snapshot_expiry(as_of)
    close_at = expiry_close(expiry)
    days = (close_at - as_of).total_seconds() / 86400.0
    em = SPOT * VIX / 100 * math.sqrt(days / 365)
    window = {"from": "2015-01-01", "to": (day - dt.timedelta(days=3)).isoformat()}
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
    model = {"kind": "model", "name": "trap", "version": "3"}
    snap: dict[str, Any] = {
        "schema_version": "1.0.0",
        "status": "ok",
        "degraded_reasons": [],
        "generated_at": (as_of + dt.timedelta(minutes=16)).isoformat(),
        "as_of": as_of.isoformat(),
        "spot": SPOT,
        "vix": VIX,
        "expiry": {"date": expiry.isoformat(), "days": days,
                   "sessions": sessions_left(as_of, expiry)},
        "max_pain": MAX_PAIN,
        "pcr": PCR,
        "provenance": {
            "spot": {"kind": "formula", "name": "market_data", "expression": "NIFTY daily close"},
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
        "trap": {"score": 0.71, "label": "HIGH", "provenance": model, "calibration": _cal()},
        "expiry_stress": {"score": 0.21, "label": "CALM",
                          "provenance": {"kind": "model", "name": "expiry_stress",
                                         "version": "3"},
                          "calibration": _cal()},
        "breach_probabilities": breach,
        "buyer_signal": {"signal": "WAIT", "spike_probability": 0.12, "threshold": 0.3,
                         "provenance": {"kind": "model", "name": "buyer", "version": "1"},
                         "calibration": _cal()},
        "historical_hit_rate": {"value": 0.8137, "n": 510, "ci95": [0.7776, 0.8451],
                                "window": window, "as_of": day.isoformat(), "confidence": 0.8,
                                "provenance": {"kind": "empirical", "n": 510, "window": window}},
        "historical_spike_rate": {"value": 0.4167, "n": 48, "ci95": [0.2878, 0.5579],
                                  "window": window, "as_of": day.isoformat(), "base_rate": 0.1813,
                                  "provenance": {"kind": "empirical", "n": 48,
                                                 "window": window}},
    }
    snap["market_context"] = _market_context(as_of, expiry)
    from aegis.snapshot import Trap

    if "label_cuts" in Trap.model_fields:  # the contract once labels use cuts from history
        snap["trap"]["label_cuts"] = [0.2, 0.4]
        snap["expiry_stress"]["label_cuts"] = [0.24, 0.31]
    from aegis.snapshot import Expiry

    if "minutes_left" in Expiry.model_fields:  # the intraday contract (issue 20)
        snap["expiry"]["minutes_left"] = trading_minutes_between(as_of, close_at)
    if "close_at" in Expiry.model_fields:
        snap["expiry"]["close_at"] = close_at.isoformat()
    if climatology:
        _as_climatology(snap, window)
    if degraded:
        snap["status"] = "degraded"
        snap["degraded_reasons"] = [{"field": "trap", "reason": TRAP_REASON},
                                    {"field": "max_pain", "reason": MAX_PAIN_REASON}]
        snap["trap"]["provenance"] = {"kind": "baseline", "name": "trap_baseline",
                                      "reason": TRAP_REASON}
        snap["trap"]["calibration"] = {"reason": "baseline substitute: model unavailable"}
        snap["max_pain"] = None
        snap["provenance"]["max_pain"] = None
        snap["market_context"]["chain"] = {"available": False, "reason": MAX_PAIN_REASON}
    from aegis.snapshot.contract import Snapshot

    Snapshot.model_validate(snap)
    return snap


CLIMATOLOGY_REASON = ("gate: no model beat climatology across the walk-forward folds "
                      "(paired test p = 0.41)")


def _as_climatology(snap: dict[str, Any], window: dict[str, str]) -> None:
    """Direction and trap published as the base rate, as the gate publishes them."""
    prov = {"kind": "empirical", "name": "climatology", "n": 2871, "window": window,
            "reason": CLIMATOLOGY_REASON}
    snap["direction"] = {"label": "UP", "probability_up": 0.5312, "confidence": 0.5312,
                         "provenance": prov, "calibration": _cal()}
    snap["trap"] = {"score": 0.3315, "label": "MEDIUM", "provenance": prov,
                    "calibration": _cal()}
    if "label_cuts" in snap.get("expiry_stress", {}):
        snap["trap"]["label_cuts"] = None


def _market_context(as_of: dt.datetime, expiry: dt.date) -> dict[str, Any]:
    """Both sub-blocks available: the chain's of ``expiry`` at the close, the session's bars."""
    chain = {
        "available": True, "expiry": expiry.isoformat(), "timestamp": as_of.isoformat(),
        "pcr": PCR, "max_pain_distance": (MAX_PAIN - SPOT) / SPOT,
        "oi_concentration_call": 0.3412, "oi_concentration_put": 0.2875, "atm_iv": None,
        "skew": None, "null_reasons": {"atm_iv": ATM_IV_REASON, "skew": ATM_IV_REASON},
        "provenance": {"kind": "formula", "name": "chain_features",
                       "expression": "aegis.features.chain.build_chain_features"}}
    intraday = {
        "available": True, "session": as_of.date().isoformat(),
        "last_bar": (as_of - dt.timedelta(minutes=5)).isoformat(), **INTRADAY,
        "provenance": {"kind": "formula", "name": "intraday_features",
                       "expression": "aegis.features.intraday.build_intraday_features"}}
    return {"chain": chain, "intraday": intraday}


def fresh_as_of(now: pd.Timestamp | None = None) -> dt.datetime:
    """The moment of the last publishing slot at or before ``now``: a snapshot that is fresh."""
    from aegis.market.hours import SESSION_OPEN
    from aegis.market.slots import last_slot, previous_slot

    moment = (now or pd.Timestamp.now(tz="UTC")).to_pydatetime()
    slot = last_slot(moment)
    # the 09:15 slot has no bars of its session yet: its snapshot is of the previous close
    return previous_slot(slot) if slot.timetz().replace(tzinfo=None) == SESSION_OPEN else slot


def write_sample(output_dir: Path, snap: dict[str, Any] | None = None) -> Path:
    """Write a snapshot (default :func:`sample_snapshot`) as ``aegismatrix.json``."""
    output_dir.mkdir(parents=True, exist_ok=True)
    path = output_dir / "aegismatrix.json"
    path.write_text(json.dumps(snap or sample_snapshot(), indent=2), encoding="utf-8")
    return path


def sample_ledger(as_of: dt.datetime, weeks: int = 6, seed: int = 3) -> pd.DataFrame:
    """A forecast ledger of one snapshot per session for ``weeks`` weeks before ``as_of``."""
    from aegis.market.calendar import sessions

    rng = np.random.default_rng(seed)
    end = pd.Timestamp(as_of).tz_convert("Asia/Kolkata").tz_localize(None).normalize()
    days = sessions(end - pd.Timedelta(weeks=weeks), end)
    rows = []
    for i, day in enumerate(days):
        stamp = (day + pd.Timedelta(hours=15, minutes=30)).tz_localize("Asia/Kolkata")
        generated = stamp.tz_convert("UTC") + pd.Timedelta(minutes=16)
        left = len(days) - 1 - i
        settled = left >= 3
        for field, p in (("trap", 0.3 + 0.2 * math.sin(i / 4)), ("expiry_stress", 0.25),
                         ("direction", 0.5 + 0.05 * math.cos(i)), ("buyer", 0.2 + 0.1 * (i % 3)),
                         ("breach_touch", 0.3), ("breach_close", 0.12), ("safe_range", 0.8)):
            outcome = float(rng.random() < p) if settled else np.nan
            rows.append({
                "generated_at": generated, "as_of": stamp.tz_convert("UTC"), "field": field,
                "key": "23700" if field.startswith("breach") else "", "value": p,
                "lower": 23000.0 if field == "safe_range" else np.nan,
                "upper": 23900.0 if field == "safe_range" else np.nan,
                "model_version": "3", "provenance": "model",
                "expiry": day + pd.Timedelta(days=3), "horizon_sessions": 1 + i % 4,
                "outcome": outcome, "settled_on": day + pd.Timedelta(days=3) if settled else pd.NaT,
            })
    frame = pd.DataFrame(rows, columns=list(LEDGER_COLUMNS))
    frame["horizon_sessions"] = frame["horizon_sessions"].astype("int64")
    frame["settled_on"] = pd.to_datetime(frame["settled_on"])
    return frame


BACKTEST_REPORT: dict[str, Any] = {
    "period": {"from": "2024-01-01", "to": "2024-12-31", "sessions": 246},
    "safe_range": {"confidence": 0.8, "windows": 246, "coverage": 0.8, "ci95": [0.75, 0.85],
                   "every_session": {"coverage": 0.8, "n": 246},
                   "by_sessions_to_expiry": {"1": {"coverage": 0.79, "n": 50},
                                             "3": {"coverage": 0.82, "n": 49}}},
    "trap": {"n": 246, "brier": 0.158, "brier_baseline": 0.267, "ece": 0.02,
             "brier_climatology": 0.166, "bss_climatology": 0.048, "published_brier": 0.159,
             "by_year": {"2023": {"n": 120, "brier": 0.161, "published_brier": 0.163,
                                  "brier_climatology": 0.168, "ece": 0.03},
                         "2024": {"n": 126, "brier": 0.155, "published_brier": 0.156,
                                  "brier_climatology": 0.164, "ece": 0.02}}},
    "expiry_stress": {"n": 246, "brier": 0.19, "brier_baseline": 0.27, "ece": 0.03},
    "direction": {"n": 246, "accuracy": 0.52, "brier": 0.249, "brier_baseline": 0.2488,
                  "ece": 0.04, "brier_climatology": 0.2501, "published_brier": 0.2501,
                  "by_year": {"2023": {"n": 120, "brier": 0.2478, "published_brier": 0.2496,
                                       "brier_climatology": 0.2496, "ece": 0.04},
                              "2024": {"n": 126, "brier": 0.2502, "published_brier": 0.2506,
                                       "brier_climatology": 0.2506, "ece": 0.04}}},
    "breach": {"n": 2460, "brier": 0.05, "brier_baseline": 0.052, "ece": 0.01},
    "buyer": {"signals": 40, "spike_rate": 0.4, "ci95": [0.26, 0.56], "base_rate": 0.29},
}


def write_world(home: Path, snap: dict[str, Any], *, ledger: bool = True,
                backtest: bool = True, now: dt.datetime | None = None,
                report: dict[str, Any] | None = None) -> None:
    """Snapshot, market store, features, ledger and backtest under ``home``, as at ``now``.

    The store holds what exists at ``now`` (default: ``as_of``'s close): daily NIFTY and VIX
    bars of the sessions closed by then, the snapshot day's 5-minute bars before ``as_of``, and
    the option chain of the snapshot's expiry taken at ``as_of``.
    """
    from aegis.market.calendar import sessions
    from aegis.market.slots import expiry_close
    from aegis.market.store import MarketStore

    as_of = pd.Timestamp(snap["as_of"])
    moment = pd.Timestamp(now) if now is not None else max(
        as_of, pd.Timestamp(expiry_close(as_of.tz_convert("Asia/Kolkata").date())))
    write_sample(home / "output", snap)
    end = as_of.tz_convert("Asia/Kolkata").tz_localize(None).normalize()
    days = sessions(end - pd.Timedelta(days=90), end)
    days = days[[pd.Timestamp(expiry_close(d.date())) <= moment for d in days]]
    closes = SPOT * np.exp(np.cumsum(np.r_[0, np.random.default_rng(1).normal(0, 0.008,
                                                                                len(days) - 1)]))
    in_session = pd.Timestamp(days[-1]) < end if len(days) else True
    closes *= (SPOT - SPOT_CHANGE if in_session else SPOT) / closes[-1]
    store = MarketStore(home / "data")
    daily = pd.DataFrame({"session": days, "open": closes, "high": closes * 1.004,
                          "low": closes * 0.996, "close": closes})
    store.upsert("nifty_daily", daily, now=moment.to_pydatetime())
    vix = VIX * np.exp(np.cumsum(np.r_[0, np.random.default_rng(4).normal(0, 0.03,
                                                                           len(days) - 1)]))
    vix *= (VIX - VIX_CHANGE if in_session else VIX) / vix[-1]
    store.upsert("vix_daily", pd.DataFrame({"session": days, "open": vix, "high": vix * 1.02,
                                            "low": vix * 0.98, "close": vix}),
                 now=moment.to_pydatetime())
    stamps = pd.date_range(end + pd.Timedelta(hours=9, minutes=15),
                           end + pd.Timedelta(hours=15, minutes=25), freq="5min",
                           tz="Asia/Kolkata")
    stamps = stamps[stamps < as_of]
    if len(stamps):
        path = SPOT + np.cumsum(np.random.default_rng(2).normal(0, 6, len(stamps)))
        path += SPOT - path[-1]
        store.upsert("nifty_intraday", pd.DataFrame({
            "timestamp": stamps, "open": path, "high": path + 5, "low": path - 5,
            "close": path}), now=moment.to_pydatetime())
    em = snap["safe_range"]["expected_move"] if snap.get("safe_range") else 100.0
    store.upsert("option_chain", sample_chain(as_of, pd.Timestamp(snap["expiry"]["date"]), em),
                 now=moment.to_pydatetime())
    _write_features(home, days)
    if ledger:
        folder = home / "data" / "ledger"
        folder.mkdir(parents=True, exist_ok=True)
        sample_ledger(as_of.to_pydatetime()).to_parquet(folder / "forecasts.parquet")
    if backtest:
        folder = home / "output" / "backtest"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "report.json").write_text(json.dumps(report or BACKTEST_REPORT),
                                            encoding="utf-8")
        (folder / "report.reliability.png").write_bytes(_tiny_png())


SPOT_CHANGE, VIX_CHANGE = 112.4, -0.35
"""Spot and VIX against the previous close, in a world whose snapshot is intraday."""
STRADDLE_SHARE = 0.8
"""The sample ATM straddle costs this share of the expected move (E|move| = 0.8 sigma)."""


def sample_chain(as_of: pd.Timestamp, expiry: pd.Timestamp, expected_move: float
                 ) -> pd.DataFrame:
    """One chain of ``expiry`` taken at ``as_of``: strikes every 50 points within 6 % of spot;
    the ATM straddle costs :data:`STRADDLE_SHARE` of ``expected_move`` (call a little dearer)."""
    atm = round(SPOT / 50) * 50
    strikes = np.arange(atm - 1400, atm + 1401, 50, dtype=float)
    straddle = round(STRADDLE_SHARE * expected_move, 2)
    rows = []
    for k in strikes:
        gap = (k - SPOT) / SPOT
        for side, sign in (("CE", 1.0), ("PE", -1.0)):
            oi = 40_000 + 900_000 * math.exp(-((gap * 100 - sign * 1.5) ** 2) / 2.0)
            intrinsic = max(0.0, sign * (SPOT - k))
            price = round(straddle * (0.52 if side == "CE" else 0.48), 2) if k == atm else \
                round(intrinsic + straddle / 2 * math.exp(-abs(gap) * 80), 2)
            rows.append({"timestamp": as_of, "expiry": expiry.normalize(), "strike": k,
                         "option_type": side, "oi": round(oi), "oi_change": 0.0,
                         "last_price": max(price, 0.05), "iv": 13.5, "bid": np.nan,
                         "ask": np.nan, "volume": 1000.0, "underlying": SPOT})
    return pd.DataFrame(rows)


IV_PERCENTILE, IV_RANK = 63.0, 41.5


def _write_features(home: Path, days: pd.DatetimeIndex) -> None:
    """The validated feature table's two VIX-level columns (what the options panel reads)."""
    folder = home / "data" / "features"
    folder.mkdir(parents=True, exist_ok=True)
    table = pd.DataFrame({"iv_percentile_252": IV_PERCENTILE, "iv_rank_252": IV_RANK},
                         index=pd.DatetimeIndex(days, name="session"))
    table.to_parquet(folder / "daily.parquet")


def _tiny_png() -> bytes:
    """A valid 8x8 grey PNG (stands in for the backtest's matplotlib diagram)."""
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))

    raw = b"".join(b"\x00" + b"\x80" * 8 for _ in range(8))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 8, 8, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))

"""The snapshot's ``market_context``: chain and intraday features of its session (pure, no I/O).

The numbers are those of :func:`aegis.features.chain.build_chain_features` and
:func:`aegis.features.intraday.build_intraday_features` (one definition each); this module only
decides whether they are *of this snapshot* -- the chain rows of its expiry, taken on its
session (chosen by :meth:`aegis.pipeline.inference.SnapshotBuilder.chain`), the bars of its
session -- and turns NaN into ``null`` with the reason.
"""

from __future__ import annotations

import math
from typing import Any, Final

import pandas as pd

from aegis.errors import ChainError, FeatureInputError
from aegis.features.chain import build_chain_features, iv_by_strike
from aegis.features.intraday import OPENING_RANGE, build_intraday_features
from aegis.market.hours import ist_day
from aegis.snapshot.context import ChainContext, IntradayContext
from aegis.snapshot.provenance import FormulaProvenance

SIDE_NAMES: Final = {"CE": "call (CE)", "PE": "put (PE)"}

CHAIN_PROVENANCE: Final = FormulaProvenance(
    name="chain_features",
    expression="aegis.features.chain.build_chain_features: the latest option chain's rows of "
               "this expiry, at the snapshot's spot")
INTRADAY_PROVENANCE: Final = FormulaProvenance(
    name="intraday_features",
    expression="aegis.features.intraday.build_intraday_features: the bars of the snapshot's "
               "session, as of its last bar")


def chain_features(rows: pd.DataFrame | None, reason: str, *, spot: float,
                   expiry: pd.Timestamp) -> tuple[dict[str, float] | None, str]:
    """(features, reason): :func:`build_chain_features` of ``rows``, or None and why not.

    ``rows`` are the chain rows of ``expiry`` the snapshot may use (None with ``reason`` when
    there are none); a chain the analytics reject (no open interest, no call OI, duplicate
    rows) gives None with the analytics' message.
    """
    if rows is None:
        return None, reason
    try:
        return build_chain_features(rows, spot, expiry=expiry), ""
    except ChainError as exc:
        taken = pd.Timestamp(rows["timestamp"].max())
        return None, f"the option chain taken {taken.isoformat()} cannot be used: {exc}"


def chain_context(rows: pd.DataFrame | None, features: dict[str, float] | None, reason: str,
                  *, expiry: pd.Timestamp) -> ChainContext:
    """The ``market_context.chain`` block of :func:`chain_features`' result."""
    if rows is None or features is None:
        return ChainContext(available=False, reason=reason)
    null_reasons = {name: _chain_null_reason(rows, name)
                    for name in ChainContext.VALUES if not math.isfinite(features[name])}
    values: dict[str, Any] = {name: None if name in null_reasons else features[name]
              for name in ChainContext.VALUES}
    return ChainContext(
        available=True, expiry=expiry.date(),
        timestamp=pd.Timestamp(rows["timestamp"].max()).to_pydatetime(),
        null_reasons=null_reasons, provenance=CHAIN_PROVENANCE, **values)


def _chain_null_reason(rows: pd.DataFrame, name: str) -> str:
    """Why chain feature ``name`` is NaN for these rows (see build_chain_features' Returns)."""
    if name.startswith("oi_concentration_"):
        side = "CE" if name.endswith("call") else "PE"
        return f"no {SIDE_NAMES[side]} open interest on any strike of this expiry"
    if name in ("atm_iv", "skew"):
        if "iv" not in rows.columns:
            return "the option chain has no IV column"
        iv = iv_by_strike(rows)
        lacking = [SIDE_NAMES[s] for s in ("CE", "PE") if iv[s].isna().all()]
        if lacking:
            return (f"no usable IV on the {' and '.join(lacking)} side of the chain (0 or "
                    "missing on every strike, as after the expiry or before the open)")
    return f"{name} is not a finite number for this chain"


def intraday_context(bars: pd.DataFrame | None, session: pd.Timestamp) -> IntradayContext:
    """The ``market_context.intraday`` block: the features of ``session``'s bars, if the latest.

    The features are of the latest session in ``bars``; they are published only when that is
    the snapshot's ``session`` (tz-naive date), otherwise the block is unavailable and says
    which session the bars are of.
    """
    day = pd.Timestamp(session).normalize()
    if bars is None or bars.empty:
        return _no_intraday("no intraday bars in the store")
    latest = ist_day(pd.Timestamp(bars.index.max()))
    if latest < day:
        return _no_intraday(f"no intraday bars for the snapshot's session {day.date()}: the "
                            f"latest bars are of {latest.date()}")
    if latest > day:
        return _no_intraday(f"the latest intraday bars are of {latest.date()}, after the "
                            f"snapshot's session {day.date()} (its daily data is not in the "
                            "validated features yet)")
    session_bars = bars[ist_day(bars.index) == day]
    try:
        row = build_intraday_features(session_bars).loc[day]
    except FeatureInputError as exc:
        return _no_intraday(f"the intraday bars of {day.date()} cannot be used: {exc}")
    features: dict[str, Any] = {name: float(row[name]) for name in IntradayContext.VALUES}
    null_reasons = {name: _intraday_null_reason(name)
                    for name, value in features.items() if not math.isfinite(value)}
    values: dict[str, Any] = {name: None if name in null_reasons else value
                              for name, value in features.items()}
    if values["vwap_volume_weighted"] is not None:
        values["vwap_volume_weighted"] = values["vwap_volume_weighted"] == 1.0
    return IntradayContext(
        available=True, session=day.date(),
        last_bar=pd.Timestamp(session_bars.index.max()).to_pydatetime(), bars=int(row["bars"]),
        null_reasons=null_reasons, provenance=INTRADAY_PROVENANCE, **values)


def _no_intraday(reason: str) -> IntradayContext:
    return IntradayContext(available=False, reason=reason)


def _intraday_null_reason(name: str) -> str:
    """Why intraday feature ``name`` is NaN (see build_intraday_features' Returns)."""
    if name == "opening_range_position":
        minutes = int(OPENING_RANGE.total_seconds() // 60)
        return (f"the opening range (bars starting in the first {minutes} minutes) is flat: its "
                "high equals its low")
    return f"{name} is not a finite number for this session"


__all__ = ["chain_context", "chain_features", "intraday_context"]

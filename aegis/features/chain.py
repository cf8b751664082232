"""Option-chain features of one expiry at one snapshot: PCR, max pain, OI concentration, IV.

Max pain and PCR are the analytics formulas (:mod:`aegis.analytics.chain`); this module adds
the features around them. The chain is the canonical long frame of :mod:`aegis.market.frames`;
the expiry and snapshot are chosen by :func:`aegis.analytics.chain.select_expiry` (one expiry,
latest snapshot).
"""

from __future__ import annotations

import math
from typing import Final

import numpy as np
import pandas as pd

from aegis.analytics.chain import max_pain, pcr, select_expiry
from aegis.errors import FeatureInputError

TOP_STRIKES: Final[int] = 3
"""Strikes per side counted in the OI concentration."""
SKEW_MONEYNESS: Final[float] = 0.05
"""The skew compares the put ~5 % below spot with the call ~5 % above (a 25-delta proxy)."""

CHAIN_FEATURES: Final[dict[str, str]] = {
    "pcr": "total PE OI / total CE OI, one expiry",
    "max_pain": "max-pain strike (points)",
    "max_pain_distance": "(max_pain - spot) / spot (signed fraction)",
    "oi_concentration_call": "share of CE OI in the 3 largest-OI strikes, in [0, 1]",
    "oi_concentration_put": "share of PE OI in the 3 largest-OI strikes, in [0, 1]",
    "atm_iv": "mean CE/PE IV at the strike nearest spot (annualised percent)",
    "skew": "IV(PE at ~0.95 spot) - IV(CE at ~1.05 spot) (percentage points)",
}


def build_chain_features(
    chain: pd.DataFrame, spot: float, *, expiry: object | None = None
) -> dict[str, float]:
    """Chain features of one expiry, as a mapping of :data:`CHAIN_FEATURES` names to floats.

    Parameters
    ----------
    chain : DataFrame
        Canonical long option chain (``expiry, strike, option_type, oi``; ``iv`` in percent,
        NaN or 0 meaning unknown, as NSE and Upstox publish it).
    spot : float
        Underlying level at the snapshot (points, > 0).
    expiry : date-like, optional
        Required when the chain holds several expiries.

    Returns
    -------
    dict[str, float]
        ``oi_concentration_*`` is NaN for a side without OI; ``atm_iv`` and ``skew`` are NaN
        when the chain carries no usable IV (e.g. a snapshot taken after its expiry).
        ``atm_iv`` uses the strike nearest spot that has an IV on either side (the average of
        the sides that have one); the skew legs use, per side, the strike with an IV nearest to
        ``spot * (1 -+ 0.05)``.

    Raises
    ------
    FeatureInputError
        ``spot`` is not a positive finite number.
    ChainError
        From the analytics: several expiries without ``expiry=``, duplicate rows, no OI at all
        (max pain) or no call OI (PCR).
    """
    if not (isinstance(spot, int | float | np.floating) and math.isfinite(spot) and spot > 0):
        raise FeatureInputError(f"chain features: expected spot > 0 (points); found {spot!r}")
    rows = select_expiry(chain, expiry)
    pain = max_pain(rows)
    features = {
        "pcr": pcr(rows),
        "max_pain": pain,
        "max_pain_distance": (pain - float(spot)) / float(spot),
        "oi_concentration_call": oi_concentration(rows, "CE"),
        "oi_concentration_put": oi_concentration(rows, "PE"),
    }
    iv = iv_by_strike(rows)
    features["atm_iv"] = atm_iv(iv, float(spot))
    features["skew"] = _iv_near(iv["PE"], spot * (1.0 - SKEW_MONEYNESS)) - _iv_near(
        iv["CE"], spot * (1.0 + SKEW_MONEYNESS)
    )
    return {name: float(features[name]) for name in CHAIN_FEATURES}


def oi_concentration(rows: pd.DataFrame, side: str, top: int = TOP_STRIKES) -> float:
    """Share of one side's open interest held by its ``top`` largest strikes, in [0, 1]."""
    oi = rows.loc[rows["option_type"] == side, "oi"].astype("float64").fillna(0.0)
    total = float(oi.sum())
    if total <= 0.0:
        return float("nan")
    return float(np.sort(oi.to_numpy())[::-1][:top].sum() / total)


def iv_by_strike(rows: pd.DataFrame) -> pd.DataFrame:
    """Strike-indexed ``CE``/``PE`` IV (percent); 0, negative or missing IV -> NaN."""
    if "iv" not in rows.columns:
        return pd.DataFrame({"CE": [], "PE": []}, index=pd.Index([], name="strike"), dtype=float)
    iv = rows["iv"].astype("float64")
    valid = rows.assign(iv=iv.where(iv > 0))
    table = valid.pivot_table(index="strike", columns="option_type", values="iv", aggfunc="mean")
    for side in ("CE", "PE"):
        if side not in table.columns:
            table[side] = np.nan
    return table[["CE", "PE"]].astype("float64").sort_index()


def atm_iv(iv: pd.DataFrame, spot: float) -> float:
    """Mean CE/PE IV (percent) at the strike nearest ``spot`` having an IV on either side."""
    usable = iv[iv.notna().any(axis=1)]
    if usable.empty:
        return float("nan")
    nearest = np.argmin(np.abs(usable.index.to_numpy(dtype="float64") - spot))
    return float(usable.iloc[nearest].mean(skipna=True))


def _iv_near(side_iv: pd.Series, target: float) -> float:
    usable = side_iv.dropna()
    if usable.empty:
        return float("nan")
    nearest = np.argmin(np.abs(usable.index.to_numpy(dtype="float64") - target))
    return float(usable.iloc[nearest])

"""Option-chain numbers: max pain and the put-call ratio of one expiry.

The chain is the canonical long frame of :mod:`aegis.market.frames` (one row per strike and
side; columns ``timestamp, expiry, strike, option_type, oi, ...``). When the frame holds several
snapshots (``timestamp``) of the chosen expiry, only the latest one is used: open interest is a
stock, not a flow, so adding snapshots would double-count it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from aegis.errors import ChainError

_REQUIRED = ("expiry", "strike", "option_type", "oi")


def select_expiry(chain: pd.DataFrame, expiry: object | None = None) -> pd.DataFrame:
    """Rows of one expiry (latest snapshot) with OI; raise :class:`ChainError` when ambiguous.

    Parameters
    ----------
    chain : DataFrame
        Canonical long option chain.
    expiry : date-like, optional
        Required when the chain holds several expiries.
    """
    missing = [c for c in _REQUIRED if c not in chain.columns]
    if missing:
        raise ChainError(f"option chain: expected columns {list(_REQUIRED)}; missing {missing}")
    if chain.empty:
        raise ChainError("option chain: expected at least one row; found an empty frame")
    expiries = pd.to_datetime(chain["expiry"]).dt.normalize()
    if expiry is None:
        unique = expiries.dropna().unique()
        if len(unique) != 1:
            found = ", ".join(str(pd.Timestamp(x).date()) for x in sorted(unique)[:6])
            raise ChainError(
                f"option chain: expected one expiry or an expiry= argument; found {len(unique)}"
                f" ({found})"
            )
        rows = chain
    else:
        wanted = pd.Timestamp(expiry).normalize()
        rows = chain[expiries == wanted]
        if rows.empty:
            raise ChainError(f"option chain: expiry {wanted.date()} not in the chain")
    if "timestamp" in rows.columns and rows["timestamp"].notna().any():
        rows = rows[rows["timestamp"] == rows["timestamp"].max()]
    bad_side = ~rows["option_type"].isin(["CE", "PE"])
    if bad_side.any():
        first = rows.index[bad_side.to_numpy()][0]
        raise ChainError(
            f"option chain row {first}, column 'option_type': expected 'CE' or 'PE'; "
            f"found {rows.loc[first, 'option_type']!r}"
        )
    dup = rows.duplicated(["strike", "option_type"])
    if dup.any():
        first = rows.index[dup.to_numpy()][0]
        raise ChainError(
            f"option chain row {first}: duplicate strike {rows.loc[first, 'strike']} "
            f"{rows.loc[first, 'option_type']} in one snapshot"
        )
    oi = rows["oi"].astype("float64")
    if (oi < 0).any():
        first = rows.index[(oi < 0).to_numpy()][0]
        raise ChainError(f"option chain row {first}, column 'oi': expected >= 0; found {oi[first]}")
    return rows


def _oi_by_strike(rows: pd.DataFrame) -> pd.DataFrame:
    """Strike-indexed frame with ``CE`` and ``PE`` open interest (missing/NaN OI -> 0 contracts)."""
    table = rows.pivot_table(
        index="strike", columns="option_type", values="oi", aggfunc="sum", fill_value=0.0
    )
    for side in ("CE", "PE"):
        if side not in table.columns:
            table[side] = 0.0
    return table[["CE", "PE"]].astype("float64").fillna(0.0).sort_index()


def pain_curve(chain: pd.DataFrame, expiry: object | None = None) -> pd.Series:
    """Total intrinsic value paid to holders if the expiry settles at each listed strike.

    ``pain(P) = sum_i OI_CE(K_i) * max(0, P - K_i) + OI_PE(K_i) * max(0, K_i - P)``, in
    contracts x index points, indexed by the listed strike ``P``.
    """
    table = _oi_by_strike(select_expiry(chain, expiry))
    strikes = table.index.to_numpy(dtype=np.float64)
    settle = strikes[:, None]  # rows: settlement P; columns: strike K_i
    calls = np.maximum(0.0, settle - strikes[None, :]) @ table["CE"].to_numpy()
    puts = np.maximum(0.0, strikes[None, :] - settle) @ table["PE"].to_numpy()
    return pd.Series(calls + puts, index=pd.Index(strikes, name="strike"), name="pain")


def max_pain(chain: pd.DataFrame, expiry: object | None = None) -> float:
    """The listed strike minimising the total intrinsic value paid to option holders.

    Ties go to the lowest strike. Not the highest-OI strike in general. Raises
    :class:`ChainError` when the chosen expiry has no open interest at all.
    """
    curve = pain_curve(chain, expiry)
    table_oi = float(_oi_by_strike(select_expiry(chain, expiry)).to_numpy().sum())
    if table_oi <= 0.0:
        raise ChainError("option chain: expected open interest on some strike; all OI is 0 or NaN")
    return float(curve.index[int(np.argmin(curve.to_numpy()))])


def pcr(chain: pd.DataFrame, expiry: object | None = None) -> float:
    """Put-call ratio of open interest for one expiry: total PE OI / total CE OI (>= 0)."""
    table = _oi_by_strike(select_expiry(chain, expiry))
    calls = float(table["CE"].sum())
    if calls <= 0.0:
        raise ChainError("option chain: expected call open interest > 0 for the PCR; found 0")
    return float(table["PE"].sum()) / calls


__all__ = ["max_pain", "pain_curve", "pcr", "select_expiry"]

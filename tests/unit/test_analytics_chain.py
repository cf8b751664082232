"""Max pain and PCR on the canonical long chain frame."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from aegis.analytics import max_pain, pain_curve, pcr
from aegis.errors import ChainError
from aegis.market.frames import CHAIN_COLUMNS

TS = pd.Timestamp("2026-08-14 15:30", tz="Asia/Kolkata")


def chain(rows: list[tuple[str, float, str, float]], ts: pd.Timestamp = TS) -> pd.DataFrame:
    """Rows of (expiry, strike, side, oi) as a canonical chain frame."""
    frame = pd.DataFrame(rows, columns=["expiry", "strike", "option_type", "oi"])
    frame["expiry"] = pd.to_datetime(frame["expiry"])
    frame["timestamp"] = ts
    for col in CHAIN_COLUMNS:
        if col not in frame.columns:
            frame[col] = np.nan
    return frame[CHAIN_COLUMNS]


# strikes 100/110/120; CE OI 10/0/50, PE OI 0/20/5. Pain: P=100 -> 20*10 + 5*20 = 300;
# P=110 -> 10*10 + 5*10 = 150; P=120 -> 10*20 = 200. Highest-OI strike is 120 (55 contracts).
HAND = [
    ("2026-08-18", 100.0, "CE", 10.0),
    ("2026-08-18", 110.0, "CE", 0.0),
    ("2026-08-18", 120.0, "CE", 50.0),
    ("2026-08-18", 100.0, "PE", 0.0),
    ("2026-08-18", 110.0, "PE", 20.0),
    ("2026-08-18", 120.0, "PE", 5.0),
]


def test_max_pain_hand_computed_differs_from_highest_oi_strike() -> None:
    frame = chain(HAND)
    curve = pain_curve(frame)
    np.testing.assert_allclose(curve.to_numpy(), [300.0, 150.0, 200.0])
    assert max_pain(frame) == 110.0
    highest_oi = frame.groupby("strike")["oi"].sum().idxmax()
    assert highest_oi == 120.0 != max_pain(frame)


def test_max_pain_matches_brute_force_on_random_chain() -> None:
    rng = np.random.default_rng(5)
    strikes = np.arange(19000.0, 21050.0, 50.0)
    rows = [
        ("2026-08-18", k, side, float(rng.integers(0, 5000)))
        for k in strikes
        for side in ("CE", "PE")
    ]
    frame = chain(rows)
    call = {k: oi for _, k, s, oi in rows if s == "CE"}
    put = {k: oi for _, k, s, oi in rows if s == "PE"}

    def pain(p: float) -> float:
        return sum(call[k] * max(0.0, p - k) + put[k] * max(0.0, k - p) for k in strikes)

    brute = min(strikes, key=pain)
    assert max_pain(frame) == brute


def test_pcr_hand_computed() -> None:
    assert pcr(chain(HAND)) == pytest.approx(25.0 / 60.0)


def test_several_expiries_need_expiry_argument() -> None:
    other = [("2026-08-25", k, s, oi * 2) for _, k, s, oi in HAND]
    frame = chain(HAND + other)
    with pytest.raises(ChainError, match="2 "):
        pcr(frame)
    with pytest.raises(ChainError, match="expiry"):
        max_pain(frame)
    assert pcr(frame, expiry="2026-08-25") == pytest.approx(25.0 / 60.0)
    assert max_pain(frame, expiry=pd.Timestamp("2026-08-18")) == 110.0
    with pytest.raises(ChainError, match="not in the chain"):
        pcr(frame, expiry="2026-09-01")


def test_latest_snapshot_only() -> None:
    old = chain(
        [(e, k, s, 1000.0 if s == "PE" else 1.0) for e, k, s, _ in HAND], TS - pd.Timedelta("1h")
    )
    frame = pd.concat([old, chain(HAND)], ignore_index=True)
    assert pcr(frame) == pytest.approx(25.0 / 60.0)


def test_bad_chains() -> None:
    with pytest.raises(ChainError, match="call open interest"):
        pcr(chain([(e, k, s, 0.0 if s == "CE" else oi) for e, k, s, oi in HAND]))
    with pytest.raises(ChainError, match="all OI"):
        max_pain(chain([(e, k, s, 0.0) for e, k, s, _ in HAND]))
    with pytest.raises(ChainError, match="duplicate"):
        pcr(chain(HAND + [HAND[0]]))
    with pytest.raises(ChainError, match="option_type"):
        pcr(chain(HAND + [("2026-08-18", 130.0, "XX", 1.0)]))
    with pytest.raises(ChainError, match="missing"):
        pcr(pd.DataFrame({"strike": [1.0]}))

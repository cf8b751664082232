"""Labels against hand-computed answers on a tiny market."""

from __future__ import annotations

import numpy as np
import pandas as pd

from aegis.models import targets

SESSIONS = pd.DatetimeIndex(
    ["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05", "2024-01-08"],
    name="session")  # Mon..Fri, Mon; weekly expiry on Thursday 2024-01-04


def frames(close, high=None, low=None, vix=16.0):
    close = np.asarray(close, dtype=float)
    nifty = pd.DataFrame({"open": close, "high": close if high is None else high,
                          "low": close if low is None else low, "close": close,
                          "volume": np.nan}, index=SESSIONS)
    v = pd.DataFrame({"open": vix, "high": vix, "low": vix, "close": vix, "volume": np.nan},
                     index=SESSIONS)
    days = [3.0, 2.0, 1.0, 7.0, 6.0, 3.0]  # to 01-04, then to 01-11 (beyond the data)
    features = pd.DataFrame({"days_to_expiry": days}, index=SESSIONS)
    return nifty, v, features


def test_expiry_stress_compares_move_to_band():
    nifty, vix, f = frames([100, 101, 99, 103, 103, 103])
    out = targets.expiry_stress_labels(nifty, vix, f)
    # Monday: |ln(103/100)| = 0.0296 > 0.16*sqrt(3/365) = 0.0145 -> 1
    # Wednesday: |ln(103/99)| = 0.0396 > 0.16*sqrt(1/365) = 0.0084 -> 1
    assert out["y"].iloc[:3].tolist() == [1.0, 1.0, 1.0]
    assert out["y"].iloc[3:].isna().all()  # expiry 2024-01-11 is after the data
    assert out["label_end"].iloc[0] == pd.Timestamp("2024-01-04")


def test_trap_uses_realised_vol_to_expiry():
    nifty, vix, f = frames([100, 100.1, 100.2, 100.3, 100, 100], vix=16.0)
    out = targets.trap_labels(nifty, vix, f)
    r = np.log(100.1 / 100)
    assert np.sqrt(252 * r * r) < 0.16
    assert out["y"].iloc[:3].tolist() == [0.0, 0.0, 0.0]
    nifty, vix, f = frames([100, 102, 100, 102, 100, 100], vix=16.0)
    assert targets.trap_labels(nifty, vix, f)["y"].iloc[:3].tolist() == [1.0, 1.0, 1.0]


def test_direction_and_spike_next_session():
    nifty, vix, _ = frames([100, 101, 100.5, 100.6, 103, 103])
    d = targets.direction_labels(nifty)["y"]
    assert d.iloc[:5].tolist() == [1.0, 0.0, 1.0, 1.0, 0.0]
    assert np.isnan(d.iloc[5])
    s = targets.spike_labels(nifty, vix)["y"]
    band = 0.16 * np.sqrt(1 / 365)  # 0.00837
    moves = np.abs(np.diff(np.log(nifty["close"].to_numpy())))
    assert s.iloc[:5].tolist() == (moves > band).astype(float).tolist()
    assert np.isnan(s.iloc[5])


def test_breach_touch_by_high_and_close_beyond():
    close = [100, 100, 100, 100, 100, 100]
    high = [100, 100, 102.5, 100, 100, 100]
    nifty, vix, f = frames(close, high=high)
    out = targets.breach_labels(nifty, vix, f, offsets=(-0.02, 0.02, 0.03))
    monday = out[out["session"] == SESSIONS[0]].set_index(["event", "offset"])["y"]
    assert monday[("touch", 0.02)] == 1.0  # high 102.5 >= 102
    assert monday[("touch", 0.03)] == 0.0
    assert monday[("touch", -0.02)] == 0.0
    assert monday[("close", 0.02)] == 0.0  # expiry close 100 < 102
    assert set(out["session"]) == set(SESSIONS[:3])
    assert np.allclose(out["strike"], out["spot"] * (1 + out["offset"]))

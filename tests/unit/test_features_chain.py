"""Option-chain features on a hand-computed five-strike chain."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from aegis.errors import ChainError, FeatureInputError
from aegis.features.chain import CHAIN_FEATURES, build_chain_features

STRIKES = [90.0, 95.0, 100.0, 105.0, 110.0]
CE_OI = [10.0, 20.0, 30.0, 50.0, 40.0]
PE_OI = [60.0, 40.0, 30.0, 10.0, 5.0]
CE_IV = [0.0, 18.0, 16.0, 15.0, 14.5]  # 0 = unknown, as NSE publishes it
PE_IV = [22.0, 19.0, 17.0, 0.0, np.nan]


def make_chain(expiry: str = "2024-01-25", when: str = "2024-01-22 15:00") -> pd.DataFrame:
    rows = []
    for k, coi, poi, civ, piv in zip(STRIKES, CE_OI, PE_OI, CE_IV, PE_IV, strict=True):
        rows.append(("CE", k, coi, civ))
        rows.append(("PE", k, poi, piv))
    frame = pd.DataFrame(rows, columns=["option_type", "strike", "oi", "iv"])
    frame["timestamp"] = pd.Timestamp(when, tz="Asia/Kolkata")
    frame["expiry"] = pd.Timestamp(expiry)
    return frame


def test_hand_computed_features() -> None:
    features = build_chain_features(make_chain(), spot=102.0)
    assert list(features) == list(CHAIN_FEATURES)
    assert features["pcr"] == pytest.approx(145.0 / 150.0)
    # pain: 90 -> 750, 95 -> 425, 100 -> 300, 105 -> 525, 110 -> 1050 (not the top-OI strike)
    assert features["max_pain"] == 100.0
    assert features["max_pain_distance"] == pytest.approx((100.0 - 102.0) / 102.0)
    assert features["oi_concentration_call"] == pytest.approx(120.0 / 150.0)
    assert features["oi_concentration_put"] == pytest.approx(130.0 / 145.0)
    assert features["atm_iv"] == pytest.approx(16.5)
    # put leg: strike nearest 96.9 with an IV = 95 (19); call leg: nearest 107.1 = 105 (15)
    assert features["skew"] == pytest.approx(19.0 - 15.0)
    assert all(isinstance(v, float) for v in features.values())


def test_atm_iv_uses_the_side_that_has_one() -> None:
    features = build_chain_features(make_chain(), spot=104.6)
    assert features["atm_iv"] == pytest.approx(15.0)  # 105: CE 15, PE unknown


def test_chain_without_iv_gives_nan_iv_features() -> None:
    chain = make_chain().assign(iv=0.0)
    features = build_chain_features(chain, spot=100.0)
    assert math.isnan(features["atm_iv"])
    assert math.isnan(features["skew"])
    assert features["max_pain"] == 100.0
    no_column = build_chain_features(make_chain().drop(columns="iv"), spot=100.0)
    assert math.isnan(no_column["atm_iv"])


def test_latest_snapshot_and_chosen_expiry() -> None:
    old = make_chain(when="2024-01-22 10:00").assign(oi=1.0, iv=50.0)
    other_expiry = make_chain(expiry="2024-02-01").assign(oi=7.0)
    chain = pd.concat([old, make_chain(), other_expiry], ignore_index=True)
    with pytest.raises(ChainError, match="expected one expiry"):
        build_chain_features(chain, spot=102.0)
    features = build_chain_features(chain, spot=102.0, expiry="2024-01-25")
    assert features["max_pain"] == 100.0
    assert features["atm_iv"] == pytest.approx(16.5)


def test_side_without_oi_has_nan_concentration() -> None:
    chain = make_chain()
    chain.loc[chain["option_type"] == "PE", "oi"] = 0.0
    features = build_chain_features(chain, spot=102.0)
    assert math.isnan(features["oi_concentration_put"])
    assert features["pcr"] == 0.0


@pytest.mark.parametrize("spot", [0.0, -5.0, float("nan"), float("inf")])
def test_bad_spot_is_refused(spot: float) -> None:
    with pytest.raises(FeatureInputError, match="expected spot > 0"):
        build_chain_features(make_chain(), spot=spot)

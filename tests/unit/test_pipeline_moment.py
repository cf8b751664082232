"""The champions publish for the moment: the deployment's last session replayed slot by slot.

The deployment's store holds the simulator's 1-minute NIFTY bars of its last sessions; the
replay hands ``assemble_snapshot`` what the 30-minute chain has at each slot of 2024-06-14
(a Friday, four sessions before the 2024-06-20 expiry): the daily bars of the closed sessions and
the bars before the slot. The promoted trap, stress and breach champions must read the moment's
inputs (today's bars, the time left): their numbers move from slot to slot.
"""

from __future__ import annotations

from datetime import datetime, time
from typing import TYPE_CHECKING

import pandas as pd
import pytest

from aegis.features.daily import build_daily_features
from aegis.market.hours import IST
from aegis.market.store import MarketStore
from aegis.pipeline.inference import Champions, InferenceInputs, assemble_snapshot
from aegis.snapshot import Snapshot

if TYPE_CHECKING:
    from tests.unit.pipeline_fixtures import Deployment

pytest_plugins = ["tests.unit.pipeline_fixtures"]
pytestmark = pytest.mark.slow

SLOTS = [time(9 + (45 + 30 * i) // 60, (45 + 30 * i) % 60) for i in range(12)]


@pytest.fixture(scope="module")
def replay(trained_deployment: Deployment) -> list[Snapshot]:
    store = MarketStore(trained_deployment.home / "data")
    day = pd.Timestamp(trained_deployment.logical_date)
    nifty, vix = store.read("nifty_daily"), store.read("vix_daily")
    nifty, vix = nifty[nifty.index < day], vix[vix.index < day]
    bars = store.read("nifty_intraday")
    assert (bars.index.tz_convert(IST).normalize().tz_localize(None) == day).any()
    features = build_daily_features(nifty, vix)
    champions = Champions.load(trained_deployment.models_dir)
    out = []
    for slot in SLOTS:
        at = datetime.combine(day.date(), slot, IST)
        inputs = InferenceInputs(features=features, nifty=nifty, vix=vix,
                                 intraday=bars[bars.index < pd.Timestamp(at)], chain=None,
                                 confidence=0.8, seed=7)
        out.append(assemble_snapshot(inputs, champions, at))
    return out


def test_the_champions_read_the_moment_and_move_slot_by_slot(replay: list[Snapshot]) -> None:
    for name in ("trap", "expiry_stress"):
        blocks = [getattr(s, name) for s in replay]
        assert all(b is not None and b.provenance.kind == "model" for b in blocks), name
        assert len({b.score for b in blocks}) >= 5, name
        assert "provisional daily bar" in (blocks[0].provenance.inputs or "")
    touches = [s.breach_probabilities[0] for s in replay]
    assert all(b.provenance.kind == "model" for b in touches)
    assert len({b.touch for b in touches}) >= 5
    assert all(b.close_beyond <= b.touch for s in replay for b in s.breach_probabilities)
    assert [s.expiry.date.isoformat() for s in replay] == ["2024-06-20"] * 12
    assert [s.expiry.sessions for s in replay] == [4] * 12  # 06-17 is a holiday (Bakri Id)
    days = [s.expiry.days for s in replay]
    assert days == sorted(days, reverse=True)
    assert len(set(days)) == 12


def test_direction_and_buyer_say_they_read_todays_session(replay: list[Snapshot]) -> None:
    for snap in replay:
        for block in (snap.direction, snap.buyer_signal):
            assert block is not None
            if block.provenance.kind == "model":
                assert "today's session so far" in (block.provenance.inputs or "")

"""The ``market_context`` block of the contract: reasons for every null, consistency, old files."""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from aegis.snapshot import ChainContext, IntradayContext, Snapshot, read_snapshot, write_snapshot
from tests.unit.test_snapshot import example, mutate

NO_CHAIN = {"available": False, "reason": "no option chain in the store"}


def test_round_trip_keeps_the_block(tmp_path: Path) -> None:
    snap = Snapshot.model_validate(example())
    path = write_snapshot(snap, tmp_path / "aegismatrix.json")
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["market_context"]["chain"]["pcr"] == 0.93
    assert doc["market_context"]["intraday"]["vwap_volume_weighted"] is False
    assert doc["market_context"]["chain"]["null_reasons"] == {}
    back = read_snapshot(path)
    assert back == snap
    assert back.market_context is not None
    assert back.market_context.intraday.session is not None
    assert back.market_context.intraday.session.isoformat() == "2026-08-14"


def test_a_snapshot_written_before_the_block_still_reads(tmp_path: Path) -> None:
    doc = example()
    del doc["market_context"]
    path = tmp_path / "old.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    snap = read_snapshot(path)
    assert snap.market_context is None
    assert snap.status == "ok"
    assert [name for name, _ in snap.iter_provenance()].count("market_context") == 0


def test_iter_provenance_names_the_block() -> None:
    snap = Snapshot.model_validate(example())
    kinds = [p.kind for name, p in snap.iter_provenance() if name == "market_context"]
    assert kinds == ["formula", "formula"]


def test_an_unavailable_block_needs_a_reason_and_publishes_nothing() -> None:
    with pytest.raises(ValidationError, match="a reason is required"):
        IntradayContext(available=False)
    with pytest.raises(ValidationError, match="unavailable but publishes"):
        IntradayContext(available=False, reason="no bars", bars=3)
    with pytest.raises(ValidationError, match="unavailable but publishes"):
        ChainContext.model_validate({**NO_CHAIN, "null_reasons": {"atm_iv": "no IV"}})
    block = IntradayContext(available=False, reason="no intraday bars in the store")
    assert block.intraday_rv is None
    assert block.provenance is None


def test_an_available_block_explains_every_null_and_nothing_else() -> None:
    chain = example()["market_context"]["chain"]
    with pytest.raises(ValidationError, match=r"null without a null_reasons entry: \['atm_iv'\]"):
        ChainContext.model_validate(chain | {"atm_iv": None})
    ok = ChainContext.model_validate(chain | {"atm_iv": None,
                                              "null_reasons": {"atm_iv": "no usable IV"}})
    assert ok.atm_iv is None
    with pytest.raises(ValidationError, match=r"not null: \['skew'\]"):
        ChainContext.model_validate(chain | {"null_reasons": {"skew": "no IV"}})
    with pytest.raises(ValidationError, match="reason must be null"):
        ChainContext.model_validate(chain | {"reason": "stale"})
    with pytest.raises(ValidationError, match=r"\['timestamp'\] required"):
        ChainContext.model_validate(chain | {"timestamp": None})
    with pytest.raises(ValidationError, match=r"\['provenance'\] required"):
        ChainContext.model_validate(chain | {"provenance": None})


def test_nan_is_never_a_published_number() -> None:
    chain = example()["market_context"]["chain"]
    with pytest.raises(ValidationError):
        ChainContext.model_validate(chain | {"atm_iv": math.nan})
    intraday = example()["market_context"]["intraday"]
    with pytest.raises(ValidationError):
        IntradayContext.model_validate(intraday | {"opening_range_position": math.inf})


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"market_context__chain__expiry": "2026-08-25"}, "chain.expiry 2026-08-25 != expiry"),
        ({"market_context__chain__pcr": 0.95}, "chain.pcr 0.95 != pcr 0.93"),
        ({"market_context__chain__max_pain_distance": 0.01}, r"\(max_pain - spot\) / spot"),
        ({"market_context__chain__timestamp": "2026-08-14T16:00:00+05:30"},
         "is after generated_at"),
        ({"max_pain": None, "provenance__max_pain": None, "status": "degraded",
          "degraded_reasons": [{"field": "max_pain", "reason": "chain has no OI"}]},
         "max_pain and pcr, of the same chain, must be published"),
        ({"market_context__intraday__last_bar": "2026-08-13T15:29:00+05:30"},
         "is not in session 2026-08-14"),
        ({"as_of": "2026-08-14T15:00:00+05:30"}, "intraday.last_bar .* is after as_of"),
        ({"market_context__chain__oi_concentration_put": 1.2}, "less than or equal to 1"),
        ({"market_context__intraday__bars": 0}, "greater than or equal to 1"),
        ({"market_context__chain__colour": "red"}, "Extra inputs"),
    ],
)
def test_inconsistent_blocks_rejected(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Snapshot.model_validate(mutate(**changes))


def test_no_chain_with_max_pain_degraded_is_valid() -> None:
    doc = mutate(max_pain=None, pcr=None, provenance__max_pain=None, provenance__pcr=None,
                 market_context__chain=NO_CHAIN, status="degraded",
                 degraded_reasons=[{"field": f, "reason": NO_CHAIN["reason"]}
                                   for f in ("max_pain", "pcr")])
    snap = Snapshot.model_validate(doc)
    assert snap.market_context is not None
    assert snap.market_context.chain.reason == "no option chain in the store"


def test_an_unavailable_block_alone_does_not_degrade() -> None:
    doc = copy.deepcopy(example())
    doc["market_context"]["intraday"] = {"available": False, "reason": "no intraday bars"}
    snap = Snapshot.model_validate(doc)
    assert snap.status == "ok"

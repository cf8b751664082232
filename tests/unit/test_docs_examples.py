"""docs/snapshot.md's example is a snapshot the code published, and stays one.

The example between the ``snapshot-example`` markers is written by this test from what the
pipeline published for the session's trained deployment (the seeded simulator, every stage
real; ``AEGIS_UPDATE_DOCS=1`` rewrites it), never typed by hand. Without the variable the test
checks that the example (1) passes the snapshot contract, so its numbers agree with each other
(the safe range is centred on spot and is spot -+ k * S * VIX/100 * sqrt(days/365), every
strike's distance is its own, close-beyond never above touch), and (2) has the shape of what
the code publishes now: the same keys at every level as a freshly published snapshot.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from aegis.snapshot import Snapshot

if TYPE_CHECKING:
    from tests.unit.pipeline_fixtures import Deployment

pytest_plugins = ["tests.unit.pipeline_fixtures"]
pytestmark = pytest.mark.slow

DOC = Path(__file__).resolve().parents[2] / "docs" / "snapshot.md"
BLOCK = re.compile(r"(<!-- snapshot-example: begin[^>]*-->\n```json\n)(.*?)(\n```\n"
                   r"<!-- snapshot-example: end -->)", re.S)


KEPT_STRIKES = (-3, -2, -1, 1, 2, 3)
"""The example lists the strikes nearest these distances from spot (percent) of all those the
snapshot publishes (every listed strike of the chain: dozens)."""


def example_text(snapshot: dict[str, Any]) -> str:
    """The example as the docs show it: the whole document, its breach list cut to the strikes
    nearest :data:`KEPT_STRIKES` (the rows themselves as published)."""
    rows = snapshot.get("breach_probabilities") or []
    kept = []
    for step in KEPT_STRIKES:
        side = [r for r in rows if (r["distance_pct"] > 0) == (step > 0)]
        if side:
            best = min(side, key=lambda r: abs(r["distance_pct"] - step))
            if best not in kept:
                kept.append(best)
    out = {**snapshot, "breach_probabilities": sorted(kept, key=lambda r: r["strike"]) or rows}
    return json.dumps(out, indent=2, ensure_ascii=False)


def _shape(value: Any) -> Any:
    """Keys at every level (lists: the union of their items' shapes); leaves are None."""
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    if isinstance(value, list):
        merged: dict[str, Any] = {}
        for item in value:
            shape = _shape(item)
            if isinstance(shape, dict):
                merged.update(shape)
        return [merged] if merged else []
    return None


def _documented() -> tuple[str, str]:
    text = DOC.read_text(encoding="utf-8")
    found = BLOCK.search(text)
    assert found, f"{DOC}: no snapshot-example block between its markers"
    return text, found.group(2)


def test_the_snapshot_example_is_what_the_code_publishes(trained_deployment: Deployment
                                                          ) -> None:
    published = json.loads(trained_deployment.snapshot_path.read_text(encoding="utf-8"))
    text, example = _documented()
    if os.environ.get("AEGIS_UPDATE_DOCS") == "1":
        example = example_text(published)
        DOC.write_text(BLOCK.sub(lambda m: m.group(1) + example + m.group(3), text),
                       encoding="utf-8")
    documented = json.loads(example)
    Snapshot.model_validate(documented)  # every cross-field rule of the contract holds
    assert _shape(documented) == _shape(published), (
        "docs/snapshot.md's example no longer has the shape the code publishes: rerun this "
        "test with AEGIS_UPDATE_DOCS=1")

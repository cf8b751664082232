"""The snapshot as a terminal table (``aegis infer``, ``make demo``): every row, healthy or not."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest

from aegis import pipeline
from aegis.snapshot import Snapshot, read_snapshot
from aegis.snapshot.table import snapshot_rows, snapshot_table

if TYPE_CHECKING:
    from tests.unit.pipeline_fixtures import Deployment

pytest_plugins = ["tests.unit.pipeline_fixtures"]
# slow: every test reads the session's trained deployment; make test runs it
pytestmark = pytest.mark.slow

FIXED_ROWS = ("status", "as of", "spot", "India VIX", "expiry", "direction tomorrow",
              "safe range 80%", "max pain", "PCR", "volatility trap", "expiry stress",
              "buyer signal", "historical hit rate", "historical spike rate")


def _squash(text: str) -> str:
    """Text without whitespace (a folded cell continues on the next line of its column)."""
    return re.sub(r"\s+", "", text)


def _columns(text: str) -> list[str]:
    """Each body column of the rendered table, its lines joined top to bottom, squashed."""
    columns = ["", "", "", ""]
    for line in text.splitlines():
        parts = line.split("│")[1:-1]
        if len(parts) == len(columns):
            columns = [c + _squash(p) for c, p in zip(columns, parts, strict=True)]
    return columns


@pytest.fixture
def degraded(deployment_copy: Deployment) -> Snapshot:
    model = deployment_copy.models_dir / "trap" / "model.onnx"
    data = bytearray(model.read_bytes())
    data[100:116] = bytes(b ^ 0xFF for b in data[100:116])
    model.write_bytes(bytes(data))
    pipeline.infer()
    return read_snapshot(deployment_copy.snapshot_path)


def _check_every_row_rendered(snapshot: Snapshot) -> str:
    rows = snapshot_rows(snapshot)
    labels = [r[0] for r in rows]
    assert labels[: len(FIXED_ROWS) - 2] == [
        label for label in FIXED_ROWS[:-2] if label in labels]  # trader's reading order
    for label in FIXED_ROWS:
        assert label in labels, label
    # headline strikes: the listed strike nearest to spot +-1..5% on each side (<= 10 rows)
    shown = [r[0] for r in rows if r[0].startswith("breach ")]
    listed = {f"breach {b.strike:,.0f} ({b.distance_pct:+.1f}%)"
              for b in snapshot.breach_probabilities}
    assert 0 < len(shown) <= 10
    assert len(set(shown)) == len(shown)
    assert set(shown) <= listed
    for pct in (-2, 2):
        side = [b for b in snapshot.breach_probabilities if (b.distance_pct > 0) == (pct > 0)]
        near = min(side, key=lambda b: abs(b.distance_pct - pct))
        assert f"breach {near.strike:,.0f} ({near.distance_pct:+.1f}%)" in shown
    text = snapshot_table(snapshot)
    columns = _columns(text)
    assert columns[0].startswith("status")
    for row in rows:
        for cell, column in zip(row, columns, strict=True):
            assert _squash(cell) in column, f"cell {cell!r} of row {row[0]!r} is not in the table"
    return text


def test_healthy_snapshot_table(trained_deployment: Deployment) -> None:
    snapshot = read_snapshot(trained_deployment.snapshot_path)
    text = _check_every_row_rendered(snapshot)
    assert "OK" in text
    assert "BASELINE" not in text
    assert f"{snapshot.spot:,.2f}" in text
    assert snapshot.trap is not None
    assert f"{snapshot.trap.score:.3f} {snapshot.trap.label}" in text


def test_degraded_snapshot_table_names_the_baseline_and_why(degraded: Snapshot) -> None:
    assert degraded.status == "degraded"
    text = _check_every_row_rendered(degraded)
    values, sources = _columns(text)[1:3]
    assert "DEGRADED" in values
    assert _squash("BASELINE climatology") in sources
    assert "ChecksumMismatchError" in sources
    trap_row = next(r for r in snapshot_rows(degraded) if r[0] == "volatility trap")
    assert trap_row[3].startswith("not measured")  # no invented calibration for a baseline

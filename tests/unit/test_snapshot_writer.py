"""Atomic write: a failure at any step leaves the previous snapshot intact and no temp files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from aegis import atomic
from aegis.errors import SnapshotError
from aegis.snapshot import Snapshot, read_snapshot, write_snapshot
from tests.unit.test_snapshot import example


@pytest.fixture
def snap() -> Snapshot:
    return Snapshot.model_validate(example())


@pytest.fixture
def published(tmp_path: Path, snap: Snapshot) -> Path:
    target = tmp_path / "out" / "aegismatrix.json"
    write_snapshot(snap, target)
    return target


def newer(snap: Snapshot) -> Snapshot:
    doc = snap.model_dump(mode="json")
    doc["pcr"] = 1.07
    doc["market_context"]["chain"]["pcr"] = 1.07  # the same chain's PCR
    return Snapshot.model_validate(doc)


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name != "aegismatrix.json")


def test_round_trip(published: Path, snap: Snapshot) -> None:
    assert read_snapshot(published) == snap
    assert json.loads(published.read_text())["trap"]["score"] == 0.41
    assert leftovers(published.parent) == []


def test_overwrite(published: Path, snap: Snapshot) -> None:
    write_snapshot(newer(snap), published)
    assert read_snapshot(published).pcr == 1.07


def test_replace_failure_keeps_previous(published, snap, monkeypatch) -> None:
    before = published.read_bytes()

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(atomic.os, "replace", broken_replace)
    with pytest.raises(SnapshotError, match="previous snapshot kept"):
        write_snapshot(newer(snap), published)
    assert published.read_bytes() == before
    assert leftovers(published.parent) == []


def test_fsync_failure_keeps_previous(published, snap, monkeypatch) -> None:
    before = published.read_bytes()

    def broken_fsync(fd):
        raise OSError("I/O error")

    monkeypatch.setattr(atomic.os, "fsync", broken_fsync)
    with pytest.raises(SnapshotError):
        write_snapshot(newer(snap), published)
    assert published.read_bytes() == before
    assert leftovers(published.parent) == []


def test_failure_midway_through_writing_keeps_previous(published, snap, monkeypatch) -> None:
    before = published.read_bytes()
    real_write_text = Path.write_text

    def half_write_text(self: Path, text: str, *args: Any, **kwargs: Any) -> int:
        real_write_text(self, text[: len(text) // 2], *args, **kwargs)
        raise OSError("connection to the volume lost")

    monkeypatch.setattr(Path, "write_text", half_write_text)
    with pytest.raises(SnapshotError):
        write_snapshot(newer(snap), published)
    assert published.read_bytes() == before
    assert read_snapshot(published) == snap
    assert leftovers(published.parent) == []


def test_serialisation_failure_keeps_previous(published, snap, monkeypatch) -> None:
    before = published.read_bytes()

    def broken_dump(self, **kwargs):
        raise ValueError("cannot serialise")

    monkeypatch.setattr(Snapshot, "model_dump_json", broken_dump)
    with pytest.raises(SnapshotError, match="serialised"):
        write_snapshot(snap, published)
    assert published.read_bytes() == before
    assert leftovers(published.parent) == []


def test_invalid_object_is_not_published(published, snap) -> None:
    before = published.read_bytes()
    bad = snap.model_copy(update={"status": "degraded"})  # model_copy skips validation
    with pytest.raises(SnapshotError, match="valid document"):
        write_snapshot(bad, published)
    assert published.read_bytes() == before


def test_read_errors_name_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "none.json"
    with pytest.raises(SnapshotError, match="none.json"):
        read_snapshot(missing)
    corrupt = tmp_path / "corrupt.json"
    corrupt.write_text('{"spot": 1')
    with pytest.raises(SnapshotError, match="corrupt.json"):
        read_snapshot(corrupt)
    old = tmp_path / "old.json"
    old.write_text(json.dumps({"trap": {"score": 0.95, "label": "HIGH"}}))
    with pytest.raises(SnapshotError, match="old.json.*schema 1.0.0"):
        read_snapshot(old)

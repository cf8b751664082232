"""The one atomic writer: old bytes or new bytes, never half, no temporary file left."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from aegis.atomic import write_atomic, write_bytes_atomic, write_text_atomic


def test_writes_and_replaces(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "file.json"
    write_text_atomic(target, "old")
    write_bytes_atomic(target, b"new")
    assert target.read_bytes() == b"new"
    assert [p.name for p in target.parent.iterdir()] == ["file.json"]


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "file.parquet"
    write_text_atomic(target, "old")

    def half(tmp: Path) -> None:
        tmp.write_text("half of the new")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_atomic(target, half)
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["file.parquet"]


def test_concurrent_writers_get_unique_temporary_names(tmp_path: Path) -> None:
    target = tmp_path / "x"
    seen: list[Path] = []

    def writer(text: str) -> Callable[[Path], None]:
        def write(tmp: Path) -> None:
            seen.append(tmp)
            tmp.write_text(text)
        return write

    write_atomic(target, writer("a"))
    write_atomic(target, writer("b"))
    assert seen[0] != seen[1]
    assert all(p.parent == tmp_path and p.name.startswith(".x.") for p in seen)

"""Read what the dashboard shows: the latest snapshot, the model registry, the diagrams.

Everything is read from the paths in :class:`aegis.config.Settings` on every request (no cache),
so a new snapshot published by ``aegis_inference`` shows on the next page load.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aegis.config import Settings
from aegis.errors import SnapshotError

DIAGRAM_SUFFIX = ".png"
MAX_DIAGRAMS = 50


@dataclass(frozen=True)
class Champion:
    """One champion of the registry, with its manifest (empty when the manifest is missing)."""

    name: str
    version: str
    manifest: dict[str, Any] = field(default_factory=dict)
    problem: str | None = None


def read_snapshot(settings: Settings) -> dict[str, Any] | None:
    """The published snapshot, or ``None`` when none was published yet.

    Raises
    ------
    SnapshotError
        The file exists but is not a JSON object (names the file and what arrived).
    """
    path = settings.snapshot_path
    if not path.is_file():
        return None
    text = path.read_text(encoding="utf-8")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SnapshotError(
            f"{path}: expected a JSON object; found invalid JSON at line {exc.lineno}, "
            f"column {exc.colno}: {exc.msg}"
        ) from exc
    if not isinstance(data, dict):
        raise SnapshotError(f"{path}: expected a JSON object; found {type(data).__name__}")
    return data


def _read_json_object(path: Path) -> tuple[dict[str, Any], str | None]:
    """A JSON object from ``path``, or ``({}, reason)`` when it is missing or unreadable."""
    if not path.is_file():
        return {}, f"{path.name} missing"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        return {}, f"{path.name} is not valid JSON (line {exc.lineno}: {exc.msg})"
    if not isinstance(data, dict):
        return {}, f"{path.name}: expected a JSON object, found {type(data).__name__}"
    return data, None


def read_champions(settings: Settings) -> tuple[list[Champion], str | None]:
    """The champions named by ``models/registry.json`` with their manifests.

    Returns the champions and, when the registry itself cannot be read, the reason.
    The registry maps names to versions either directly (``{"trap": "v3"}``), under a
    ``champions`` key, or as ``{"trap": {"version": "v3", ...}}``; all three are accepted.
    """
    models_dir = settings.resolved_models_dir
    registry, problem = _read_json_object(models_dir / "registry.json")
    if problem is not None:
        return [], problem
    entries = registry.get("champions", registry)
    champions: list[Champion] = []
    for name, entry in sorted(entries.items()):
        if not isinstance(entry, dict | str | int):
            continue
        version = str(entry.get("version", "?")) if isinstance(entry, dict) else str(entry)
        manifest, why = _read_json_object(models_dir / name / "manifest.json")
        champions.append(Champion(name=name, version=version, manifest=manifest, problem=why))
    return champions, None


def list_diagrams(settings: Settings) -> list[str]:
    """Paths (relative, POSIX) of the reliability diagrams (PNG) under the output directory."""
    out = settings.resolved_output_dir
    if not out.is_dir():
        return []
    found = (p.relative_to(out).as_posix() for p in out.rglob(f"*{DIAGRAM_SUFFIX}") if p.is_file())
    return sorted(found)[:MAX_DIAGRAMS]


def diagram_path(settings: Settings, name: str) -> Path | None:
    """The path of diagram ``name`` when it is one of :func:`list_diagrams` (no traversal)."""
    if name not in list_diagrams(settings):
        return None
    return settings.resolved_output_dir / name

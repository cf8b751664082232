"""Read ``aegismatrix.json`` through the :class:`~aegis.snapshot.Snapshot` contract, field by field.

The page must keep working when one field of the snapshot is malformed (a hand edit, a writer of
another version, a bit flip). :func:`read_published` first validates the whole document with
:class:`Snapshot`; when that fails it validates every top-level field on its own against the same
field definition of the contract (and every breach row on its own), keeps what is valid and
reports the rest as :class:`FieldProblem` s, so the page shows the good numbers and a clear panel
naming the bad ones. Nothing is guessed: a field is shown only when the contract accepts it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Annotated, Any

from pydantic import TypeAdapter, ValidationError

from aegis.snapshot import Breach, Snapshot

WHOLE = "snapshot"
"""The ``field`` of a problem that concerns the document as a whole (cross-field checks)."""


@dataclass(frozen=True)
class FieldProblem:
    """One field of the snapshot the contract rejected, in words (no Python reprs)."""

    field: str
    message: str


@dataclass(frozen=True)
class Published:
    """What could be read of the published snapshot.

    ``fields`` maps every top-level field name of :class:`Snapshot` that validated to its typed
    value (a block model, a number, a list of :class:`Breach`); ``complete`` is the whole
    validated :class:`Snapshot` when the document passed as a whole (then ``problems`` is empty).
    ``raw`` is the parsed JSON object (for the API), ``None`` when the file is not one.
    """

    path: Path
    fields: dict[str, Any] = field(default_factory=dict)
    problems: list[FieldProblem] = field(default_factory=list)
    complete: Snapshot | None = None
    raw: dict[str, Any] | None = None
    unreadable: str | None = None

    def get(self, name: str) -> Any:
        """The validated value of top-level field ``name`` (``None`` if absent or malformed)."""
        return self.fields.get(name)

    def malformed(self, name: str) -> FieldProblem | None:
        """The problem of field ``name``, when the contract rejected it."""
        return next((p for p in self.problems if p.field == name), None)


@cache
def _adapter(name: str) -> TypeAdapter[Any]:
    info = Snapshot.model_fields[name]
    field_type: Any = Annotated[info.annotation, info]  # the field's type with its constraints
    return TypeAdapter(field_type)


_BREACH = TypeAdapter(Breach)


def _words(exc: ValidationError, prefix: str) -> str:
    """The first errors of ``exc`` as ``path: message`` (what arrived, shortened)."""
    parts = []
    for err in exc.errors()[:3]:
        loc = ".".join(str(p) for p in (prefix, *err.get("loc", ())) if p != "")
        value = err.get("input")
        shown = "" if isinstance(value, dict | list) else f" (found {json.dumps(value)[:40]})" \
            if _jsonable(value) else ""
        parts.append(f"{loc}: {err.get('msg', 'invalid')}{shown}")
    more = exc.error_count() - len(parts)
    return "; ".join(parts) + (f"; and {more} more" if more > 0 else "")


def _jsonable(value: Any) -> bool:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True


def parse_published(raw: dict[str, Any], path: Path) -> Published:
    """Validate ``raw`` (a parsed ``aegismatrix.json``) whole, else field by field."""
    try:
        snap = Snapshot.model_validate(raw)
    except ValidationError as whole:
        return _partial(raw, path, whole)
    fields = {name: getattr(snap, name) for name in Snapshot.model_fields}
    return Published(path=path, fields=fields, complete=snap, raw=raw)


def _partial(raw: dict[str, Any], path: Path, whole: ValidationError) -> Published:
    fields: dict[str, Any] = {}
    problems: list[FieldProblem] = []
    for name, info in Snapshot.model_fields.items():
        if name not in raw:
            if info.is_required():
                problems.append(FieldProblem(name, f"{name}: missing (the contract requires it)"))
            continue
        if name == "breach_probabilities" and isinstance(raw[name], list):
            fields[name], bad = _breach_rows(raw[name])
            problems += bad
            continue
        try:
            fields[name] = _adapter(name).validate_python(raw[name])
        except ValidationError as exc:
            problems.append(FieldProblem(name, _words(exc, name)))
    unknown = sorted(set(raw) - set(Snapshot.model_fields))
    if unknown:
        problems.append(FieldProblem(WHOLE, f"fields the contract does not know: {unknown}"))
    if not problems:  # every field is fine alone: a cross-field rule failed
        problems.append(FieldProblem(WHOLE, _words(whole, "")))
    return Published(path=path, fields=fields, problems=problems, raw=raw)


def _breach_rows(items: list[Any]) -> tuple[list[Breach], list[FieldProblem]]:
    rows: list[Breach] = []
    problems: list[FieldProblem] = []
    for i, item in enumerate(items):
        try:
            rows.append(_BREACH.validate_python(item))
        except ValidationError as exc:
            problems.append(FieldProblem("breach_probabilities",
                                         _words(exc, f"breach_probabilities[{i}]")))
    return rows, problems


def read_published(path: Path) -> Published | None:
    """The snapshot at ``path`` as far as the contract accepts it; ``None`` before the first.

    A file that is not a JSON object gives a :class:`Published` with ``unreadable`` set (the
    reason, with line and column) and nothing else.
    """
    if not path.is_file():
        return None
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        return Published(path=path, unreadable=f"the file cannot be read: {exc.strerror}")
    except UnicodeDecodeError:
        return Published(path=path, unreadable="the file is not UTF-8 text")
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        return Published(path=path, unreadable=f"not valid JSON (line {exc.lineno}, column "
                                               f"{exc.colno}: {exc.msg})")
    if not isinstance(raw, dict):
        return Published(path=path, unreadable=f"expected a JSON object, found a JSON "
                                               f"{type(raw).__name__}")
    return parse_published(raw, path)


__all__ = ["WHOLE", "FieldProblem", "Published", "parse_published", "read_published"]

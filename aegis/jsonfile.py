"""Typed JSON files: read one, validate it against its pydantic model, or say what is wrong.

Every contract file the house reads (``registry.json``, a manifest, a challenger record, the
gate log) goes through :func:`read_model`: a file that is not JSON, or is JSON of the wrong
shape, raises the caller's error class with one line naming the file and the first fields at
fault, never a ``KeyError`` deep inside a stage.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)


def validation_reason(exc: ValidationError, limit: int = 3) -> str:
    """``field.path: message`` for the first ``limit`` errors, one line."""
    parts = []
    for err in exc.errors()[:limit]:
        where = ".".join(str(p) for p in err["loc"]) or "(top level)"
        parts.append(f"{where}: {err['msg']}")
    more = len(exc.errors()) - limit
    return "; ".join(parts) + (f" (+{more} more)" if more > 0 else "")


def read_json(path: Path, what: str, error: type[Exception]) -> Any:
    """The JSON value in ``path``; ``error("<path>: expected a JSON <what>; ...")`` otherwise."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise error(f"{path}: expected a JSON {what}; {exc}") from exc


def read_model(path: Path, model: type[M], what: str, error: type[Exception]) -> M:
    """``path`` validated as ``model``; ``error("<path>: <what> wrongly shaped: <fields>")``."""
    data = read_json(path, what, error)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise error(f"{path}: {what} wrongly shaped: {validation_reason(exc)}") from exc


__all__ = ["read_json", "read_model", "validation_reason"]

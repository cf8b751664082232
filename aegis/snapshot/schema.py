"""The published JSON Schema of ``aegismatrix.json``, generated from :class:`Snapshot`.

``python -m aegis.snapshot.schema`` rewrites ``aegis/snapshot/schema.json``;
``python -m aegis.snapshot.schema --check`` exits 1 when the committed file is stale.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from aegis.snapshot.contract import SCHEMA_VERSION, Snapshot

SCHEMA_PATH = Path(__file__).with_name("schema.json")
SCHEMA_ID = f"https://aegismatrix.local/schema/aegismatrix-{SCHEMA_VERSION}.json"


def generate_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a snapshot document as read (validation mode)."""
    schema = Snapshot.model_json_schema(mode="validation")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "aegismatrix.json",
        **schema,
    }


def render_schema() -> str:
    """The schema as committed: 2-space indent, keys in model order, trailing newline."""
    return json.dumps(generate_schema(), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write the schema file, or with ``--check`` compare it; return an exit status."""
    args = sys.argv[1:] if argv is None else argv
    text = render_schema()
    if "--check" in args:
        current = SCHEMA_PATH.read_text(encoding="utf-8") if SCHEMA_PATH.exists() else ""
        if current != text:
            print(f"{SCHEMA_PATH} is stale; run python -m aegis.snapshot.schema", file=sys.stderr)
            return 1
        return 0
    SCHEMA_PATH.write_text(text, encoding="utf-8")
    print(f"wrote {SCHEMA_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The committed JSON Schema equals the one generated from the model, and validates documents."""

from __future__ import annotations

import copy
import json

import jsonschema
import pytest

from aegis.snapshot import Snapshot, render_snapshot
from aegis.snapshot.schema import SCHEMA_PATH, generate_schema, main, render_schema
from tests.unit.test_snapshot import example


def test_committed_schema_is_current() -> None:
    assert SCHEMA_PATH.read_text(encoding="utf-8") == render_schema(), (
        "aegis/snapshot/schema.json is stale: run python -m aegis.snapshot.schema"
    )
    assert main(["--check"]) == 0


def test_schema_validates_a_published_document() -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    doc = json.loads(render_snapshot(Snapshot.model_validate(example())))
    jsonschema.validate(doc, schema)


@pytest.mark.parametrize(
    "path",
    [("trap", "score"), ("expiry_stress", "label"), ("spot",), ("historical_hit_rate", "n")],
)
def test_schema_rejects_documents_missing_old_paths(path) -> None:
    schema = generate_schema()
    doc = json.loads(render_snapshot(Snapshot.model_validate(example())))
    broken = copy.deepcopy(doc)
    node = broken
    for key in path[:-1]:
        node = node[key]
    del node[path[-1]]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema)


def test_schema_names_version_and_provenance_kinds() -> None:
    schema = generate_schema()
    assert schema["properties"]["schema_version"]["const"] == "1.0.0"
    text = json.dumps(schema)
    for kind in ("model", "formula", "empirical", "baseline"):
        assert f'"const": "{kind}"' in text

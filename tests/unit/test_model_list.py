"""``aegis models list``: all five models, champion or climatology with the reason; an empty
store says so. (The listing of trained champions with a demotion: tests/unit/test_registry.py.)"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from aegis.cli import app
from aegis.config import Settings, get_settings
from aegis.models.gate import judge
from aegis.models.specs import MODEL_NAMES
from aegis.pipeline.records import GateLog, GateLogEntry, write_gate_log
from tests.unit.test_publishing import history


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("AEGIS_HOME", str(tmp_path))
    monkeypatch.delenv("AEGIS_MODELS_DIR", raising=False)
    monkeypatch.setenv("AEGIS_OUTPUT_DIR", str(tmp_path / "output"))
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_models_dir_defaults_under_home(tmp_path: Path) -> None:
    assert Settings(home=tmp_path).resolved_models_dir == tmp_path / "models"
    assert Settings(home=tmp_path, models_dir=Path("m")).resolved_models_dir == Path("m")


def test_an_empty_store_says_so(home: Path) -> None:
    out = CliRunner().invoke(app, ["models", "list", "--json"])
    assert out.exit_code == 1
    assert "the model store is empty" in out.stderr
    listing = json.loads(out.stdout)
    assert listing["empty"] is True
    assert listing["models_dir"] == str(home / "models")
    assert [r["name"] for r in listing["models"]] == list(MODEL_NAMES)
    assert {r["published"] for r in listing["models"]} == {"none"}
    table = CliRunner().invoke(app, ["models", "list"])
    assert table.exit_code == 1
    assert "empty" in table.stderr


def test_a_model_the_gate_refused_is_listed_with_the_reason(home: Path) -> None:
    noise = history(None)
    noise = noise.assign(p_model=np.random.default_rng(3).permutation(noise["p_model"]))
    decision = judge("direction", noise[noise["fold"].dt.year < 2014])
    assert not decision.promote
    entry = GateLogEntry(**dict(decision), version="20240614T020000Z-1",
                         trained_at="2024-06-14T02:00:00+00:00")
    write_gate_log(home / "output" / "gate.json", GateLog({"direction": entry}))
    out = CliRunner().invoke(app, ["models", "list", "--json"])
    assert out.exit_code == 0, out.output
    rows = {r["name"]: r for r in json.loads(out.stdout)["models"]}
    assert rows["direction"]["published"] == "climatology"
    assert rows["direction"]["reason"].startswith("refused by the gate at the last retrain: ")
    assert decision.reason in rows["direction"]["reason"]
    assert rows["direction"]["latest_challenger"]["promoted"] is False
    assert rows["trap"]["published"] == "none"
    table = CliRunner().invoke(app, ["models", "list"])
    assert "direction      climatology" in table.stdout
    assert "latest challenger 20240614T020000Z-1" in table.stdout

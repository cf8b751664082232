"""Challenger records and the gate log: typed round trips; a wrongly shaped file is a named error.

A malformed record or gate log names the file and the field (never a ``KeyError``); a malformed
challenger record stops ``promote_and_push`` before anything is published.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from aegis.config import get_settings
from aegis.errors import ChallengerRecordError, GateLogFormatError, ModelError
from aegis.models.gate import FoldResult, GateDecision
from aegis.models.scoring import ScoreSummary
from aegis.pipeline.champions import Champions
from aegis.pipeline.paths import challengers_dir, gate_log_path
from aegis.pipeline.records import (
    ChallengerRecord,
    ChallengerScores,
    GateLog,
    GateLogEntry,
    read_challenger,
    read_gate_log,
    write_challenger,
    write_gate_log,
)


def _score(brier: float) -> ScoreSummary:
    return ScoreSummary(n=250, brier=brier, log_loss=0.6, ece=0.02)


def _record(name: str = "trap", promote: bool = True, folder: Path = Path("/x/v1")
            ) -> ChallengerRecord:
    decision = GateDecision(
        name=name, promote=promote, reason="beats climatology: ...", reference="climatology",
        p_value=0.01, mean_difference=-0.004, ci95=(-0.007, -0.001),
        folds=[FoldResult(start="2023-01-01", end="2023-12-29", n=250, brier=0.18,
                          brier_reference=0.19, skill=0.05)],
        challenger_brier=0.18, baseline_brier=0.21, climatology_brier=0.19,
        climatology_ece=0.01, bss_climatology=0.05, n=250)
    return ChallengerRecord(
        name=name, version=folder.name, folder=folder, decision=decision,
        trained_at="2024-06-14T02:00:05+00:00", seconds=12.5, seed=7,
        metrics=ChallengerScores(model=_score(0.18), baseline=_score(0.21),
                                 climatology=_score(0.19)))


def _edited(edit: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    data = _record().model_dump(mode="json")
    edit(data)
    return data


BAD_RECORDS: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "no decision.promote": (lambda d: d["decision"].pop("promote"), "decision.promote"),
    "decision as a string": (lambda d: d.update(decision="promote"), "decision"),
    "metrics.model without brier": (lambda d: d["metrics"]["model"].pop("brier"),
                                    "metrics.model.brier"),
    "no version": (lambda d: d.pop("version"), "version"),
    "trained_at not a time": (lambda d: d.update(trained_at="last night"), "trained_at"),
    "folds as a number": (lambda d: d["decision"].update(folds=4), "decision.folds"),
}


def test_a_record_round_trips(tmp_path: Path) -> None:
    record = _record(folder=tmp_path / "challengers" / "trap" / "v1")
    path = write_challenger(tmp_path, record)
    assert path == tmp_path / "trap.json"
    assert read_challenger(path) == record
    raw = json.loads(path.read_text())
    assert set(raw) == {"name", "version", "folder", "decision", "trained_at", "seconds",
                        "seed", "metrics", "publishing"}
    assert raw["folder"] == str(record.folder)
    assert set(raw["metrics"]["model"]) == {"n", "brier", "log_loss", "ece"}


@pytest.mark.parametrize("case", sorted(BAD_RECORDS))
def test_a_malformed_record_names_the_file_and_the_field(tmp_path: Path, case: str) -> None:
    edit, field = BAD_RECORDS[case]
    path = tmp_path / "trap.json"
    path.write_text(json.dumps(_edited(edit)))
    with pytest.raises(ChallengerRecordError) as caught:
        read_challenger(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: challenger record wrongly shaped: {field}")
    assert "\n" not in message
    assert isinstance(caught.value, ModelError)


def test_a_record_that_is_not_json_or_of_another_model_is_named(tmp_path: Path) -> None:
    path = tmp_path / "trap.json"
    path.write_text("{not json")
    with pytest.raises(ChallengerRecordError, match="expected a JSON challenger record"):
        read_challenger(path)
    path.write_text(json.dumps(_record("buyer").model_dump(mode="json")))
    with pytest.raises(ChallengerRecordError, match="name: expected 'trap'.*found 'buyer'"):
        read_challenger(path)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("AEGIS_HOME", str(tmp_path / "home"))
    for var in ("AEGIS_MODELS_DIR", "AEGIS_OUTPUT_DIR", "AEGIS_DATA_DIR"):
        monkeypatch.delenv(var, raising=False)
    get_settings.cache_clear()
    yield tmp_path / "home"
    get_settings.cache_clear()


def test_promote_and_push_stops_at_a_malformed_record_naming_it(home: Path) -> None:
    from aegis.pipeline import promote_and_push

    settings = get_settings()
    good = write_challenger(challengers_dir(settings), _record("buyer"))
    bad = challengers_dir(settings) / "trap.json"
    bad.write_text(json.dumps(_edited(lambda d: d["decision"].pop("promote"))))
    with pytest.raises(ChallengerRecordError, match=f"{bad}: .*decision.promote"):
        promote_and_push(push=False)
    assert good.exists(), "the challengers stay staged"
    assert bad.exists()
    assert not gate_log_path(settings).exists()
    assert not (settings.resolved_models_dir / "registry.json").exists()


def test_the_gate_log_round_trips_with_version_and_time(tmp_path: Path) -> None:
    record = _record()
    entry = GateLogEntry.of(record)
    assert entry.version == "v1"
    assert entry.trained_at == record.trained_at
    assert entry.promote is record.decision.promote
    path = tmp_path / "gate.json"
    write_gate_log(path, GateLog({"trap": entry}))
    raw = json.loads(path.read_text())
    assert set(raw["trap"]) == set(record.decision.model_dump()) | {"version", "trained_at"}
    log = read_gate_log(path)
    assert log.get("trap") == entry
    assert log.get("buyer") is None
    assert read_gate_log(tmp_path / "absent.json") == GateLog({})


@pytest.mark.parametrize(("data", "field"), [
    ({"trap": {"promote": False, "reason": "x", "trained_at": "2024-06-14T02:00:00+00:00"}},
     "trap.name"),
    ({"trap": "refused"}, "trap"),
    (["trap"], "(top level)"),
])
def test_a_malformed_gate_log_names_the_file_and_the_field(tmp_path: Path, data: object,
                                                          field: str) -> None:
    path = tmp_path / "gate.json"
    path.write_text(json.dumps(data))
    with pytest.raises(GateLogFormatError) as caught:
        read_gate_log(path)
    assert str(caught.value).startswith(f"{path}: gate log wrongly shaped: {field}")
    path.write_bytes(b"\xff{")
    with pytest.raises(GateLogFormatError, match="expected a JSON gate log"):
        read_gate_log(path)


def test_a_refusal_is_read_typed_and_a_bad_gate_log_becomes_a_note(tmp_path: Path) -> None:
    models, log = tmp_path / "models", tmp_path / "gate.json"
    refused = GateLogEntry.of(_record(promote=False))
    write_gate_log(log, GateLog({"trap": refused,
                                 "buyer": GateLogEntry.of(_record("buyer", promote=True))}))
    champions = Champions(models, log)
    assert champions.refusal("trap") == refused
    assert champions.refusal("buyer") is None  # promoted: not a refusal
    decision, note = champions.verdict("trap")
    assert decision == refused
    assert note == f"; last retrain ({refused.trained_at}): {refused.reason}"
    log.write_text(json.dumps({"trap": {"promote": False}}))
    with pytest.raises(GateLogFormatError):
        champions.refusal("trap")
    decision, note = champions.verdict("trap")
    assert decision is None
    assert f"{log}: gate log wrongly shaped: trap.name" in note


def test_models_to_train_keeps_the_house_order_and_names_unknown_models() -> None:
    from aegis.errors import ConfigurationError
    from aegis.models.specs import MODEL_NAMES
    from aegis.pipeline import models_to_train

    assert models_to_train(None) == models_to_train([]) == list(MODEL_NAMES)
    assert models_to_train(["buyer", "trap"]) == ["trap", "buyer"]
    with pytest.raises(ConfigurationError, match=r"unknown \['trapp'\]; expected some of"):
        models_to_train(["trap", "trapp"])


def test_the_publishing_log_merges_and_a_malformed_one_withholds_every_champion(
    tmp_path: Path,
) -> None:
    from aegis.models.publishing import Evidence, decide
    from aegis.pipeline.publishing import publishing_path, read_publishing, write_publishing

    log = tmp_path / "gate.json"
    evidence = Evidence(weight=0.6, fold_weights=[0.7, 0.5], mean=0.6, sd=0.1, reason="t")
    kw: dict[str, Any] = {"gate_reason": "r", "gate_data_end": "2024-06-13",
                          "evidence": evidence, "check": None, "previous": None}
    path = publishing_path(log)
    write_publishing(path, {"trap": decide("trap", "2024-06-14", gate_passes=True, **kw)})
    write_publishing(path, {"buyer": decide("buyer", "2024-06-14", gate_passes=False, **kw)})
    states = read_publishing(path)
    assert states.get("trap") is not None  # merged with ...
    assert states.get("buyer") is not None
    champions = Champions(tmp_path / "models", log)
    champions.publishing = dict(states.root)
    assert champions.weight("trap") == pytest.approx(0.6)
    assert champions.shrink("trap", 0.9, 0.3) == pytest.approx(0.66)
    assert champions.shrink_cuts("trap", (0.2, 0.4), 0.3) == pytest.approx((0.24, 0.36))
    assert champions.weight("direction") == 1.0  # no decision yet: unshrunk, said so
    path.write_text('{"trap": {"published": "sometimes"}}')
    broken = Champions(tmp_path / "models", log)
    assert broken._read_publishing() == {}
    assert broken.publishing_error is not None
    assert f"{path}: publishing log wrongly shaped: trap" in broken.publishing_error
    broken._withhold_if_told("trap")
    assert broken.get("trap") is None
    assert broken.climatology_reason("trap") is None  # broken, not an honest climatology

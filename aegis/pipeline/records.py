"""The training stage's own files, typed: challenger records and the gate log.

A challenger record (``<home>/challengers/<name>.json``) hands a trained, gated challenger from
its training task to ``promote_and_push`` (each model trains in its own Airflow task, so they
meet on disk). The gate log (``<output>/gate.json``) keeps the last retrain's decision per model
for inference, model health and the dashboard. Both are written with
``model_dump(mode="json")`` and read back through these models: a file that is not JSON or is
wrongly shaped raises :class:`~aegis.errors.ChallengerRecordError` or
:class:`~aegis.errors.GateLogFormatError` naming the file and the field, never a ``KeyError``.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, RootModel

from aegis.atomic import write_text_atomic
from aegis.errors import ChallengerRecordError, GateLogFormatError
from aegis.jsonfile import read_model
from aegis.models.gate import GateDecision
from aegis.models.publishing import PublishingState
from aegis.models.scoring import ScoreSummary


def _iso_timestamp(text: str) -> str:
    try:
        datetime.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"expected an ISO-8601 timestamp; found {text!r}") from exc
    return text


#: An ISO-8601 timestamp kept as written (``2024-06-14T02:00:00+00:00``).
IsoTimestamp = Annotated[str, AfterValidator(_iso_timestamp)]


class ChallengerScores(BaseModel):
    """The challenger's walk-forward scores beside its references (no reliability diagram)."""

    model_config = ConfigDict(frozen=True)

    model: ScoreSummary
    baseline: ScoreSummary
    climatology: ScoreSummary


class ChallengerRecord(BaseModel):
    """One trained and gated challenger, staged for ``promote_and_push``."""

    model_config = ConfigDict(frozen=True)

    name: str
    version: str
    folder: Path
    decision: GateDecision
    trained_at: IsoTimestamp
    seconds: float
    seed: int
    metrics: ChallengerScores
    publishing: PublishingState | None = None


class GateLogEntry(GateDecision):
    """The last retrain's gate decision on one model, with the challenger's version."""

    version: str
    trained_at: IsoTimestamp

    @classmethod
    def of(cls, record: ChallengerRecord) -> GateLogEntry:
        return cls(**dict(record.decision), version=record.version,
                   trained_at=record.trained_at)


class GateLog(RootModel[dict[str, GateLogEntry]]):
    """``gate.json``: model name -> the last retrain's decision."""

    model_config = ConfigDict(frozen=True)

    def get(self, name: str) -> GateLogEntry | None:
        return self.root.get(name)


def _json_text(model: BaseModel) -> str:
    return json.dumps(model.model_dump(mode="json"), indent=2)


def challenger_path(folder: Path, name: str) -> Path:
    """Where the record of challenger ``name`` is kept in ``folder``."""
    return folder / f"{name}.json"


def write_challenger(folder: Path, record: ChallengerRecord) -> Path:
    """Write ``record`` atomically to ``<folder>/<name>.json``; returns the path."""
    path = challenger_path(folder, record.name)
    write_text_atomic(path, _json_text(record))
    return path


def read_challenger(path: Path) -> ChallengerRecord:
    """The typed record in ``path``.

    Raises
    ------
    ChallengerRecordError
        When the file is not JSON, is wrongly shaped (naming the fields) or holds another
        model's record than its name says.
    """
    record = read_model(path, ChallengerRecord, "challenger record", ChallengerRecordError)
    if record.name != path.stem:
        raise ChallengerRecordError(
            f"{path}: name: expected {path.stem!r} (the file's name); found {record.name!r}")
    return record


def write_gate_log(path: Path, log: GateLog) -> None:
    """Write the gate log atomically."""
    write_text_atomic(path, _json_text(log))


def read_gate_log(path: Path) -> GateLog:
    """The typed gate log in ``path`` (empty when the file does not exist).

    Raises
    ------
    GateLogFormatError
        When the file is not JSON or an entry is wrongly shaped (naming the model and field).
    """
    if not path.exists():
        return GateLog({})
    return read_model(path, GateLog, "gate log", GateLogFormatError)


__all__ = ["ChallengerRecord", "ChallengerScores", "GateLog", "GateLogEntry", "challenger_path",
           "read_challenger", "read_gate_log", "write_challenger", "write_gate_log"]

"""The nightly publishing decision per model and its file, ``<output>/publishing.json``.

Each training task decides, after the gate, what its model publishes from tomorrow on
(:func:`nightly_state`: the gate against the references on tonight's walk-forward folds, the
evidence weight those folds earn, and the live demotion test on the trailing settled forecasts,
carrying the previous night's state). ``promote_and_push`` writes the states of the models it
trained into the file (a partial retrain keeps the others); inference reads it through
:class:`~aegis.pipeline.champions.Champions` and ``aegis models list`` shows it.

The trailing record is the walk-forward record of the latest folds: every forecast in it was
made by a model of the champion's recipe fitted on data settled before its fold, so it is the
champion's record wherever the live ledger is short (the ledger keeps the published blend, not
the model's own probability).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
from pydantic import ConfigDict, RootModel

from aegis.atomic import write_text_atomic
from aegis.errors import GateLogFormatError
from aegis.jsonfile import read_model
from aegis.models.publishing import PublishingState

if TYPE_CHECKING:
    from aegis.models.gate import GateDecision
    from aegis.params import Params

PUBLISHING_FILE = "publishing.json"


class PublishingLog(RootModel[dict[str, PublishingState]]):
    """``publishing.json``: model name -> what it publishes and why."""

    model_config = ConfigDict(frozen=True)

    def get(self, name: str) -> PublishingState | None:
        return self.root.get(name)


def publishing_path(gate_log: Path) -> Path:
    """The publishing file, beside the gate log."""
    return gate_log.with_name(PUBLISHING_FILE)


def read_publishing(path: Path) -> PublishingLog:
    """The typed publishing log (empty when the file does not exist).

    Raises :class:`~aegis.errors.GateLogFormatError` naming the file and field when malformed.
    """
    if not path.exists():
        return PublishingLog({})
    return read_model(path, PublishingLog, "publishing log", GateLogFormatError)


def write_publishing(path: Path, states: dict[str, PublishingState]) -> PublishingLog:
    """Merge ``states`` into the file (other models' states kept); written atomically."""
    merged = {**read_publishing(path).root, **states}
    log = PublishingLog(merged)
    write_text_atomic(path, log.model_dump_json(indent=2))
    return log


def nightly_state(name: str, pred: pd.DataFrame, decision: GateDecision, params: Params,
                  previous: PublishingState | None) -> PublishingState:
    """Tonight's :class:`PublishingState` of ``name`` from its walk-forward folds ``pred``.

    The live check reads every forecast of ``pred`` settled by the last session (tonight, the
    next session's publications use it).
    """
    from aegis.models.publishing import decide, evidence_weight, live_check, session_record

    last = pd.Timestamp(pred["session"].max()).normalize()
    record = session_record(pred)
    check = live_check(record, (last + pd.Timedelta(days=1)).to_datetime64(),
                       params.publishing, params.gate.block_sessions)
    passes = bool(decision.beats_references if decision.beats_references is not None
                  else decision.promote)
    return decide(name, last.date(), gate_passes=passes, gate_reason=decision.reason,
                  gate_data_end=last.date(), evidence=evidence_weight(pred, params.publishing),
                  check=check, previous=previous)


__all__ = ["PUBLISHING_FILE", "PublishingLog", "nightly_state", "publishing_path",
           "read_publishing", "write_publishing"]

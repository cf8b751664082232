"""The forecast ledger: every published probability and range, scored when it settles.

One Parquet file, ``<data_dir>/ledger/forecasts.parquet`` (:func:`ledger_path`), one row per
published number per snapshot (columns in :data:`LEDGER_COLUMNS`). ``aegis_inference`` appends
each snapshot it publishes (:func:`append_snapshot`: atomic, idempotent per ``generated_at``);
``aegis_model_health`` settles the rows whose outcome is known (:func:`score_ledger`), computes
the live track record (:func:`live_track_record`) and alerts on calibration drift and frozen
numbers (:mod:`aegis.ledger.monitor`). The AegisMatrix page reads it with :func:`read_ledger`.
"""

from __future__ import annotations

from aegis.ledger.monitor import calibration_drift, frozen_fields, frozen_within_session
from aegis.ledger.scoring import live_track_record, score_ledger
from aegis.ledger.store import (
    FIELDS,
    LEDGER_COLUMNS,
    append_snapshot,
    empty_ledger,
    ledger_path,
    read_ledger,
    snapshot_rows,
    write_ledger,
)

__all__ = [
    "FIELDS",
    "LEDGER_COLUMNS",
    "append_snapshot",
    "calibration_drift",
    "frozen_within_session",
    "empty_ledger",
    "frozen_fields",
    "ledger_path",
    "live_track_record",
    "read_ledger",
    "score_ledger",
    "snapshot_rows",
    "write_ledger",
]

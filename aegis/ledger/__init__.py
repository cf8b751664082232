"""The forecast ledger: every published probability and range, scored when it settles.

``<data_dir>/ledger/forecasts.parquet`` (:func:`ledger_path`) and the snapshots appended since
its last fold (:func:`appended_dir`, one small file each), one row per published number per
snapshot (columns in :data:`LEDGER_COLUMNS`). ``aegis_inference`` appends each snapshot it
publishes (:func:`append_snapshot`: atomic, idempotent per ``generated_at``, its cost
independent of the ledger's length);
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
    append_locked,
    append_snapshot,
    appended_dir,
    empty_ledger,
    ledger_lock,
    ledger_path,
    read_ledger,
    snapshot_rows,
    update_ledger,
    write_ledger,
)

__all__ = [
    "FIELDS",
    "LEDGER_COLUMNS",
    "append_locked",
    "appended_dir",
    "append_snapshot",
    "calibration_drift",
    "frozen_within_session",
    "empty_ledger",
    "frozen_fields",
    "ledger_lock",
    "ledger_path",
    "live_track_record",
    "read_ledger",
    "score_ledger",
    "snapshot_rows",
    "update_ledger",
    "write_ledger",
]

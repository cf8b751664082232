"""Work around apache/airflow#73428 for ``dag.test()`` of a DAG with a Deadline Alert.

Airflow 3.3.2's ``DAG.test()`` round-trips the DAG through serialisation in memory, which leaves
``dag.deadline`` holding the encoded alerts instead of ``deadline_alert`` row ids. When the run
succeeds, ``DagRun.update_state()`` hands those dicts to ``DeadlineAlertModel.get_by_id()`` and
the run ends in a database error (PostgreSQL: "can't adapt type 'dict'") although every task
succeeded. The scheduler path (what production runs) passes ids and is unaffected. This shim,
installed only by the two ``dag.test()`` runners (the demo and the integration harness), reads
an encoded alert directly, as the upstream fix (apache/airflow PR #73430) does; ids still go to
the database. Remove it once the pinned Airflow carries the fix.
"""

from __future__ import annotations

from typing import Any


def install() -> None:
    """Make ``DeadlineAlertModel.get_by_id`` accept an encoded alert as well as an id."""
    from airflow.models.deadline_alert import DeadlineAlert as DeadlineAlertModel

    if getattr(DeadlineAlertModel.get_by_id, "_aegis_compat", False):
        return
    by_id = DeadlineAlertModel.get_by_id

    def get_by_id(deadline_alert_id: Any, **kwargs: Any) -> Any:
        if isinstance(deadline_alert_id, dict):
            encoded = deadline_alert_id.get("__data__", deadline_alert_id)
            return DeadlineAlertModel(reference=encoded["reference"])  # transient, not added
        return by_id(deadline_alert_id, **kwargs)

    get_by_id._aegis_compat = True  # type: ignore[attr-defined]
    DeadlineAlertModel.get_by_id = get_by_id  # type: ignore[method-assign]

"""The operator's corner: the latest run of each AegisMatrix DAG, from Airflow's REST API.

The page runs inside the Airflow api-server, so it asks that same server
(``GET /api/v2/dags/{dag_id}/dagRuns?limit=1&order_by=-run_after``) with the viewer's own token:
the operator sees exactly what Airflow lets that user see. The server's address is the setting
``AEGIS_AIRFLOW_API_URL`` (default ``http://127.0.0.1:8080``), never the request's ``Host``
header: a client naming another host must not receive the viewer's token. When the API cannot
answer, each row says why; nothing is guessed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import httpx

DAG_IDS: Final = ("aegis_market_ingest", "aegis_inference", "aegis_nightly_retrain",
                  "aegis_model_health")
API_TIMEOUT_S: Final = 5.0


@dataclass(frozen=True)
class DagRunRow:
    """The latest run of one DAG (``state`` empty and ``problem`` set when it is not known)."""

    dag_id: str
    state: str = ""
    run_id: str = ""
    run_after: str = ""
    ended: str = ""
    problem: str = ""

    @property
    def dag_href(self) -> str:
        """The DAG's page in the Airflow UI (absolute path on the same server)."""
        return f"/dags/{self.dag_id}"

    @property
    def run_href(self) -> str:
        return f"/dags/{self.dag_id}/runs/{self.run_id}" if self.run_id else self.dag_href


def _short(ts: str | None) -> str:
    """An API timestamp (UTC, ISO) as ``2025-01-06 15:32 IST``: the market's clock, zone said."""
    if not ts:
        return ""
    from datetime import datetime

    from aegis.market.hours import IST

    try:
        moment = datetime.fromisoformat(ts.replace("Z", "+00:00"))
    except ValueError:
        return ts
    if moment.tzinfo is None:
        return ts[:16].replace("T", " ") + " UTC"
    return moment.astimezone(IST).strftime("%Y-%m-%d %H:%M IST")


async def latest_runs(base_url: str, token: str | None,
                      transport: httpx.AsyncBaseTransport | None = None) -> list[DagRunRow]:
    """The latest run of every DAG in :data:`DAG_IDS` (one row each, in that order)."""
    if not token:
        return [DagRunRow(d, problem="no Airflow login token to ask the API with") for d in DAG_IDS]
    rows = []
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=API_TIMEOUT_S,
                                 transport=transport) as client:
        for dag_id in DAG_IDS:
            rows.append(await _latest(client, dag_id))
    return rows


async def _latest(client: httpx.AsyncClient, dag_id: str) -> DagRunRow:
    try:
        response = await client.get(f"/api/v2/dags/{dag_id}/dagRuns",
                                    params={"limit": 1, "order_by": "-run_after"})
    except httpx.HTTPError as exc:
        return DagRunRow(dag_id, problem=f"the Airflow API did not answer ({exc or 'timeout'})")
    if response.status_code == 404:
        return DagRunRow(dag_id, problem="this DAG is not known to Airflow (not parsed yet?)")
    if response.status_code != 200:
        return DagRunRow(dag_id, problem=f"the Airflow API answered HTTP {response.status_code}")
    try:
        runs = response.json().get("dag_runs", [])
    except ValueError:
        return DagRunRow(dag_id, problem="the Airflow API answered something that is not JSON")
    if not runs:
        return DagRunRow(dag_id, state="never run")
    run = runs[0]
    return DagRunRow(dag_id, state=str(run.get("state") or "unknown"),
                     run_id=str(run.get("dag_run_id") or ""),
                     run_after=_short(run.get("run_after") or run.get("logical_date")),
                     ended=_short(run.get("end_date")))


__all__ = ["DAG_IDS", "DagRunRow", "latest_runs"]

"""Whether each AegisMatrix DAG is paused, from Airflow's REST API (``GET /api/v2/dags/{id}``).

A paused DAG never runs again until someone unpauses it (Airflow creates DAGs paused by
default): a paused ``aegis_market_ingest`` or ``aegis_inference`` means no snapshot will ever be
published again, so the page and ``/api/health`` call the snapshot stale and say which DAG to
unpause. Asked at the same base URL and with the same token as :mod:`aegis_dashboard.dag_runs`
(the caller hands both in); an API that cannot answer gives a problem sentence, never a guess.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

import httpx

from aegis_dashboard.dag_runs import API_TIMEOUT_S, DAG_IDS

PUBLISHING_DAGS: Final = ("aegis_market_ingest", "aegis_inference")
"""The DAGs without which no snapshot is published."""


@dataclass(frozen=True)
class PauseStates:
    """``paused``: DAG id -> is_paused for every DAG the API answered about; ``problems``: the
    DAGs it did not (id -> why)."""

    paused: dict[str, bool] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)

    @property
    def paused_dags(self) -> list[str]:
        return [d for d in DAG_IDS if self.paused.get(d)]

    @property
    def publishing_paused(self) -> list[str]:
        """The publishing DAGs that are paused: nothing new will be published."""
        return [d for d in PUBLISHING_DAGS if self.paused.get(d)]


async def pause_states(base_url: str, token: str | None,
                       transport: httpx.AsyncBaseTransport | None = None) -> PauseStates:
    """Ask the API whether each DAG of :data:`DAG_IDS` is paused."""
    if not token:
        return PauseStates(problems={d: "no Airflow login token to ask the API with"
                                     for d in DAG_IDS})
    paused: dict[str, bool] = {}
    problems: dict[str, str] = {}
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=API_TIMEOUT_S,
                                 transport=transport) as client:
        for dag_id in DAG_IDS:
            state, problem = await _is_paused(client, dag_id)
            if state is None:
                problems[dag_id] = problem
            else:
                paused[dag_id] = state
    return PauseStates(paused, problems)


async def _is_paused(client: httpx.AsyncClient, dag_id: str) -> tuple[bool | None, str]:
    try:
        response = await client.get(f"/api/v2/dags/{dag_id}")
    except httpx.HTTPError as exc:
        return None, f"the Airflow API did not answer ({exc or 'timeout'})"
    if response.status_code != 200:
        return None, f"the Airflow API answered HTTP {response.status_code}"
    try:
        value = response.json().get("is_paused")
    except ValueError:
        return None, "the Airflow API answered something that is not JSON"
    if not isinstance(value, bool):
        return None, "the Airflow API's answer has no is_paused"
    return value, ""


__all__ = ["PUBLISHING_DAGS", "PauseStates", "pause_states"]

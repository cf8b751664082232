"""The FastAPI app mounted by the Airflow api-server at ``/aegismatrix``.

Routes (all behind Airflow's authentication: the auth manager's JWT in an
``Authorization: Bearer`` header or the UI's ``_token`` cookie):

- ``GET /``              the AegisMatrix page (server-rendered HTML with inline SVG charts; no
                         script, no CDN; redirects to the Airflow login page when not logged in)
- ``GET /api/snapshot``  the latest ``aegismatrix.json`` (404 before the first one, 422 naming
                         the malformed fields when the contract rejects it)
- ``GET /api/models``    the champions, verified as ``aegis models verify`` does, with the gate log
- ``GET /api/health``    snapshot status, staleness, degraded reasons and every problem found
- ``GET /files/{name}``  one of the files the page itself shows (an allow-list; no symlinks)
- ``GET /data-docs/{page}`` the Great Expectations Data Docs of the last validation (login as
                         for the page; ``aegis_dashboard.data_docs``)
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
from fastapi import Depends, FastAPI, HTTPException, Request, status
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.concurrency import run_in_threadpool

from aegis.config import Settings
from aegis.errors import AegisError
from aegis_dashboard import data, data_docs
from aegis_dashboard.dag_pause import PauseStates, pause_states
from aegis_dashboard.dag_runs import DagRunRow, latest_runs
from aegis_dashboard.page import page_context
from aegis_dashboard.reading import read_published

URL_PREFIX = "/aegismatrix"
TEMPLATES = Path(__file__).with_name("templates")


def _templates() -> Environment:
    return Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                       trim_blocks=True, lstrip_blocks=True, undefined=StrictUndefined)


def _authenticated() -> Callable[..., Any]:
    """Airflow's "any logged-in user" dependency (imported lazily: api-server only)."""
    from airflow.api_fastapi.core_api.security import requires_authenticated

    return requires_authenticated()


async def login_redirect_or_none(request: Request) -> Response | None:
    """``None`` when the request carries a valid Airflow login, else a redirect to the login."""
    from airflow.api_fastapi.app import get_auth_manager
    from airflow.api_fastapi.core_api.security import bearer_scheme, get_user

    try:
        credentials = await bearer_scheme(request)
        await get_user(request, _oauth_token=None, bearer_credentials=credentials)
    except HTTPException as exc:
        if exc.status_code not in (status.HTTP_401_UNAUTHORIZED, status.HTTP_403_FORBIDDEN):
            raise
        login = get_auth_manager().get_url_login(next_url=str(request.url))
        return RedirectResponse(login, status_code=status.HTTP_303_SEE_OTHER)
    return None


def _token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return request.cookies.get("_token")


def health(settings: Settings, now: pd.Timestamp | None = None,
           pauses: PauseStates | None = None) -> dict[str, Any]:
    """Snapshot status and staleness against the publishing schedule (a paused publishing DAG
    counts as stale: nothing new will come), and every champion verified as ``aegis models
    verify`` does."""
    from aegis.market.hours import IST
    from aegis.market.slots import freshness, market_state, next_slot

    now = now if now is not None else pd.Timestamp(settings.now())
    pub = read_published(settings.snapshot_path)
    problems: list[str] = []
    snap_status, as_of, reasons, stale, stale_reason = "missing", None, [], None, ""
    if pub is None:
        problems.append("no snapshot published yet")
    elif pub.unreadable:
        snap_status = "unreadable"
        problems.append(f"snapshot: {pub.unreadable}")
    else:
        snap_status = str(pub.get("status") or "malformed") if not pub.problems else "malformed"
        problems += [f"snapshot: {p.message}" for p in pub.problems]
        as_of_value = pub.get("as_of")
        as_of = as_of_value.isoformat() if as_of_value else None
        reasons = [{"field": r.field, "reason": r.reason}
                   for r in (pub.get("degraded_reasons") or [])]
        fresh = freshness(as_of_value, now.to_pydatetime()) if as_of_value else None
        paused = pauses.publishing_paused if pauses is not None else []
        stale = fresh is None or fresh.stale or bool(paused)
        stale_reason = ("the snapshot's as_of is unreadable" if fresh is None else fresh.reason)
        if paused:
            stale_reason = "; ".join([*filter(None, [stale_reason]),
                                      *(f"{d} is paused" for d in paused)])
        if stale:
            problems.append(f"snapshot is stale: {stale_reason}")
    results, verify_problem = data.verify_champions(settings)
    if verify_problem:
        problems.append(verify_problem)
    problems += [f"{r.name}: {r.reason}" for r in results if not r.ok]
    state = market_state(now.to_pydatetime())
    return {
        "status": snap_status, "as_of": as_of, "stale": stale, "stale_reason": stale_reason,
        "market_state": state.state, "market": state.words(),
        "next_update_due": next_slot(now.to_pydatetime()).astimezone(IST).isoformat(),
        "paused_dags": pauses.paused_dags if pauses is not None else None,
        "degraded_reasons": reasons, "problems": problems,
        "champions": {r.name: {"version": r.version, "ok": r.ok, "reason": r.reason}
                      for r in results},
    }


def render_page(settings: Settings, *, now: pd.Timestamp | None = None,
                runs: list[DagRunRow] | None = None, pauses: PauseStates | None = None,
                templates: Environment | None = None) -> str:
    """The AegisMatrix page (HTML) for the current state of the output, model and data stores."""
    moment = now if now is not None else pd.Timestamp(settings.now())
    context = page_context(settings, now=moment, runs=runs, pauses=pauses)
    return (templates or _templates()).get_template("dashboard.html").render(**context)


def create_app(settings_factory: Callable[[], Settings] = Settings) -> FastAPI:
    """The dashboard app; settings are read per request from ``settings_factory``.

    Tests replace the two authentication dependencies through ``app.dependency_overrides``
    (``login_redirect_or_none`` for the page, ``app.state.authenticated`` for the API).
    """
    app = FastAPI(title="AegisMatrix", docs_url=None, redoc_url=None, openapi_url=None)
    templates = _templates()
    authenticated = _authenticated()
    app.state.authenticated = authenticated
    auth = [Depends(authenticated)]

    @app.get("/", response_class=HTMLResponse)
    async def page(request: Request,
                   redirect: Response | None = Depends(login_redirect_or_none)) -> Response:
        if redirect is not None:
            return redirect
        settings = settings_factory()
        # the configured API address: the request's Host header is the client's to choose, and
        # the viewer's token must not go wherever it names (issue 22)
        runs = await latest_runs(settings.airflow_api_url, _token(request))
        pauses = await pause_states(settings.airflow_api_url, _token(request))
        return HTMLResponse(render_page(settings, runs=runs, pauses=pauses,
                                        templates=templates))

    @app.get("/api/snapshot", dependencies=auth)
    def snapshot_json() -> dict[str, Any]:
        settings = settings_factory()
        pub = read_published(settings.snapshot_path)
        if pub is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, "no snapshot published yet")
        if pub.unreadable or pub.problems:
            problems = [pub.unreadable] if pub.unreadable else [p.message for p in pub.problems]
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY,
                                {"error": "the published snapshot does not meet the contract",
                                 "problems": problems})
        return pub.raw or {}

    @app.get("/api/models", dependencies=auth)
    def models_json() -> dict[str, Any]:
        settings = settings_factory()
        results, problem = data.verify_champions(settings)
        entries = data.read_registry_entries(settings)
        try:
            log, gate_problem = data.read_gate_log(settings), None
        except AegisError as exc:
            log, gate_problem = None, str(exc)
        gate = {} if log is None else log.model_dump(mode="json")
        return {
            "registry_problem": problem, "gate_problem": gate_problem,
            "champions": [{"name": r.name, "version": r.version, "ok": r.ok, "reason": r.reason,
                           "promoted_at": entries.get(r.name, {}).get("promoted_at"),
                           "gate": gate.get(r.name)} for r in results],
        }

    @app.get("/api/health", dependencies=auth)
    async def health_json(request: Request) -> dict[str, Any]:
        base = f"{request.url.scheme}://{request.url.netloc}"
        pauses = await pause_states(base, _token(request))
        return await run_in_threadpool(health, settings_factory(), pauses=pauses)

    @app.get("/files/{name:path}", dependencies=auth)
    def served(name: str) -> FileResponse:
        found = data.served_file(settings_factory(), name)
        if found is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, "no such file on this page")
        return FileResponse(found[0], media_type=found[1])

    @app.get(f"/{data_docs.ROUTE}/{{name:path}}")
    async def docs_page(name: str,
                        redirect: Response | None = Depends(login_redirect_or_none)) -> Response:
        if redirect is not None:
            return redirect
        found = data_docs.docs_file(settings_factory(), name)
        if found is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND,
                                "no such Data Docs page (run a validation first)")
        return FileResponse(found[0], media_type=found[1])

    return app

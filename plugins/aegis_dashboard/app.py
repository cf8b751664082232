"""The FastAPI app mounted by the Airflow api-server at ``/aegismatrix``.

Routes (all behind Airflow's authentication: the auth manager's JWT in an
``Authorization: Bearer`` header or the UI's ``_token`` cookie):

- ``GET /``              the AegisMatrix page (server-rendered HTML; redirects to the Airflow
                         login page when not logged in)
- ``GET /api/snapshot``  the latest ``aegismatrix.json`` (404 before the first one)
- ``GET /api/models``    the champions and their manifests
- ``GET /api/health``    snapshot status, degraded reasons and champion problems
- ``GET /diagrams/{name}`` a reliability diagram PNG from the output directory
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, HTTPException, Request, status
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from aegis.config import Settings
from aegis.errors import SnapshotError
from aegis_dashboard import data
from aegis_dashboard.view import build_view

URL_PREFIX = "/aegismatrix"
TEMPLATES = Path(__file__).with_name("templates")


def _templates() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]), trim_blocks=True
    )
    env.filters["pct"] = lambda v: "—" if v is None else f"{100 * float(v):.1f}%"
    env.filters["num"] = lambda v, d=2: "—" if v is None else f"{float(v):,.{d}f}"
    return env


def _authenticated() -> Callable[..., Any]:
    """Airflow's "any logged-in user" dependency (imported lazily: api-server only)."""
    from airflow.api_fastapi.core_api.security import requires_authenticated

    return requires_authenticated()


async def _login_redirect_or_none(request: Request) -> Response | None:
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


def _health(settings: Settings) -> dict[str, Any]:
    champions, registry_problem = data.read_champions(settings)
    try:
        snapshot = data.read_snapshot(settings)
        snapshot_problem = None if snapshot is not None else "no snapshot published yet"
    except SnapshotError as exc:
        snapshot, snapshot_problem = None, str(exc)
    view = build_view(snapshot) if snapshot else None
    problems = [p for p in [snapshot_problem, registry_problem] if p]
    problems += [f"{c.name}: {c.problem}" for c in champions if c.problem]
    return {
        "status": view["status"] if view else "missing",
        "as_of": view["as_of"] if view else None,
        "degraded_reasons": view["degraded_reasons"] if view else [],
        "problems": problems,
        "champions": {c.name: c.version for c in champions},
    }


def render_page(settings: Settings, templates: Environment | None = None) -> str:
    """The AegisMatrix page (HTML) for the current snapshot, registry and diagrams."""
    error = None
    try:
        snapshot = data.read_snapshot(settings)
    except SnapshotError as exc:
        snapshot, error = None, str(exc)
    champions, registry_problem = data.read_champions(settings)
    return (templates or _templates()).get_template("dashboard.html").render(
        view=build_view(snapshot) if snapshot else None,
        snapshot=snapshot,
        error=error,
        champions=champions,
        registry_problem=registry_problem,
        diagrams=data.list_diagrams(settings),
        snapshot_path=str(settings.snapshot_path),
    )


def create_app(settings_factory: Callable[[], Settings] = Settings) -> FastAPI:
    """The dashboard app; settings are read per request from ``settings_factory``."""
    app = FastAPI(title="AegisMatrix", docs_url=None, redoc_url=None, openapi_url=None)
    templates = _templates()
    auth = [Depends(_authenticated())]

    @app.get("/", response_class=HTMLResponse)
    async def page(request: Request) -> Response:
        redirect = await _login_redirect_or_none(request)
        if redirect is not None:
            return redirect
        return HTMLResponse(render_page(settings_factory(), templates))

    @app.get("/api/snapshot", dependencies=auth)
    def snapshot_json() -> dict[str, Any]:
        settings = settings_factory()
        try:
            snapshot = data.read_snapshot(settings)
        except SnapshotError as exc:
            raise HTTPException(status.HTTP_500_INTERNAL_SERVER_ERROR, str(exc)) from exc
        if snapshot is None:
            raise HTTPException(
                status.HTTP_404_NOT_FOUND, f"no snapshot published yet at {settings.snapshot_path}"
            )
        return snapshot

    @app.get("/api/models", dependencies=auth)
    def models_json() -> dict[str, Any]:
        champions, problem = data.read_champions(settings_factory())
        return {
            "registry_problem": problem,
            "champions": [
                {"name": c.name, "version": c.version, "problem": c.problem, "manifest": c.manifest}
                for c in champions
            ],
        }

    @app.get("/api/health", dependencies=auth)
    def health_json() -> dict[str, Any]:
        return _health(settings_factory())

    @app.get("/diagrams/{name:path}", dependencies=auth)
    def diagram(name: str) -> FileResponse:
        path = data.diagram_path(settings_factory(), name)
        if path is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no diagram named {name!r}")
        return FileResponse(path, media_type="image/png")

    return app

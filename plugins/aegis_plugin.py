"""Airflow plugin: the AegisMatrix page in the Airflow UI and its JSON API.

Registers one FastAPI app under ``/aegismatrix`` (HTML page at ``/aegismatrix/``, JSON at
``/aegismatrix/api/snapshot``, ``/api/models``, ``/api/health``, the backtest diagram at
``/files/backtest/report.reliability.png``; see aegis_dashboard.app) and an external view that puts
"AegisMatrix" in the UI's navigation (shown inside the Airflow UI at ``/plugin/aegismatrix``).
Every route requires an Airflow login (the auth manager's JWT, header or ``_token`` cookie).
The app lives in the ``aegis_dashboard`` package beside this file (ignored by the plugin scan
through ``.airflowignore``; the plugins folder is on ``sys.path``).
"""

from __future__ import annotations

from aegis_dashboard.app import URL_PREFIX, create_app
from airflow.plugins_manager import AirflowPlugin


class AegisMatrixPlugin(AirflowPlugin):
    """The AegisMatrix dashboard page and JSON API."""

    name = "aegismatrix"
    fastapi_apps = [{"app": create_app(), "url_prefix": URL_PREFIX, "name": "AegisMatrix"}]
    external_views = [
        {
            "name": "AegisMatrix",
            "href": URL_PREFIX.lstrip("/") + "/",
            "destination": "nav",
            "url_route": "aegismatrix",
            "nav_top_level": True,
        }
    ]

"""The Great Expectations Data Docs site, served by the AegisMatrix app behind Airflow's login.

``aegis.pipeline.validate`` renders the site of the last validation into
``<output dir>/data_docs`` (one Checkpoint per dataset, ``aegis.validation.runner``); this
module resolves a requested page inside that folder and nothing else: no ``..``, no symlink
anywhere on the path, regular files only, a media type from a fixed table.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from aegis.config import Settings
from aegis_dashboard.data import regular_file_below

DOCS_FOLDER = "data_docs"
"""The site's folder under the output dir (``aegis.pipeline.data.validate`` writes it)."""
ROUTE = "data-docs"
"""The app's path of the site: ``/aegismatrix/data-docs/index.html``."""
MEDIA_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css",
    ".js": "text/javascript",
    ".json": "application/json",
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".ico": "image/x-icon",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".ttf": "font/ttf",
}


def docs_root(settings: Settings) -> Path:
    """Where the Data Docs site of the last validation lives."""
    return settings.resolved_output_dir / DOCS_FOLDER


def docs_file(settings: Settings, name: str) -> tuple[Path, str] | None:
    """Path and media type of page ``name`` (``""`` is the index) of the site, or None.

    None when the name climbs out of the site (``..``, absolute), crosses a symlink, is not a
    regular file or has a suffix outside :data:`MEDIA_TYPES`.
    """
    rel = PurePosixPath(name or "index.html")
    if rel.is_absolute() or ".." in rel.parts:
        return None
    media = MEDIA_TYPES.get(rel.suffix.lower())
    if media is None:
        return None
    node = regular_file_below(docs_root(settings), rel.parts)
    return None if node is None else (node, media)

"""Shared fixtures: isolated settings per test and the real-data folder; xdist groups.

``make test`` runs the suite on two xdist workers (``-n 2 --dist loadgroup``). Every test is
put in a group (:func:`xdist_group_of`) so that what shares an expensive session resource runs
in one worker and sets it up once: a test module's tests stay together (module fixtures), the
``dag.test()`` modules share one migrated Airflow database and one trained store, the Celery
modules one running Airflow stack, and every test of the trained deployment one training.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from aegis.config import Settings, get_settings


@pytest.fixture
def aegis_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh AEGIS_HOME (data, models, output) for one test; settings cache cleared."""
    home = tmp_path / "aegis-home"
    home.mkdir()
    monkeypatch.setenv("AEGIS_HOME", str(home))
    monkeypatch.setenv("AEGIS_MODELS_DIR", str(home / "models"))
    get_settings.cache_clear()
    yield home
    get_settings.cache_clear()


@pytest.fixture
def settings(aegis_home: Path) -> Settings:
    return get_settings()


@pytest.fixture(scope="session")
def real_data_dir() -> Path:
    """``AEGIS_REAL_DATA_DIR`` (CI points it at ../shared/data).

    Skips when unset locally; fails when ``AEGIS_REQUIRE_REAL_DATA=1`` (CI) and it is missing.
    """
    raw = os.environ.get("AEGIS_REAL_DATA_DIR")
    required = os.environ.get("AEGIS_REQUIRE_REAL_DATA") == "1"
    if raw and Path(raw, "history").is_dir():
        return Path(raw)
    msg = f"real market data not found (AEGIS_REAL_DATA_DIR={raw!r})"
    if required:
        pytest.fail(msg)
    pytest.skip(msg)


SHARED_GROUPS: dict[str, str] = {
    "tests/integration/test_dags_pipeline.py": "airflow-dag-test",
    "tests/integration/test_dags_drills.py": "airflow-dag-test",
    "tests/integration/test_celery_e2e.py": "airflow-celery-stack",
    "tests/e2e/test_dashboard_browser.py": "airflow-celery-stack",
}
"""Modules that share one session resource (``tests/integration/airflow_harness.py``)."""
TRAINED_DEPLOYMENT = frozenset({"trained_deployment", "deployment_copy"})
"""The unit tier's session fixtures that train every model (``tests/unit/pipeline_fixtures.py``)."""


def xdist_group_of(relpath: str, fixturenames: set[str]) -> str:
    """The xdist group of a test: its shared resource's, else its module's."""
    if relpath in SHARED_GROUPS:
        return SHARED_GROUPS[relpath]
    if TRAINED_DEPLOYMENT & fixturenames:
        return "trained-deployment"
    return relpath


@pytest.hookimpl(tryfirst=True)  # before xdist reads the marks into the node ids
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not config.pluginmanager.hasplugin("xdist"):
        return
    root = config.rootpath
    for item in items:
        rel = Path(str(item.path)).relative_to(root).as_posix()
        group = xdist_group_of(rel, set(getattr(item, "fixturenames", ())))
        item.add_marker(pytest.mark.xdist_group(group))

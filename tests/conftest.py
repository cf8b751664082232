"""Shared fixtures: isolated settings per test and the real-data folder; xdist groups.

``make test`` runs the suite on two xdist workers (``-n 2 --dist loadscope``). Each test module
is one work unit, or part of the unit of the shared resource it uses (:func:`xdist_group_of`),
so that what shares an expensive session resource runs in one worker and sets it up once: the
``dag.test()`` modules share one migrated Airflow database and one trained store, the Celery
modules one running Airflow stack, and the modules of the trained deployment one training.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from aegis.config import Settings, get_settings


@pytest.fixture(autouse=True)
def fresh_settings() -> Iterator[None]:
    """Every test reads the settings of its own environment: the process-wide cache
    (:func:`aegis.config.get_settings`) is cleared before and after it, so no test sees what
    an earlier one's environment left cached (a test's outcome never depends on the order)."""
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


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
TRAINED_DEPLOYMENT = re.compile(r"\b(trained_deployment|deployment_copy)\b")
"""The session fixtures that train every model (``tests/unit/pipeline_fixtures.py``)."""
HEAVY_FIRST: tuple[str, ...] = ("airflow-dag-test", "airflow-celery-stack",
                                "trained-deployment")
"""Groups handed out before the rest (longest first), so no worker is left with one at the end."""


def xdist_group_of(module: str, root: Path) -> str:
    """The xdist work unit of test module ``module`` (path relative to ``root``): the shared
    resource it uses, else the module itself (so module fixtures are set up once)."""
    if module in SHARED_GROUPS:
        return SHARED_GROUPS[module]
    path = root / module
    if (module.startswith("tests/") and path.name != "pipeline_fixtures.py" and path.is_file()
            and TRAINED_DEPLOYMENT.search(path.read_text(encoding="utf-8"))):
        return "trained-deployment"
    return module


@pytest.hookimpl(tryfirst=True, optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """``--dist loadscope`` with the scope of :func:`xdist_group_of` (``make test``).

    xdist's own ``loadgroup`` cannot serve: it renames node ids, which pytest 9 ignores.
    """
    if config.getvalue("dist") != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    root = config.rootpath
    cache: dict[str, str] = {}

    class SharedResourceScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            if module not in cache:
                cache[module] = xdist_group_of(module, root)
            return cache[module]

        def _assign_work_unit(self, node: Any) -> None:
            order = list(self.workqueue)
            scope = min(order, key=lambda s: (HEAVY_FIRST.index(s) if s in HEAVY_FIRST
                                              else len(HEAVY_FIRST), order.index(s)))
            work_unit = self.workqueue.pop(scope)
            self.assigned_work.setdefault(node, {})[scope] = work_unit
            collection = self.registered_collections[node]
            node.send_runtest_some([collection.index(nodeid)
                                    for nodeid, done in work_unit.items() if not done])

    return SharedResourceScheduling(config, log)

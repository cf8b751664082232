"""The unit tier's split: ``make test-fast`` runs ``-m "not slow"``; ``make test`` runs all.

A test that builds or copies the trained deployment (``tests/unit/pipeline_fixtures.py``: the
session fixture trains every model, about a minute) is ``slow`` whatever its module says, so a
new test that asks for the deployment cannot slip into the fast tier. Modules that train,
backtest or spawn interpreters carry ``pytestmark = pytest.mark.slow`` themselves.
"""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).parent
DEPLOYMENT_FIXTURES = frozenset({"trained_deployment", "deployment_copy"})
"""Fixtures of :mod:`tests.unit.pipeline_fixtures` that train (once per session)."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if not Path(str(item.path)).is_relative_to(HERE):
            continue
        if DEPLOYMENT_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)

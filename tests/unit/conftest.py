"""The unit tier's split: ``make test-fast`` runs ``-m "not slow"``; ``make test`` runs all.

A module that trains, backtests, runs the stages or spawns interpreters says so with
``pytestmark = pytest.mark.slow``. Two hooks keep the fast tier fast and honest:

- a test that asks for the trained deployment (``tests/unit/pipeline_fixtures.py``: the session
  fixture trains every model, about a minute) is ``slow`` whatever its module says, so a new
  test using it cannot slip into the fast tier;
- under exactly ``-m "not slow"`` a module whose source declares a module-wide ``slow`` mark is
  not imported at all: every one of its tests would be deselected anyway, and importing them
  (torch, sklearn, Airflow) was a fifth of the fast tier's wall time.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

HERE = Path(__file__).parent
DEPLOYMENT_FIXTURES = frozenset({"trained_deployment", "deployment_copy"})
"""Fixtures of :mod:`tests.unit.pipeline_fixtures` that train (once per session)."""
FAST_MARKEXPR = "not slow"
"""The ``-m`` expression of ``make test-fast`` (Makefile)."""
SLOW_MODULE = re.compile(r"^pytestmark = .*\bpytest\.mark\.slow\b", re.MULTILINE)
"""A module-level ``slow`` mark (alone or in a list), read from the source without importing."""


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """Skip importing a wholly-slow test module when only non-slow tests are selected."""
    if config.getoption("markexpr") != FAST_MARKEXPR:
        return None
    if collection_path.suffix != ".py" or not collection_path.name.startswith("test_"):
        return None
    source = collection_path.read_text(encoding="utf-8")
    return True if SLOW_MODULE.search(source) else None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if not Path(str(item.path)).is_relative_to(HERE):
            continue
        if DEPLOYMENT_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)

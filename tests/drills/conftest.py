"""Drills (issue 12): every hostile probe re-run; each asserts nothing was lost.

Marked ``drills`` (and ``slow``): part of ``make test``, not of ``make test-fast``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if Path(str(item.fspath)).is_relative_to(HERE):
            item.add_marker(pytest.mark.drills)
            item.add_marker(pytest.mark.slow)

"""Shared fixtures: isolated settings per test and the real-data folder."""

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

"""pyproject's package list is the tree: every ``aegis`` package on disk is in the wheel, and the
suites' single home (the top-level ``expectations/``) is installed as ``aegis.expectations``."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_package_on_disk_is_listed_and_the_suites_are_mapped() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]
    listed = set(config["setuptools"]["packages"])
    on_disk = {".".join(p.parent.relative_to(ROOT).parts)
               for p in (ROOT / "aegis").rglob("__init__.py")}
    assert on_disk | {"aegis.expectations"} == listed, (
        "add new aegis packages to [tool.setuptools] packages in pyproject.toml")
    assert config["setuptools"]["package-dir"] == {"aegis.expectations": "expectations"}
    assert config["setuptools"]["package-data"]["aegis.expectations"] == ["*.json"]

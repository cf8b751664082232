"""The house's arrows point down: no module of ``aegis/`` imports a layer above its own.

Read from the source (every ``import``, including those inside functions), so a lazy import
that runs back up is caught as surely as a top-level one. ``docs/ARCHITECTURE.md`` draws the
same order.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

AEGIS = Path(__file__).resolve().parents[2] / "aegis"

#: Lowest first. A package may import its own modules and any package listed before it.
LAYERS: tuple[str, ...] = (
    "errors", "atomic", "jsonfile", "params", "config",  # foundation
    "analytics", "market",                    # pure formulas; sources -> canonical frames
    "features", "validation",                 # pure features; the GX gate
    "models", "rates", "ledger", "registry",  # estimators and gate; rates; scoring; the store
    "snapshot",                               # the published contract
    "pipeline",                               # the stages: load -> pure core -> write
    "demo", "commands", "cli",                # entry points
)
RANK = {name: i for i, name in enumerate(LAYERS)}


def layer_of(module_path: Path, root: Path = AEGIS) -> str:
    """``aegis/models/gate.py`` -> ``models``; ``aegis/config.py`` -> ``config``."""
    rel = module_path.relative_to(root).with_suffix("")
    return rel.parts[0]


def aegis_imports(source: str) -> list[tuple[int, str]]:
    """(line, top-level aegis package) of every absolute ``aegis.X`` import in ``source``."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
            if node.module == "aegis":  # ``from aegis import config``
                names = [f"aegis.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        found += [(node.lineno, n.split(".")[1]) for n in names
                  if n.startswith("aegis.") and n.split(".")[1] != "__version__"]
    return found


def upward_imports(root: Path = AEGIS) -> list[str]:
    """``file:line imports <higher layer>`` for every arrow that runs back up."""
    problems = []
    for path in sorted(root.rglob("*.py")):
        if path.parent == root and path.name == "__init__.py":
            continue
        own = layer_of(path, root)
        for line, target in aegis_imports(path.read_text(encoding="utf-8")):
            if target == own:
                continue
            if target not in RANK:
                problems.append(f"{path}:{line} imports aegis.{target}, which has no layer")
            elif own not in RANK:
                problems.append(f"{path}: package {own!r} has no layer in LAYERS")
            elif RANK[target] > RANK[own]:
                problems.append(f"{path}:{line} ({own}) imports aegis.{target}, a layer above")
    return problems


def test_every_package_has_a_layer() -> None:
    packages = {p.name for p in AEGIS.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    modules = {p.stem for p in AEGIS.glob("*.py") if p.name != "__init__.py"}
    assert sorted((packages | modules) - set(LAYERS)) == []


def test_no_module_imports_a_layer_above_it() -> None:
    assert upward_imports() == []


@pytest.mark.parametrize(("code", "expected"), [
    ("from aegis.registry.defender import defending_champion", ["registry"]),
    ("def f():\n    import aegis.pipeline.data\n", ["pipeline"]),
    ("from aegis import config, errors", ["config", "errors"]),
    ("from . import sibling\nimport numpy", []),
])
def test_the_probe_reads_lazy_and_relative_imports(code: str, expected: list[str]) -> None:
    assert [target for _, target in aegis_imports(code)] == expected


def test_the_check_fails_on_an_arrow_that_runs_back_up(tmp_path: Path) -> None:
    fake = tmp_path / "aegis"
    (fake / "models").mkdir(parents=True)
    (fake / "models" / "gate.py").write_text(
        "def champion():\n    from aegis.registry import defender\n", encoding="utf-8")
    assert upward_imports(fake) == [
        f"{fake / 'models' / 'gate.py'}:2 (models) imports aegis.registry, a layer above"]

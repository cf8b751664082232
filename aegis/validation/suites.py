"""The expectation suites in the top-level ``expectations/*.json``: where they live, how they load.

Each file is an ``ExpectationSuite`` in Great Expectations 1.x JSON form (``name``,
``expectations: [{type, kwargs, meta, notes}]``, ``suite_parameters``, ``meta``, ``notes``), as
``ExpectationSuite.to_json_dict()`` writes it and ``ExpectationSuite(**d)`` reads it.
GX 1.x logs and *drops* an expectation it cannot build; :func:`build_suite` refuses instead.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aegis.errors import SuiteDefinitionError

if TYPE_CHECKING:  # pragma: no cover - typing only; GX is imported inside functions
    from great_expectations.core.expectation_suite import ExpectationSuite

SUITE_NAMES: tuple[str, ...] = (
    "nifty_daily",
    "vix_daily",
    "intraday_bars",
    "option_chain",
    "features",
)


def default_expectations_dir() -> Path:
    """The top-level ``expectations/`` folder, installed as the package ``aegis.expectations``.

    Its single home is ``expectations/`` at the repository root (where a GX user looks); the
    wheel carries it as package data (``site-packages/aegis/expectations/``) and the editable
    install maps the package onto the folder, so an image, a KubernetesExecutor pod and a dev
    checkout all resolve it here without the source tree or a copy.
    """
    from importlib import resources

    return Path(str(resources.files("aegis.expectations")))


def suite_path(name: str, directory: Path | None = None) -> Path:
    """Path of suite ``name``'s JSON file."""
    return (directory or default_expectations_dir()) / f"{name}.json"


def load_suite_dict(name: str, directory: Path | None = None) -> dict[str, Any]:
    """Read suite ``name`` as a plain dict, checking its shape.

    Raises
    ------
    SuiteDefinitionError
        The file is missing, not JSON, or not a suite named ``name`` with expectations.
    """
    path = suite_path(name, directory)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise SuiteDefinitionError(f"{path}: expected the {name!r} suite file; not found") from exc
    except json.JSONDecodeError as exc:
        raise SuiteDefinitionError(
            f"{path}: expected JSON; line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from exc
    if not isinstance(raw, dict) or raw.get("name") != name:
        found = raw.get("name") if isinstance(raw, dict) else type(raw).__name__
        raise SuiteDefinitionError(
            f"{path}: expected a suite object named {name!r}; found {found!r}"
        )
    expectations = raw.get("expectations")
    if not isinstance(expectations, list) or not expectations:
        raise SuiteDefinitionError(f"{path}: expected a non-empty 'expectations' list")
    for i, exp in enumerate(expectations):
        if not isinstance(exp, dict) or not isinstance(exp.get("type"), str):
            raise SuiteDefinitionError(
                f"{path}: expectation #{i}: expected an object with a string 'type'; found {exp!r}"
            )
    return raw


def build_suite(name: str, directory: Path | None = None) -> ExpectationSuite:
    """Suite ``name`` as a GX ``ExpectationSuite`` (not yet added to a context).

    Each expectation is built one by one so that a bad one raises (GX's own constructor would
    log it and drop it, and the gate would quietly check less).
    """
    from great_expectations.core.expectation_suite import ExpectationSuite
    from great_expectations.exceptions import GreatExpectationsError
    from great_expectations.expectations.expectation_configuration import (
        ExpectationConfiguration,
    )

    raw = load_suite_dict(name, directory)
    path = suite_path(name, directory)
    expectations = []
    for i, exp in enumerate(raw["expectations"]):
        try:
            config = ExpectationConfiguration(**exp)
            expectations.append(config.to_domain_obj())
        except (GreatExpectationsError, TypeError, ValueError) as exc:
            raise SuiteDefinitionError(
                f"{path}: expectation #{i} ({exp.get('type')}): GX cannot build it: {exc}"
            ) from exc
    return ExpectationSuite(
        name=name,
        expectations=expectations,
        suite_parameters=raw.get("suite_parameters") or {},
        meta=raw.get("meta") or {},
        notes=raw.get("notes"),
    )


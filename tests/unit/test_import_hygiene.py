"""Import hygiene: the inference path and ``aegis --help`` stay light.

DESIGN.md: the inference path imports onnxruntime and numpy/pandas -- not scikit-learn, torch or
Great Expectations -- and ``aegis/`` never imports Airflow. The CLI's command modules import only
typer and the standard library at top level, so ``aegis --help`` loads no data library at all.
Each check runs in a clean interpreter (a subprocess), since this test process has imported
everything already.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

# slow: each check runs in a fresh interpreter (a subprocess); make test runs it
pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]

#: Never on the inference path (training, validation, orchestration, model export, plotting).
FORBIDDEN_FOR_INFERENCE = ("sklearn", "torch", "great_expectations", "airflow", "dvc",
                           "skl2onnx", "matplotlib", "pydantic_settings")
#: Not even loaded by ``aegis --help``: the data and model-serving libraries as well.
FORBIDDEN_FOR_HELP = FORBIDDEN_FOR_INFERENCE + ("pandas", "numpy", "pyarrow", "scipy",
                                                "onnxruntime", "pydantic", "pydantic_settings",
                                                "exchange_calendars")
INFERENCE_PATH = ("aegis.pipeline.inference", "aegis.registry.artifacts", "aegis.models.inputs",
                  "aegis.snapshot", "aegis.cli")


def loaded_after(code: str, watch: tuple[str, ...]) -> list[str]:
    """Which of the top-level packages ``watch`` a fresh interpreter holds after ``code``."""
    probe = (f"{code}\nimport json, sys\n"
             f"print(json.dumps(sorted(m for m in {list(watch)!r} if m in sys.modules)))")
    proc = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True,
                          text=True, check=False, timeout=120)
    assert proc.returncode == 0, f"the probe failed: {proc.stderr[-2000:]}"
    return list(json.loads(proc.stdout.strip().splitlines()[-1]))


def test_probe_sees_an_imported_package() -> None:
    # the probe itself must be able to fail: an explicit import shows up
    assert loaded_after("import sklearn", ("sklearn", "torch")) == ["sklearn"]


def test_inference_path_imports_no_training_or_orchestration_library() -> None:
    code = "\n".join(f"import {m}" for m in INFERENCE_PATH)
    assert loaded_after(code, FORBIDDEN_FOR_INFERENCE) == []


@pytest.mark.parametrize("module", INFERENCE_PATH)
def test_each_inference_module_alone_stays_light(module: str) -> None:
    assert loaded_after(f"import {module}", FORBIDDEN_FOR_INFERENCE) == []


def test_aegis_help_imports_no_data_library() -> None:
    code = ("import sys\nfrom aegis.cli import app\n"
            "try:\n    app(['--help'])\nexcept SystemExit as exc:\n"
            "    assert exc.code == 0, exc.code\n")
    assert loaded_after(code, FORBIDDEN_FOR_HELP) == []


def test_every_command_module_imports_only_typer_and_stdlib() -> None:
    import pkgutil

    import aegis.commands

    names = [f"aegis.commands.{m.name}" for m in pkgutil.iter_modules(aegis.commands.__path__)]
    assert "aegis.commands.infer" in names
    code = "\n".join(f"import {n}" for n in names)
    assert loaded_after(code, FORBIDDEN_FOR_HELP) == []


def test_the_snapshot_path_loads_no_scipy_exchange_calendar_or_typer() -> None:
    # issue 23: scipy.special (0.25 s), typer (0.16 s) and exchange_calendars (0.2 s) were paid
    # by every `aegis infer` process; the snapshot needs none of them
    code = ("import aegis.pipeline.inference\nimport aegis.pipeline.market_now\n"
            "import aegis.features.moment\nimport aegis.analytics as a\n"
            "from aegis.market.calendar import expiry_determination, sessions\n"
            "expiry_determination('2024-06-14'); sessions('2024-01-01', '2024-12-31')\n"
            "a.touch_probability(100.0, 105.0, 0.2, 5.0)\n"
            "a.close_beyond_probability(100.0, 95.0, 0.2, 5.0)\n"
            "from aegis import cli\nassert cli.fast_infer_args(['infer', '--no-table'])\n")
    assert loaded_after(code, ("scipy", "exchange_calendars", "typer")) == []

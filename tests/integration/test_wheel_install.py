"""The built wheel is self-contained: installed into a fresh venv, it validates market frames
with the GX suites it carries (no source tree, no bind mount).

What this proves, and what it does not. The wheel is built from a copy of the package sources
(``aegis/`` and the top-level ``expectations/``, ``pip wheel --no-deps``) and its file list is
checked for the suites, the snapshot schema and the NSE holiday file. A venv is created
**without** ``--system-site-packages``; into it go the wheel (``--no-deps``) and only the
validation stack (great-expectations, pandas, numpy, pyarrow, pydantic, pydantic-settings,
exchange-calendars; scipy comes with GX), from the package index
at the project's pins (``constraints.txt``). The full dependency set (torch, Airflow, DVC) is not
installed: that is the Docker image's job, and too heavy for a test. A script then runs from an
empty directory, asserts that ``aegis`` and its suites resolve inside that venv, and validates a
simulated NIFTY / India VIX history -- once clean (passes), once with a broken row (fails,
naming the expectation).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]
VALIDATION_STACK = ("great-expectations", "pandas", "numpy", "pyarrow", "pydantic",
                    "pydantic-settings", "exchange-calendars")

SCRIPT = r'''
import json, sys
from pathlib import Path
import aegis
from aegis.market.calendar import holiday_file
from aegis.market.sources.simulator import simulate
from aegis.validation import validate_frames
from aegis.validation.suites import default_expectations_dir

venv = Path(sys.prefix).resolve()
market = simulate(seed=3, years=2, end="2024-06-14")
clean = validate_frames({"nifty_daily": market.nifty, "vix_daily": market.vix})
broken = market.nifty.copy()
broken.iloc[5, broken.columns.get_loc("high")] = broken["low"].iloc[5] - 100.0
bad = validate_frames({"nifty_daily": broken})
print("RESULT " + json.dumps({
    "aegis": str(Path(aegis.__file__).resolve()),
    "suites": str(default_expectations_dir().resolve()),
    "holidays": str(holiday_file().path.resolve()),
    "venv": str(venv),
    "clean": clean.success,
    "evaluated": sum(s.statistics.evaluated_expectations for s in clean.suites),
    "broken": bad.success,
    "failures": bad.describe_failures(),
}))
'''


def _build_wheel(tmp: Path) -> Path:
    src = tmp / "src"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for folder in ("aegis", "expectations"):  # the Dockerfile copies the same two folders
        shutil.copytree(ROOT / folder, src / folder, ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    dist = tmp / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
                    "--no-build-isolation", "-w", str(dist), str(src)], check=True)
    (wheel,) = dist.glob("aegismatrix-*.whl")
    return wheel


def test_the_wheel_carries_its_data_and_validates_in_a_fresh_venv(tmp_path: Path) -> None:
    wheel = _build_wheel(tmp_path)
    names = set(zipfile.ZipFile(wheel).namelist())
    suites = {n for n in names if n.startswith("aegis/expectations/")}
    # the top-level expectations/ folder, installed as package data of aegis.expectations
    assert {f"aegis/expectations/{s}.json" for s in (
        "nifty_daily", "vix_daily", "features", "intraday_bars", "option_chain")} <= suites
    assert not any(n.startswith("aegis/validation/expectations/") for n in names)
    assert "aegis/snapshot/schema.json" in names
    assert "aegis/market/nse_holidays.csv" in names

    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True, system_site_packages=False).create(env_dir)
    python = env_dir / "bin" / "python"
    no_system = subprocess.run([str(python), "-c", "import torch"], capture_output=True)
    assert no_system.returncode != 0, "the venv sees the shared site-packages"
    pip = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    subprocess.run([*pip, "-c", str(ROOT / "constraints.txt"), *VALIDATION_STACK], check=True)
    subprocess.run([*pip, "--no-deps", str(wheel)], check=True)

    workdir = tmp_path / "elsewhere"
    workdir.mkdir()
    done = subprocess.run([str(python), "-c", SCRIPT], cwd=workdir, capture_output=True,
                          text=True, env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
                          check=False)
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("RESULT ")), None)
    assert line is not None, done.stderr[-4000:]
    got = json.loads(line.removeprefix("RESULT "))
    site = str(env_dir.resolve())
    for key in ("aegis", "suites", "holidays"):
        assert got[key].startswith(site), f"{key} resolved outside the fresh venv: {got[key]}"
    assert got["clean"] is True
    assert got["evaluated"] >= 20
    assert got["broken"] is False
    assert "nifty_daily" in got["failures"]

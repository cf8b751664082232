"""``aegis infer`` is parsed without typer on its valid forms, exactly as typer parses them;
anything else goes through typer."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from aegis import cli

VALID = [
    ["infer"],
    ["infer", "--json", "out.json"],
    ["infer", "--json=out.json", "--no-table"],
    ["infer", "--no-table", "--json", "a.json", "--table"],
    ["infer", "--json", "a.json", "--json", "b.json"],
]
OTHER = [[], ["--help"], ["infer", "--help"], ["infer", "--jsn", "x"], ["infer", "--json"],
         ["infer", "--json", "-"], ["infer", "extra"], ["models", "list"]]


@pytest.mark.parametrize("argv", VALID)
def test_the_fast_parser_reads_what_typer_reads(argv: list[str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[Any, ...]] = []
    monkeypatch.setattr("aegis.commands.publish.publish", lambda *a: seen.append(a))
    result = CliRunner().invoke(cli.app, argv)
    assert result.exit_code == 0, result.output
    assert cli.fast_infer_args(argv) == seen[0]


@pytest.mark.parametrize("argv", OTHER)
def test_anything_else_goes_to_typer(argv: list[str]) -> None:
    assert cli.fast_infer_args(argv) is None


def test_the_fast_path_imports_no_typer(tmp_path: Path) -> None:
    code = ("import sys\nfrom aegis import cli\nimport aegis.commands.publish as p\n"
            "p.publish = lambda *a: print('ARGS', a)\nsys.argv = ['aegis', 'infer', '--json', "
            "'o.json', '--no-table']\ncli.main()\nprint('typer' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=True, cwd=tmp_path)
    assert done.stdout.splitlines() == ["ARGS (PosixPath('o.json'), False)", "False"]


def test_an_error_on_the_fast_path_is_one_line_and_exit_2(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from aegis.errors import SnapshotError

    def refuse(*_: Any) -> None:
        raise SnapshotError("the validated feature table is empty")

    monkeypatch.setattr("aegis.commands.publish.publish", refuse)
    monkeypatch.setattr(sys, "argv", ["aegis", "infer", "--no-table"])
    with pytest.raises(SystemExit) as stop:
        cli.main()
    assert stop.value.code == 2
    assert capsys.readouterr().err == "aegis: error: the validated feature table is empty\n"


PLUGIN_PROBE = ("import importlib.metadata as md\nscans = []\nfind = md.entry_points\n"
                "def spy(**kw):\n"
                "    scans.append(kw.get('group'))\n"
                "    return find(**kw)\n"
                "md.entry_points = spy\n"
                "import sys\nfrom aegis import cli\nimport aegis.commands.publish as p\n"
                "def run(*a):\n"
                "    from pydantic import BaseModel\n"
                "    class M(BaseModel):\n"
                "        x: int\n"
                "    print('SCANNED', 'pydantic' in scans)\n"
                "p.publish = run\nsys.argv = ['aegis', 'infer', '--no-table']\ncli.main()\n")


@pytest.mark.parametrize(("chosen", "scanned"), [(None, False), ("", True)])
def test_the_fast_path_skips_pydantic_plugin_discovery_unless_the_operator_chose(
        tmp_path: Path, chosen: str | None, scanned: bool) -> None:
    import os

    env = {k: v for k, v in os.environ.items() if k != cli.PYDANTIC_PLUGINS_VARIABLE}
    if chosen is not None:
        env[cli.PYDANTIC_PLUGINS_VARIABLE] = chosen
    done = subprocess.run([sys.executable, "-c", PLUGIN_PROBE], capture_output=True, text=True,
                          timeout=120, check=True, cwd=tmp_path, env=env)
    assert done.stdout.splitlines() == [f"SCANNED {scanned}"]


def test_the_console_script_ends_a_publish_without_teardown_yet_loses_nothing(
        tmp_path: Path) -> None:
    """After a successful publish the process ends at once (``os._exit``), but what it printed
    (buffered, not a terminal) arrives and the ``atexit`` handlers (logging's flush) ran."""
    code = ("import atexit, sys\nfrom pathlib import Path\nfrom aegis import cli\n"
            "import aegis.commands.publish as p\n"
            "p.publish = lambda *a: print('published', a[0])\n"
            "atexit.register(lambda: Path('atexit-ran').write_text('yes'))\n"
            "class Loud:\n    def __del__(self):\n        print('torn down')\n"
            "keep = Loud()\n"
            "sys.argv = ['aegis', 'infer', '--json', 'o.json', '--no-table']\ncli.console()\n"
            "print('after console')\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=False, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["published o.json"]  # no teardown, nothing after
    assert (tmp_path / "atexit-ran").read_text() == "yes"


def test_the_console_script_keeps_the_normal_exit_for_other_commands(tmp_path: Path) -> None:
    code = ("import sys\nfrom aegis import cli\n"
            "class Loud:\n    def __del__(self):\n        print('torn down')\n"
            "keep = Loud()\nsys.argv = ['aegis', 'calendar', '--help']\ncli.console()\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=False, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "torn down"


@pytest.mark.parametrize(("argv", "enabled"), [
    (["aegis", "infer", "--json", "o.json", "--no-table"], False),
    (["aegis", "infer", "--since", "x"], True),  # not the fast path: typer parses (and refuses)
])
def test_only_the_console_publish_runs_without_the_cyclic_collector(
        tmp_path: Path, argv: list[str], enabled: bool) -> None:
    """The 30-minute publish turns the cyclic collector off for its short process; any other
    command (and an in-process ``main()``) keeps it."""
    code = ("import gc, sys\nfrom aegis import cli\nimport aegis.commands.publish as p\n"
            "p.publish = lambda *a: print('GC', gc.isenabled())\n"
            "cli.build_app = lambda: (lambda: print('GC', gc.isenabled()))\n"
            "cli.main()\nprint('MAIN', gc.isenabled())\n"
            f"sys.argv = {argv!r}\ncli.console()\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=False, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[-1] == f"GC {enabled}"
    assert "MAIN True" in lines

"""The ``aegis`` command: one sub-command per pipeline stage.

Sub-command modules live in :mod:`aegis.commands` and import heavy libraries inside their
functions, so ``aegis --help`` stays fast. Any :class:`~aegis.errors.AegisError` escaping a
command becomes one line on stderr and exit status 2; an I/O error (``OSError``: a full disk, a
read-only or missing folder, a permission) becomes one line naming the file and the cause, exit
status 2 too, never a traceback.

The 30-minute publish, ``aegis infer [--json OUT] [--table/--no-table]``, is parsed without
typer (:func:`fast_infer_args`; ``import typer`` and building the command tree cost ~0.15 s of
a process whose floor is its numeric imports); any other form of it (``--help``, a typo) goes
through typer like every other command, so the two parsers never disagree on a valid line
(``tests/unit/test_cli_fast_path.py``).
"""

from __future__ import annotations

import sys
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from aegis.errors import AegisError

if TYPE_CHECKING:
    import typer


@lru_cache(maxsize=1)
def build_app() -> typer.Typer:
    """The typer command tree (built on first use: ``aegis.cli.app``)."""
    import typer

    from aegis.commands import (
        backtest,
        calendar,
        data,
        doctor,
        infer,
        models,
        pipeline,
        validate,
    )
    from aegis.commands._multi import MULTI_VALUE_CONTEXT

    app = typer.Typer(
        name="aegis",
        help="AegisMatrix: NIFTY 50 weekly-options analytics.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        add_completion=False,
    )
    app.add_typer(data.app, name="data", help="Inspect, ingest, simulate and show market data.")
    app.add_typer(models.app, name="models",
                  help="List, verify, push, pull and roll back models.")
    app.add_typer(calendar.app, name="calendar",
                  help="The NSE calendar: weekly expiries, span check.")
    app.command("validate", context_settings=MULTI_VALUE_CONTEXT)(validate.validate)
    app.command("backtest", context_settings=MULTI_VALUE_CONTEXT)(backtest.backtest)
    app.command("infer")(infer.infer)
    app.command("train")(models.train)
    app.command("doctor")(doctor.doctor)
    pipeline.register(app)
    return app


def __getattr__(name: str) -> Any:
    """``aegis.cli.app``: the typer app, built lazily (tests drive it with CliRunner)."""
    if name == "app":
        return build_app()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def fast_infer_args(argv: list[str]) -> tuple[Path | None, bool] | None:
    """``(json_out, table)`` when ``argv`` is exactly ``infer`` with ``--json OUT`` /
    ``--json=OUT`` and ``--table`` / ``--no-table`` (each at most the last one wins, as in
    typer); ``None`` for anything else, which typer then parses (help, errors, other commands).
    """
    if not argv or argv[0] != "infer":
        return None
    json_out: Path | None = None
    table = True
    rest = argv[1:]
    i = 0
    while i < len(rest):
        arg = rest[i]
        if arg == "--json" and i + 1 < len(rest) and not rest[i + 1].startswith("-"):
            json_out, i = Path(rest[i + 1]), i + 2
        elif arg.startswith("--json=") and len(arg) > len("--json="):
            json_out, i = Path(arg.removeprefix("--json=")), i + 1
        elif arg in ("--table", "--no-table"):
            table, i = arg == "--table", i + 1
        else:
            return None
    return json_out, table


PYDANTIC_PLUGINS_VARIABLE = "PYDANTIC_DISABLE_PLUGINS"
"""pydantic's own switch for its plugin discovery (``__all__`` turns it off)."""


def without_pydantic_plugins() -> None:
    """Turn off pydantic's plugin discovery for this process unless the operator chose.

    AegisMatrix uses no pydantic plugin, and discovering them scans the entry points of every
    installed distribution (~300 here) when the first model class is built: 20-30 ms of CPU, a
    tenth of what ``aegis infer`` spends above its import floor. An operator who wants a
    plugin (an observability one, say) sets ``PYDANTIC_DISABLE_PLUGINS`` to anything, the
    empty string included, and that value is kept.
    """
    import os

    os.environ.setdefault(PYDANTIC_PLUGINS_VARIABLE, "__all__")


def main() -> None:
    """Console-script entry point."""
    fast = fast_infer_args(sys.argv[1:])
    try:
        if fast is not None:
            without_pydantic_plugins()
            from aegis.commands.publish import publish

            publish(*fast)
        else:
            build_app()()
    except AegisError as exc:
        print(f"aegis: error: {' '.join(str(exc).split())}", file=sys.stderr)
        sys.exit(2)
    except OSError as exc:
        print(f"aegis: error: {io_error_line(exc)}", file=sys.stderr)
        sys.exit(2)


def console() -> None:
    """The ``aegis`` console script (and ``python -m aegis.cli``): :func:`main`, then, after a
    successful 30-minute publish, :func:`hard_exit`. Kept apart from :func:`main` so an
    in-process caller (a test) gets its interpreter back.

    The 30-minute publish runs with Python's cyclic garbage collector off
    (:func:`gc.disable`; reference counting still frees everything else): a publish is one
    short process (~0.6 s) that imports ~800 modules and builds ~60 pydantic models, and the
    collector's passes over those long-lived objects found nothing to free yet cost ~40 ms
    (~8 %) of it. Measured peak memory: +0.6 MB (177.0 MB with the collector on, 177.6 off)
    (``benchmarks/bench_infer.py``: ``vs_import_floor.infer_peak_rss_mb`` against its
    ``with_collector_on``). mypy raises the collector's thresholds for the same reason."""
    fast = fast_infer_args(sys.argv[1:]) is not None
    if fast:
        import gc

        gc.disable()
    main()
    if fast:
        hard_exit(0)


def hard_exit(status: int) -> NoReturn:
    """End the process now, skipping the interpreter's teardown (as mypy's ``hard_exit``).

    Tearing down frees the ~800 modules and the ONNX sessions of a publish one by one: ~0.1 s
    of a ~0.7 s process, for memory the operating system takes back at once anyway. Nothing is
    lost: every file the publish wrote is already complete and in place (atomic writes: fsync,
    then rename), the ``atexit`` handlers still run (logging flushes its handlers, filelock
    releases what it holds), then stdout and stderr are flushed.
    """
    import atexit
    import os

    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


def io_error_line(exc: OSError) -> str:
    """``<file>: <cause>`` of an I/O error (both files of a failed rename)."""
    where = " -> ".join(str(f) for f in (exc.filename, exc.filename2) if f is not None)
    cause = exc.strerror or " ".join(str(exc).split()) or type(exc).__name__
    return f"{where or 'I/O'}: {cause} (I/O error)"


if __name__ == "__main__":
    console()

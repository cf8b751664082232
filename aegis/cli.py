"""The ``aegis`` command: one sub-command per pipeline stage.

Sub-command modules live in :mod:`aegis.commands` and import heavy libraries inside their
functions, so ``aegis --help`` stays fast. Any :class:`~aegis.errors.AegisError` escaping a
command becomes one line on stderr and exit status 2; an I/O error (``OSError``: a full disk, a
read-only or missing folder, a permission) becomes one line naming the file and the cause, exit
status 2 too, never a traceback.
"""

from __future__ import annotations

import sys

import typer

from aegis.commands import backtest, calendar, data, infer, models, pipeline, validate
from aegis.commands._multi import MULTI_VALUE_CONTEXT
from aegis.errors import AegisError

app = typer.Typer(
    name="aegis",
    help="AegisMatrix: NIFTY 50 weekly-options analytics.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(data.app, name="data", help="Inspect, ingest, simulate and show market data.")
app.add_typer(models.app, name="models", help="List, verify, push, pull and roll back models.")
app.add_typer(calendar.app, name="calendar", help="The NSE calendar: weekly expiries, span check.")
app.command("validate", context_settings=MULTI_VALUE_CONTEXT)(validate.validate)
app.command("backtest", context_settings=MULTI_VALUE_CONTEXT)(backtest.backtest)
app.command("infer")(infer.infer)
app.command("train")(models.train)
pipeline.register(app)


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except AegisError as exc:
        typer.echo(f"aegis: error: {' '.join(str(exc).split())}", err=True)
        sys.exit(2)
    except OSError as exc:
        typer.echo(f"aegis: error: {io_error_line(exc)}", err=True)
        sys.exit(2)


def io_error_line(exc: OSError) -> str:
    """``<file>: <cause>`` of an I/O error (both files of a failed rename)."""
    where = " -> ".join(str(f) for f in (exc.filename, exc.filename2) if f is not None)
    cause = exc.strerror or " ".join(str(exc).split()) or type(exc).__name__
    return f"{where or 'I/O'}: {cause} (I/O error)"


if __name__ == "__main__":
    main()

"""The ``aegis`` command: one sub-command per pipeline stage.

Sub-command modules live in :mod:`aegis.commands` and import heavy libraries inside their
functions, so ``aegis --help`` stays fast. Any :class:`~aegis.errors.AegisError` escaping a
command becomes one line on stderr and exit status 2.
"""

from __future__ import annotations

import sys

import typer

from aegis.commands import backtest, calendar, data, doctor, infer, models, pipeline, validate
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
app.command("doctor")(doctor.doctor)
pipeline.register(app)


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except AegisError as exc:
        typer.echo(f"aegis: error: {exc}", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()

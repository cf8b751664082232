"""``aegis doctor``: check the whole installation; exit 1 naming each problem."""

from __future__ import annotations

import json
from typing import Annotated

import typer


def doctor(as_json: Annotated[bool, typer.Option("--json", help="one JSON document")] = False,
           ) -> None:
    """Check the market store, the champions, the calendar's span, Airflow, the model remote
    (S3) and the age of the last publish; exit 1 naming each problem."""
    from aegis.config import get_settings
    from aegis.pipeline.doctor import doctor as run
    from aegis.pipeline.doctor import report

    checks = run(get_settings())
    if as_json:
        typer.echo(json.dumps(report(checks), indent=2))
    else:
        for c in checks:
            mark = "skip" if c.skipped else ("ok" if c.ok else "FAIL")
            typer.echo(f"{mark:<5} {c.name:<13} {c.detail}", err=not c.ok)
    bad = [c.name for c in checks if not c.ok]
    if bad:
        typer.echo(f"aegis doctor: {len(bad)} problem{'s' if len(bad) > 1 else ''}: "
                   f"{', '.join(bad)}", err=True)
        raise typer.Exit(1)

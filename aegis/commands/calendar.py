"""``aegis calendar expiry DATE [--json]`` and ``aegis calendar check``: the NSE calendar's span.

``expiry`` prints the weekly expiry for DATE and how it was determined: from
``exchange_calendars``' XBOM calendar, from the operator's holiday file, or -- past the last day
the calendar knows -- an assumption, said so with the reason. ``check`` exits 1 when the next
``--days`` days (60) are not all known, so a cron job or the model-health DAG can nag the
operator to add next year's NSE holidays (``docs/operations.md``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from aegis.market.hours import ist_today

app = typer.Typer(no_args_is_help=True)

HolidaysOption = Annotated[
    Path | None,
    typer.Option("--holidays", help="holiday file to use instead of the packaged one"),
]
JsonFlag = Annotated[bool, typer.Option("--json", help="print one JSON object")]


def _use(holidays: Path | None) -> None:
    if holidays is not None:
        from aegis.market.calendar import use_holiday_file

        use_holiday_file(holidays)


@app.command("expiry")
def expiry(
    date: Annotated[str, typer.Argument(help="the day (YYYY-MM-DD)")],
    as_json: JsonFlag = False,
    strictly_after: Annotated[bool, typer.Option(
        "--after", help="the first expiry strictly after DATE (what a snapshot of DATE shows)")
    ] = False,
    holidays: HolidaysOption = None,
) -> None:
    """The weekly expiry for DATE (on or after it) and how it was determined."""
    from aegis.market.calendar import expiry_determination

    _use(holidays)
    info = expiry_determination(date, inclusive=not strictly_after)
    if as_json:
        typer.echo(json.dumps(info, indent=2))
        return
    typer.echo(f"{info['date']}: weekly expiry {info['expiry']} ({info['rule_weekday']} rule"
               f"{', moved back from ' + info['scheduled'] if info['moved_back'] else ''}); "
               f"from {info['calendar']}")
    if info["assumed"]:
        typer.echo(f"warning: {info['reason']}", err=True)


@app.command("check")
def check(
    today: Annotated[str | None, typer.Option(help="the day to check from (default: today, "
                                                   "Asia/Kolkata)")] = None,
    days: Annotated[int, typer.Option(min=1, help="how many days ahead must be known")] = 60,
    as_json: JsonFlag = False,
    holidays: HolidaysOption = None,
) -> None:
    """Exit 0 when the calendar knows the next DAYS days, 1 when it does not."""
    from aegis.market.calendar import calendar_coverage

    _use(holidays)
    day = today or ist_today().isoformat()
    info = calendar_coverage(day, days)
    if as_json:
        typer.echo(json.dumps(info, indent=2))
    else:
        verdict = "covered" if info["covered"] else "NOT covered"
        typer.echo(f"{info['today']} .. {info['until']}: {verdict}; the NSE calendar knows days "
                   f"up to {info['known_until']} ({info['days_left']} days left)")
    if not info["covered"]:
        typer.echo(f"aegis calendar: add the NSE holidays of the year after "
                   f"{info['known_until']} to {info['holiday_file']} and close it with a "
                   "year_complete row (docs/operations.md)", err=True)
        raise typer.Exit(1)

"""``aegis data simulate``: seeded NIFTY, India VIX, 1-minute bars and weekly chains.

Writes the simulated series into the market-data store (series ``nifty_daily``, ``vix_daily``,
``nifty_intraday``, ``vix_intraday``, ``option_chain``) or, with ``--out``, as CSV files in a
folder, then prints a summary. The market is cut at the moment (``Settings.now()``: the system
clock or ``AEGIS_CLOCK``): a session not closed by then has no daily bar, only its 1-minute
bars finished by then and a chain at the moment. Only typer and the standard library are
imported at module level.
"""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

import typer

#: CSV file written for each series with ``--out``.
CSV_FILES = {
    "nifty_daily": "nifty_daily.csv",
    "vix_daily": "indiavix_daily.csv",
    "nifty_intraday": "nifty_intraday_1min.csv",
    "vix_intraday": "indiavix_intraday_1min.csv",
    "option_chain": "nifty_option_chain.csv",
}


def _fail(message: str) -> typer.Exit:
    typer.echo(f"aegis: error: {' '.join(message.split())}", err=True)
    return typer.Exit(2)


def _parse_end(end: str | None) -> date | None:
    if end is None:
        return None
    try:
        return date.fromisoformat(end)
    except ValueError as exc:
        raise _fail(f"--end: expected an ISO date YYYY-MM-DD; found {end!r}") from exc


def simulate(
    seed: int = typer.Option(7, "--seed", help="Seed (>= 0); the same seed gives the same data."),
    years: float = typer.Option(12.0, "--years", help="Years of daily history (0 < Y <= 60)."),
    out: Path | None = typer.Option(
        None, "--out", help="Write CSV files into this folder instead of the store."
    ),
    json_out: bool = typer.Option(False, "--json", help="Print the summary as one JSON object."),
    intraday_sessions: int = typer.Option(
        20, "--intraday-sessions", help="Last sessions with 1-minute bars."
    ),
    chain_sessions: int = typer.Option(
        10, "--chain-sessions", help="Last sessions with a close snapshot of the weekly chain."
    ),
    end: str | None = typer.Option(
        None, "--end", help="Last day (YYYY-MM-DD); default today (IST), as far as it has "
        "happened."
    ),
) -> None:
    """Simulate NIFTY-like daily and 1-minute bars, India VIX and weekly option chains."""
    from aegis.config import get_settings
    from aegis.errors import AegisError
    from aegis.market.sources.simulator import simulate as run_simulation

    last_day = _parse_end(end)
    now = get_settings().now()
    try:
        market = run_simulation(
            seed,
            years,
            end=last_day,
            now=now,
            intraday_sessions=intraday_sessions,
            chain_sessions=chain_sessions,
        )
        series = market.series()
        if out is None:
            destination, rows = _to_store(series, now)
        else:
            destination, rows = str(out), _to_csv(series, out)
    except AegisError as exc:
        raise _fail(str(exc)) from exc
    except OSError as exc:
        raise _fail(f"{exc.filename or out}: could not write ({exc.strerror})") from exc
    report = {
        "seed": seed,
        "years": years,
        "end": series["nifty_daily"].index[-1].date().isoformat(),
        "moment": now.isoformat(),
        "destination": "store" if out is None else "csv",
        "path": destination,
        "series": rows,
    }
    if json_out:
        sys.stdout.write(json.dumps(report, indent=2) + "\n")
        return
    _print_summary(report)


def _span(name: str, frame: Any) -> dict[str, Any]:
    """Rows, first and last (ISO) of one simulated frame."""
    if name == "option_chain":
        times = frame["timestamp"]
    else:
        times = frame.index
    if len(frame) == 0:
        return {"series": name, "rows": 0, "first": None, "last": None}
    first, last = times.min(), times.max()
    if name in ("nifty_daily", "vix_daily"):
        return {"series": name, "rows": len(frame), "first": first.date().isoformat(),
                "last": last.date().isoformat()}
    return {"series": name, "rows": len(frame), "first": first.isoformat(),
            "last": last.isoformat()}


def _to_store(series: dict[str, Any], now: Any) -> tuple[str, list[dict[str, Any]]]:
    """Upsert every series into the configured store; row counts per series."""
    from aegis.config import get_settings
    from aegis.market.store import MarketStore

    root = get_settings().resolved_data_dir
    store = MarketStore(root)
    rows = []
    for name, frame in series.items():
        result = store.upsert(name, frame, now=now)
        rows.append(
            {
                **_span(name, frame),
                "inserted": result.inserted,
                "updated": result.updated,
                "unchanged": result.unchanged,
            }
        )
    return str(root), rows


def _to_csv(series: dict[str, Any], folder: Path) -> list[dict[str, Any]]:
    """One CSV per series in ``folder`` (created), in layouts the loaders read back."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for name, frame in series.items():
        path = folder / CSV_FILES[name]
        table = frame
        if name in ("nifty_daily", "vix_daily"):
            table = frame.rename_axis("date")
            table.index = table.index.strftime("%Y-%m-%d")
            if name == "vix_daily":
                table = table.drop(columns="volume")
        elif name in ("nifty_intraday", "vix_intraday"):
            table = frame.copy()
            table.index = frame.index.map(lambda t: t.isoformat())
            if name == "vix_intraday":
                table = table.drop(columns="volume")
        else:
            table = frame.copy()
            table["timestamp"] = frame["timestamp"].map(lambda t: t.isoformat())
            table["expiry"] = frame["expiry"].dt.strftime("%Y-%m-%d")
        table.to_csv(path, index=name != "option_chain")
        rows.append({**_span(name, frame), "file": str(path)})
    return rows


def _print_summary(report: dict[str, Any]) -> None:
    where = "store" if report["destination"] == "store" else "CSV files"
    typer.echo(
        f"simulated seed {report['seed']}, {report['years']:g} years to {report['end']} "
        f"-> {where} at {report['path']}"
    )
    for row in report["series"]:
        line = f"  {row['series']:<15} {row['rows']:>8} rows  {row['first']} .. {row['last']}"
        if "inserted" in row:
            line += (
                f"  (inserted {row['inserted']}, updated {row['updated']}, "
                f"unchanged {row['unchanged']})"
            )
        typer.echo(line)

"""``aegis data``: inspect, ingest, simulate and show market data.

Only typer and the standard library are imported at module level; pandas and the loaders are
imported inside the commands so ``aegis --help`` stays fast.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer

from aegis.commands import simulate as simulate_cmd

app = typer.Typer(no_args_is_help=True)
app.command("simulate")(simulate_cmd.simulate)


def _fail(exc: Exception) -> typer.Exit:
    """One line on stderr and exit status 2 (bad input)."""
    line = " ".join(str(exc).split())
    typer.echo(f"aegis: error: {line}", err=True)
    return typer.Exit(2)


def _print_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, indent=2, default=str) + "\n")


@app.command("inspect")
def inspect(
    path: Path = typer.Argument(..., help="A market-data file (CSV or Parquet)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Read one market-data file: kind, symbol, rows, span, repairs and rejected rows."""
    from aegis.errors import DataFormatError
    from aegis.market.loaders import load_file

    try:
        result = load_file(path)
    except DataFormatError as exc:
        raise _fail(exc) from exc
    if as_json:
        _print_json(result.inspect_json())
        return
    from rich.console import Console
    from rich.table import Table

    info = result.inspect_json()
    console = Console()
    console.print(f"[bold]{path}[/bold]: {info['kind']} {info['symbol'] or '(symbol unknown)'}"
                  f" from {result.source}; {info['rows']} rows, {info['first']} .. "
                  f"{info['last']}")
    for title, notes in (("repaired", result.repairs), ("rejected", result.rejected)):
        if not notes:
            console.print(f"{title}: none")
            continue
        table = Table(title=f"{title} ({len(notes)})")
        for col in ("row", "at", "column", "reason"):
            table.add_column(col)
        for n in notes[:50]:
            table.add_row(str(n.row), n.at, n.column or "", n.reason)
        console.print(table)
        if len(notes) > 50:
            console.print(f"... and {len(notes) - 50} more (use --json for all)")
    for note in result.notes:
        console.print(f"note: {note}")


@app.command("ingest")
def ingest(
    paths: list[Path] = typer.Argument(..., help="Files or folders of market data."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Load files, merge each series, upsert into the store; list repairs and rejections."""
    from aegis.config import get_settings
    from aegis.errors import DataFormatError
    from aegis.market.ingest import expand_paths, ingest_paths
    from aegis.market.store import MarketStore

    store = MarketStore(get_settings().resolved_data_dir)
    try:
        if as_json:
            report = ingest_paths(paths, store)
        else:
            from rich.progress import Progress

            with Progress(transient=True) as bar:
                task = bar.add_task("loading", total=len(expand_paths(paths)))
                report = ingest_paths(paths, store, progress=lambda p: bar.advance(task))
    except DataFormatError as exc:
        raise _fail(exc) from exc
    if as_json:
        _print_json(report.to_json())
        return
    _print_ingest(report, store.root)


def _print_ingest(report: Any, root: Path) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    for r in report.loaded:
        console.print(f"{r.path}: {r.kind} {r.symbol or '?'} ({r.source}), {r.rows} rows, "
                      f"{len(r.repairs)} repaired, {len(r.rejected)} rejected")
        for n in r.repairs:
            console.print(f"  repaired row {n.row} {n.at} {n.column or ''}: {n.reason}")
        for n in r.rejected[:20]:
            console.print(f"  rejected row {n.row} {n.at} {n.column or ''}: {n.reason}")
        if len(r.rejected) > 20:
            console.print(f"  ... {len(r.rejected) - 20} more rejected (--json lists all)")
    for path, why in report.skipped.items():
        console.print(f"skipped {path}: {why}")
    console.print(f"conflicts beyond tolerance: {len(report.conflicts)}")
    for c in report.conflicts[:20]:
        console.print(f"  {c.at} close {c.kept} ({c.kept_path}) vs {c.other} ({c.other_path})")
    table = Table(title=f"store {root}")
    for col in ("series", "rows", "first", "last", "inserted", "updated", "unchanged"):
        table.add_column(col)
    for s in report.summary:
        up = report.upserts.get(s["series"])
        table.add_row(s["series"], str(s["rows"]), str(s["first"]), str(s["last"]),
                      *(str(getattr(up, k)) if up else "-"
                        for k in ("inserted", "updated", "unchanged")))
    console.print(table)


@app.command("show")
def show(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Summarise the store: per series rows, first and last, partitions, size."""
    from aegis.config import get_settings
    from aegis.market.store import MarketStore

    store = MarketStore(get_settings().resolved_data_dir)
    summary = store.summary()
    if as_json:
        _print_json({"root": str(store.root), "series": summary})
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"store {store.root}")
    for col in ("series", "rows", "first", "last", "partitions", "bytes"):
        table.add_column(col)
    for s in summary:
        table.add_row(*(str(s[c]) for c in ("series", "rows", "first", "last", "partitions",
                                            "bytes")))
    Console().print(table if summary else f"store {store.root} is empty")

"""``aegis data``: inspect, ingest, simulate, show, and review/undo changes to market data.

``history`` lists every batch written (who, when, files), ``conflicts`` the revisions held for
review (``--accept`` / ``--dismiss`` a batch), ``revert`` undoes a batch, ``delete`` removes a
date range; each of these leaves an audit line (``<data dir>/_audit.jsonl``).

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


SymbolOption = typer.Option(
    None, "--symbol", help="Say what the file is (NIFTY50 or INDIAVIX) instead of detecting it.")


def _check_symbol(symbol: str | None) -> str | None:
    from aegis.market.sources.history import SYMBOLS

    if symbol is None:
        return None
    if symbol.upper() not in SYMBOLS:
        typer.echo(f"aegis: error: --symbol must be one of {', '.join(SYMBOLS)}; got {symbol!r}",
                   err=True)
        raise typer.Exit(2)
    return symbol.upper()


def _print_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, indent=2, default=str) + "\n")


@app.command("inspect")
def inspect(
    path: Path = typer.Argument(..., help="A market-data file (CSV or Parquet)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    symbol: str | None = SymbolOption,
) -> None:
    """Read one market-data file: kind, symbol, rows, span, repairs and rejected rows."""
    from aegis.config import get_settings
    from aegis.errors import DataFormatError
    from aegis.market.loaders import load_file
    from aegis.market.sources.history import assign_symbol

    symbol = _check_symbol(symbol)
    try:
        result = load_file(path, now=get_settings().now())
    except DataFormatError as exc:
        raise _fail(exc) from exc
    if symbol is not None:
        result = assign_symbol(result, symbol)
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
    if result.symbol_from:
        console.print(f"symbol from {result.symbol_from}")
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
    symbol: str | None = SymbolOption,
) -> None:
    """Load files, merge each series, upsert into the store; list repairs and rejections.

    Exit 1 when nothing was stored from a file given (the reason on stderr); revisions that
    move a close implausibly are held for review (``aegis data conflicts``). The same
    ingestion path as the pipeline's ingest stage, with the files as the source.
    """
    from aegis.config import get_settings
    from aegis.errors import DataFormatError, StoreError
    from aegis.market.sources.history import HistorySource, expand_paths
    from aegis.pipeline.data import ingest_into_store

    symbol = _check_symbol(symbol)
    settings = get_settings()
    try:
        if as_json:
            report = ingest_into_store(HistorySource(paths, symbol=symbol, now=settings.now()),
                                       settings)
        else:
            from rich.progress import Progress

            with Progress(transient=True) as bar:
                task = bar.add_task("loading", total=len(expand_paths(paths)))
                source = HistorySource(paths, symbol=symbol, now=settings.now(),
                                       progress=lambda p: bar.advance(task))
                report = ingest_into_store(source, settings)
    except (DataFormatError, StoreError) as exc:
        raise _fail(exc) from exc
    if as_json:
        _print_json(report.to_json())
    else:
        _print_ingest(report, settings.resolved_data_dir)
    for path, why in report.not_stored.items():
        typer.echo(f"aegis: nothing stored from {path}: {why}", err=True)
    if report.not_stored:
        raise typer.Exit(1)


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
    console.print(f"revisions held for review: {len(report.held)}"
                  + (" (`aegis data conflicts` lists them)" if report.held else ""))
    for h in report.held[:20]:
        console.print(f"  {h['series']} {h['at']} close {h['old_close']} -> {h['new_close']} "
                      f"({h['file']}): {h['reason']}; batch {h['batch']}")
    console.print(f"conflicts beyond tolerance: {len(report.conflicts)}")
    for c in report.conflicts[:20]:
        console.print(f"  {c.at} close {c.kept} ({c.kept_path}) vs {c.other} ({c.other_path})")
    table = Table(title=f"store {root}")
    for col in ("series", "rows", "first", "last", "inserted", "updated", "unchanged", "held"):
        table.add_column(col)
    for s in report.summary:
        up = report.upserts.get(s["series"])
        table.add_row(s["series"], str(s["rows"]), str(s["first"]), str(s["last"]),
                      *(str(getattr(up, k)) if up else "-"
                        for k in ("inserted", "updated", "unchanged", "held")))
    console.print(table)


@app.command("show")
def show(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Summarise the store: per series rows, first and last, partitions, size."""
    from aegis.config import get_settings
    from aegis.market.store import MarketStore

    store = MarketStore(get_settings().resolved_data_dir)
    summary = _run(store.summary)
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


def _store() -> Any:
    from aegis.config import get_settings
    from aegis.market.store import MarketStore

    return MarketStore(get_settings().resolved_data_dir)


def _run(action: Any) -> Any:
    from aegis.errors import StoreError

    try:
        return action()
    except StoreError as exc:
        raise _fail(exc) from exc


@app.command("history")
def history(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """The audit trail: every batch written to the store (who, when, what, which files)."""
    lines = _store().history()
    if as_json:
        _print_json(lines)
        return
    for line in lines:
        counts = ", ".join(f"{k} {line[k]}" for k in ("inserted", "updated", "deleted", "held")
                           if line.get(k))
        typer.echo(f"{line.get('at')} {line.get('who')} {line.get('action')} "
                   f"{line.get('series', '')} batch {line.get('batch')}: {counts or 'no rows'}"
                   + (f" from {', '.join(line['files'])}" if line.get("files") else ""))


@app.command("conflicts")
def conflicts(
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    accept: str | None = typer.Option(None, "--accept", help="Apply the held rows of BATCH."),
    dismiss: str | None = typer.Option(None, "--dismiss", help="Drop the held rows of BATCH."),
) -> None:
    """Revisions held for review (a close moving implausibly); accept or dismiss a batch."""
    store = _store()
    if accept or dismiss:
        done = _run(lambda: store.accept(accept) if accept else store.dismiss(dismiss))
        _print_json(done) if as_json else typer.echo(
            f"{'accepted' if accept else 'dismissed'} {accept or dismiss}: {done}")
        return
    held = store.conflicts()
    if as_json:
        _print_json(held)
        return
    if not held:
        typer.echo("no revisions held for review")
    for h in held:
        typer.echo(f"{h['batch']} {h['series']} {h['at']}: close {h['old_close']} -> "
                   f"{h['new_close']} from {h['file']}: {h['reason']}")


@app.command("revert")
def revert(batch: str = typer.Argument(..., help="A batch id from `aegis data history`."),
           as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Undo one batch: changed rows get their old values back, inserted rows go, deleted
    rows return. The revert is itself a batch (and can be reverted)."""
    done = _run(lambda: _store().revert(batch))
    _print_json(done) if as_json else typer.echo(
        f"reverted {batch} on {done['series']}: {done['inserted']} restored, "
        f"{done['updated']} set back, {done['deleted']} removed (batch {done['batch']})")


@app.command("delete")
def delete(
    series: str = typer.Argument(..., help="Series name, e.g. nifty_daily."),
    start: str = typer.Option(..., "--from", help="First date to remove (YYYY-MM-DD)."),
    end: str = typer.Option(..., "--to", help="Last date to remove (YYYY-MM-DD, inclusive)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Remove a date range of a series (kept as a revision: `aegis data revert` restores it)."""
    done = _run(lambda: _store().delete(series, start, end))
    _print_json(done) if as_json else typer.echo(
        f"deleted {done['deleted']} rows of {series} from {start} to {end} "
        f"(batch {done['batch']}; `aegis data revert {done['batch']}` restores them)")


@app.command("prune")
def prune(
    days: int = typer.Option(None, "--days", min=1,
                             help="Days to keep [default: AEGIS_RETENTION_DAYS, 30]."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Only list what would go."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Remove revision copies (_revisions/), unpublished staged feature tables and Data Docs
    pages older than the retention; one audit line (`aegis data history` lists it). A pruned
    batch can no longer be reverted."""
    from aegis.pipeline.retention import prune_stage

    done = _run(lambda: prune_stage(days, dry_run=dry_run))
    verb = "would remove" if dry_run else "removed"
    _print_json(done) if as_json else typer.echo(
        f"{verb} {done['revisions']} revision copies, {done['staged']} staged tables and "
        f"{done['data_docs']} Data Docs pages older than {done['cutoff']} "
        f"(kept {done['days']} days)")

"""``aegis validate --nifty FILE... --vix FILE... --json OUT``: the validation gate on history.

Loads the NIFTY and India VIX history (every file given; overlaps merged by the loader, with its
documented repairs), builds the daily feature table, runs the ``nifty_daily``, ``vix_daily`` and
``features`` suites, and writes the report to OUT. Exit 0 when every suite passes, 1 when any
fails; an unreadable file is a ``DataFormatError`` (exit 2 from ``aegis.cli.main``).

Register with ``context_settings=MULTI_VALUE_CONTEXT`` (see ``aegis/commands/_multi.py``) so that
``--nifty a.csv b.csv`` and ``--nifty a.csv --nifty b.csv`` both work.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from aegis.atomic import write_text_atomic
from aegis.commands._multi import MULTI_VALUE_CONTEXT, split_paths

if TYPE_CHECKING:  # pragma: no cover - typing only; the CLI imports heavy modules lazily
    from aegis.validation import ValidationReport

__all__ = ["MULTI_VALUE_CONTEXT", "validate"]

VALIDATE_FLAGS = ("--nifty", "--vix")


def validate(
    ctx: typer.Context,
    json_out: Path = typer.Option(
        ..., "--json", help="Where the JSON report is written (parents created)."
    ),
    docs_dir: Path | None = typer.Option(
        None, "--docs-dir", help="Data Docs HTML folder (default: <output dir>/data_docs)."
    ),
) -> None:
    """Validate NIFTY and India VIX history and its features with Great Expectations.

    Usage: aegis validate --nifty FILE... --vix FILE... --json OUT

    --nifty FILE...  NIFTY 50 daily OHLC files (CSV/Parquet; several, overlapping, allowed).
    --vix FILE...    India VIX daily files.
    Exit 0 when every suite passes, 1 when any fails, 2 when a file cannot be read.
    """
    from aegis.config import get_settings

    files = split_paths(ctx.args, VALIDATE_FLAGS, required=VALIDATE_FLAGS)
    docs = docs_dir if docs_dir is not None else get_settings().resolved_output_dir / "data_docs"
    report = validate_history(files["--nifty"], files["--vix"], docs_dir=docs)
    write_text_atomic(json_out, report.to_json())
    for suite in report.suites:
        verdict = "passed" if suite.success else "FAILED"
        stats = suite.statistics
        typer.echo(
            f"{suite.suite}: {verdict} ({stats.successful_expectations}/"
            f"{stats.evaluated_expectations} expectations, {suite.rows} rows)"
        )
    if not report.success:
        typer.echo(report.describe_failures(), err=True)
        typer.echo(f"report: {json_out}", err=True)
        raise typer.Exit(1)
    typer.echo(f"report: {json_out}")


def validate_history(
    nifty_paths: list[Path], vix_paths: list[Path], *, docs_dir: Path | None = None
) -> ValidationReport:
    """Load, build features, validate; returns the ``ValidationReport`` (inputs recorded).

    A feature table that cannot be built from the loaded history (``FeatureInputError``, or a
    ``CalendarError`` when gaps leave no weekly expiry in reach) is a failed ``features`` suite
    in the report, not a crash: the raw suites say why.
    """
    from aegis.errors import CalendarError, FeatureInputError
    from aegis.features.daily import build_daily_features
    from aegis.market.history import load_history
    from aegis.validation import SuiteResult, validate_frames

    history = load_history(nifty_paths, vix_paths)
    frames = {"nifty_daily": history.nifty, "vix_daily": history.vix}
    feature_error = None
    try:
        frames["features"] = build_daily_features(history.nifty, history.vix)
    except (FeatureInputError, CalendarError) as exc:
        feature_error = f"feature table could not be built: {exc}"
    report = validate_frames(frames, docs_dir=docs_dir)
    if feature_error is not None:
        report = report.with_result(SuiteResult.not_run("features", feature_error))
    inputs = {
        "nifty_files": [str(p) for p in nifty_paths],
        "vix_files": [str(p) for p in vix_paths],
        "nifty_sessions": len(history.nifty),
        "vix_sessions": len(history.vix),
        "repairs": _notes_by_file(history.repairs),
        "rejected": _notes_by_file(history.rejected),
        "conflicts": len(history.conflicts),
    }
    return report.model_copy(update={"inputs": inputs})


def _notes_by_file(notes: Mapping[str, Sequence[object]]) -> dict[str, list[str]]:
    """``{file: [note, ...]}`` as text (RowNote: row, date, column and reason)."""
    return {path: [str(note) for note in items] for path, items in notes.items() if items}

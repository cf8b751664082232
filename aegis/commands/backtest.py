"""``aegis backtest --nifty FILE... --vix FILE... --from DATE --to DATE --json OUT``.

Walk-forward over [from, to] on every file given (overlapping files per series are merged by
the loader); writes the DESIGN.md report to OUT and a reliability-diagram PNG beside it
(``<OUT stem>.reliability.png``).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import typer

from aegis.atomic import write_text_atomic
from aegis.commands._multi import split_paths

BACKTEST_FLAGS = ("--nifty", "--vix")


def backtest(
    ctx: typer.Context,
    date_from: str = typer.Option(..., "--from", help="First evaluated session (ISO date)."),
    date_to: str = typer.Option(..., "--to", help="Last evaluated session (ISO date)."),
    json_out: Path = typer.Option(..., "--json", help="Where the JSON report is written."),
    confidence: float | None = typer.Option(
        None, help="Safe-range confidence (default: AEGIS_SAFE_RANGE_CONFIDENCE, 0.80)."),
    seed: int = typer.Option(0, help="Training seed."),
) -> None:
    """Walk-forward backtest of every published number against its baseline.

    Usage: aegis backtest --nifty FILE... --vix FILE... --from DATE --to DATE --json OUT
    """
    from aegis.config import get_settings
    from aegis.features.daily import build_daily_features
    from aegis.market.history import load_history
    from aegis.rates.backtest import plot_reliability, reliability_png_path, run_backtest

    files = split_paths(ctx.args, BACKTEST_FLAGS, required=BACKTEST_FLAGS)
    try:
        start, end = (_iso_date(date_from, "--from"), _iso_date(date_to, "--to"))
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    if confidence is None:
        confidence = get_settings().safe_range_confidence
    started = time.perf_counter()
    history = load_history(files["--nifty"], files["--vix"])
    features = build_daily_features(history.nifty, history.vix)

    def progress(step: str) -> None:
        typer.echo(f"[{time.perf_counter() - started:6.1f}s] walk-forward: {step}", err=True)

    from aegis.config import get_settings

    report, predictions = run_backtest(history.nifty, history.vix, features, start, end,
                                       confidence=confidence, seed=seed, progress=progress,
                                       params=get_settings().params())
    report["inputs"] = {
        "nifty_files": [str(p) for p in files["--nifty"]],
        "vix_files": [str(p) for p in files["--vix"]],
        "repairs": sum(len(v) for v in history.repairs.values()),
        "rejected": sum(len(v) for v in history.rejected.values()),
        "seconds": round(time.perf_counter() - started, 1),
    }
    json_out.parent.mkdir(parents=True, exist_ok=True)
    png = plot_reliability(predictions, reliability_png_path(json_out),
                           f"AegisMatrix walk-forward {start}..{end}")
    report["reliability_png"] = str(png)
    write_text_atomic(json_out, json.dumps(report, indent=2))
    typer.echo(json.dumps(report, indent=2))


def _iso_date(text: str, flag: str) -> str:
    import datetime as dt

    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError as exc:
        raise ValueError(f"{flag}: expected an ISO date YYYY-MM-DD; found {text!r}") from exc

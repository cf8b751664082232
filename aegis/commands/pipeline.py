"""``aegis pipeline <stage>``: run one pipeline stage from the store, as the DAG tasks do.

The Airflow tasks and these commands call the same functions in :mod:`aegis.pipeline`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

pipeline_app = typer.Typer(no_args_is_help=True, help="Run pipeline stages from the store.")


def _show(result: dict[str, Any]) -> None:
    typer.echo(json.dumps(result, indent=2, default=str))


@pipeline_app.command("ingest")
def ingest(logical_date: str = typer.Option(None, help="ISO date the run stands for.")) -> None:
    """Fetch from the configured source (simulator, history folder or live) into the store."""
    from aegis.pipeline import ingest as run

    _show(run(logical_date))


@pipeline_app.command("features")
def features(
    run_id: str = typer.Option(None, "--run-id", help="Key of the staged table (default: new)."),
) -> None:
    """Build the daily feature table from the store and stage it under a run id (printed)."""
    from aegis.pipeline import build_features

    _show(build_features(run_id))


@pipeline_app.command("validate")
def validate(
    run_id: str = typer.Option(..., "--run-id", help="The run id `aegis pipeline features` "
                               "printed: its staged table is validated."),
) -> None:
    """Run the GX suites on the store and a run's staged features; publish them if all pass."""
    from aegis.pipeline import validate as run

    _show(run(run_id))


@pipeline_app.command("train")
def train(model: list[str] = typer.Option(None, "--model", help="Only these models.")) -> None:
    """Train challengers of every model (or the named ones) on the validated features."""
    from aegis.pipeline import train as run

    _show(run(model or None))


@pipeline_app.command("promote")
def promote(push: bool = typer.Option(True, help="dvc push and commit models.dvc.")) -> None:
    """Gate challengers against champions and baselines; promote, push and commit winners."""
    from aegis.pipeline import promote_and_push

    _show(promote_and_push(push=push))


@pipeline_app.command("rates")
def rates() -> None:
    """Recompute the historical hit and spike rates (walk-forward) into rates.json."""
    from aegis.pipeline import recompute_rates

    _show(recompute_rates())


@pipeline_app.command("health")
def health() -> None:
    """Load every champion as inference would; exit 1 naming each unhealthy one."""
    from aegis.errors import ModelError
    from aegis.pipeline import model_health

    try:
        _show(model_health())
    except ModelError as exc:
        typer.echo(f"aegis: model health failed: {exc}", err=True)
        raise typer.Exit(1) from exc


@pipeline_app.command("track-record")
def track_record() -> None:
    """Settle and score the forecast ledger; exit 1 on calibration drift or a frozen number."""
    from aegis.errors import ForecastDriftError
    from aegis.pipeline import track_record_health

    try:
        _show(track_record_health())
    except ForecastDriftError as exc:
        typer.echo(f"aegis: track record failed: {exc}", err=True)
        raise typer.Exit(1) from exc


@pipeline_app.command("infer")
def infer(
    out: Path = typer.Option(None, "--json", help="Snapshot path (default: settings)."),
) -> None:
    """Build and atomically publish aegismatrix.json from the store and the champions."""
    from aegis.pipeline import infer as run

    _show(run(out))


@pipeline_app.command("stage")
def stage(
    name: str = typer.Argument(..., help="features, validate, train or gate"),
    record: Path = typer.Option(..., "--record", help="Where the stage's record is written."),
    metrics: Path = typer.Option(None, "--metrics", help="gate only: its metrics JSON file."),
) -> None:
    """One DVC stage of the training path (dvc.yaml): the nightly DAG's stage function, its
    record written to --record (and the gate's metrics to --metrics)."""
    from aegis.atomic import write_text_atomic
    from aegis.pipeline.dvcstages import run_stage

    out, numbers = run_stage(name)
    write_text_atomic(record, json.dumps(out, indent=2, sort_keys=True, default=str) + "\n")
    if metrics is not None:
        if numbers is None:
            raise typer.BadParameter(f"stage {name!r} writes no metrics", param_hint="--metrics")
        write_text_atomic(metrics, json.dumps(numbers, indent=2, sort_keys=True) + "\n")
    typer.echo(f"stage {name}: record {record}" + (f", metrics {metrics}" if metrics else ""))


def register(app: typer.Typer) -> None:
    """Add ``aegis pipeline ...`` and ``aegis demo`` to the root app."""
    app.add_typer(pipeline_app, name="pipeline")

    @app.command("demo")
    def demo(direct: bool = typer.Option(False, help="Run the stages without Airflow.")) -> None:
        """The main job on embedded defaults: ingest, validate, retrain, infer, and show it."""
        from aegis.demo import main as run_demo

        raise typer.Exit(run_demo(["--direct"] if direct else []))

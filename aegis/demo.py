"""``make demo``: the main job once, on embedded defaults, and what it produced.

Embedded defaults: the seeded simulator as data source, the Parquet store, the GX gate, a
local folder as DVC remote and a scratch deployment repository ``$AEGIS_HOME/deploy`` (git +
DVC) holding ``models/`` and ``models.dvc``, so the demo never commits into your checkout.
By default the pipeline runs through Airflow (``scripts/airflow_demo.py``: ingest -> nightly
retrain -> inference with ``dag.test()`` on an SQLite metadata DB); ``--direct`` calls the same
stage functions without Airflow. Then it prints the store, the feature table's tail, the
validation result, the champions beside their baselines and the snapshot.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from aegis.atomic import write_text_atomic

REPO = Path(__file__).resolve().parents[1]
console = Console(width=150, soft_wrap=False)


def prepare_environment(home: Path) -> dict[str, str]:
    """Embedded-default settings (respecting any AEGIS_* already set) and the deploy repo."""
    deploy = home / "deploy"
    env = {
        "AEGIS_HOME": str(home),
        "AEGIS_MODELS_DIR": os.environ.get("AEGIS_MODELS_DIR", str(deploy / "models")),
    }
    os.environ.update(env)
    models_repo = Path(env["AEGIS_MODELS_DIR"]).parent
    if not (models_repo / ".git").exists():
        models_repo.mkdir(parents=True, exist_ok=True)
        for cmd in (["git", "init", "-q"], ["git", "config", "user.name", "AegisMatrix demo"],
                    ["git", "config", "user.email", "demo@aegismatrix.local"]):
            subprocess.run(cmd, cwd=models_repo, check=True)
    from aegis.config import get_settings

    get_settings.cache_clear()
    return env


def run_direct() -> dict[str, Any]:
    """Every stage in this process, timed (the same functions the DAG tasks call)."""
    from functools import partial

    from aegis import pipeline
    from aegis.pipeline.paths import new_run_id

    timings: dict[str, Any] = {}
    run_id = new_run_id()
    for name, stage in (("ingest", pipeline.ingest),
                        ("features", partial(pipeline.build_features, run_id)),
                        ("validate", partial(pipeline.validate, run_id)), ("train", pipeline.train),
                        ("promote_and_push", pipeline.promote_and_push),
                        ("recompute_rates", pipeline.recompute_rates),
                        ("infer", pipeline.infer)):
        start = time.perf_counter()
        console.print(f"[bold]stage {name}[/bold] ...")
        stage()
        timings[name] = round(time.perf_counter() - start, 2)
    return timings


def run_airflow(home: Path) -> int:
    """The DAG chain through Airflow (a separate process: aegis never imports Airflow)."""
    script = REPO / "scripts" / "airflow_demo.py"
    return subprocess.run([sys.executable, str(script), "--home", str(home)],
                          check=False).returncode


def _table(title: str, columns: list[str], rows: list[list[Any]]) -> Table:
    table = Table(title=title)
    for c in columns:
        table.add_column(c)
    for row in rows:
        table.add_row(*[str(v) for v in row])
    return table


def report() -> None:
    """What the run produced, read back from the stores."""
    import pandas as pd

    from aegis.config import get_settings
    from aegis.errors import ManifestMismatchError
    from aegis.market.store import MarketStore
    from aegis.pipeline.paths import features_path, gate_log_path, validation_report_path
    from aegis.pipeline.records import read_gate_log
    from aegis.registry.artifacts import MANIFEST_FILE, read_registry
    from aegis.registry.manifest import parse_manifest
    from aegis.snapshot import read_snapshot
    from aegis.snapshot.table import snapshot_table

    settings = get_settings()
    summary = MarketStore(settings.resolved_data_dir).summary()
    console.print(_table("market-data store", ["series", "rows", "first", "last", "partitions"],
                         [[s["series"], s["rows"], s["first"], s["last"], s["partitions"]]
                          for s in summary]))
    features = pd.read_parquet(features_path(settings))
    cols = ["close", "vix", "rv_cc_20", "rv_yz_20", "iv_percentile_252", "rsi_14",
            "days_to_expiry", "expected_move_pct"]
    tail = features[cols].tail(5)
    console.print(_table("validated feature table (tail)", ["session", *cols],
                         [[i.date(), *[f"{v:.4g}" for v in r]] for i, r in tail.iterrows()]))
    validation = json.loads(validation_report_path(settings).read_text(encoding="utf-8"))
    console.print(_table("Great Expectations validation", ["suite", "success", "rows"],
                         [[s["suite"], s["success"], s["rows"]] for s in validation["suites"]]))
    registry = read_registry(settings.resolved_models_dir)
    rows = []
    for name, entry in sorted(registry["champions"].items()):
        manifest, _ = parse_manifest(settings.resolved_models_dir / name / MANIFEST_FILE)
        m, b = manifest.metrics.model, manifest.metrics.baseline
        if m is None or b is None:
            raise ManifestMismatchError(f"{settings.resolved_models_dir / name / MANIFEST_FILE}: "
                                        "metrics.model and metrics.baseline expected")
        c = None if manifest.metrics.climatology is None else manifest.metrics.climatology.brier
        rows.append([name, entry["version"], f"{m.brier:.4f}", f"{b.brier:.4f}",
                     "-" if c is None else f"{c:.4f}",
                     "-" if c is None else f"{1 - m.brier / c:+.1%}", f"{m.ece:.4f}", m.n])
    console.print(_table("champions (walk-forward folds of their gate)",
                         ["model", "version", "Brier", "baseline Brier", "climatology Brier",
                          "skill", "ECE", "n"], rows))
    refused = {name: d.reason for name, d in read_gate_log(gate_log_path(settings)).root.items()
               if not d.promote and name not in registry["champions"]}
    for name, reason in sorted(refused.items()):
        console.print(f"[bold]{name}[/bold]: published as climatology; gate: {reason}")
    log = subprocess.run(["git", "log", "--oneline", "--", "models.dvc"], capture_output=True,
                         text=True, cwd=settings.resolved_models_dir.parent, check=False)
    console.print(f"git log models.dvc ({settings.resolved_models_dir.parent}):\n"
                  f"{log.stdout.strip() or '(no commits)'}")
    print(snapshot_table(read_snapshot(settings.snapshot_path)))
    console.print(f"snapshot: {settings.snapshot_path}")


def write_backtest(days: int = 365) -> Path:
    """The walk-forward backtest of the last ``days`` of the store, where the page reads it.

    Same report and diagram as ``aegis backtest --nifty ... --vix ... --from ... --to ...
    --json <output>/backtest/report.json`` (the page's documented place: ``report.json`` and
    ``report.reliability.png`` under ``<output>/backtest/``).
    """
    import pandas as pd

    from aegis.config import get_settings
    from aegis.features.daily import build_daily_features
    from aegis.market.store import MarketStore
    from aegis.rates.backtest import plot_reliability, reliability_png_path, run_backtest

    settings = get_settings()
    store = MarketStore(settings.resolved_data_dir)
    nifty, vix = store.read("nifty_daily"), store.read("vix_daily")
    end = pd.Timestamp(nifty.index.max())
    start = end - pd.Timedelta(days=days)
    report, predictions = run_backtest(nifty, vix, build_daily_features(nifty, vix), start, end,
                                       confidence=settings.safe_range_confidence,
                                       seed=settings.seed)
    out = settings.resolved_output_dir / "backtest" / "report.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    png = plot_reliability(predictions, reliability_png_path(out),
                           f"AegisMatrix walk-forward {start.date()}..{end.date()}")
    report["reliability_png"] = png.name
    report["inputs"] = {"source": "the demo's market store", "store": "nifty_daily, vix_daily"}
    write_text_atomic(out, json.dumps(report, indent=2))
    return out


def page_url() -> str:
    """Where ``make up`` serves the AegisMatrix page (inside the Airflow UI)."""
    port = os.environ.get("AIRFLOW__API__PORT", "8080")
    return f"http://localhost:{port}/plugin/aegismatrix"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="AegisMatrix demo on embedded defaults")
    parser.add_argument("--direct", action="store_true", help="run the stages without Airflow")
    parser.add_argument("--home", type=Path,
                        default=Path(os.environ.get("AEGIS_HOME", REPO / "var")))
    args = parser.parse_args(argv)
    home = args.home.resolve()
    prepare_environment(home)
    source = os.environ.get("AEGIS_SOURCE", "simulator")
    console.print(f"AegisMatrix demo: home {home}, source {source}")
    start = time.perf_counter()
    if args.direct:
        console.print(run_direct())
    else:
        code = run_airflow(home)
        if code != 0:
            console.print(f"[red]the Airflow run failed (exit {code}); see the task log above")
            return code
    report()
    from aegis.errors import InsufficientHistoryError

    backtest_started = time.perf_counter()
    try:
        path = write_backtest()
        console.print(f"backtest of the last year for the page: {path} "
                      f"({time.perf_counter() - backtest_started:.1f} s)")
    except InsufficientHistoryError as exc:
        console.print(f"[yellow]no backtest for the page ({exc}); it will say so")
    console.print(f"demo finished in {time.perf_counter() - start:.1f} s")
    console.print(f"AegisMatrix page: {page_url()}  (start it with `make up`, log in as admin)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

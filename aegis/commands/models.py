"""``aegis train`` and ``aegis models push | pull | list | verify | rollback``.

Only typer and the standard library are imported at module level; the training stack, DVC and
onnxruntime are imported inside the commands.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

app = typer.Typer(no_args_is_help=True)

RepoRoot = Annotated[
    Path | None,
    typer.Option("--repo-root", help="git/DVC repository root (default: parent of the models dir)"),
]


def _store(repo_root: Path | None) -> Any:
    from aegis.config import get_settings
    from aegis.registry.store import StoreConfig

    return StoreConfig.from_settings(get_settings(), repo_root)


def _fmt(x: float | None) -> str:
    return "-" if x is None else f"{x:.4f}"


def train(
    repo_root: RepoRoot = None,
    seed: Annotated[int | None, typer.Option(help="training seed (default: AEGIS_SEED)")] = None,
    push: Annotated[bool, typer.Option("--push/--no-push", help="dvc push + git commit")] = True,
) -> None:
    """Train every model, gate against the champions and the baselines, write artifacts."""
    from aegis.config import get_settings
    from aegis.features.daily import build_daily_features
    from aegis.models.training import train_all
    from aegis.pipeline.data import source_frames
    from aegis.registry.publish import publish

    settings = get_settings()
    frames = source_frames(settings)["frames"]
    nifty, vix = frames["nifty_daily"], frames["vix_daily"]
    features = build_daily_features(nifty, vix)
    trained = train_all(nifty, vix, features, seed=settings.seed if seed is None else seed)
    cfg = _store(repo_root)
    result = publish(trained, cfg, push=push)
    typer.echo(f"{'model':<14} {'brier':>8} {'baseline':>9} {'champion':>9} {'ece':>7}  decision")
    for d in result.decisions:
        ece = trained[d.name].metrics["model"]["ece"]
        typer.echo(f"{d.name:<14} {_fmt(d.challenger_brier):>8} {_fmt(d.baseline_brier):>9} "
                   f"{_fmt(d.champion_brier):>9} {_fmt(ece):>7}  {d.reason}")
    if result.commit:
        typer.echo(f"committed models.dvc at {result.commit[:12]}")


@app.command("push")
def push_cmd(repo_root: RepoRoot = None) -> None:
    """``dvc add`` + ``dvc push`` the models folder and commit models.dvc."""
    from aegis.registry.store import commit_models_dvc, push

    cfg = _store(repo_root)
    push(cfg)
    commit = commit_models_dvc(cfg, "models: push")
    typer.echo(f"pushed {cfg.models_dir} to {cfg.remote_url}" + (f" ({commit[:12]})"
                                                                 if commit else ""))


@app.command("pull")
def pull_cmd(repo_root: RepoRoot = None) -> None:
    """``dvc pull`` the models folder, then verify every champion."""
    from aegis.registry.store import pull

    cfg = _store(repo_root)
    pull(cfg)
    typer.echo(f"pulled {cfg.models_dir} from {cfg.remote_url}")
    _verify(cfg.models_dir)


@app.command("list")
def list_cmd(as_json: Annotated[bool, typer.Option("--json", help="one JSON document")] = False,
             ) -> None:
    """The champions with version, training span and fold metrics beside the baseline's."""
    from aegis.config import get_settings
    from aegis.errors import ModelError
    from aegis.registry.artifacts import MANIFEST_FILE, typed_registry
    from aegis.registry.manifest import parse_manifest

    models_dir = get_settings().resolved_models_dir
    try:
        registry = typed_registry(models_dir)
    except ModelError as exc:
        typer.echo(f"aegis: error: {type(exc).__name__}: {exc}", err=True)
        raise typer.Exit(1) from exc
    rows = []
    for name in sorted(registry.champions):
        row: dict[str, Any] = {"name": name, "problem": None}
        try:
            entry = registry.entry(name, models_dir / "registry.json")
            row.update(version=entry.version, promoted_at=entry.promoted_at,
                       previous=entry.history)
            path = models_dir / name / MANIFEST_FILE
            if not path.exists():
                raise FileNotFoundError(f"{path}: manifest missing")
            manifest, _ = parse_manifest(path)
        except (ModelError, FileNotFoundError) as exc:
            row["problem"] = f"{type(exc).__name__}: {exc}"
            rows.append(row)
            continue
        metrics = manifest.metrics
        row.update(span=manifest.training_data.span or None,
                   brier=metrics.model.brier if metrics.model else None,
                   brier_baseline=metrics.baseline.brier if metrics.baseline else None,
                   ece=metrics.model.ece if metrics.model else None,
                   threshold=manifest.threshold)
        rows.append(row)
    if as_json:
        typer.echo(json.dumps({"models_dir": str(models_dir), "champions": rows}, indent=2))
        return
    for r in rows:
        if r["problem"]:
            typer.echo(f"{r['name']:<14} {r.get('version') or '-'}  UNREADABLE  {r['problem']}",
                       err=True)
            continue
        typer.echo(f"{r['name']:<14} {r['version']}  brier {_fmt(r['brier'])} "
                   f"(baseline {_fmt(r['brier_baseline'])})")


def _verify(models_dir: Path) -> None:
    from aegis.registry.artifacts import verify_all

    results = verify_all(models_dir)
    if not results:
        typer.echo(f"{models_dir}: no champions in registry.json", err=True)
        raise typer.Exit(1)
    for r in results:
        line = f"{r.name:<14} {r.version or '-'}  {'OK' if r.ok else 'FAILED'}  {r.reason}"
        typer.echo(line, err=not r.ok)
    if not all(r.ok for r in results):
        raise typer.Exit(1)


@app.command("verify")
def verify_cmd() -> None:
    """Load every champion as inference would; exit 1 naming each one that fails, and why."""
    from aegis.config import get_settings

    _verify(get_settings().resolved_models_dir)


@app.command("rollback")
def rollback_cmd(name: str, repo_root: RepoRoot = None,
                 push: Annotated[bool, typer.Option("--push/--no-push")] = True) -> None:
    """Make the previous version of NAME the champion again (pushed and committed)."""
    from aegis.registry.publish import publish_rollback
    from aegis.registry.writer import rollback

    cfg = _store(repo_root)
    if push:
        version, commit = publish_rollback(name, cfg)
    else:
        version, commit = rollback(name, cfg.models_dir), None
    typer.echo(f"{name}: champion is now {version}" + (f" ({commit[:12]})" if commit else ""))

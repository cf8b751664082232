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
    seed: Annotated[int | None, typer.Option(help="training seed (default: AEGIS_SEED)")] = None,
    push: Annotated[bool, typer.Option("--push/--no-push", help="dvc push + git commit")] = True,
    rates: Annotated[bool, typer.Option("--rates/--no-rates",
                                        help="recompute the hit and spike rates")] = True,
    model: Annotated[list[str] | None, typer.Option("--model", help="only these models")] = None,
) -> None:
    """The nightly retrain, here: features from the store, GX gate, train, gate, promote, push.

    The same stage functions as the ``aegis_nightly_retrain`` DAG, on the configured market
    store (``aegis data ingest`` or ``aegis pipeline ingest`` fill it) and model store.
    """
    from aegis.pipeline.records import ChallengerRecord
    from aegis.pipeline.training import retrain

    out = retrain(seed=seed, push=push, rates=rates, names=model or None,
                  progress=lambda line: typer.echo(line, err=True))
    feats = out["build_features"]
    typer.echo(f"features {feats['first']}..{feats['last']} ({feats['rows']} sessions), "
               f"validation passed ({len(out['validate']['suites'])} suites)")
    typer.echo(f"{'model':<14} {'brier':>8} {'baseline':>9} {'ece':>7}  decision")
    for name, staged in out["train"].items():
        record = ChallengerRecord.model_validate(staged)
        m, b = record.metrics.model, record.metrics.baseline
        typer.echo(f"{name:<14} {_fmt(m.brier):>8} {_fmt(b.brier):>9} {_fmt(m.ece):>7}  "
                   f"{record.decision.reason}")
    promoted = out["promote_and_push"]
    if promoted["commit"]:
        typer.echo(f"committed models.dvc at {promoted['commit'][:12]}")
    elif not push:
        typer.echo("not pushed (--no-push): the store changed locally only")


@app.command("push")
def push_cmd(repo_root: RepoRoot = None) -> None:
    """Verify every champion, then ``dvc add`` + ``dvc push`` the models folder and commit."""
    from aegis.config import get_settings
    from aegis.registry.store import commit_models_dvc, push, recover_store

    cfg = _store(repo_root)
    recover_store(cfg)
    _verify(cfg.models_dir)  # exits 1 naming each unsound champion: nothing is pushed
    push(cfg, get_settings())
    commit = commit_models_dvc(cfg, "models: push", _metrics_paths(cfg))
    typer.echo(f"pushed {cfg.models_dir}" + (f" ({commit[:12]})" if commit else ""))


def _metrics_paths(cfg: Any) -> list[Path]:
    from aegis.registry.dvcfiles import ARTIFACTS, metrics_file

    return [metrics_file(cfg.repo_root, name) for name in ARTIFACTS]


@app.command("pull")
def pull_cmd(repo_root: RepoRoot = None) -> None:
    """``dvc pull`` the models folder, then verify every champion."""
    from aegis.config import get_settings
    from aegis.registry.store import pull

    cfg = _store(repo_root)
    pull(cfg, get_settings())
    typer.echo(f"pulled {cfg.models_dir}")
    _verify(cfg.models_dir)


@app.command("list")
def list_cmd(as_json: Annotated[bool, typer.Option("--json", help="one JSON document")] = False,
             ) -> None:
    """Every model: its champion (version, promoted when, skill vs climatology, evidence weight)
    or climatology with the gate's or the demotion's reason, and the latest challenger's
    decision beside it. Exit 1 when the store is empty or unreadable (it says so)."""
    from aegis.config import get_settings
    from aegis.pipeline.model_list import list_models

    listing = list_models(get_settings())
    if as_json:
        typer.echo(json.dumps(listing, indent=2))
    else:
        _print_table(listing)
    for problem in listing["problems"]:
        typer.echo(f"aegis: error: {problem}", err=True)
    if listing["empty"]:
        typer.echo(f"{listing['models_dir']}: the model store is empty (no champion, and no "
                   f"gate decision in {listing['gate_log']}): run `aegis train`", err=True)
    if listing["empty"] or listing["problems"]:
        raise typer.Exit(1)


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{x:+.1%}"


def _print_table(listing: dict[str, Any]) -> None:
    typer.echo(f"{'model':<14} {'published':<12} {'version':<28} {'promoted':<20} "
               f"{'skill':>7} {'weight':>6}  reason / latest challenger")
    for r in listing["models"]:
        c = r["champion"] or {}
        weight = "-" if r["evidence_weight"] is None else f"{r['evidence_weight']:.2f}"
        typer.echo(f"{r['name']:<14} {r['published']:<12} {c.get('version') or '-':<28} "
                   f"{(c.get('promoted_at') or '-')[:19]:<20} {_pct(c.get('bss_climatology')):>7}"
                   f" {weight:>6}  {r['reason']}")
        ch = r["latest_challenger"]
        if ch is not None:
            verdict = "promoted" if ch["promoted"] else "refused"
            typer.echo(f"{'':<14} latest challenger {ch['version']} ({ch['trained_at'][:19]}): "
                       f"{verdict}: {ch['reason']}")


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
    from aegis.registry.store import recover_store

    settings = get_settings()
    note = recover_store(_store(None))
    if note:
        typer.echo(note, err=True)
    _verify(settings.resolved_models_dir)


def check_rollback(name: str, models_dir: Path) -> None:
    """Raise naming what is wrong when ``name`` cannot be rolled back, reading only the local
    ``registry.json`` (no DVC, S3 or training stack imported): an unknown model (the known ones
    listed) or one without a previous version."""
    from aegis.errors import ConfigurationError, ModelStoreError
    from aegis.models.specs import MODEL_NAMES

    if name not in MODEL_NAMES:
        raise ConfigurationError(f"models rollback: unknown model {name!r}; expected one of "
                                 f"{list(MODEL_NAMES)}")
    path = models_dir / "registry.json"
    if not path.is_file():  # the transaction pulls the store first
        return
    try:
        entry = json.loads(path.read_text(encoding="utf-8")).get("champions", {}).get(name)
    except (OSError, ValueError, AttributeError):
        return  # a malformed registry: the transaction's own reader names the problem
    if not isinstance(entry, dict) or not entry.get("history"):
        raise ModelStoreError(f"{path}: {name!r} has no previous version to roll back to")


@app.command("rollback")
def rollback_cmd(name: str, repo_root: RepoRoot = None,
                 push: Annotated[bool, typer.Option("--push/--no-push")] = True) -> None:
    """Make the previous version of NAME the champion again (pushed and committed)."""
    from aegis.config import get_settings

    # before any network call (DVC, S3, git) or heavy import
    check_rollback(name, get_settings().resolved_models_dir)
    from aegis.registry.publish import publish_rollback

    cfg = _store(repo_root)
    check_rollback(name, cfg.models_dir)
    version, commit = publish_rollback(name, cfg, push=push, settings=get_settings())
    typer.echo(f"{name}: champion is now {version}" + (f" ({commit[:12]})" if commit else ""))

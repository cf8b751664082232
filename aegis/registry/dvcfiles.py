"""``dvc.yaml``: the training path as DVC stages, the five models as DVC 3 artifacts, and
their metrics files for ``dvc metrics``.

The committed ``dvc.yaml`` at the repository root is exactly ``dvc_yaml_text("models",
"aegis/params.yaml", stages=True)`` (a unit test checks it): the stages ``features ->
validate -> train -> gate`` run the same stage functions as the nightly DAG through
``aegis pipeline stage NAME`` (:mod:`aegis.pipeline.dvcstages`), with ``aegis/params.yaml``
(the hyper-parameters' one home, shipped in the wheel) as their params file.
:func:`write_dvc_yaml` writes the artifacts and metrics (no stages: a store repository holds no
code) into a new store repository, so ``dvc metrics show`` / ``dvc metrics diff`` and ``dvc
artifacts get`` work the same in both.

Every metrics file named here exists in every commit: a model without a champion has the
:func:`no_champion_metrics` file (says so, no number), so ``dvc metrics show`` on a clean clone
loads them all; a promotion rewrites the champion's file in its commit.
"""

from __future__ import annotations

import json
from pathlib import Path

from aegis.atomic import write_text_atomic
from aegis.registry.artifacts import MODEL_FILE

#: name -> description of each published model (the store's five champions).
ARTIFACTS: dict[str, str] = {
    "trap": "volatility trap: P(realised variance to expiry > the variance the premium paid)",
    "expiry_stress": "expiry stress: P(|ln(S_expiry/S)| > sigma*sqrt(D/365))",
    "breach": "breach calibration: P(touch) and P(close beyond) of strikes around spot",
    "direction": "direction tomorrow: P(next close > today's), GRU over 20 sessions",
    "buyer": "buyer signal: P(next-session spike), BREAKOUT above a walk-forward threshold",
}

METRICS_DIR = "metrics"


GATE_METRICS = f"{METRICS_DIR}/gate.json"
"""The last ``dvc repro``'s gate decisions, every model (the ``gate`` stage's metrics)."""
RECORDS_DIR = "dvc"
"""Where the stages keep their records (small JSON outputs, git-tracked like dvc.lock)."""

STAGES: tuple[tuple[str, list[str], list[str]], ...] = (
    # name, deps (besides the previous stage's record), params keys
    ("features", ["aegis/features"], []),
    ("validate", ["expectations", "aegis/validation"], []),
    ("train", ["aegis/models"], ["gate", "models"]),
    ("gate", ["aegis/models/gate.py"], ["gate"]),
)


def metrics_file(repo_root: Path, name: str) -> Path:
    """The git-tracked metrics file of champion ``name`` (rewritten by each promotion)."""
    return repo_root / METRICS_DIR / f"{name}.json"


def no_champion_metrics(name: str) -> dict[str, object]:
    """The metrics file of a model with no champion in this commit: says so, no number."""
    return {"name": name, "champion": False, "published": "climatology",
            "reason": "no champion in this commit: the gate has not promoted one (the snapshot "
                      "publishes climatology; see `aegis models list`)"}


def write_missing_metrics(repo_root: Path) -> list[Path]:
    """Write :func:`no_champion_metrics` for every model whose metrics file is absent."""
    written = []
    for name in ARTIFACTS:
        path = metrics_file(repo_root, name)
        if not path.exists():
            write_text_atomic(path, json.dumps(no_champion_metrics(name), indent=2) + "\n")
            written.append(path)
    return written


def _stages_lines(params_rel: str) -> list[str]:
    lines = ["stages:"]
    previous: str | None = None
    for name, deps, keys in STAGES:
        record = f"{RECORDS_DIR}/{name}.json"
        cmd = f"aegis pipeline stage {name} --record {record}"
        if name == "gate":
            cmd += f" --metrics {GATE_METRICS}"
        lines += [f"  {name}:", f"    cmd: {cmd}", "    deps:"]
        lines += [f"      - {d}" for d in ([f"{RECORDS_DIR}/{previous}.json"] if previous else [])
                  + deps]
        if keys:
            lines += ["    params:", f"      - {params_rel}:"]
            lines += [f"          - {k}" for k in keys]
        # git-tracked small JSON (cache: false): `dvc pull` on a clean clone, before any
        # dvc.lock names their hashes, has nothing to fetch and nothing to fail on
        lines += ["    outs:", f"      - {record}:", "          cache: false"]
        if name == "features":  # reads the market store under AEGIS_HOME, outside the repo
            lines.append("    always_changed: true")
        if name == "gate":
            lines += ["    metrics:", f"      - {GATE_METRICS}:", "          cache: false"]
        previous = name
    return lines


def dvc_yaml_text(models_rel: str = "models", params_rel: str | None = None,
                  stages: bool = False) -> str:
    """The ``dvc.yaml`` of a store whose models folder is ``models_rel`` (POSIX, relative).

    ``params_rel``: the hyper-parameters file inside the repository (``aegis/params.yaml`` in
    the project's checkout), listed under ``params:`` so that ``dvc params diff`` works.
    ``stages``: the training path as stages (the project's checkout, which holds the code).
    """
    lines = [
        "# The training path as DVC stages and the model registry (DVC 3 artifacts).",
        "# `dvc repro` runs features -> validate -> train -> gate, the stage functions of the",
        "# nightly DAG (aegis pipeline stage NAME), on the market store under AEGIS_HOME; the",
        "# gate promotes into models/ locally and `aegis models push` publishes (docs/",
        "# operations.md, \"The ML engineer\"). models/ is tracked by models.dvc; every",
        "# promotion rewrites models.dvc and metrics/<name>.json in one git commit, so",
        "# `git log models.dvc` is the promotion history, `dvc metrics diff REV` compares two",
        "# versions and `dvc artifacts get . NAME --rev REV` fetches one model of any version.",
        "# Written by aegis/registry/dvcfiles.py; do not edit by hand.",
    ]
    if stages:
        lines += _stages_lines(params_rel or "aegis/params.yaml")
    lines.append("artifacts:")
    for name, desc in ARTIFACTS.items():
        lines += [f"  {name}:", f"    path: {models_rel}/{name}/{MODEL_FILE}", "    type: model",
                  f"    desc: \"{desc}\"", "    labels: [onnx]"]
    lines.append("metrics:")
    lines += [f"  - {METRICS_DIR}/{name}.json" for name in ARTIFACTS]
    if params_rel is not None:
        lines += ["params:", f"  - {params_rel}"]
    return "\n".join(lines) + "\n"


def write_dvc_yaml(repo_root: Path, models_dir: Path) -> Path:
    """Write :func:`dvc_yaml_text` for ``models_dir`` into ``repo_root/dvc.yaml``, and the
    no-champion metrics file of every model that has none yet."""
    path = repo_root / "dvc.yaml"
    params = repo_root / "aegis" / "params.yaml"
    text = dvc_yaml_text(models_dir.relative_to(repo_root).as_posix(),
                         "aegis/params.yaml" if params.is_file() else None)
    write_text_atomic(path, text)
    write_missing_metrics(repo_root)
    return path

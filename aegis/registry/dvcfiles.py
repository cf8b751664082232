"""``dvc.yaml``: the five models as DVC 3 artifacts, their metrics files for ``dvc metrics``.

The committed ``dvc.yaml`` at the repository root is exactly :func:`dvc_yaml_text` for
``models/`` (a unit test checks it); :func:`write_dvc_yaml` writes the same text into a new
store repository (the demo's scratch repository), so ``dvc metrics show`` / ``dvc metrics diff``
and ``dvc artifacts get`` work the same in both.
"""

from __future__ import annotations

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


def metrics_file(repo_root: Path, name: str) -> Path:
    """The git-tracked metrics file of champion ``name`` (rewritten by each promotion)."""
    return repo_root / METRICS_DIR / f"{name}.json"


def dvc_yaml_text(models_rel: str = "models", params_rel: str | None = None) -> str:
    """The ``dvc.yaml`` of a store whose models folder is ``models_rel`` (POSIX, relative).

    ``params_rel``: the hyper-parameters file inside the repository (``aegis/params.yaml`` in
    the project's checkout), listed under ``params:`` so that ``dvc params diff`` works.
    """
    lines = [
        "# The model registry (DVC 3 artifacts). models/ is tracked by models.dvc; every",
        "# promotion rewrites models.dvc and metrics/<name>.json in one git commit, so",
        "# `git log models.dvc` is the promotion history, `dvc metrics diff REV` compares two",
        "# versions and `dvc artifacts get . NAME --rev REV` fetches one model of any version.",
        "# Written by aegis/registry/dvcfiles.py; do not edit by hand.",
        "artifacts:",
    ]
    for name, desc in ARTIFACTS.items():
        lines += [f"  {name}:", f"    path: {models_rel}/{name}/{MODEL_FILE}", "    type: model",
                  f"    desc: \"{desc}\"", "    labels: [onnx]"]
    lines.append("metrics:")
    lines += [f"  - {METRICS_DIR}/{name}.json" for name in ARTIFACTS]
    if params_rel is not None:
        lines += ["params:", f"  - {params_rel}"]
    return "\n".join(lines) + "\n"


def write_dvc_yaml(repo_root: Path, models_dir: Path) -> Path:
    """Write :func:`dvc_yaml_text` for ``models_dir`` into ``repo_root/dvc.yaml``."""
    path = repo_root / "dvc.yaml"
    params = repo_root / "aegis" / "params.yaml"
    text = dvc_yaml_text(models_dir.relative_to(repo_root).as_posix(),
                         "aegis/params.yaml" if params.is_file() else None)
    write_text_atomic(path, text)
    return path

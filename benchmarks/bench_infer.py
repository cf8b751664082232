"""Inference benchmarks: ``aegis infer`` whole process (< 3 s) and its compute (< 0.5 s).

Plain functions returning measured figures (no assertions). ``python -m benchmarks.bench_infer``
takes no arguments and prints one JSON object on stdout (progress goes to stderr). It

1. builds a deployment in a temporary ``AEGIS_HOME`` by running the pipeline stages in a child
   process: ingest -> build_features -> validate -> train -> promote_and_push(push=True) ->
   recompute_rates, with ``AEGIS_GIT_COMMIT_MODELS=false`` and
   ``AEGIS_MODELS_DIR=<home>/deploy/models``. The data is the full real daily history
   (``AEGIS_SOURCE=history``, ``AEGIS_HISTORY_DIR=$AEGIS_REAL_DATA_DIR/history``) when
   ``$AEGIS_REAL_DATA_DIR`` holds it, else 10 simulated years (the JSON says which).
   ``AEGIS_BENCH_INFER_HOME=<folder>`` reuses (or builds once into) a persistent deployment;
2. compiles the checkout's bytecode (as ``make install`` does), then times
   ``aegis infer --json OUT --no-table`` as a whole process (best of 3; target < 3 s),
   and paired with its import floor (:data:`FLOOR_CODE`: a process importing only numpy,
   pandas, onnxruntime, pydantic and pyarrow) in the same run, A B A B ... after a warm-up
   of each: the median of the pairwise ratios of wall and CPU time (target <= 1.3x);
3. in a fresh interpreter: the import time of the inference path, then
   ``build_snapshot(settings)`` once (what ``aegis infer`` pays; target < 0.5 s) and warm,
   loading every champion (< 0.5 s) and one inference pass over them (< 50 ms);
4. ``python -X importtime`` of ``aegis infer`` and of ``aegis --help``: the packages that cost
   the most and the ``aegis`` module that pulls each in.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
TARGET_PROCESS_S = 3.0
TARGET_COMPUTE_S = 0.5
TARGET_LOAD_ALL_S = 0.5
TARGET_INFER_MS = 50.0
TARGET_FLOOR_RATIO = 1.3
PAIRS = 21
FLOOR_CODE = "import numpy, pandas, onnxruntime, pydantic, pyarrow"
"""What ``aegis infer`` must load at the least: its import floor (the target is against it)."""
LOADED_FLOOR_CODE = ("import os; os.environ['PYDANTIC_DISABLE_PLUGINS'] = '__all__'; "
                     "import numpy, pandas, onnxruntime, pyarrow, pyarrow.parquet, pydantic; "
                     "pydantic.create_model('M', x=(int, ...))")
"""For context only, never the target: the same libraries as far as any use of them loads
them. ``import pydantic`` alone loads a lazy shell: the first model class loads its model
machinery (``pydantic.main``, the schema builder), and the first Parquet read loads
``pyarrow.parquet``; both are in every ``aegis infer`` whatever its own code does."""
SIM_YEARS = 10.0
#: Libraries the inference path must not import (DESIGN.md: onnxruntime + numpy/pandas only).
FORBIDDEN = ("sklearn", "torch", "great_expectations", "airflow", "dvc", "skl2onnx", "matplotlib")

STAGES = """
import json, sys, time
from aegis import pipeline
out = {}
RUN = "bench-infer"
for name, stage in (("ingest", pipeline.ingest),
                    ("build_features", lambda: pipeline.build_features(RUN)),
                    ("validate", lambda: pipeline.validate(RUN)), ("train", pipeline.train),
                    ("promote_and_push", lambda: pipeline.promote_and_push(push=True)),
                    ("recompute_rates", pipeline.recompute_rates)):
    t0 = time.perf_counter()
    stage()
    out[name] = round(time.perf_counter() - t0, 2)
    print(f"[bench_infer] stage {name}: {out[name]} s", file=sys.stderr, flush=True)
print(json.dumps(out))
"""


def log(message: str) -> None:
    """Progress on stderr (stdout carries only the final JSON for ``benchmarks.run``)."""
    print(f"[bench_infer] {message}", file=sys.stderr, flush=True)


def real_history_dir() -> Path | None:
    """``$AEGIS_REAL_DATA_DIR/history`` when present; else ``None`` (with a message)."""
    raw = os.environ.get("AEGIS_REAL_DATA_DIR")
    if raw and (Path(raw) / "history").is_dir():
        return Path(raw) / "history"
    log(f"AEGIS_REAL_DATA_DIR={raw!r} has no history/ folder: measuring on "
        f"{SIM_YEARS:g} simulated years instead")
    return None


def deployment_env(home: Path, history: Path | None) -> dict[str, str]:
    """The environment of a deployment in ``home`` (inherits everything but ``AEGIS_*``)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("AEGIS_") or k == "AEGIS_REAL_DATA_DIR"}
    env.update(AEGIS_HOME=str(home), AEGIS_MODELS_DIR=str(home / "deploy" / "models"),
               AEGIS_GIT_COMMIT_MODELS="false", AEGIS_SEED="7")
    if history is None:
        env.update(AEGIS_SOURCE="simulator", AEGIS_SIM_YEARS=str(SIM_YEARS))
    else:
        env.update(AEGIS_SOURCE="history", AEGIS_HISTORY_DIR=str(history))
    return env


def _python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env,
                          capture_output=True, text=True, check=False)


def _last_json(proc: subprocess.CompletedProcess[str], what: str) -> dict[str, Any]:
    if proc.returncode != 0:
        raise RuntimeError(f"{what} failed (exit {proc.returncode}): {proc.stderr[-2000:]}")
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def prepare_deployment(env: dict[str, str]) -> dict[str, float]:
    """Run every stage up to the rates in a child process; seconds per stage."""
    proc = subprocess.run([sys.executable, "-c", STAGES], cwd=REPO, env=env, text=True,
                          stdout=subprocess.PIPE, stderr=None, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"preparing the deployment failed (exit {proc.returncode})")
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def aegis_command() -> list[str]:
    """The installed ``aegis`` console script beside this interpreter, else ``-m aegis.cli``."""
    script = Path(sys.executable).with_name("aegis")
    return [str(script)] if script.exists() else [sys.executable, "-m", "aegis.cli"]


def bench_cli_infer(env: dict[str, str], out: Path, repeats: int = 3) -> dict[str, Any]:
    """Wall time of ``aegis infer --json OUT --no-table`` as a whole process."""
    runs = []
    for _ in range(repeats):
        start = time.perf_counter()
        proc = subprocess.run([*aegis_command(), "infer", "--json", str(out), "--no-table"],
                              cwd=REPO, env=env, capture_output=True, text=True, check=False)
        runs.append(time.perf_counter() - start)
        if proc.returncode != 0:
            raise RuntimeError(f"aegis infer failed (exit {proc.returncode}): {proc.stderr}")
    snapshot = json.loads(out.read_text(encoding="utf-8"))
    return {
        "process_s": round(min(runs), 3),
        "runs_s": [round(t, 3) for t in runs],
        "target_s": TARGET_PROCESS_S,
        "meets_target": min(runs) < TARGET_PROCESS_S,
        "snapshot_status": snapshot.get("status"),
        "degraded_fields": [r["field"] for r in snapshot.get("degraded_reasons", [])],
    }


Row = tuple[float, float, int, int]
"""(wall s, user+sys CPU s, exit status, peak RSS KiB) of one whole process."""

GC_ON_CODE = ("import sys; from aegis.cli import main, hard_exit; "
              "sys.argv = ['aegis', *sys.argv[1:]]; main(); hard_exit(0)")
"""The same publish as the console script with Python's cyclic collector left on (the console
turns it off for the 30-minute publish): its cost and the memory it saves, for context."""


def compile_sources() -> float:
    """Compile the checkout's bytecode first (seconds), as ``make install`` and the image do:
    with ``PYTHONDONTWRITEBYTECODE`` set, a source edited since then would otherwise be
    compiled again by every timed process (store.py alone: ~6 ms) and inflate the figures."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO / "aegis")], cwd=REPO,
                   check=True)
    return round(time.perf_counter() - start, 2)


def _timed_process(args: list[str], env: dict[str, str]) -> Row:
    """(wall s, user+sys CPU s, exit status, peak RSS KiB) of one whole process (``os.wait4``
    rusage)."""
    start = time.perf_counter()
    proc = subprocess.Popen(args, cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_utime + usage.ru_stime, proc.returncode, usage.ru_maxrss


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def _ratios(rows: list[tuple[Row, Row]]) -> dict[str, Any]:
    wall = [a[0] / b[0] for a, b in rows]
    cpu = [a[1] / b[1] for a, b in rows]
    return {
        "ratio_wall_median": round(_median(wall), 3),
        "ratio_wall_range": [round(min(wall), 3), round(max(wall), 3)],
        "ratio_cpu_median": round(_median(cpu), 3),
        "ratio_cpu_range": [round(min(cpu), 3), round(max(cpu), 3)],
    }


def bench_vs_floor(env: dict[str, str], out: Path, pairs: int = PAIRS) -> dict[str, Any]:
    """``aegis infer`` against its import floor, pair by pair (A B C D A B C D ...; one warm-up
    each): medians of each and of the pairwise ratios A/B, wall and CPU (user + sys). For
    context, beside it: C, the floor with its libraries loaded as any use loads them
    (:data:`LOADED_FLOOR_CODE`), and D, the same publish with the cyclic collector on
    (:data:`GC_ON_CODE`), with each one's peak memory; the target is A against B."""
    infer = [*aegis_command(), "infer", "--json", str(out), "--no-table"]
    floor = [sys.executable, "-c", FLOOR_CODE]
    loaded = [sys.executable, "-c", LOADED_FLOOR_CODE]
    gc_on = [sys.executable, "-c", GC_ON_CODE, "infer", "--json", str(out), "--no-table"]
    names = ("aegis infer", "floor", "loaded floor", "aegis infer with the collector on")
    for args in (infer, floor, loaded, gc_on):  # warm-up: page cache
        _timed_process(args, env)
    rows, loaded_rows, gc_rows = [], [], []
    for _ in range(pairs):
        a, b, c, d = (_timed_process(infer, env), _timed_process(floor, env),
                      _timed_process(loaded, env), _timed_process(gc_on, env))
        failed = [f"{n} exit {r[2]}" for n, r in zip(names, (a, b, c, d), strict=True) if r[2]]
        if failed:
            raise RuntimeError(f"a paired run failed: {', '.join(failed)}")
        rows.append((a, b))
        loaded_rows.append((a, c))
        gc_rows.append((d, b))
    ratios = _ratios(rows)

    def rss_mb(values: list[int]) -> float:
        return round(_median([float(v) for v in values]) / 1024, 1)

    return {
        "floor": FLOOR_CODE, "pairs": pairs,
        "infer_wall_s": round(_median([a[0] for a, _ in rows]), 3),
        "floor_wall_s": round(_median([b[0] for _, b in rows]), 3),
        "infer_cpu_s": round(_median([a[1] for a, _ in rows]), 3),
        "floor_cpu_s": round(_median([b[1] for _, b in rows]), 3),
        **ratios,
        "target_ratio": TARGET_FLOOR_RATIO,
        "meets_target": ratios["ratio_wall_median"] <= TARGET_FLOOR_RATIO,
        "infer_peak_rss_mb": rss_mb([a[3] for a, _ in rows]),
        "floor_peak_rss_mb": rss_mb([b[3] for _, b in rows]),
        "vs_loaded_floor": {
            "floor": LOADED_FLOOR_CODE, "target": "none (context only)",
            "floor_wall_s": round(_median([c[0] for _, c in loaded_rows]), 3),
            "floor_cpu_s": round(_median([c[1] for _, c in loaded_rows]), 3),
            **_ratios(loaded_rows),
        },
        "with_collector_on": {
            "command": GC_ON_CODE, "target": "none (context only)",
            "infer_wall_s": round(_median([d[0] for d, _ in gc_rows]), 3),
            "infer_cpu_s": round(_median([d[1] for d, _ in gc_rows]), 3),
            "peak_rss_mb": rss_mb([d[3] for d, _ in gc_rows]),
            **_ratios(gc_rows),
        },
    }


def measure_in_child() -> None:
    """Run in a fresh interpreter (see :func:`bench_in_process`); prints one JSON line."""
    t0 = time.perf_counter()
    import aegis.pipeline.inference as inference

    t1 = time.perf_counter()
    import onnxruntime  # noqa: F401  (imported lazily by the registry; counted apart)

    import aegis.analytics
    import aegis.models.inputs
    import aegis.rates
    import aegis.snapshot  # noqa: F401
    from aegis.config import get_settings
    from aegis.models.inputs import breach_inputs, row_inputs, sequence_inputs
    from aegis.models.specs import MODEL_SPECS
    from aegis.pipeline.data import read_validated_features
    from aegis.registry.artifacts import load_champion, read_registry

    t2 = time.perf_counter()
    settings = get_settings()
    start = time.perf_counter()
    inference.build_snapshot(settings)
    first = time.perf_counter() - start
    warm = []
    for _ in range(3):
        start = time.perf_counter()
        inference.build_snapshot(settings)
        warm.append(time.perf_counter() - start)

    import numpy as np

    models_dir = settings.resolved_models_dir
    names = sorted(read_registry(models_dir)["champions"])
    start = time.perf_counter()
    champions = {name: load_champion(name, models_dir) for name in names}
    load_s = time.perf_counter() - start
    features = read_validated_features(settings)
    today = features.iloc[[-1]]
    spot, sigma = float(today["close"].iloc[0]), float(today["vix"].iloc[0]) / 100
    strikes = spot * np.array([0.95, 0.96, 0.97, 0.98, 0.99, 1.01, 1.02, 1.03, 1.04, 1.05])
    n = len(strikes)
    daily = np.tile(today[list(MODEL_SPECS["breach"].features)].to_numpy(float), (n, 1))
    days = float(today["days_to_expiry"].iloc[0])
    args = (np.full(n, spot), strikes, np.full(n, sigma), np.full(n, days))
    inputs = {
        "breach": breach_inputs(*args, np.zeros(n, bool), daily),
        "direction": sequence_inputs("direction",
                                     features.iloc[-MODEL_SPECS["direction"].window:])[0][-1:],
    }
    inputs.update({k: row_inputs(k, today) for k in names if k not in inputs})
    for name, model in champions.items():
        model.predict_proba(inputs[name])  # warm-up
    start = time.perf_counter()
    for name, model in champions.items():
        model.predict_proba(inputs[name])
    pass_ms = (time.perf_counter() - start) * 1000
    print(json.dumps({
        "import_inference_module_s": round(t1 - t0, 3),
        "import_rest_of_path_s": round(t2 - t1, 3),
        "build_snapshot_first_s": round(first, 3),
        "build_snapshot_warm_s": round(min(warm), 3),
        "champions": names,
        "load_all_champions_s": round(load_s, 4),
        "inference_pass_ms": round(pass_ms, 3),
        "forbidden_modules_loaded": sorted(m for m in FORBIDDEN if m in sys.modules),
        "sessions_in_features": len(features),
    }))


def bench_in_process(env: dict[str, str]) -> dict[str, Any]:
    """Imports, ``build_snapshot`` (first and warm), champion loading, one inference pass."""
    figures = _last_json(
        _python("from benchmarks.bench_infer import measure_in_child; measure_in_child()", env),
        "the in-process measurement")
    figures.update(
        target_compute_s=TARGET_COMPUTE_S,
        meets_compute_target=figures["build_snapshot_first_s"] < TARGET_COMPUTE_S,
        target_load_all_s=TARGET_LOAD_ALL_S, target_inference_ms=TARGET_INFER_MS,
        meets_load_target=figures["load_all_champions_s"] < TARGET_LOAD_ALL_S,
        meets_inference_target=figures["inference_pass_ms"] < TARGET_INFER_MS,
    )
    return figures


def parse_importtime(stderr: str) -> list[tuple[int, int, str, int | None]]:
    """``-X importtime`` lines as (self_us, cumulative_us, module, parent line or None)."""
    rows: list[tuple[int, int, str, int]] = []
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        own, cumulative, name = line[len("import time:"):].split("|")
        depth = (len(name) - len(name.lstrip(" "))) // 2
        rows.append((int(own), int(cumulative), name.strip(), depth))
    parents: list[int | None] = [None] * len(rows)
    open_at: dict[int, int] = {}
    for i in range(len(rows) - 1, -1, -1):  # post-order: a parent follows its children
        depth = rows[i][3]
        parents[i] = open_at.get(depth - 1)
        open_at[depth] = i
    return [(own, cum, name, parents[i]) for i, (own, cum, name, _) in enumerate(rows)]


def import_breakdown(env: dict[str, str], args: list[str], top: int = 12) -> dict[str, Any]:
    """``python -X importtime ARGS``: the packages costing the most and who pulls them in.

    ``self_ms_by_package`` sums the self time of every module of a top-level package (the
    figures add up to the total); ``pulled_in_by`` names the ``aegis`` module whose import
    first brought each costly package in.
    """
    proc = subprocess.run([sys.executable, "-X", "importtime", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"python -X importtime {' '.join(args)} failed: "
                           f"{proc.stderr[-2000:]}")
    rows = parse_importtime(proc.stderr)
    by_root: dict[str, int] = {}
    pulled_in_by: dict[str, str] = {}
    for own, _, name, parent in rows:
        root = name.split(".")[0]
        by_root[root] = by_root.get(root, 0) + own
        if root == "aegis" or root in pulled_in_by:
            continue
        while parent is not None and not rows[parent][2].startswith("aegis"):
            parent = rows[parent][3]
        if parent is not None:
            pulled_in_by[root] = rows[parent][2]
    ranked = sorted(by_root.items(), key=lambda kv: -kv[1])[:top]
    return {
        "command": "python -X importtime " + " ".join(args),
        "total_ms": round(sum(by_root.values()) / 1000, 1),
        "self_ms_by_package": {k: round(v / 1000, 1) for k, v in ranked},
        "pulled_in_by": {k: pulled_in_by[k] for k, _ in ranked if k in pulled_in_by},
    }


def main() -> dict[str, Any]:
    history = real_history_dir()
    keep = os.environ.get("AEGIS_BENCH_INFER_HOME")
    with tempfile.TemporaryDirectory(prefix="aegis-bench-infer-") as tmp:
        home = Path(keep).resolve() if keep else Path(tmp)
        env = deployment_env(home, history)
        out: dict[str, Any] = {
            "source": (f"real history {history}" if history
                       else f"simulator seed 7, {SIM_YEARS:g} years (no real data)"),
        }
        registry = home / "deploy" / "models" / "registry.json"
        if keep and registry.exists():
            log(f"reusing the deployment in {home}")
            out["prepare_s"] = "reused"
        else:
            log(f"building a deployment in {home} (several minutes)")
            out["prepare_s"] = prepare_deployment(env)
        log("compiling the checkout's bytecode")
        out["compile_s"] = compile_sources()
        log("timing aegis infer")
        out["aegis_infer"] = bench_cli_infer(env, Path(tmp) / "aegismatrix.json")
        log(f"pairing aegis infer with its import floor ({PAIRS} pairs)")
        out["vs_import_floor"] = bench_vs_floor(env, Path(tmp) / "aegismatrix.json")
        log("timing build_snapshot, champion loading and one inference pass")
        out["in_process"] = bench_in_process(env)
        snapshot = str(Path(tmp) / "importtime.json")
        out["importtime_infer"] = import_breakdown(
            env, ["-m", "aegis.cli", "infer", "--json", snapshot, "--no-table"])
        out["importtime_help"] = import_breakdown(env, ["-m", "aegis.cli", "--help"])
    return out


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))

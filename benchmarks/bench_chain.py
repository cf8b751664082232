"""The 30-minute chain for one slot, each stage as a process (goal: <= 10 s in all).

``python -m benchmarks.bench_chain`` takes no arguments and prints one JSON object on stdout
(progress goes to stderr). It

1. builds a deployment in a temporary ``AEGIS_HOME`` (``AEGIS_BENCH_CHAIN_HOME=<folder>``
   reuses or builds once into a persistent one): the stages of
   :data:`benchmarks.bench_infer.STAGES` (ingest -> features -> validate -> train -> promote
   -> rates) on :data:`SIM_YEARS` simulated years, with the clock pinned before the open of
   the slot's day (``AEGIS_CLOCK``), so the store holds the history up to the previous close;
2. writes the slot's 1-minute NIFTY and India VIX bars (09:15 up to the slot, the simulator's
   for that day) as ``timestamp,open,high,low,close,volume`` CSV files with +05:30 offsets;
3. with ``AEGIS_CLOCK`` at the slot, times the acceptance contract's chain, each command a
   process: ``aegis data ingest --symbol NIFTY50 bars.csv``, ``aegis data ingest --symbol
   INDIAVIX vixbars.csv``, ``aegis pipeline features``, ``aegis pipeline validate --run-id
   ID``, ``aegis infer --json OUT``. Best total of :data:`REPEATS` slots (each a new slot 30
   minutes later, so every ingest brings new bars), after one warm-up slot (:data:`WARM_UP`)
   that lets Python write its bytecode caches: ``PYTHONDONTWRITEBYTECODE`` is removed from the
   children's environment, since a deployment runs from cached bytecode and compiling every
   imported module from source triples the time of each process.

Each step's CPU seconds are measured beside its wall time (``cpu_s``): on a shared machine
the wall time grows with the load, the CPU time much less. ``published`` says whether
``aegis infer`` published a snapshot (its error otherwise).
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.bench_infer import aegis_command, deployment_env, prepare_deployment

REPO = Path(__file__).resolve().parents[1]
TARGET_TOTAL_S = 10.0
SIM_YEARS = 10.0
DAY = "2024-06-20"  # a Thursday, weekly expiry day
BEFORE_OPEN = f"{DAY}T09:00:00+05:30"
WARM_UP = f"{DAY}T12:45:00+05:30"
SLOTS = (f"{DAY}T13:15:00+05:30", f"{DAY}T13:45:00+05:30", f"{DAY}T14:15:00+05:30")
REPEATS = len(SLOTS)
CPU: dict[str, float] = {}


def log(message: str) -> None:
    print(f"[bench_chain] {message}", file=sys.stderr, flush=True)


def write_bars(folder: Path, slot: str, seed: int) -> tuple[Path, Path, float]:
    """The simulator's NIFTY and India VIX minute bars of the slot's day before the slot."""
    import pandas as pd

    from aegis.market.sources.simulator import simulate

    market = simulate(seed, 0.2, now=pd.Timestamp(slot), intraday_sessions=1, chain_sessions=0)
    paths = []
    for name, frame in (("bars.csv", market.nifty_intraday),
                        ("vixbars.csv", market.vix_intraday)):
        table = frame.copy()
        table.index = frame.index.map(lambda t: t.isoformat())
        table.index.name = "timestamp"
        table["volume"] = table["volume"].fillna(0)
        path = folder / name
        table.to_csv(path)
        paths.append(path)
    return paths[0], paths[1], float(market.nifty_intraday["close"].iloc[-1])


def run(step: str, args: list[str], env: dict[str, str], *, must: bool = True
        ) -> tuple[float, subprocess.CompletedProcess[str]]:
    """Wall seconds of one ``aegis`` process; a failure raises unless ``must`` is False.

    Its CPU seconds (user + system) go to :data:`CPU`: on a shared machine the wall time
    grows with the load, the CPU time much less.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run([*aegis_command(), *args], cwd=REPO, env=env, capture_output=True,
                          text=True, check=False)
    took = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU[step] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if must and proc.returncode != 0:
        raise RuntimeError(f"{step} failed (exit {proc.returncode}): {proc.stderr[-2000:]}")
    return took, proc


def one_slot(env: dict[str, str], folder: Path, slot: str) -> dict[str, Any]:
    bars, vixbars, last_close = write_bars(folder, slot, int(env["AEGIS_SEED"]))
    env = {**env, "AEGIS_CLOCK": slot}
    out = folder / "aegismatrix.json"
    times: dict[str, float] = {}
    CPU.clear()
    times["ingest_nifty"], _ = run("ingest_nifty", ["data", "ingest", "--symbol", "NIFTY50",
                                                      str(bars), "--json"], env)
    times["ingest_vix"], _ = run("ingest_vix", ["data", "ingest", "--symbol", "INDIAVIX",
                                                     str(vixbars), "--json"], env)
    times["features"], done = run("features", ["pipeline", "features"], env)
    run_id = json.loads(done.stdout[done.stdout.index("{"):])["run_id"]
    times["validate"], _ = run("validate", ["pipeline", "validate", "--run-id", run_id], env)
    out.unlink(missing_ok=True)
    times["infer"], done = run("infer", ["infer", "--json", str(out), "--no-table"], env,
                               must=False)
    total = sum(times.values())
    log(f"slot {slot}: {total:.2f} s {times}")
    result: dict[str, Any] = {"slot": slot, "total_s": round(total, 2),
                              "steps_s": {k: round(v, 2) for k, v in times.items()},
                              "cpu_total_s": round(sum(CPU.values()), 2),
                              "cpu_s": {k: round(v, 2) for k, v in CPU.items()},
                              "published": done.returncode == 0, "last_bar_close": last_close}
    if done.returncode != 0:
        result["infer_error"] = (done.stderr.strip().splitlines() or ["?"])[-1][:300]
    else:
        snapshot = json.loads(out.read_text(encoding="utf-8"))
        result.update(snapshot_status=snapshot.get("status"), spot=snapshot.get("spot"))
    return result


def main() -> None:
    persistent = os.environ.get("AEGIS_BENCH_CHAIN_HOME")
    with tempfile.TemporaryDirectory(prefix="aegis-bench-chain-") as tmp:
        home = Path(persistent) if persistent else Path(tmp) / "home"
        env = deployment_env(home, None)
        env.update(AEGIS_SIM_YEARS=str(SIM_YEARS), AEGIS_CLOCK=BEFORE_OPEN)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        built = home / ".bench_chain_built"
        prepare_s = None
        if not built.exists():
            log(f"building the deployment in {home} ({SIM_YEARS:g} simulated years)")
            start = time.perf_counter()
            prepare_deployment(env)
            prepare_s = round(time.perf_counter() - start, 1)
            built.write_text("ok", encoding="utf-8")
        work = Path(tmp) / "slot"
        work.mkdir()
        if persistent:  # the slots run on a copy: the kept deployment stays before the open
            shutil.copytree(home, Path(tmp) / "slot-home", symlinks=True)
            env = {**env, **deployment_env(Path(tmp) / "slot-home", None),
                   "AEGIS_SIM_YEARS": str(SIM_YEARS)}
            env.pop("PYTHONDONTWRITEBYTECODE", None)
        warm = one_slot(env, work, WARM_UP)
        slots = [one_slot(env, work, slot) for slot in SLOTS]
    best = min(slots, key=lambda s: s["total_s"])
    published = [s for s in slots if s["published"]]
    print(json.dumps({
        "total_s": best["total_s"], "cpu_total_s": best["cpu_total_s"],
        "target_s": TARGET_TOTAL_S,
        "meets_target": best["total_s"] <= TARGET_TOTAL_S,
        "published_slots": len(published), "best": best, "slots": slots,
        "warm_up": warm,
        "prepare_s": prepare_s,
        "data": f"{SIM_YEARS:g} simulated years of daily history; the slot's 1-minute bars",
    }, indent=2))


if __name__ == "__main__":
    main()

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
   minutes later, so every ingest brings new bars).
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

from benchmarks.bench_infer import aegis_command, deployment_env, prepare_deployment

REPO = Path(__file__).resolve().parents[1]
TARGET_TOTAL_S = 10.0
SIM_YEARS = 10.0
DAY = "2024-06-20"  # a Thursday, weekly expiry day
BEFORE_OPEN = f"{DAY}T09:00:00+05:30"
SLOTS = (f"{DAY}T13:15:00+05:30", f"{DAY}T13:45:00+05:30", f"{DAY}T14:15:00+05:30")
REPEATS = len(SLOTS)


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


def run(step: str, args: list[str], env: dict[str, str]) -> tuple[float, str]:
    start = time.perf_counter()
    proc = subprocess.run([*aegis_command(), *args], cwd=REPO, env=env, capture_output=True,
                          text=True, check=False)
    took = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{step} failed (exit {proc.returncode}): {proc.stderr[-2000:]}")
    return took, proc.stdout


def one_slot(env: dict[str, str], folder: Path, slot: str) -> dict[str, Any]:
    bars, vixbars, last_close = write_bars(folder, slot, int(env["AEGIS_SEED"]))
    env = {**env, "AEGIS_CLOCK": slot}
    out = folder / "aegismatrix.json"
    times: dict[str, float] = {}
    times["ingest_nifty"], _ = run("ingest NIFTY50", ["data", "ingest", "--symbol", "NIFTY50",
                                                      str(bars), "--json"], env)
    times["ingest_vix"], _ = run("ingest INDIAVIX", ["data", "ingest", "--symbol", "INDIAVIX",
                                                     str(vixbars), "--json"], env)
    times["features"], text = run("features", ["pipeline", "features"], env)
    run_id = json.loads(text[text.index("{"):])["run_id"]
    times["validate"], _ = run("validate", ["pipeline", "validate", "--run-id", run_id], env)
    times["infer"], _ = run("infer", ["infer", "--json", str(out), "--no-table"], env)
    snapshot = json.loads(out.read_text(encoding="utf-8"))
    total = sum(times.values())
    log(f"slot {slot}: {total:.2f} s {times}")
    return {"slot": slot, "total_s": round(total, 2),
            "steps_s": {k: round(v, 2) for k, v in times.items()},
            "snapshot_status": snapshot.get("status"),
            "spot": snapshot.get("spot"), "last_bar_close": last_close}


def main() -> None:
    persistent = os.environ.get("AEGIS_BENCH_CHAIN_HOME")
    with tempfile.TemporaryDirectory(prefix="aegis-bench-chain-") as tmp:
        home = Path(persistent) if persistent else Path(tmp) / "home"
        env = deployment_env(home, None)
        env.update(AEGIS_SIM_YEARS=str(SIM_YEARS), AEGIS_CLOCK=BEFORE_OPEN)
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
        slots = [one_slot(env, work, slot) for slot in SLOTS]
    best = min(slots, key=lambda s: s["total_s"])
    print(json.dumps({
        "total_s": best["total_s"], "target_s": TARGET_TOTAL_S,
        "meets_target": best["total_s"] <= TARGET_TOTAL_S,
        "best": best, "slots": slots, "prepare_s": prepare_s,
        "data": f"{SIM_YEARS:g} simulated years of daily history; the slot's 1-minute bars",
    }, indent=2))


if __name__ == "__main__":
    main()

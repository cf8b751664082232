"""Run every benchmark (``make bench``): each ``benchmarks/bench_*.py`` in its own process.

Each module prints its measured figures as JSON on stdout when run with ``python -m``; this
runner collects them into ``benchmarks/results/latest.json`` and prints one table. Targets
live in the modules beside the measurements; nothing here asserts on time.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def run_one(module: str) -> dict[str, object]:
    """Run ``python -m benchmarks.<module>`` and parse the last JSON document it printed."""
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", f"benchmarks.{module}"],
        cwd=HERE.parent, capture_output=True, text=True, env=os.environ.copy(), check=False,
    )
    wall = time.perf_counter() - started
    out = proc.stdout.strip()
    start = out.find("{")
    if proc.returncode != 0 or start < 0:
        return {"error": (proc.stderr.strip().splitlines() or ["no output"])[-1],
                "returncode": proc.returncode, "wall_s": round(wall, 2)}
    return {"figures": json.loads(out[start:]), "wall_s": round(wall, 2)}


def main(argv: list[str]) -> int:
    names = argv or sorted(p.stem for p in HERE.glob("bench_*.py"))
    results = {}
    for name in names:
        print(f"== {name}", flush=True)
        results[name] = run_one(name)
        print(json.dumps(results[name], indent=2, default=str), flush=True)
    target = HERE / "results" / "latest.json"
    target.parent.mkdir(exist_ok=True)
    target.write_text(json.dumps(results, indent=2, default=str), encoding="utf-8")
    print(f"wrote {target}")
    return 1 if any("error" in r for r in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

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


def real_data_dir() -> Path | None:
    """``$AEGIS_REAL_DATA_DIR``, else ``../shared/data`` beside the repository, if present."""
    raw = os.environ.get("AEGIS_REAL_DATA_DIR")
    folder = Path(raw) if raw else HERE.parent.parent / "shared" / "data"
    return folder if (folder / "history").is_dir() else None


def last_json(text: str) -> object:
    """The last JSON document printed on stdout (modules may print progress before it)."""
    decoder = json.JSONDecoder()
    for start in sorted((i for i, ch in enumerate(text) if ch == "{"), reverse=True):
        if start and text[start - 1] != "\n":
            continue
        try:
            value, end = decoder.raw_decode(text, start)
        except json.JSONDecodeError:
            continue
        if not text[end:].strip():
            return value
    raise ValueError("no JSON document at the end of the output")


def run_one(module: str) -> dict[str, object]:
    """Run ``python -m benchmarks.<module>`` and parse the last JSON document it printed."""
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", f"benchmarks.{module}"],
        cwd=HERE.parent, capture_output=True, text=True, env=os.environ.copy(), check=False,
    )
    wall = time.perf_counter() - started
    out = proc.stdout.strip()
    try:
        figures = last_json(out) if proc.returncode == 0 else None
    except ValueError:
        figures = None
    if figures is None:
        return {"error": (proc.stderr.strip().splitlines() or ["no output"])[-1],
                "returncode": proc.returncode, "wall_s": round(wall, 2)}
    return {"figures": figures, "wall_s": round(wall, 2)}


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

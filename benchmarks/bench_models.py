"""Model benchmark: train all models on 2000-2022 (< 60 s), load all champions (< 0.5 s),
one inference pass over every champion (< 50 ms).

Plain functions returning measured figures (no assertions); run as
``python -m benchmarks.bench_models [/path/to/data]`` (the folder holding ``history/``;
default ``$AEGIS_REAL_DATA_DIR`` or ``../shared/data``; the seeded simulator, 23 years, when no
real data is found). Prints one JSON object.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pandas as pd

TARGET_TRAIN_ALL_S = 60.0
TARGET_LOAD_ALL_S = 0.5
TARGET_INFER_MS = 50.0


def market(data_dir: Path | None) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """NIFTY and VIX 2000-2022 from real files, else 23 simulated years."""
    if data_dir is not None and (data_dir / "history").is_dir():
        from aegis.market.history import load_history_dir

        h = load_history_dir(data_dir / "history")
        return h.nifty.loc[:"2022-12-31"], h.vix.loc[:"2022-12-31"], f"real {data_dir}"
    from aegis.market.sources.simulator import simulate

    m = simulate(7, 23.0, end=pd.Timestamp("2022-12-30"))
    return m.nifty, m.vix, "simulator seed 7, 23 years"


def bench(data_dir: Path | None) -> dict[str, Any]:
    from aegis.features.daily import build_daily_features
    from aegis.models.training import train_all
    from tests.store_helpers import write_champion

    nifty, vix, source = market(data_dir)
    features = build_daily_features(nifty, vix)
    per_model: dict[str, float] = {}
    started = time.perf_counter()
    trained = {}
    for name in ("trap", "expiry_stress", "breach", "direction", "buyer"):
        t0 = time.perf_counter()
        trained.update(train_all(nifty, vix, features, seed=0, names=(name,)))
        per_model[name] = round(time.perf_counter() - t0, 2)
    train_s = time.perf_counter() - started

    with tempfile.TemporaryDirectory() as tmp:
        for model in trained.values():
            write_champion(model, tmp)
        # a fresh process would also pay the onnxruntime import; measure it separately
        t0 = time.perf_counter()
        import onnxruntime  # noqa: F401

        import_ort_s = time.perf_counter() - t0
        from aegis.registry.artifacts import load_champion

        t0 = time.perf_counter()
        champions = {name: load_champion(name, tmp) for name in trained}
        load_s = time.perf_counter() - t0
        inputs = {name: trained[name].fold.X[-1:] for name in trained}
        for name, champion in champions.items():
            champion.predict_proba(inputs[name])  # warm-up
        t0 = time.perf_counter()
        for name, champion in champions.items():
            champion.predict_proba(inputs[name])
        infer_ms = (time.perf_counter() - t0) * 1000

    return {
        "source": source,
        "sessions": len(nifty),
        "train_all_s": round(train_s, 2),
        "train_per_model_s": per_model,
        "target_train_all_s": TARGET_TRAIN_ALL_S,
        "load_all_champions_s": round(load_s, 4),
        "onnxruntime_import_s": round(import_ort_s, 3),
        "target_load_all_s": TARGET_LOAD_ALL_S,
        "inference_pass_ms": round(infer_ms, 3),
        "target_inference_ms": TARGET_INFER_MS,
        "fold_brier": {n: [round(m.metrics.model.brier, 5),
                           round(m.metrics.baseline.brier, 5)]
                       for n, m in trained.items()},
        "ok": train_s < TARGET_TRAIN_ALL_S and load_s < TARGET_LOAD_ALL_S
        and infer_ms < TARGET_INFER_MS,
    }


def main(argv: list[str]) -> int:
    raw = argv[0] if argv else os.environ.get("AEGIS_REAL_DATA_DIR", "../shared/data")
    print(json.dumps(bench(Path(raw) if raw else None), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

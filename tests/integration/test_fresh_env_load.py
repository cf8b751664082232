"""An artifact trained here loads and runs in a fresh venv with onnxruntime and numpy only.

The venv is created without ``--system-site-packages``; onnxruntime and numpy come from the
local pip indexes/cache, pinned by the project's constraints. The loader script there checks
the model file's sha256 and compares onnxruntime's output with the stored probe batch.
"""

from __future__ import annotations

import json
import subprocess
import time
import venv
from pathlib import Path

import pytest

from aegis.models.training import train_all
from tests.store_helpers import write_champion
from tests.unit.test_models_support import synthetic_features, synthetic_market

pytestmark = [pytest.mark.integration, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]

LOADER = r'''
import hashlib, json, sys
from pathlib import Path
import numpy as np
import onnxruntime as ort

folder = Path(sys.argv[1])
manifest = json.loads((folder / "manifest.json").read_text())
data = (folder / "model.onnx").read_bytes()
assert hashlib.sha256(data).hexdigest() == manifest["sha256"], "sha256 mismatch"
session = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
onnx = manifest["onnx"]
X = np.asarray(manifest["probe"]["inputs"], dtype=np.float32)
(out,) = session.run([onnx["output"]], {onnx["input"]: X})
p = out[:, onnx["output_column"]] if onnx["output_column"] is not None else out
gap = float(np.max(np.abs(p - np.asarray(manifest["probe"]["expected"]))))
banned = [m for m in ("sklearn", "torch", "aegis", "pandas") if m in sys.modules]
print(json.dumps({"name": manifest["name"], "gap": gap, "banned": banned}))
'''


def test_artifacts_load_in_fresh_venv(tmp_path):
    nifty, vix = synthetic_market(seed=4, years=4)
    trained = train_all(nifty, vix, synthetic_features(nifty, vix), seed=0,
                        names=("expiry_stress", "direction", "breach"))
    for model in trained.values():
        write_champion(model, tmp_path / "models")

    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True, system_site_packages=False).create(env_dir)
    python = env_dir / "bin" / "python"
    started = time.monotonic()
    subprocess.run([str(python), "-m", "pip", "install", "-q", "-c",
                    str(ROOT / "constraints.txt"), "onnxruntime", "numpy"], check=True)
    print(f"fresh venv install: {time.monotonic() - started:.1f} s")
    probe = subprocess.run([str(python), "-c", "import sklearn"], capture_output=True)
    assert probe.returncode != 0, "the fresh venv must not have scikit-learn"
    probe = subprocess.run([str(python), "-c", "import torch"], capture_output=True)
    assert probe.returncode != 0, "the fresh venv must not have torch"

    script = tmp_path / "load.py"
    script.write_text(LOADER)
    for name in trained:
        out = subprocess.run([str(python), str(script), str(tmp_path / "models" / name)],
                             capture_output=True, text=True, check=True)
        result = json.loads(out.stdout)
        assert result["name"] == name
        assert result["gap"] <= 1e-5
        assert result["banned"] == []

"""Test support: put a trained model in a store as its champion, without the gate.

Production never does this (a challenger reaches the store only through the gate and
:mod:`aegis.registry.publish`); tests and benchmarks that need a champion in a folder do.
"""

from __future__ import annotations

from pathlib import Path

from aegis.models.training import TrainedModel
from aegis.registry.artifacts import OnnxModel, load_artifact
from aegis.registry.writer import promote, write_version


def write_champion(trained: TrainedModel, models_dir: Path | str) -> OnnxModel:
    """Write a new version of ``trained``, make it the champion, and load it back."""
    folder = write_version(trained, models_dir)
    promote(trained.name, folder.name, models_dir, reason="written by a test (no gate)")
    return load_artifact(Path(models_dir) / trained.name, trained.name)

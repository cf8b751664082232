"""The current champion of a model, loaded as inference loads it, to defend against a challenger."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from aegis.errors import ModelError
from aegis.registry.artifacts import MANIFEST_FILE, load_champion, read_registry


@dataclass(frozen=True)
class Defender:
    """The champion as :func:`aegis.models.gate.gate` sees it."""

    version: str
    seen_until: np.datetime64
    recorded_brier: float
    model: Any

    def predict_proba(self, X: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.asarray(self.model.predict_proba(X), dtype=np.float64)


def defending_champion(name: str, models_dir: Path | str) -> tuple[Defender | None, str]:
    """The champion of ``name`` ready to defend its title, or None with the reason."""
    if name not in read_registry(models_dir)["champions"]:
        return None, "no champion yet"
    try:
        champion = load_champion(name, models_dir)
    except ModelError as exc:
        return None, f"champion unusable ({type(exc).__name__}: {exc}); only the references count"
    typed = champion.typed
    where = Path(models_dir) / name / MANIFEST_FILE
    if len(typed.training_data.span) != 2 or typed.metrics.model is None:
        return None, (f"champion unusable ({where}: expected training_data.span [first, last] "
                      "and metrics.model); only the references count")
    return Defender(
        version=champion.version,
        seen_until=np.datetime64(typed.training_data.span[1]),
        recorded_brier=typed.metrics.model.brier,
        model=champion,
    ), ""

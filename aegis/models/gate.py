"""Champion/challenger gate on the latest walk-forward fold (Brier score, lower is better).

A challenger is promoted only when its fold Brier is strictly below the baseline's *and* the
current champion's. The champion is scored with onnxruntime, as inference loads it, on the fold
rows it never trained on (sessions after its training span), and the challenger on those same
rows. When fewer than :data:`MIN_SHARED_ROWS` such rows exist (the champion was trained on
nearly the same data), the champion's own recorded fold Brier (same walk-forward protocol)
is compared instead, and the reason says so. A champion that no longer loads (checksum,
manifest, probe) cannot defend its title: the reason is recorded and only the baseline counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from aegis.analytics import brier
from aegis.errors import ModelError
from aegis.models.training import TrainedModel

MIN_SHARED_ROWS = 20


@dataclass(frozen=True)
class GateDecision:
    """Whether a challenger replaces the champion, and why (Brier on the latest fold)."""

    name: str
    promote: bool
    reason: str
    challenger_brier: float
    baseline_brier: float
    champion_brier: float | None = None
    champion_version: str | None = None


def gate(trained: TrainedModel, models_dir: Path | str) -> GateDecision:
    """Decide on ``trained`` against the champion in ``models_dir`` and the baseline."""
    from aegis.registry.artifacts import load_champion, read_registry

    name = trained.name
    challenger = float(trained.metrics["model"]["brier"])
    baseline = float(trained.metrics["baseline"]["brier"])
    fold = trained.metrics["fold"]
    where = f"fold {fold['start']}..{fold['end']}, n={trained.metrics['model']['n']}"
    champion_brier: float | None = None
    champion_version: str | None = None
    note = "no champion yet"
    if name in read_registry(models_dir)["champions"]:
        try:
            champion = load_champion(name, models_dir)
        except ModelError as exc:
            note = f"champion unusable ({type(exc).__name__}: {exc})"
        else:
            champion_version = champion.version
            seen_until = np.datetime64(champion.manifest["training_data"]["span"][1])
            unseen = trained.fold.session > seen_until
            if unseen.sum() >= MIN_SHARED_ROWS and trained.fold_p is not None:
                p = np.clip(champion.predict_proba(trained.fold.X[unseen]), 0.0, 1.0)
                champion_brier = brier(p, trained.fold.y[unseen])
                challenger = brier(trained.fold_p[unseen], trained.fold.y[unseen])
                baseline = brier(np.asarray(trained.fold.baseline)[unseen],
                                 trained.fold.y[unseen])
                where = f"{int(unseen.sum())} fold rows after {str(seen_until)[:10]}"
                note = f"champion {champion_version} Brier {champion_brier:.5f} on the same rows"
            else:
                champion_brier = float(champion.manifest["metrics"]["model"]["brier"])
                note = (f"champion {champion_version} recorded fold Brier {champion_brier:.5f} "
                        f"(fewer than {MIN_SHARED_ROWS} fold rows unseen by it)")
    beats_baseline = challenger < baseline
    beats_champion = champion_brier is None or challenger < champion_brier
    promote = beats_baseline and beats_champion
    verdict = "promoted" if promote else "kept champion" if champion_version else "not promoted"
    why = []
    if not beats_baseline:
        why.append(f"does not beat the baseline ({challenger:.5f} >= {baseline:.5f})")
    if not beats_champion:
        why.append(f"does not beat the champion ({challenger:.5f} >= {champion_brier:.5f})")
    reason = (f"{verdict}: challenger Brier {challenger:.5f}, baseline {baseline:.5f}, {note}"
              f" [{where}]" + (f"; {'; '.join(why)}" if why else ""))
    return GateDecision(name, promote, reason, challenger, baseline, champion_brier,
                        champion_version)

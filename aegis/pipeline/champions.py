"""The champions inference publishes from, their walk-forward calibration and provenance.

:meth:`Champions.load` reads the model store once (every champion verified as
:func:`aegis.registry.artifacts.load_champion` does); what it could not load, and whether the
last retrain's gate refused it (then climatology is published honestly), it remembers.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from aegis.errors import GateLogFormatError, ModelError

if TYPE_CHECKING:
    from aegis.models.gate import GateVerdict
    from aegis.pipeline.records import GateLogEntry
    from aegis.registry.artifacts import OnnxModel
    from aegis.snapshot import Calibration, ModelProvenance


def calibration_of(model: OnnxModel | None, reason: str, event: str | None = None
                   ) -> Calibration:
    """Walk-forward calibration from the champion's (typed) manifest (never invented)."""
    from aegis.snapshot import Calibration

    if model is None:
        return Calibration(reason=f"not measured: {reason}")
    metrics = (model.typed.metrics if event is None
               else (model.typed.metrics.by_event or {}).get(event))
    m, b = (None, None) if metrics is None else (metrics.model, metrics.baseline)
    if metrics is None or m is None or b is None:
        return Calibration(reason=f"the manifest of {model.name} {model.version} has no "
                                  f"walk-forward metrics{' for ' + event if event else ''}")
    c = metrics.climatology
    return Calibration(brier=m.brier, brier_baseline=b.brier, ece=m.ece, n=m.n,
                       brier_climatology=None if c is None else c.brier,
                       bss_climatology=None if c is None else 1.0 - m.brier / c.brier)


def climatology_calibration(decision: GateVerdict) -> Calibration:
    """Calibration of the climatology forecast, from the gate's walk-forward folds."""
    from aegis.snapshot import Calibration

    return Calibration(brier=decision.climatology_brier, brier_baseline=decision.baseline_brier,
                       ece=decision.climatology_ece, n=decision.n,
                       brier_climatology=decision.climatology_brier, bss_climatology=0.0)


class Champions:
    """The champions as inference loads them, and why each missing one could not be used.

    :meth:`load` reads the store (every model, verified); afterwards :meth:`get` is a pure
    lookup, so :func:`assemble_snapshot` does no I/O.
    """

    def __init__(self, models_dir: Path, gate_log: Path | None = None) -> None:
        self.models_dir = models_dir
        self.gate_log = gate_log
        self.loaded: dict[str, OnnxModel] = {}
        self.errors: dict[str, str] = {}
        self.refused: dict[str, GateLogEntry] = {}

    @classmethod
    def load(cls, models_dir: Path, gate_log: Path | None = None) -> Champions:
        """Load every model's champion (sha256, manifest and probe verified) or say why not."""
        from aegis.models.specs import MODEL_NAMES
        from aegis.registry.artifacts import load_champion

        champions = cls(models_dir, gate_log)
        for name in MODEL_NAMES:
            try:
                champions.loaded[name] = load_champion(name, models_dir)
            except ModelError as exc:
                refusal, note = champions.verdict(name)
                if refusal is not None:
                    champions.refused[name] = refusal  # the gate tested it: climatology
                champions.errors[name] = f"{type(exc).__name__}: {exc}{note}"
        return champions

    def get(self, name: str) -> OnnxModel | None:
        """The loaded champion of ``name``, or None (then :attr:`errors` says why)."""
        return self.loaded.get(name)

    def refusal(self, name: str) -> GateLogEntry | None:
        """The last gate decision when it refused ``name`` and no champion was ever promoted.

        Raises :class:`~aegis.errors.GateLogFormatError` when the gate log is wrongly shaped.
        """
        from aegis.pipeline.records import read_gate_log
        from aegis.registry.artifacts import read_registry

        path = self.gate_log
        if path is None or not path.exists():
            return None
        try:
            champions = read_registry(self.models_dir)["champions"]
        except ModelError:
            return None  # a malformed registry: load_champion's own error says so
        if name in champions:
            return None  # a champion exists and broke: that is a failure, not a verdict
        decision = read_gate_log(path).get(name)
        if decision is None or decision.promote:
            return None
        return decision

    def verdict(self, name: str) -> tuple[GateLogEntry | None, str]:
        """(:meth:`refusal`, a note for the reason ``name`` has no usable champion).

        A gate log that cannot be read gives no refusal (the model is degraded, not published
        as climatology) and a note naming the file and the field.
        """
        try:
            decision = self.refusal(name)
        except GateLogFormatError as exc:
            return None, f"; the gate's verdict is unknown: {exc}"
        if decision is None:
            return None, ""
        return decision, f"; last retrain ({decision.trained_at}): {decision.reason}"


def model_provenance(model: OnnxModel, inputs: str | None = None) -> ModelProvenance:
    """The champion's provenance; ``inputs`` says what it read at this moment."""
    from aegis.snapshot import ModelProvenance

    return ModelProvenance(name=model.name, version=model.version, inputs=inputs)


__all__ = ["Champions", "calibration_of", "climatology_calibration", "model_provenance"]

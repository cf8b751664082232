"""The champions inference publishes from, their walk-forward calibration and provenance.

:meth:`Champions.load` reads the model store once (every champion verified as
:func:`aegis.registry.artifacts.load_champion` does); what it could not load, and whether the
last retrain's gate refused it (then climatology is published honestly), it remembers. The
nightly publishing decision (``publishing.json`` beside the gate log,
:mod:`aegis.pipeline.publishing`) is applied here: a champion the gate now refuses or the live
test demoted is withheld (climatology published with the reason), the others are published
shrunk toward climatology by their evidence weight (:meth:`Champions.shrink`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from aegis.errors import GateLogFormatError, ModelError

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from aegis.models.gate import GateVerdict
    from aegis.models.publishing import PublishingState
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
        self.publishing: dict[str, PublishingState] = {}
        self.publishing_error: str | None = None
        self.withheld: dict[str, str] = {}

    @classmethod
    def load(cls, models_dir: Path, gate_log: Path | None = None) -> Champions:
        """Load every model's champion (sha256, manifest and probe verified) or say why not."""
        from aegis.models.specs import MODEL_NAMES
        from aegis.registry.artifacts import load_champion

        champions = cls(models_dir, gate_log)
        champions.publishing = champions._read_publishing()
        for name in MODEL_NAMES:
            try:
                champions.loaded[name] = load_champion(name, models_dir)
            except ModelError as exc:
                refusal, note = champions.verdict(name)
                if refusal is not None:
                    champions.refused[name] = refusal  # the gate tested it: climatology
                champions.errors[name] = f"{type(exc).__name__}: {exc}{note}"
                continue
            champions._withhold_if_told(name)
        return champions

    def _read_publishing(self) -> dict[str, PublishingState]:
        """The nightly publishing decisions; a malformed file withholds every champion (each
        field degraded, naming the file and the field) rather than publish them unweighed."""
        from aegis.pipeline.publishing import publishing_path, read_publishing

        if self.gate_log is None:
            return {}
        try:
            return dict(read_publishing(publishing_path(self.gate_log)).root)
        except GateLogFormatError as exc:
            self.publishing_error = f"the nightly publishing decision is unreadable: {exc}"
            return {}

    def _withhold_if_told(self, name: str) -> None:
        """Withhold a loaded champion the nightly decision publishes as climatology (the gate's
        entry gives climatology's walk-forward calibration)."""
        from aegis.pipeline.records import read_gate_log

        if self.publishing_error is not None:
            self.errors[name] = self.publishing_error
            self.withheld[name] = self.publishing_error
            return
        state = self.publishing.get(name)
        if state is None or state.published == "model" or self.gate_log is None:
            return
        entry = read_gate_log(self.gate_log).get(name)
        self.withheld[name] = state.reason
        self.errors[name] = f"published as climatology since {state.as_of}: {state.reason}"
        if entry is not None:
            self.refused[name] = entry.model_copy(update={"reason": state.reason})

    def get(self, name: str) -> OnnxModel | None:
        """The champion of ``name`` to publish from, or None (then :attr:`errors` says why:
        not loadable, or withheld by the nightly publishing decision)."""
        if name in self.withheld:
            return None
        return self.loaded.get(name)

    def climatology_reason(self, name: str) -> str | None:
        """Why climatology is published for ``name`` as an honest answer, or None."""
        if self.publishing_error is not None:
            return None  # something broke: the field is degraded, not honestly climatology
        if name in self.withheld:
            return self.withheld[name]
        refusal = self.refused.get(name)
        if refusal is None:
            return None
        return f"no model beat climatology at the last retrain ({refusal.trained_at}): " \
               f"{refusal.reason}"

    def weight(self, name: str) -> float:
        """The evidence weight of ``name``'s champion (1 when no nightly decision exists yet:
        :func:`model_provenance` says so)."""
        state = self.publishing.get(name)
        return 1.0 if state is None else state.weight

    def shrink(self, name: str, p_model: NDArray[np.float64] | float,
               p_climatology: NDArray[np.float64] | float) -> NDArray[np.float64]:
        """The published probability: the model shrunk toward climatology by its weight."""
        from aegis.models.publishing import publish

        return publish(p_model, p_climatology, self.weight(name))

    def shrink_cuts(self, name: str, cuts: tuple[float, float] | None, p_climatology: float
                    ) -> tuple[float, float] | None:
        """Label cuts moved with the probability (the class of the published blend is the
        class of the model's own probability)."""
        if cuts is None:
            return None
        w = self.weight(name)
        return (p_climatology + w * (cuts[0] - p_climatology),
                p_climatology + w * (cuts[1] - p_climatology))

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


def model_provenance(model: OnnxModel, inputs: str | None = None,
                     champions: Champions | None = None) -> ModelProvenance:
    """The champion's provenance; ``inputs`` says what it read at this moment; with
    ``champions``, its evidence weight and how it was earned."""
    from aegis.snapshot import ModelProvenance

    if champions is None:
        return ModelProvenance(name=model.name, version=model.version, inputs=inputs)
    state = champions.publishing.get(model.name)
    evidence = ("no nightly publishing decision yet: the model is published unshrunk"
                if state is None else state.reason)
    return ModelProvenance(name=model.name, version=model.version, inputs=inputs,
                           evidence_weight=champions.weight(model.name), evidence=evidence)


__all__ = ["Champions", "calibration_of", "climatology_calibration", "model_provenance"]

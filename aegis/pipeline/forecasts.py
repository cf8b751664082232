"""The snapshot's probabilities: the champion's, or climatology's with the reason.

Trap, expiry stress, direction, buyer and breach: a champion scores the inputs of the moment
(shrunk toward climatology by its evidence weight) while the horizon is one it was trained for;
the structural formulas publish for the expiry day's last session; climatology stands in,
with the reason, when no model may or can answer (DESIGN.md, law 1).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from aegis.errors import ModelError
from aegis.pipeline.builder import BuilderCore
from aegis.pipeline.champions import calibration_of, climatology_calibration, model_provenance

if TYPE_CHECKING:
    from collections.abc import Callable

    from numpy.typing import NDArray

    from aegis.models.climatology import Climatology
    from aegis.registry.artifacts import OnnxModel
    from aegis.snapshot import Breach, BreachCalibration, BuyerSignal, Direction, ExpiryStress, Trap
    from aegis.snapshot.provenance import Calibration, Provenance


class ForecastBlocks(BuilderCore):
    """The model-or-climatology blocks of a snapshot (see the module docstring)."""

    def _model_probability(self, name: str, inputs: Callable[[], NDArray[np.floating[Any]]]
                           ) -> tuple[float | None, OnnxModel | None, str]:
        """(p, model, reason): p from the champion, or None with the reason it was not used."""
        model = self.champions.get(name)
        if model is None:
            return None, None, f"champion {name!r} unavailable ({self.champions.errors[name]})"
        try:
            x = inputs()
            return float(model.predict_proba(x)[0]), model, ""
        except ModelError as exc:
            return None, model, f"{name} {model.version} could not score today's inputs: {exc}"

    def climatology(self, name: str) -> Climatology:
        """The event frequency of everything settled, as the nightly retrain wrote it
        (``climatology.json`` beside ``rates.json``); recomputed from the history only when
        that file cannot give it, the reason then in ``Climatology.note`` (cached per model)."""
        from aegis.pipeline.nightly import NightlyClimatology
        from aegis.pipeline.paths import CLIMATOLOGY_FILE

        source = self._climatology.get("")
        if not isinstance(source, NightlyClimatology):
            source = NightlyClimatology(self.inputs.rates_path.with_name(CLIMATOLOGY_FILE),
                                        self.nifty, self.vix, self.features)
            self._climatology[""] = source
        return source.get(name)

    def _fallback(self, name: str, field: str, why: str) -> tuple[Provenance, Calibration]:
        """(provenance, calibration) of the climatology forecast published instead of a model.

        An honest answer (``empirical``, not degraded) when the last retrain's gate found no
        model that beats climatology and none was ever promoted; otherwise something broke:
        the field is degraded and climatology stands in as the named baseline.
        """
        from aegis.snapshot import BaselineProvenance, DateWindow, EmpiricalProvenance

        clim = self.climatology(name)
        refusal = self.champions.refused.get(name)
        honest = self.champions.climatology_reason(name)  # gate refusal or demotion
        if refusal is not None and honest is not None:
            prov = EmpiricalProvenance(
                name="climatology", n=clim.n, window=DateWindow(from_=clim.first, to=clim.last),
                reason=f"{honest}{clim.note}")
            return prov, climatology_calibration(refusal)
        self.degrade(field, why)
        return (BaselineProvenance(name="climatology", reason=why + clim.note),
                calibration_of(None, why))

    def _score(self, name: str, field: str, inputs: Callable[[], NDArray[np.floating[Any]]]
               ) -> tuple[float, Provenance, Calibration, OnnxModel | None]:
        """(score, provenance, calibration, champion): the champion's, or climatology's."""
        p, model, why = self._model_probability(name, inputs)
        if p is None or model is None:  # both or neither: a probability comes from a model
            prov, cal = self._fallback(name, field, why)
            return self.climatology(name).value, prov, cal, None
        p = float(self.champions.shrink(name, p, self.climatology(name).value))  # evidence weight
        prov = model_provenance(model, self.market.inputs_note, self.champions)
        return p, prov, calibration_of(model, why), model

    @staticmethod
    def _cuts(model: OnnxModel | None) -> tuple[float, float] | None:
        if model is None:
            return None
        cuts: tuple[float, float] | None = model.typed.metrics.label_cuts
        return cuts

    def trap_and_stress(self) -> tuple[Trap, ExpiryStress]:
        """Trap and stress for the time left: the champions (or climatology) while the horizon
        is one the models were trained for, the structural formula below one session."""
        from aegis.analytics import stress_label, trap_label
        from aegis.models.inputs import row_inputs
        from aegis.snapshot import ExpiryStress, Trap

        if not self.model_horizon_ok:
            return self._intraday_trap_and_stress()
        now = self.row.to_frame().T
        score, prov, cal, model = self._score("trap", "trap", lambda: row_inputs("trap", now))
        cuts = self.champions.shrink_cuts("trap", self._cuts(model), self.climatology("trap").value)
        trap = Trap(score=score, label=trap_label(score, cuts), label_cuts=cuts,
                    provenance=prov, calibration=cal)
        score, prov, cal, model = self._score("expiry_stress", "expiry_stress",
                                              lambda: row_inputs("expiry_stress", now))
        cuts = self.champions.shrink_cuts("expiry_stress", self._cuts(model),
                                          self.climatology("expiry_stress").value)
        stress = ExpiryStress(score=score, label=stress_label(score, cuts), label_cuts=cuts,
                              provenance=prov, calibration=cal)
        return trap, stress

    def _intraday_trap_and_stress(self) -> tuple[Trap, ExpiryStress]:
        from aegis.analytics import stress_label, trap_label
        from aegis.analytics.intraday import intraday_event_probabilities
        from aegis.snapshot import Calibration, ExpiryStress, FormulaProvenance, Trap

        m = self.market
        sigma, sigma_source = self.expiry_sigma()
        har_var = float(m.base["rv_har_parkinson"]) ** 2 / 252.0
        share = m.moment.today_share(m.gap.value)
        trap_p, stress_p = intraday_event_probabilities(
            sigma=sigma, days=m.moment.days, session_variance=har_var, share=share,
            minutes=m.moment.minutes_left)
        why = (f"{m.horizon_sessions:.3f} sessions of variance left: the trap and stress models "
               "were trained at closes with 1 or more sessions to expiry, so the structural "
               "formula publishes for the expiry day's session")
        cal = Calibration(reason="not measured: no intraday history of NIFTY expiry days to "
                                 "score the formula on")
        common = (f"HAR one-session variance v = rv_har_parkinson^2/252 of {m.inputs_note}; "
                  f"left: v_rem = v * {share:.4f} (minutes left/375 * (1 - g), g = "
                  f"{m.gap.value:.3f}); paid for: iv_var = sigma^2 * D/365, D = "
                  f"{m.moment.days:.4f} days, sigma = {sigma:.4f} ({sigma_source})")
        trap = Trap(score=trap_p, label=trap_label(trap_p, self._cuts(self.champions.get("trap"))),
                    label_cuts=self._cuts(self.champions.get("trap")),
                    provenance=FormulaProvenance(
                        name="trap_structural_intraday", reason=why,
                        expression="P(v_rem/m * chi2_m > iv_var), m = trading minutes left "
                                   f"({m.moment.minutes_left:.0f}: the label's 1-minute "
                                   f"returns); {common}"),
                    calibration=cal)
        cuts = self._cuts(self.champions.get("expiry_stress"))
        stress = ExpiryStress(
            score=stress_p, label=stress_label(stress_p, cuts), label_cuts=cuts,
            provenance=FormulaProvenance(
                name="stress_structural_intraday", reason=why,
                expression=f"2 * Phi(-sqrt(iv_var / v_rem)); {common}"),
            calibration=cal)
        return trap, stress

    def expiry_sigma(self) -> tuple[float, str]:
        """sigma for the premium's variance within the expiry's last session: the expiring
        series' ATM IV from a chain taken today where it has one, else India VIX now."""
        from aegis.errors import ChainError
        from aegis.features.chain import build_chain_features

        rows, _ = self.chain(pd.Timestamp(self.moment.expiry))
        if rows is not None and self.market.provisional:
            taken = pd.Timestamp(rows["timestamp"].max())
            try:
                atm = build_chain_features(rows, self.market.spot,
                                           expiry=pd.Timestamp(self.moment.expiry))["atm_iv"]
            except ChainError as exc:
                return self.market.vix / 100.0, (f"India VIX now: the chain's ATM IV could "
                                                  f"not be read ({type(exc).__name__}: {exc})")
            if np.isfinite(atm) and atm > 0:
                return float(atm) / 100.0, (f"ATM IV of the expiring series, chain taken "
                                    f"{taken.isoformat(timespec='minutes')}")
        return self.market.vix / 100.0, f"India VIX now ({self.market.vix_source})"

    def direction(self) -> Direction:
        from aegis.models.inputs import sequence_inputs
        from aegis.models.specs import MODEL_SPECS
        from aegis.snapshot import Direction

        window = MODEL_SPECS["direction"].window
        tail = self.market.sequence.iloc[-window:]
        p, prov, cal, _ = self._score(
            "direction", "direction", lambda: sequence_inputs("direction", tail)[0][-1:])
        return Direction(label="UP" if p >= 0.5 else "DOWN", probability_up=p,
                         confidence=max(p, 1.0 - p), provenance=prov, calibration=cal)

    def buyer(self) -> BuyerSignal:
        from aegis.models.inputs import row_inputs
        from aegis.snapshot import BuyerSignal

        today = self.market.base.to_frame().T
        p, prov, cal, model = self._score("buyer", "buyer_signal",
                                          lambda: row_inputs("buyer", today))
        threshold = None if model is None else model.threshold
        if model is not None and threshold is None:
            why = f"buyer {model.version} has no BREAKOUT threshold in its manifest"
            prov, cal = self._fallback("buyer", "buyer_signal", why)
            p = self.climatology("buyer").value
        # without a model there is no BREAKOUT: climatology never passes a threshold of 1
        threshold = 1.0 if threshold is None else float(threshold)
        return BuyerSignal(signal="BREAKOUT" if p >= threshold else "WAIT",
                           spike_probability=p, threshold=threshold, provenance=prov,
                           calibration=cal)

    def breach(self, strikes: list[float]) -> list[Breach]:
        """Touch and close-beyond probabilities of ``strikes`` for the time left.

        The breach champion (or climatology) while the horizon is one it was trained for;
        below one session, driftless GBM on the trading time left (``tau``). Close beyond is
        never above touch: a path that closes beyond a strike has touched it, so the model's
        close-beyond is capped at its touch (by construction, for every source).
        """
        from aegis.models.inputs import breach_inputs
        from aegis.models.specs import MODEL_SPECS
        from aegis.snapshot import Breach, BreachCalibration

        m = self.market
        spot, sigma, days = m.spot, m.vix / 100.0, m.moment.days
        k = np.asarray(strikes, dtype=float)
        n = len(k)
        if not self.model_horizon_ok:
            touch, close, prov, calibration = self._breach_formula(k)
        else:
            daily = np.tile(self.row[list(MODEL_SPECS["breach"].features)].to_numpy(float),
                            (n, 1))
            model = self.champions.get("breach")
            why = ""
            if model is None:
                why = f"champion 'breach' unavailable ({self.champions.errors['breach']})"
            else:
                try:
                    args = (np.full(n, spot), k, np.full(n, sigma), np.full(n, days))
                    touch = model.predict_proba(breach_inputs(*args, np.zeros(n, bool), daily))
                    close = model.predict_proba(breach_inputs(*args, np.ones(n, bool), daily))
                except ModelError as exc:
                    why = f"breach {model.version} could not score today's inputs: {exc}"
            if why or model is None:  # model is None always comes with its reason in why
                prov, cal = self._fallback("breach", "breach_probabilities", why)
                clim = self.climatology("breach")
                touch, close = clim.breach(spot, k, "touch"), clim.breach(spot, k, "close")
                calibration = BreachCalibration(touch=cal, close_beyond=cal)
            else:
                clim = self.climatology("breach")  # evidence weight toward climatology
                touch = self.champions.shrink("breach", touch, clim.breach(spot, k, "touch"))
                close = self.champions.shrink("breach", close, clim.breach(spot, k, "close"))
                prov = model_provenance(model, m.inputs_note, self.champions)
                calibration = BreachCalibration(touch=calibration_of(model, why, "touch"),
                                                close_beyond=calibration_of(model, why, "close"))
        touch = np.clip(np.asarray(touch, dtype=float), 0.0, 1.0)
        close = np.minimum(np.clip(np.asarray(close, dtype=float), 0.0, 1.0), touch)
        return [
            Breach(strike=float(s), side="above" if s > spot else "below",
                   touch=float(t), close_beyond=float(c),
                   distance_pct=(float(s) / spot - 1) * 100, provenance=prov,
                   calibration=calibration)
            for s, t, c in zip(k, touch, close, strict=True)
        ]

    def _breach_formula(self, k: NDArray[np.float64]) -> tuple[
            NDArray[np.float64], NDArray[np.float64], Provenance, BreachCalibration]:
        from aegis.analytics import close_beyond_probability, touch_probability
        from aegis.snapshot import BreachCalibration, Calibration, FormulaProvenance

        m = self.market
        sigma, tau = m.vix / 100.0, m.tau
        days = tau * 365.0  # the formulas' time is days/365: trading time, in years
        touch = np.asarray(touch_probability(m.spot, k, sigma, days), dtype=float)
        close = np.asarray(close_beyond_probability(m.spot, k, sigma, days), dtype=float)
        prov = FormulaProvenance(
            name="breach_gbm_trading_time",
            expression=(f"driftless GBM, sigma = India VIX now {m.vix:g}/100, time = tau = "
                        f"{tau:.6f} years of trading time ({m.moment.minutes_left:.0f} minutes "
                        f"left, g = {m.gap.value:.3f}): touch by the reflection principle, "
                        "close beyond by the lognormal tail"),
            reason=(f"{m.horizon_sessions:.3f} sessions of variance left: the breach model was "
                    "trained at closes with 1 or more sessions to expiry"))
        cal = Calibration(reason="not measured: no intraday history of NIFTY expiry days to "
                                 "score the formula on")
        return touch, close, prov, BreachCalibration(touch=cal, close_beyond=cal)

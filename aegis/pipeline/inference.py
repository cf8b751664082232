"""Inference stage: validated features + verified champions -> aegismatrix.json.

Every number says where it came from. When the last retrain's gate found no model that beats
climatology (and none was ever promoted), climatology is published with ``empirical``
provenance and the gate's reason: an honest answer, not a degradation. When a champion cannot
be loaded or its inputs are not usable, climatology stands in as the named baseline *with the
reason* and the snapshot's status becomes ``degraded`` (DESIGN.md, law 1).
This module imports onnxruntime (through the registry), numpy and pandas -- not scikit-learn,
torch or Great Expectations.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import numpy as np
import pandas as pd

from aegis.config import Settings, get_settings
from aegis.errors import ModelError, SnapshotError
from aegis.market.hours import session_close
from aegis.market.store import MarketStore
from aegis.pipeline.champions import (
    Champions,
    calibration_of,
    climatology_calibration,
    model_provenance,
)
from aegis.pipeline.data import load_daily, read_validated_features
from aegis.pipeline.paths import gate_log_path, rates_path

T = TypeVar("T")

if TYPE_CHECKING:  # the blocks are imported where they are built (the stage's import cost)
    from collections.abc import Callable

    from numpy.typing import NDArray

    from aegis.models.climatology import Climatology
    from aegis.pipeline.market_now import MarketNow
    from aegis.rates.intraday_fit import IntradayFit
    from aegis.rates.range_fit import RangeFit
    from aegis.registry.artifacts import OnnxModel
    from aegis.snapshot import (
        Breach,
        BreachCalibration,
        BuyerSignal,
        Direction,
        Expiry,
        ExpiryStress,
        HitRate,
        MarketContext,
        SafeRange,
        ScalarProvenance,
        Snapshot,
        SpikeRate,
        Trap,
    )
    from aegis.snapshot.provenance import Calibration, Provenance

STRIKE_STEP = 50.0


@dataclass(frozen=True)
class InferenceInputs:
    """What one snapshot is computed from, read from the stores by :func:`load_inputs`.

    Attributes
    ----------
    features : the validated daily feature table.  nifty, vix : the daily frames.
    intraday : NIFTY 1-minute bars (``nifty_intraday``), or None.
    vix_intraday : India VIX 1-minute bars (``vix_intraday``), or None.
    chain : the latest option-chain snapshot (every expiry it lists), or None.
    rates : the nightly ``rates.json`` (hit and spike rates), or None; ``rates_path`` is where.
    confidence : safe-range confidence.  seed : the block-bootstrap seed.
    """

    features: pd.DataFrame
    nifty: pd.DataFrame
    vix: pd.DataFrame
    intraday: pd.DataFrame | None
    chain: pd.DataFrame | None
    vix_intraday: pd.DataFrame | None = None
    rates: dict[str, Any] | None = None
    rates_path: Path = Path("rates.json")
    confidence: float = 0.8
    seed: int = 0


def load_inputs(settings: Settings) -> InferenceInputs:
    """Read what a snapshot needs: validated features, daily frames, bars, chain, rates."""
    features = read_validated_features(settings)
    if features.empty:
        raise SnapshotError("the validated feature table is empty")
    nifty, vix = load_daily(settings)
    store = MarketStore(settings.resolved_data_dir)
    names = store.names()
    intraday = store.read("nifty_intraday") if "nifty_intraday" in names else None
    vix_intraday = store.read("vix_intraday") if "vix_intraday" in names else None
    chain = None
    if "option_chain" in names:
        full = store.read("option_chain")
        chain = full[full["timestamp"] == full["timestamp"].max()]
    path = rates_path(settings)
    rates = json.loads(path.read_text(encoding="utf-8")) if path.exists() else None
    return InferenceInputs(features=features, nifty=nifty, vix=vix, intraday=intraday,
                           vix_intraday=vix_intraday, chain=chain, rates=rates, rates_path=path,
                           confidence=settings.safe_range_confidence, seed=settings.seed)


class SnapshotBuilder:
    """Assembles one snapshot from its inputs (no I/O); collects degraded reasons as it goes."""

    def __init__(self, inputs: InferenceInputs, champions: Champions, now: datetime) -> None:
        from aegis.market.moment import moment_at

        self.inputs = inputs
        self.now = now
        self.reasons: list[dict[str, str]] = []
        self.champions = champions
        self.features = inputs.features
        self.nifty, self.vix = inputs.nifty, inputs.vix
        self.session = pd.Timestamp(self.features.index[-1])
        self._check_not_future()
        self.moment = moment_at(now)
        self._climatology: dict[str, Any] = {}

    @cached_property
    def market(self) -> MarketNow:
        """Spot, India VIX and the model inputs of the moment (see market_now)."""
        from aegis.models.specs import MODEL_SPECS
        from aegis.pipeline.market_now import market_now

        return market_now(self.features, self.nifty, self.vix, self.inputs.intraday,
                          self.inputs.vix_intraday, self.moment,
                          window=MODEL_SPECS["direction"].window)

    @property
    def row(self) -> pd.Series:
        """The features of the moment with its time-left inputs (trap, stress, breach)."""
        return self.market.horizon

    def snapshot_day(self) -> pd.Timestamp:
        """The session the snapshot describes: today's while its bars are in, else the last
        validated close's."""
        from aegis.features.moment import bars_before

        m = self.moment
        if m.today_is_session and pd.Timestamp(m.today) > self.session and not bars_before(
                self.inputs.intraday, m.today, m.at).empty:
            return pd.Timestamp(m.today)
        return self.session.normalize()

    def _check_not_future(self) -> None:
        close = session_close(self.session.date())
        if close > self.now:
            raise SnapshotError(
                f"the latest market data (the NIFTY daily close of {self.session.date()}, "
                f"{close.isoformat()}) is stamped in the future of {self.now.isoformat()}: "
                "refusing to publish a snapshot for a close that has not happened")

    @property
    def model_horizon_ok(self) -> bool:
        """Whether the expiry-horizon models were trained for the time left: they were fitted
        at closes with 1 or more sessions to expiry, never on the expiry day's last hours."""
        return self.market.horizon_sessions >= 1.0 - 1e-9

    def degrade_block(self, field: str, exc: Exception) -> None:
        """A block failed its own checks: that field degrades, with the reason; the rest
        publishes (one bad field never blocks the snapshot)."""
        self.degrade(field, f"{field} could not be published: {type(exc).__name__}: {exc}")

    def degrade(self, field: str, reason: str) -> None:
        self.reasons.append({"field": field, "reason": reason})

    # --- model-or-baseline probabilities ------------------------------------------------
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

    # --- market, chain, rates -------------------------------------------------------------
    def chain(self, expiry: pd.Timestamp) -> tuple[pd.DataFrame | None, str]:
        """(rows, reason): the latest chain's rows of ``expiry``, or None and why not.

        The chain must list ``expiry`` and be taken on the snapshot's session or later: the
        open interest of an earlier session is stale (max pain, PCR and the chain features
        would describe positions that have since moved).
        """
        from aegis.market.hours import ist_day

        latest = self.inputs.chain
        if latest is None or latest.empty:
            return None, "no option chain in the store"
        taken = pd.Timestamp(latest["timestamp"].max())
        day = self.snapshot_day()
        if ist_day(taken) < day:
            return None, (f"the latest option chain was taken {taken.isoformat()}, before the "
                          f"snapshot's session {day.date()}: its open interest is stale")
        expiries = pd.to_datetime(latest["expiry"]).dt.normalize()
        if (expiries == expiry).any():
            return latest[expiries == expiry], ""
        return None, (f"the latest option chain ({taken.isoformat()}) lists no "
                      f"contracts for the {expiry.date()} expiry")

    def guarded(self, field: str, build: Callable[[], T]) -> T | None:
        """``build()``, or None with ``field`` degraded when the block fails its own checks."""
        from pydantic import ValidationError

        from aegis.errors import AegisError

        try:
            return build()
        except (ValidationError, AegisError) as exc:
            self.degrade_block(field, exc)
            return None

    @cached_property
    def windows(self) -> pd.DataFrame:
        """One window per past session to its expiry (the range fit and the hit rate)."""
        from aegis.rates import session_windows

        return session_windows(self.nifty, self.vix)

    def safe_range(self) -> SafeRange:
        """The range for the time left: ``S -+ k * S * sigma * sqrt(tau)``, ``k`` fitted for
        the fractional horizon (interpolated between whole-session fits, or the one-session
        fit carried to the expiry session's remainder)."""
        from aegis.snapshot import DateWindow, EmpiricalProvenance, SafeRange

        m = self.market
        em = m.spot * m.vix / 100.0 * float(np.sqrt(m.tau))
        remainder = self.remainder_fit() if m.horizon_sessions < 1 else None
        scope: Literal["horizon", "pooled"]
        if remainder is not None:
            k, scope = remainder.k, "horizon"
            prov = EmpiricalProvenance(n=remainder.n, window=DateWindow(
                from_=remainder.first, to=remainder.last), method=remainder.method)
        else:
            fit = self.range_fit(m.horizon_sessions)
            k, scope = fit.k_session, fit.scope
            prov = EmpiricalProvenance(n=fit.n, window=DateWindow(
                from_=fit.first_start.date(), to=fit.last_expiry.date()), method=fit.method)
        return SafeRange(
            lower=m.spot - k * em, upper=m.spot + k * em, confidence=self.inputs.confidence, k=k,
            expected_move=em, sessions_to_expiry=self.moment.sessions, k_session=k,
            horizon_sessions=m.horizon_sessions, fit_scope=scope, provenance=prov)

    def range_fit(self, horizon: float) -> RangeFit:
        """``k`` for ``horizon`` sessions of variance left, interpolated between the whole-
        horizon fits the nightly retrain wrote for this session (``rates.json``); fitted on the
        history only when that file cannot give them, the reason then in the method."""
        from aegis.pipeline.nightly import nightly_range_fits
        from aegis.rates import fit_range_for_horizon
        from aegis.rates.range_fit import bracketing_horizons, interpolate_fits

        inp = self.inputs
        fits, why = nightly_range_fits(inp.rates, inp.rates_path, session=self.session.date(),
                                       confidence=inp.confidence,
                                       horizons=bracketing_horizons(horizon))
        if fits is not None:
            fit = interpolate_fits(fits.__getitem__, inp.confidence, horizon)
            return replace(fit, method=f"{fit.method}; fitted nightly ({inp.rates_path.name} "
                                       f"as of {self.session.date()})")
        fit = fit_range_for_horizon(self.windows, inp.confidence, session=self.session,
                                    horizon=horizon)
        return replace(fit, method=f"{fit.method}; fitted from the history at inference: {why}")

    def remainder_fit(self) -> IntradayFit | None:
        """``k`` fitted on past sessions' remainders (intraday bars), when the store has enough."""
        from aegis.rates.intraday_fit import fit_remainder_k, remainder_windows

        bars = self.inputs.intraday
        if bars is None or bars.empty:
            return None
        windows = remainder_windows(bars, self.inputs.vix_intraday, self.vix,
                                    self.market.gap.value)
        if windows.empty:
            return None
        return fit_remainder_k(windows, self.inputs.confidence, before=self.moment.today)

    def hit_rate(self) -> HitRate:
        """The walk-forward hit rate as the nightly retrain wrote it for this session (every
        horizon in ``rates.json``), recomputed from the history only when that file cannot
        give it, the reason then in the provenance's method."""
        from aegis.pipeline.nightly import nightly_hit_rate
        from aegis.snapshot import hit_rate_block

        n_sessions = self.moment.sessions
        inp = self.inputs
        hit, why = nightly_hit_rate(inp.rates, inp.rates_path, session=self.session.date(),
                                    confidence=inp.confidence, seed=inp.seed,
                                    sessions_to_expiry=n_sessions)
        if hit is None:
            from aegis.rates import historical_hit_rate

            hit = historical_hit_rate(self.windows, inp.confidence, as_of=self.session,
                                      sessions_to_expiry=n_sessions, seed=inp.seed)
            source = f"recomputed from the history at inference: {why}"
        else:
            source = f"read from the nightly {inp.rates_path.name} (as of {self.session.date()})"
        horizon_reason = None if hit.horizon is not None else (
            f"no past range with {n_sessions} sessions to expiry has been scored yet")
        return hit_rate_block(hit, horizon_reason, source=source)

    def chain_numbers(self, expiry: pd.Timestamp) -> tuple[
            list[float], MarketContext, float | None, float | None]:
        """(strikes, market_context, max pain, PCR) from the chain of ``expiry``."""
        from aegis.models.specs import BREACH_OFFSETS
        from aegis.pipeline.context import chain_context, chain_features, intraday_context
        from aegis.snapshot import MarketContext

        spot = self.market.spot
        chain, chain_reason = self.chain(expiry)
        features, chain_reason = chain_features(chain, chain_reason, spot=spot, expiry=expiry)
        if chain is None:
            strikes = sorted({round(spot * (1 + s * o) / STRIKE_STEP) * STRIKE_STEP
                              for o in BREACH_OFFSETS if o > 0 for s in (-1, 1)})
        else:
            listed = np.sort(chain["strike"].unique())
            strikes = [float(k) for k in listed if abs(k / spot - 1) <= max(BREACH_OFFSETS)]
        if features is None:
            mp = pc = None
            for field in ("max_pain", "pcr"):
                self.degrade(field, chain_reason)
        else:
            mp, pc = features["max_pain"], features["pcr"]
        bars = self.market.bars
        day = pd.Timestamp(self.market.bars_day or self.session)
        context = MarketContext(
            chain=chain_context(chain, features, chain_reason, expiry=expiry),
            intraday=intraday_context(bars if len(bars) else self.inputs.intraday, day))
        return strikes, context, mp, pc

    def expiry_block(self) -> Expiry:
        from aegis.snapshot import Expiry

        m, moment = self.market, self.moment
        return Expiry(date=moment.expiry, days=moment.days, sessions=moment.sessions,
                      close_at=moment.expiry_close, minutes_left=moment.minutes_left,
                      trading_time_years=m.tau, horizon_sessions=m.horizon_sessions,
                      overnight_gap_share=m.gap.value, overnight_gap_method=m.gap.method)

    def scalar_provenance(self, mp: float | None, pc: float | None) -> ScalarProvenance:
        from aegis.snapshot import FormulaProvenance, ScalarProvenance

        m, note = self.market, self.moment.determination
        return ScalarProvenance(
            spot=FormulaProvenance(name="market_data", expression=m.spot_source),
            vix=FormulaProvenance(name="market_data", expression=m.vix_source),
            expiry=FormulaProvenance(
                name="weekly_expiry",
                expression="the first weekly expiry whose 15:30 IST close is after the moment: "
                           "Thu until 2025-08-28, Tue from 2025-09-02; holiday -> previous "
                           f"session; calendar: {note['calendar']}"),
            max_pain=None if mp is None else FormulaProvenance(
                name="max_pain", expression="argmin_P sum OI_call*max(0,P-K)+OI_put*max(0,K-P)"),
            pcr=None if pc is None else FormulaProvenance(
                name="pcr", expression="total put OI / total call OI, one expiry"),
        )

    def spike_rate(self) -> SpikeRate | None:
        from aegis.rates.empirical import EmpiricalRate
        from aegis.snapshot import spike_rate_block

        data = self.inputs.rates
        if data is None:
            self.degrade("historical_spike_rate",
                         f"no recomputed rates at {self.inputs.rates_path}: the nightly "
                         "retrain has not run yet")
            return None
        if "spike" not in data:
            self.degrade("historical_spike_rate", data.get("spike_error", "not computed"))
            return None
        return spike_rate_block(EmpiricalRate.model_validate(data["spike"]))


def build_snapshot(settings: Settings, now: datetime | None = None) -> Snapshot:
    """The snapshot for the latest validated session: load the inputs and champions, assemble."""
    champions = Champions.load(settings.resolved_models_dir, gate_log_path(settings))
    return assemble_snapshot(load_inputs(settings), champions, now or settings.now())


def assemble_snapshot(inputs: InferenceInputs, champions: Champions, now: datetime
                      ) -> Snapshot:
    """The snapshot of ``inputs`` with ``champions`` at the moment ``now`` (aware): pure, no I/O.

    Every number is of the moment: spot and India VIX are the last bars before ``now`` while
    today's bars exist, the expiry is the exchange calendar's first whose close is after
    ``now``, and the range, breach, trap and stress are for the time left to that close
    (:class:`~aegis.market.moment.Moment`). A block that fails its own checks degrades that
    field with the reason; the rest publishes. Raises
    :class:`~aegis.errors.SnapshotError` when no snapshot can be honest (no VIX, market data
    stamped after ``now``).
    """
    from aegis.snapshot import DegradedReason, Snapshot

    b = SnapshotBuilder(inputs, champions, now)
    m, moment = b.market, b.moment
    if m.unusable is not None:
        b.degrade("spot", f"{m.unusable}: spot, India VIX and the model inputs are the last "
                          "close's")
    expiry_day = pd.Timestamp(moment.expiry)
    safe, hit = b.guarded("safe_range", b.safe_range), b.guarded("historical_hit_rate", b.hit_rate)
    strikes, chain_block, mp, pc = b.chain_numbers(expiry_day)
    if moment.determination["assumed"]:
        b.degrade("expiry", moment.determination["reason"])
    # every block before the status: building one may degrade its field
    pair = b.guarded("trap", b.trap_and_stress)
    trap, stress = (None, None) if pair is None else pair
    if pair is None:
        b.degrade("expiry_stress", "built with trap: see the trap reason")
    direction = b.guarded("direction", b.direction)
    breach = b.guarded("breach_probabilities", lambda: b.breach(strikes)) or []
    buyer = b.guarded("buyer_signal", b.buyer)
    spike = b.guarded("historical_spike_rate", b.spike_rate)
    return Snapshot(
        status="degraded" if b.reasons else "ok",
        degraded_reasons=[DegradedReason(**r) for r in b.reasons],
        generated_at=now, as_of=max(m.spot_at, m.vix_at), spot=m.spot, vix=m.vix,
        expiry=b.expiry_block(), session_state=moment.state, moment=moment.describe(),
        max_pain=mp, pcr=pc, provenance=b.scalar_provenance(mp, pc),
        safe_range=safe, historical_hit_rate=hit, market_context=chain_block,
        direction=direction, trap=trap, expiry_stress=stress, breach_probabilities=breach,
        buyer_signal=buyer, historical_spike_rate=spike,
    )


def infer(out: Path | str | None = None, moment: str | None = None) -> dict[str, Any]:
    """Build the snapshot and publish it with its ledger rows as one unit.

    ``moment`` (ISO 8601 with its offset) is the moment the snapshot is of: the 30-minute
    DAG passes its ingest run's slot, so a replayed or late run publishes the numbers of its
    slot; default :meth:`Settings.now` (``AEGIS_CLOCK`` or the system clock). A promotion
    interrupted by a crash is completed or rolled back first, so the champions read are one
    whole set (never half of a promotion); a publish interrupted by a crash is finished
    first, so no published snapshot lacks its ledger rows (:mod:`aegis.pipeline.publish`).
    The previous snapshot survives any failure.
    """
    from aegis.ledger.store import ledger_path
    from aegis.pipeline.publish import publish_snapshot, recover_publish
    from aegis.registry.store import StoreConfig, recover_store

    settings = get_settings()
    recover_store(StoreConfig.from_settings(settings))
    ledger_file = ledger_path(settings.resolved_data_dir)
    recovered = recover_publish(ledger_file)
    snapshot = build_snapshot(settings, datetime.fromisoformat(moment) if moment else None)
    path = Path(out) if out is not None else settings.snapshot_path
    published = publish_snapshot(snapshot, path, ledger_file)
    return {"path": str(path), "status": snapshot.status, "ledger": published["ledger"],
            "recovered": recovered or published["recovered"],
            "degraded_reasons": [r.model_dump() for r in snapshot.degraded_reasons],
            "as_of": snapshot.as_of.isoformat()}


__all__ = ["Champions", "InferenceInputs", "assemble_snapshot", "build_snapshot", "infer",
           "load_inputs"]

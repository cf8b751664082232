"""The snapshot's range and rates: the safe range for the time left, the hit and spike rates.

``k`` and the hit rate come from what the nightly retrain wrote for the snapshot's session
(``rates.json``), recomputed from the history only when that file cannot give them, the reason
then in the provenance's method.
"""

from __future__ import annotations

from dataclasses import replace
from functools import cached_property
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from aegis.pipeline.builder import BuilderCore

if TYPE_CHECKING:
    from aegis.rates.intraday_fit import IntradayFit
    from aegis.rates.range_fit import RangeFit
    from aegis.snapshot import HitRate, SafeRange, SpikeRate


class RangeBlocks(BuilderCore):
    """The range and rate blocks of a snapshot (see the module docstring)."""

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

"""The state every block of a snapshot reads: its inputs, the moment, the market now.

:class:`BuilderCore` holds what the block builders share (:mod:`aegis.pipeline.forecasts`
for the model-or-climatology probabilities, :mod:`aegis.pipeline.ranges` for the range and the
rates, :mod:`aegis.pipeline.inference` for the chain numbers and the assembly): the inputs,
the moment, the market of the moment, the option chain of an expiry and the degraded reasons
collected as the blocks are built. No I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import pandas as pd

from aegis.errors import SnapshotError
from aegis.market.hours import session_close

if TYPE_CHECKING:
    from collections.abc import Callable

    from aegis.pipeline.champions import Champions
    from aegis.pipeline.market_now import MarketNow

T = TypeVar("T")


@dataclass(frozen=True)
class InferenceInputs:
    """What one snapshot is computed from, read from the stores by
    :func:`aegis.pipeline.inference.load_inputs`.

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



class BuilderCore:
    """What every block builder of one snapshot shares; collects degraded reasons as it goes."""

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

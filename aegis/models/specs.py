"""What each model sees, what it predicts and what it must beat.

Every model names its inputs from :data:`aegis.features.columns.DAILY_FEATURES` in a fixed
order (the ONNX input columns, recorded in the manifest). ``breach`` also takes a few inputs
derived per (session, strike, event) from the GBM formulas; those are listed in
:data:`BREACH_DERIVED_INPUTS` and are computed by :func:`aegis.models.datasets.breach_inputs`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from aegis.features.columns import DAILY_FEATURES

ModelName = Literal["trap", "expiry_stress", "breach", "direction", "buyer"]
MODEL_NAMES: Final[tuple[str, ...]] = ("trap", "expiry_stress", "breach", "direction", "buyer")

#: Strike offsets of the breach labels, as fractions of spot (below and above).
BREACH_OFFSETS: Final[tuple[float, ...]] = (-0.05, -0.04, -0.03, -0.02, -0.01,
                                            0.01, 0.02, 0.03, 0.04, 0.05)

#: Inputs of ``breach`` that are not daily features: name -> meaning (units).
BREACH_DERIVED_INPUTS: Final[dict[str, str]] = {
    "logit_p_gbm": "logit of the driftless-GBM probability of the event (touch or close beyond)",
    "is_close_event": "1 for 'closes beyond at expiry', 0 for 'touches before expiry'",
    "is_upper": "1 for a strike above spot, 0 below",
    "abs_moneyness_em": "|ln(K/S)| / (sigma*sqrt(D/365)) (expected moves to the strike)",
}

#: Sessions of history the direction GRU reads for one prediction.
DIRECTION_WINDOW: Final = 20


@dataclass(frozen=True)
class ModelSpec:
    """The fixed definition of one model.

    Attributes
    ----------
    name : model name (also the folder under ``models/``).
    kind : ``"sklearn"`` (exported with skl2onnx) or ``"torch"`` (torch.onnx.export).
    features : daily-feature columns used, in ONNX input order.
    derived : inputs not in the daily feature table (``breach`` only), placed *before*
        ``features`` in the input row.
    target : the label in words (published in the manifest).
    baseline : the baseline in words (published in the manifest).
    horizon : ``"expiry"`` (label known at the next weekly expiry close) or ``"next_session"``.
    window : sessions per input sequence (1 = one row per prediction).
    """

    name: str
    kind: Literal["sklearn", "torch"]
    features: tuple[str, ...]
    target: str
    baseline: str
    horizon: Literal["expiry", "next_session"]
    derived: tuple[str, ...] = ()
    window: int = 1

    @property
    def inputs(self) -> tuple[str, ...]:
        """All input columns in ONNX order: derived first, then daily features."""
        return self.derived + self.features


#: What a volatility trader reads before selling the weekly straddle: the Gaussian chance of the
#: event under the HAR variance forecast (trap's; stress swaps in its own), the VIX trend, and
#: the market's trend in implied moves (falling markets realise more: the leverage effect),
#: and the horizon. The logistic model calibrates the structural logit with the rest.
_VOL_EVENT = ("trap_structural_logit", "vix_change_5", "mom_5_em", "mom_20_em",
              "log_sessions_to_expiry")

MODEL_SPECS: Final[dict[str, ModelSpec]] = {
    "trap": ModelSpec(
        name="trap",
        kind="sklearn",
        features=_VOL_EVENT,
        target="1 if the variance realised from t to the next weekly expiry (sum of the squared "
        "close-to-close log returns of the sessions after t up to the expiry close) exceeds "
        "the variance paid for, sigma^2 * D/365 (sigma = VIX_t/100, D calendar days)",
        baseline="clip((iv_percentile - rv_percentile)/2 + 0.5, 0, 1), percentiles as fractions",
        horizon="expiry",
    ),
    "expiry_stress": ModelSpec(
        name="expiry_stress",
        kind="sklearn",
        features=("stress_structural_logit", *_VOL_EVENT[1:]),
        target="1 if |ln(S_expiry / S_t)| > sigma*sqrt(D/365), sigma = VIX_t/100, D calendar "
        "days to the next weekly expiry",
        baseline="0.6*trap_baseline + 0.4*normalised_vol (normalised_vol = iv_percentile_252/100)",
        horizon="expiry",
    ),
    "breach": ModelSpec(
        name="breach",
        kind="sklearn",
        derived=tuple(BREACH_DERIVED_INPUTS),
        features=("days_to_expiry", "iv_rv_spread", "rv_percentile_252"),
        target="per (session, strike at +-1..5% of spot, event): 1 if the index touches the "
        "strike before expiry (daily high/low of the sessions after t up to the expiry), or, "
        "for the close event, if the expiry close is beyond the strike",
        baseline="driftless GBM with sigma = VIX/100: touch by the reflection principle, "
        "close beyond by the lognormal tail",
        horizon="expiry",
    ),
    "direction": ModelSpec(
        name="direction",
        kind="torch",
        features=("log_return", "mom_5", "mom_20", "rv_cc_20", "vix", "vix_change", "rsi_14",
                  "bb_pctb_20", "macd_hist_pct", "atr_14_pct"),
        target="1 if the next session's close is above today's",
        baseline="historical up-day frequency of the training data",
        horizon="next_session",
        window=DIRECTION_WINDOW,
    ),
    "buyer": ModelSpec(
        name="buyer",
        kind="torch",
        features=("vix", "vix_change", "rv_cc_20", "rv_parkinson_20", "iv_rv_spread",
                  "iv_percentile_252", "rv_percentile_252", "atr_14_pct", "log_return",
                  "mom_5", "days_to_expiry", "expected_move_pct"),
        target="spike: 1 if the next session's |ln(close_{t+1}/close_t)| > sigma*sqrt(1/365)",
        baseline="spike base rate of the training data",
        horizon="next_session",
    ),
}


def _check_specs() -> None:
    for spec in MODEL_SPECS.values():
        unknown = [f for f in spec.features if f not in DAILY_FEATURES]
        if unknown:
            raise ValueError(f"model {spec.name!r} uses unknown daily features {unknown}")


_check_specs()

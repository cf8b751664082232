"""Pure formulas behind the published numbers (DESIGN.md, "Definitions").

Every function here is free of I/O and vectorised on numpy arrays where that makes sense.
"""

from aegis.analytics.calibration import (
    brier,
    expected_calibration_error,
    log_loss,
    reliability_bins,
)
from aegis.analytics.chain import max_pain, pain_curve, pcr
from aegis.analytics.labels import stress_baseline, stress_label, trap_baseline, trap_label
from aegis.analytics.probability import close_beyond_probability, touch_probability
from aegis.analytics.ranges import (
    expected_move,
    fit_safe_range_k,
    implied_move,
    implied_variance,
    safe_range,
    standardised_move,
)

__all__ = [
    "brier",
    "close_beyond_probability",
    "expected_calibration_error",
    "expected_move",
    "fit_safe_range_k",
    "implied_move",
    "implied_variance",
    "log_loss",
    "max_pain",
    "pain_curve",
    "pcr",
    "reliability_bins",
    "safe_range",
    "standardised_move",
    "stress_baseline",
    "stress_label",
    "touch_probability",
    "trap_baseline",
    "trap_label",
]

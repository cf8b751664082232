"""The walk-forward backtest behind ``aegis backtest`` (DESIGN.md, "Backtest report").

Every evaluated day is predicted by a model trained only on rows whose label settled before
the start of that day's refit block (``aegis.models.walkforward``), and every safe range uses
the ``k`` the snapshot would have published that day: fitted for its horizon only on windows
that ended before it (``aegis.rates.range_fit``).
Hyper-parameters are fixed in the estimators; nothing here is tuned to dates.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from aegis.analytics.calibration import brier, expected_calibration_error
from aegis.errors import InsufficientHistoryError
from aegis.rates.empirical import wilson_interval
from aegis.rates.hit_rate import rate_of, walk_forward_safe_ranges
from aegis.rates.range_fit import MIN_HORIZON_WINDOWS
from aegis.rates.windows import session_windows, weekly_windows

#: report key -> model name in aegis.models.specs
SCORED_MODELS = {
    "breach": "breach",
    "trap": "trap",
    "expiry_stress": "expiry_stress",
    "direction": "direction",
}


def _scores(pred: pd.DataFrame) -> dict[str, Any]:
    p, base, y = (pred[c].to_numpy(dtype=float) for c in ("p_model", "p_baseline", "y"))
    return {
        "n": len(pred),
        "brier": float(brier(p, y)),
        "brier_baseline": float(brier(base, y)),
        "ece": float(expected_calibration_error(p, y, bins=10)),
    }


def safe_range_section(
    nifty: pd.DataFrame, vix: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp,
    confidence: float,
) -> dict[str, Any]:
    """Coverage of the range as published, on every session starting in [start, end].

    ``windows``/``coverage``/``ci95``: the first session after each expiry only (one range per
    expiry week, independent outcomes, Wilson's interval holds). ``every_session``: every
    session's range (they overlap within an expiry week, so its Wilson ``ci95`` is too narrow
    and ``ci95_block_bootstrap`` resamples expiry weeks). ``by_sessions_to_expiry``: the same
    per horizon ``h``. Only ranges whose expiry is on or before ``end`` are scored.
    """
    table = walk_forward_safe_ranges(session_windows(nifty, vix), confidence, as_of=end)
    starts = pd.to_datetime(table["start"])
    table = table[(starts >= start) & (starts <= end)]
    weekly_starts = pd.DatetimeIndex(weekly_windows(nifty, vix)["start"])
    weekly = table[pd.DatetimeIndex(table["start"]).isin(weekly_starts)]
    n = len(weekly)
    if n == 0:
        raise InsufficientHistoryError(
            f"backtest: no weekly window with a year of prior windows starts in "
            f"[{start.date()}, {end.date()}]"
        )
    hits = int(weekly["hit"].sum())
    lo, hi = wilson_interval(hits, n)
    every = rate_of(table, confidence, end)
    by_h: dict[str, Any] = {}
    for h, group in table.groupby("sessions"):
        g_hits = int(group["hit"].sum())
        by_h[str(int(h))] = {"coverage": g_hits / len(group), "n": len(group),
                             "ci95": list(wilson_interval(g_hits, len(group))),
                             "pooled_fits": int((group["fit_scope"] == "pooled").sum())}
    return {
        "confidence": confidence, "windows": n, "coverage": hits / n, "ci95": [lo, hi],
        "every_session": {"coverage": every.value, "n": every.n, "ci95": list(every.ci95),
                          "ci95_block_bootstrap": list(every.ci95_block_bootstrap or every.ci95),
                          "note": every.interval_note},
        "by_sessions_to_expiry": by_h,
        "fit": {"rule": "k per horizon (sessions to expiry), session-time moves, windows whose "
                        "expiry is strictly before the session; pooled over horizons when a "
                        f"horizon has fewer than {MIN_HORIZON_WINDOWS} past windows",
                "pooled_fits": int((table["fit_scope"] == "pooled").sum()),
                "expiry_day": "a range published on an expiry day is for next week's expiry"},
    }


def breach_by_horizon(pred: pd.DataFrame, features: pd.DataFrame) -> dict[str, Any]:
    """Calibration of the walk-forward breach probabilities per horizon (sessions to expiry).

    ``pred`` is the breach frame of :func:`aegis.models.walkforward.walk_forward_predictions`
    (``session, p_model, p_baseline, y, event, ...``); each row takes its session's
    ``sessions_to_expiry`` from the feature table. Per horizon: ``n, brier, brier_baseline,
    ece`` over both events, and the same per event (``touch``, ``close``) under ``events``.
    """
    h = features["sessions_to_expiry"].reindex(pd.DatetimeIndex(pred["session"])).to_numpy()
    known = pred[np.isfinite(h)].assign(h=h[np.isfinite(h)].astype(int))
    out: dict[str, Any] = {}
    for horizon, group in known.groupby("h"):
        entry = _scores(group)
        if "event" in group:
            entry["events"] = {str(e): _scores(g) for e, g in group.groupby("event")}
        out[str(int(horizon))] = entry
    return out


def buyer_section(pred: pd.DataFrame) -> dict[str, Any]:
    """BREAKOUT signals (walk-forward threshold) and how often a spike followed."""
    y = pred["y"].to_numpy(dtype=float)
    fired = pred["signal"].to_numpy(dtype=bool)
    signals = int(fired.sum())
    base_rate = float(y.mean())
    if signals == 0:
        return {"signals": 0, "spike_rate": 0.0, "ci95": [0.0, 0.0], "base_rate": base_rate,
                "note": "no BREAKOUT signal in the period; spike_rate undefined (reported 0)"}
    spikes = int(y[fired].sum())
    lo, hi = wilson_interval(spikes, signals)
    return {"signals": signals, "spike_rate": spikes / signals, "ci95": [lo, hi],
            "base_rate": base_rate}


def run_backtest(
    nifty: pd.DataFrame,
    vix: pd.DataFrame,
    features: pd.DataFrame,
    start: str | pd.Timestamp,
    end: str | pd.Timestamp,
    *,
    confidence: float = 0.80,
    seed: int = 0,
    refit: str = "YS",
    progress: Any = None,
) -> tuple[dict[str, Any], dict[str, pd.DataFrame]]:
    """The backtest report (DESIGN.md shape) and the walk-forward predictions behind it.

    Parameters
    ----------
    nifty, vix : canonical daily frames; features : the daily feature table.
    start, end : the evaluated period (inclusive).
    refit : pandas offset alias of the refit blocks (``"YS"``: yearly).
    progress : optional callable ``progress(step_name)`` called before each step.
    """
    from aegis.models.walkforward import walk_forward_predictions

    t0, t1 = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
    if t1 < t0:
        raise InsufficientHistoryError(f"backtest: --from {t0.date()} is after --to {t1.date()}")
    in_period = (nifty.index >= t0) & (nifty.index <= t1)
    report: dict[str, Any] = {
        "period": {"from": t0.date().isoformat(), "to": t1.date().isoformat(),
                   "sessions": int(in_period.sum())},
    }
    step = progress or (lambda _name: None)
    step("safe_range")
    report["safe_range"] = safe_range_section(nifty, vix, t0, t1, confidence)
    predictions: dict[str, pd.DataFrame] = {}
    for key, name in SCORED_MODELS.items():
        step(key)
        pred = walk_forward_predictions(name, nifty, vix, features, t0, t1,
                                        refit=refit, seed=seed)
        predictions[key] = pred
        report[key] = _scores(pred)
    p = predictions["direction"]["p_model"].to_numpy()
    y = predictions["direction"]["y"].to_numpy()
    report["direction"] = {"n": report["direction"]["n"],
                           "accuracy": float(np.mean((p >= 0.5) == (y >= 0.5))),
                           **{k: v for k, v in report["direction"].items() if k != "n"}}
    report["breach"]["by_sessions_to_expiry"] = breach_by_horizon(predictions["breach"], features)
    step("buyer")
    predictions["buyer"] = walk_forward_predictions("buyer", nifty, vix, features, t0, t1,
                                                    refit=refit, seed=seed)
    report["buyer"] = buyer_section(predictions["buyer"])
    return report, predictions


def reliability_png_path(report_path: Path) -> Path:
    """Where the reliability diagram goes: beside the report, ``<stem>.reliability.png``."""
    return report_path.with_name(f"{report_path.stem}.reliability.png")


def plot_reliability(predictions: dict[str, pd.DataFrame], path: Path, title: str) -> Path:
    """Reliability diagrams (model and baseline) of every scored probability, one PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from aegis.analytics.calibration import reliability_bins

    names = list(predictions)
    fig, axes = plt.subplots(1, len(names), figsize=(4 * len(names), 4.2), squeeze=False)
    for ax, name in zip(axes[0], names, strict=True):
        pred = predictions[name]
        ax.plot([0, 1], [0, 1], color="0.6", lw=1, ls="--", label="perfect")
        for column, label, colour in (("p_model", "model", "C0"),
                                      ("p_baseline", "baseline", "C1")):
            bins = reliability_bins(pred[column].to_numpy(float), pred["y"].to_numpy(float))
            shown = bins[bins["count"] > 0]
            ax.plot(shown["mean_predicted"], shown["observed_frequency"], marker="o",
                    color=colour, label=label)
        ax.set(title=f"{name} (n={len(pred)})", xlim=(0, 1), ylim=(0, 1),
               xlabel="forecast probability", ylabel="observed frequency")
        ax.legend(loc="upper left", fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path

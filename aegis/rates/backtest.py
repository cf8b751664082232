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
from aegis.params import Params
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
    "buyer": "buyer",
}
#: The label classes of the scores that publish one.
CLASSES = {"trap": ("LOW", "MEDIUM", "HIGH"), "expiry_stress": ("CALM", "CAUTION", "STRESS")}


def _scores(pred: pd.DataFrame) -> dict[str, Any]:
    """Model, baseline, climatology and published scores of walk-forward predictions."""
    p, base, clim, pub, y = (pred[c].to_numpy(dtype=float) for c in (
        "p_model", "p_baseline", "p_climatology", "p_published", "y"))
    b, b_clim = float(brier(p, y)), float(brier(clim, y))
    return {
        "n": len(pred),
        "brier": b,
        "brier_baseline": float(brier(base, y)),
        "brier_climatology": b_clim,
        "bss_climatology": 1.0 - b / b_clim if b_clim > 0 else 0.0,
        "frequency": float(np.mean(y)),
        "ece": float(expected_calibration_error(p, y, bins=10)),
        "published_brier": float(brier(pub, y)),
        "published_ece": float(expected_calibration_error(pub, y, bins=10)),
        "published_bss_climatology": 1.0 - float(brier(pub, y)) / b_clim if b_clim > 0 else 0.0,
    }


def publish_as_gated(name: str, pred: pd.DataFrame, start: pd.Timestamp, *, seed: int = 0,
                     params: Params | None = None) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """What the snapshot would have published each day of the folds from ``start`` on.

    At each fold the gate (:func:`aegis.models.gate.judge`) tests the out-of-sample predictions
    of the folds before it (at most ``gate.folds`` of them, as the nightly retrain does): the
    model where it passes, climatology otherwise. Trap and stress also get
    their label cuts from those earlier folds. Returns the evaluated rows with ``p_published``,
    ``promoted`` and (trap, stress) ``cut_low``, ``cut_high``, plus one gate record per fold.
    """
    from aegis.models.gate import judge
    from aegis.models.training import label_cuts
    from aegis.params import default_params

    gate = (params or default_params()).gate

    folds = sorted(pd.DatetimeIndex(pred["fold"].unique()))
    parts, records = [], []
    for i, fold in enumerate(folds):
        if fold < start:
            continue
        part = pred[pred["fold"] == fold].copy()
        earlier = pred[pred["fold"].isin(folds[max(0, i - gate.folds):i])]
        promote = False
        if len(earlier):
            decision = judge(name, earlier, params=gate, seed=seed)
            promote = decision.promote
            records.append({"fold": str(fold.date()), "promote": promote,
                            "p_value": decision.p_value, "reference": decision.reference,
                            "folds_tested": len(decision.folds)})
        else:
            records.append({"fold": str(fold.date()), "promote": False,
                            "reason": "no earlier fold to test the model on"})
        part["promoted"] = promote
        part["p_published"] = part["p_model"] if promote else part["p_climatology"]
        if name in CLASSES:
            cuts = label_cuts(earlier["p_model"].to_numpy(float)) if len(earlier) else (
                np.nan, np.nan)
            part["cut_low"], part["cut_high"] = cuts
        parts.append(part)
    return pd.concat(parts, ignore_index=True), records


def class_table(name: str, pred: pd.DataFrame, column: str) -> dict[str, dict[str, Any]]:
    """Sessions and observed event frequency per label class of ``column``'s probabilities."""
    from aegis.analytics.labels import stress_label, trap_label

    label = trap_label if name == "trap" else stress_label
    labels = []
    for p, lo, hi, promoted in zip(pred[column], pred["cut_low"], pred["cut_high"],
                                   pred["promoted"], strict=True):
        use_cuts = column == "p_model" or promoted
        cuts = (lo, hi) if use_cuts and np.isfinite(lo) else None
        labels.append(label(float(p), cuts))
    frame = pd.DataFrame({"label": labels, "y": pred["y"].to_numpy(float)})
    table = {}
    for cls in CLASSES[name]:
        rows = frame[frame["label"] == cls]
        table[cls] = {"sessions": len(rows),
                      "share": len(rows) / len(frame) if len(frame) else 0.0,
                      "frequency": float(rows["y"].mean()) if len(rows) else None}
    return table


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
    """BREAKOUT signals (walk-forward threshold) and how often a spike followed, with skill."""
    y = pred["y"].to_numpy(dtype=float)
    fired = pred["signal"].to_numpy(dtype=bool)
    signals = int(fired.sum())
    base_rate = float(y.mean())
    out: dict[str, Any] = {"signals": signals, "base_rate": base_rate, **_scores(pred)}
    if signals == 0:
        return {**out, "spike_rate": 0.0, "ci95": [0.0, 0.0],
                "note": "no BREAKOUT signal in the period; spike_rate undefined (reported 0)"}
    spikes = int(y[fired].sum())
    lo, hi = wilson_interval(spikes, signals)
    return {**out, "spike_rate": spikes / signals, "ci95": [lo, hi]}


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
    params: Params | None = None,
) -> tuple[dict[str, Any], dict[str, pd.DataFrame]]:
    """The backtest report (DESIGN.md shape) and the walk-forward predictions behind it.

    Parameters
    ----------
    nifty, vix : canonical daily frames; features : the daily feature table.
    start, end : the evaluated period (inclusive).
    refit : pandas offset alias of the refit blocks (``"YS"``: yearly).
    progress : optional callable ``progress(step_name)`` called before each step.
    """
    from aegis.models.datasets import build_dataset
    from aegis.models.walkforward import block_starts, predictions_over_blocks, usable_start
    from aegis.params import default_params

    params = params or default_params()

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
    warm = pd.Timestamp(year=t0.year - params.gate.folds, month=1, day=1)
    for key, name in SCORED_MODELS.items():
        step(key)
        data = build_dataset(name, nifty, vix, features)
        first = usable_start(data, warm, t0)
        # the gate's years before the period, then the period's own blocks from its first day
        starts = [d for d in pd.date_range(first, t0, freq=refit) if d < t0]
        starts += block_starts(t0, t1, refit)
        pred = predictions_over_blocks(name, data, starts, t1 + pd.Timedelta(days=1),
                                       seed=seed, params=params)
        pred, gates = publish_as_gated(name, pred, t0, seed=seed, params=params)
        predictions[key] = pred
        report[key] = buyer_section(pred) if key == "buyer" else _scores(pred)
        report[key]["gate"] = gates
        if key in CLASSES:
            report[key]["classes"] = class_table(name, pred, "p_model")
            report[key]["published_classes"] = class_table(name, pred, "p_published")
    p = predictions["direction"]["p_model"].to_numpy()
    y = predictions["direction"]["y"].to_numpy()
    report["direction"] = {"n": report["direction"]["n"],
                           "accuracy": float(np.mean((p >= 0.5) == (y >= 0.5))),
                           **{k: v for k, v in report["direction"].items() if k != "n"}}
    report["breach"]["by_sessions_to_expiry"] = breach_by_horizon(predictions["breach"], features)
    return report, predictions


def reliability_png_path(report_path: Path) -> Path:
    """Where the reliability diagram goes: beside the report, ``<stem>.reliability.png``."""
    return report_path.with_name(f"{report_path.stem}.reliability.png")


def plot_reliability(predictions: dict[str, pd.DataFrame], path: Path, title: str) -> Path:
    """Reliability diagrams (model, baseline, climatology) of every scored probability, one PNG."""
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
                                      ("p_baseline", "baseline", "C1"),
                                      ("p_climatology", "climatology", "C2")):
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

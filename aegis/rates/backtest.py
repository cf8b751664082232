"""The walk-forward backtest behind ``aegis backtest`` (DESIGN.md, "Backtest report").

Every evaluated day is predicted by a model trained only on rows whose label settled before
the start of that day's refit block (``aegis.models.walkforward``), and every safe range uses
the ``k`` the snapshot would have published that day: fitted for its horizon only on windows
that ended before it (``aegis.rates.range_fit``).
The ``published_*`` figures replay the live rules day by day with the live code
(:func:`aegis.models.replay.replay_published`: the gate at each refit, the nightly demotion
test and the evidence weight); ``by_year`` and ``by_vix_band`` give the same scores per
calendar year and per India VIX band. Hyper-parameters come from ``aegis/params.yaml``;
nothing here is tuned to dates.
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


#: India VIX bands (percent, at the forecast's session) of the per-band scores.
VIX_BANDS = ((0.0, 15.0), (15.0, 20.0), (20.0, 30.0), (30.0, float("inf")))


def _period_scores(pred: pd.DataFrame) -> dict[str, Any]:
    """``n, brier, published_brier, brier_climatology, ece`` (and the published ECE and both
    skills) of one slice of the predictions."""
    y = pred["y"].to_numpy(float)
    p, pub, clim = (pred[c].to_numpy(float) for c in ("p_model", "p_published", "p_climatology"))
    b, b_pub, b_clim = float(brier(p, y)), float(brier(pub, y)), float(brier(clim, y))
    return {"n": len(pred), "brier": b, "published_brier": b_pub, "brier_climatology": b_clim,
            "ece": float(expected_calibration_error(p, y, bins=10)),
            "published_ece": float(expected_calibration_error(pub, y, bins=10)),
            "bss_climatology": 1.0 - b / b_clim if b_clim > 0 else 0.0,
            "published_bss_climatology": 1.0 - b_pub / b_clim if b_clim > 0 else 0.0,
            "mean_weight": float(pred["weight"].mean()) if "weight" in pred else None}


def by_year(pred: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """:func:`_period_scores` per calendar year of the forecast's session."""
    years = pd.DatetimeIndex(pred["session"]).year
    return {str(year): _period_scores(part) for year, part in pred.groupby(years, sort=True)}


def by_vix_band(pred: pd.DataFrame, vix: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """:func:`_period_scores` per India VIX band (the VIX at the forecast's session)."""
    from aegis.market.vix import vix_on_sessions

    sessions = pd.DatetimeIndex(pred["session"])
    level = vix_on_sessions(vix, pd.DatetimeIndex(sessions.unique().sort_values()))
    at = level.reindex(sessions).to_numpy(float)
    out: dict[str, dict[str, Any]] = {}
    for lo, hi in VIX_BANDS:
        inside = (at >= lo) & (at < hi)
        if inside.any():
            label = f"{lo:g}-{hi:g}" if np.isfinite(hi) else f"{lo:g}+"
            out[label] = _period_scores(pred[inside])
    return out


def class_table(name: str, pred: pd.DataFrame, column: str) -> dict[str, dict[str, Any]]:
    """Sessions and observed event frequency per label class of ``column``'s probabilities."""
    from aegis.analytics.labels import stress_label, trap_label

    label = trap_label if name == "trap" else stress_label
    labels = []
    published = column == "p_published"
    for p, lo, hi, w, clim in zip(pred[column], pred["cut_low"], pred["cut_high"],
                                  pred["weight"], pred["p_climatology"], strict=True):
        cuts = (lo, hi) if np.isfinite(lo) and (not published or w > 0) else None
        if cuts is not None and published:  # the cuts shrink with the probability
            cuts = (clim + w * (lo - clim), clim + w * (hi - clim))
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



def published_signals(pred: pd.DataFrame) -> np.ndarray:
    """BREAKOUT as published: the model was published that day and its published spike
    probability reached the walk-forward threshold (climatology never signals)."""
    return (pred["published_model"].to_numpy(bool)
            & (pred["p_published"].to_numpy(float) >= pred["threshold"].to_numpy(float)))


def _signal_rate(y: np.ndarray, fired: np.ndarray) -> dict[str, Any]:
    n = int(fired.sum())
    if n == 0:
        return {"signals": 0, "spike_rate": 0.0, "ci95": [0.0, 0.0],
                "note": "no BREAKOUT signal in the period; spike_rate undefined (reported 0)"}
    spikes = int(y[fired].sum())
    return {"signals": n, "spike_rate": spikes / n, "ci95": list(wilson_interval(spikes, n))}


def buyer_section(pred: pd.DataFrame) -> dict[str, Any]:
    """BREAKOUT signals as published and how often a spike followed, with skill.

    ``signals``/``spike_rate``/``ci95`` count the BREAKOUTs the product would have published
    (:func:`published_signals`); ``model_signals`` those of the model alone, published or not.
    """
    y = pred["y"].to_numpy(dtype=float)
    out: dict[str, Any] = {"base_rate": float(y.mean()), **_scores(pred)}
    out.update(_signal_rate(y, published_signals(pred)))
    out["model_signals"] = _signal_rate(y, pred["signal"].to_numpy(dtype=bool))
    return out


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
    from aegis.models.replay import replay_published
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
        pred, gates = replay_published(name, pred, t0, seed=seed, params=params)
        predictions[key] = pred
        report[key] = buyer_section(pred) if key == "buyer" else _scores(pred)
        report[key]["gate"] = gates
        report[key]["by_year"] = by_year(pred)
        report[key]["by_vix_band"] = by_vix_band(pred, vix)
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

"""Nightly quantities the 30-minute inference reads instead of recomputing: climatology, hit rate.

:func:`recompute_climatology` (run by the retrain's ``recompute_rates`` stage, so the DAG and
``aegis train`` both write it) counts every model's climatology on the validated history and
writes ``<output>/climatology.json`` (:class:`aegis.models.climatology.ClimatologyFile`).
:class:`NightlyClimatology` is what the snapshot builder asks: the file's figure when the file
can give it for the snapshot's history, else a recomputation *with the reason in its note*
(which the snapshot's provenance carries), never a silent one.

:func:`nightly_hit_rate` does the same for the safe range's historical hit rate: the nightly
``rates.json`` carries it for every horizon (``hit_by_horizon``); the snapshot reads it when the
file was computed on the snapshot's session with its confidence and seed, else recomputes it
and says why.
"""

from __future__ import annotations

import math
from dataclasses import asdict, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from aegis.atomic import write_text_atomic
from aegis.config import Settings, get_settings
from aegis.errors import ClimatologyFileError, InsufficientHistoryError, TrainingDataError
from aegis.models.climatology import (
    Climatology,
    ClimatologyFile,
    ClimatologyRecord,
    climatology,
    read_climatology_file,
)
from aegis.rates.empirical import EmpiricalRate
from aegis.rates.range_fit import RangeFit


def climatology_file(nifty: pd.DataFrame, vix: pd.DataFrame, features: pd.DataFrame, *,
                     computed_at: datetime, features_sha256: str | None = None
                     ) -> ClimatologyFile:
    """Every model's climatology on this history (pure); a model without one is named in
    ``skipped`` with the reason."""
    from aegis.models.specs import MODEL_SPECS

    models: dict[str, ClimatologyRecord] = {}
    skipped: dict[str, str] = {}
    for name in MODEL_SPECS:
        try:
            models[name] = ClimatologyRecord.of(climatology(name, nifty, vix, features))
        except (InsufficientHistoryError, TrainingDataError) as exc:
            skipped[name] = f"{type(exc).__name__}: {exc}"
    return ClimatologyFile(computed_at=computed_at, as_of=pd.Timestamp(features.index[-1]).date(),
                           features_sha256=features_sha256, models=models, skipped=skipped)


def recompute_climatology(settings: Settings | None = None) -> dict[str, Any]:
    """Write ``climatology.json`` from the validated features; a summary per model."""
    from aegis.pipeline.data import load_daily, read_validated_features
    from aegis.pipeline.paths import climatology_path, features_path, sha256_of

    settings = settings or get_settings()
    nifty, vix = load_daily(settings)
    features = read_validated_features(settings)
    table = features_path(settings)
    out = climatology_file(nifty, vix, features, computed_at=datetime.now(UTC),
                           features_sha256=sha256_of(table) if table.is_file() else None)
    write_text_atomic(climatology_path(settings), out.model_dump_json(indent=2))
    return {"as_of": out.as_of.isoformat(),
            "models": {k: {"value": round(v.value, 4), "n": v.n} for k, v in out.models.items()},
            "skipped": out.skipped}


class NightlyClimatology:
    """The climatology the snapshot publishes, read from the nightly file at ``path``.

    Falls back to :func:`aegis.models.climatology.climatology` on the inputs' history only when
    the file is missing or malformed, lacks the model, or counts events settled after the
    snapshot's last session (a replay of an earlier slot); the returned
    :attr:`Climatology.note` then says which and why.
    """

    def __init__(self, path: Path, nifty: pd.DataFrame, vix: pd.DataFrame,
                 features: pd.DataFrame) -> None:
        self.path = path
        self.nifty, self.vix, self.features = nifty, vix, features
        self._file: ClimatologyFile | None = None
        self._problem: str | None = None
        self._loaded = False
        self._cache: dict[str, Climatology] = {}

    def _read(self) -> ClimatologyFile | None:
        if not self._loaded:
            self._loaded = True
            try:
                self._file = read_climatology_file(self.path)
            except ClimatologyFileError as exc:
                self._problem = str(exc)
        return self._file

    def nightly_record(self, name: str) -> tuple[ClimatologyRecord | None, str]:
        """(record, "") when the nightly file gives ``name``'s climatology for this history;
        else (None, the reason it cannot)."""
        nightly = self._read()
        if nightly is None:
            return None, self._problem or f"{self.path}: unreadable"
        record = nightly.models.get(name)
        if record is None:
            why = nightly.skipped.get(name, "not in the file")
            return None, f"{self.path}: no climatology for {name!r} ({why})"
        last_session = pd.Timestamp(self.features.index[-1]).date()
        if record.last > last_session:
            return None, (f"{self.path}: counts {name!r} events settled up to {record.last}, "
                          f"after this snapshot's last session {last_session}")
        return record, ""

    def get(self, name: str) -> Climatology:
        """``name``'s climatology (cached): nightly, or recomputed with the reason."""
        if name not in self._cache:
            record, why = self.nightly_record(name)
            if record is not None:
                self._cache[name] = record.to_climatology(name)
            else:
                fresh = climatology(name, self.nifty, self.vix, self.features)
                self._cache[name] = replace(
                    fresh, note=f"; climatology recomputed from the history at inference: {why}")
        return self._cache[name]


def hit_rate_entries(windows: pd.DataFrame, as_of: pd.Timestamp, *, confidence: float,
                     seed: int, sessions_to_expiry: int | None) -> dict[str, Any]:
    """The hit-rate entries of ``rates.json`` (pure; ``windows``:
    :func:`aegis.rates.session_windows`): ``hit`` (with ``sessions_to_expiry``'s rate as its
    horizon), ``hit_by_horizon`` (every horizon with an evaluated range) and ``hit_inputs``
    (the confidence and seed they hold for)."""
    from aegis.rates.hit_rate import hit_rates_by_horizon, with_horizon

    overall, horizons = hit_rates_by_horizon(windows, confidence, as_of=as_of, seed=seed)
    hit = with_horizon(overall, horizons, sessions_to_expiry)
    return {"hit": hit.model_dump(mode="json", by_alias=True),
            "hit_inputs": {"confidence": confidence, "seed": seed},
            "hit_by_horizon": {str(h): r.model_dump(mode="json", by_alias=True)
                               for h, r in horizons.items()}}


MAX_FITTED_HORIZON = 10
"""Whole horizons (sessions to expiry) the nightly fits ``k`` for: a weekly expiry is at most
six sessions away (a holiday week), so the snapshot always finds both of its brackets."""


def range_fit_entries(windows: pd.DataFrame, as_of: pd.Timestamp, *, confidence: float
                      ) -> dict[str, Any]:
    """The safe-range entries of ``rates.json`` (pure; ``windows`` as in
    :func:`hit_rate_entries`): ``range_fits``, the ``k`` of every whole horizon
    1..:data:`MAX_FITTED_HORIZON` fitted on the windows ended before ``as_of`` (the rule of
    :mod:`aegis.rates.range_fit`), and ``range_inputs`` (the confidence they hold for).
    """
    from aegis.rates.range_fit import whole_horizon_fits

    fits = whole_horizon_fits(windows, confidence, session=as_of,
                              horizons=list(range(1, MAX_FITTED_HORIZON + 1)))
    return {"range_inputs": {"confidence": confidence},
            "range_fits": {str(h): {**asdict(f), "first_start": f.first_start.isoformat(),
                                    "last_expiry": f.last_expiry.isoformat()}
                           for h, f in fits.items()}}


def _unusable(rates: dict[str, Any] | None, path: Path, session: date, entries: str,
              inputs_key: str, inputs: dict[str, Any], what: str) -> str:
    """Why the nightly ``rates`` cannot give ``entries`` for a snapshot of ``session`` made with
    ``inputs`` (the file's ``inputs_key``); "" when they can."""
    if rates is None:
        return f"no {path}: the nightly retrain has not run yet"
    if entries not in rates or inputs_key not in rates:
        return f"{path} has no {what} (written by an older retrain)"
    if rates.get("as_of") != session.isoformat():
        return (f"{path} is as of {rates.get('as_of')}, the snapshot's last session is "
                f"{session.isoformat()}")
    if rates[inputs_key] != inputs:
        return (f"{path} was computed with {rates[inputs_key]}; this snapshot uses "
                + " and ".join(f"{k} {v}" for k, v in inputs.items()))
    return ""


def nightly_range_fits(rates: dict[str, Any] | None, path: Path, *, session: date,
                       confidence: float, horizons: tuple[int, int]
                       ) -> tuple[dict[int, RangeFit] | None, str]:
    """(the whole-horizon fits of ``horizons``, "") from the nightly ``rates`` when they were
    fitted as of ``session`` with this ``confidence``; else (None, the reason they cannot be
    used). Each entry is checked (a positive finite ``k``, its window's dates)."""
    why = _unusable(rates, path, session, "range_fits", "range_inputs",
                    {"confidence": confidence}, "whole-horizon range fits")
    if why or rates is None:
        return None, why
    out: dict[int, RangeFit] = {}
    for h in sorted(set(horizons)):
        raw = dict(rates["range_fits"]).get(str(h))
        if raw is None:
            return None, f"{path} has no {h}-session range fit"
        try:
            fit = RangeFit(**{**raw, "first_start": pd.Timestamp(raw["first_start"]),
                              "last_expiry": pd.Timestamp(raw["last_expiry"])})
            ok = (fit.sessions_to_expiry == h and fit.confidence == confidence
                  and math.isfinite(fit.k_session) and fit.k_session > 0 and fit.n >= 1
                  and fit.scope in ("horizon", "pooled")
                  and fit.last_expiry < pd.Timestamp(session))
        except (TypeError, ValueError, KeyError) as exc:
            return None, f"{path}: malformed {h}-session range fit ({type(exc).__name__}: {exc})"
        if not ok:
            return None, (f"{path}: the {h}-session range fit {raw} is not a fit for "
                          f"{h} sessions at confidence {confidence} before {session}")
        out[h] = fit
    return out, ""


def nightly_hit_rate(rates: dict[str, Any] | None, path: Path, *, session: date,
                     confidence: float, seed: int, sessions_to_expiry: int
                     ) -> tuple[EmpiricalRate | None, str]:
    """(the hit rate with ``sessions_to_expiry``'s rate as its horizon, "") from the nightly
    ``rates`` (the parsed ``rates.json`` at ``path``) when it was computed on ``session`` with
    this ``confidence`` and ``seed``; else (None, the reason it cannot be used).

    Every entry is validated as an :class:`~aegis.rates.EmpiricalRate`; a horizon the file does
    not list had no evaluated range (the nightly writes every horizon that has one).
    """
    from pydantic import ValidationError

    from aegis.rates.hit_rate import with_horizon

    why = _unusable(rates, path, session, "hit_by_horizon", "hit_inputs",
                    {"confidence": confidence, "seed": seed}, "per-horizon hit rates")
    if why or rates is None:
        return None, why
    try:
        overall = EmpiricalRate.model_validate(rates["hit"])
        horizons = {int(h): EmpiricalRate.model_validate(r)
                    for h, r in dict(rates["hit_by_horizon"]).items()}
    except (ValidationError, ValueError, TypeError) as exc:
        return None, f"{path}: malformed hit rates ({type(exc).__name__}: {exc})"
    if overall.kind != "hit" or any(r.kind != "hit" for r in horizons.values()):
        return None, f"{path}: expected hit rates under 'hit' and 'hit_by_horizon'"
    overall = overall.model_copy(update={"horizon": None})
    return with_horizon(overall, horizons, sessions_to_expiry), ""


__all__ = ["MAX_FITTED_HORIZON", "NightlyClimatology", "climatology_file", "hit_rate_entries",
           "nightly_hit_rate", "nightly_range_fits", "range_fit_entries",
           "recompute_climatology"]

"""Read what the page shows besides the snapshot: champions, gate log, ledger, backtest, prices.

Everything is read from the paths in :class:`aegis.config.Settings` on every request, so a new
snapshot, champion or backtest shows on the next page load. Where each input lives (the page's
contract with the pipeline; docs/operations.md repeats it):

- snapshot: ``<output>/aegismatrix.json`` (:mod:`aegis_dashboard.reading`)
- champions: ``<models>/registry.json`` + manifests, verified with
  :func:`aegis.registry.artifacts.verify_all` (what ``aegis models verify`` runs)
- gate decisions of the last retrain: ``<output>/gate.json``
- forecast ledger: ``<data>/ledger/forecasts.parquet`` (:func:`read_ledger`)
- backtest: ``<output>/backtest/report.json`` and its diagram ``report.reliability.png``, as
  ``aegis backtest ... --json <output>/backtest/report.json`` writes them (``make demo`` does)
- prices: the market store's ``nifty_daily`` and ``nifty_intraday`` series
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import pandas as pd

from aegis.config import Settings
from aegis.errors import AegisError, DashboardInputError
from aegis.market.hours import MARKET_TZ, ist_day

if TYPE_CHECKING:
    from aegis.pipeline.records import GateLog

BACKTEST_REPORT: Final = "backtest/report.json"
BACKTEST_DIAGRAM: Final = "backtest/report.reliability.png"
SERVED_FILES: Final = {BACKTEST_DIAGRAM: "image/png"}
"""The only files under the output folder the page serves (relative path -> media type)."""

def ledger_path(settings: Settings) -> Path:
    from aegis.ledger import ledger_path as path_in

    return path_in(settings.resolved_data_dir)


def read_ledger(path: Path) -> pd.DataFrame | None:
    """The forecast ledger (:func:`aegis.ledger.read_ledger`, sorted by ``generated_at``), or
    ``None`` when no ledger was written yet.

    Raises
    ------
    DashboardInputError
        The file is not Parquet or lacks a contract column (names the file and the columns).
    """
    from aegis.ledger import read_ledger as read

    if not path.is_file():
        return None
    try:
        frame = read(path)
    except (AegisError, OSError, ValueError) as exc:
        raise DashboardInputError(f"{path.name} is not a readable Parquet file with the "
                                  f"ledger's columns ({exc})") from exc
    return frame.sort_values("generated_at", kind="stable").reset_index(drop=True)


def _read_json(path: Path, what: str) -> dict[str, Any] | None:
    """A JSON object; ``None`` when the file does not exist; else :class:`DashboardInputError`."""
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DashboardInputError(f"{what} ({path.name}) cannot be read: {exc}") from exc
    if not isinstance(data, dict):
        raise DashboardInputError(f"{what} ({path.name}): expected a JSON object, "
                           f"found {type(data).__name__}")
    return data


def read_backtest(settings: Settings) -> dict[str, Any] | None:
    """The latest ``aegis backtest`` report placed at ``<output>/backtest/report.json``."""
    return _read_json(settings.resolved_output_dir / BACKTEST_REPORT, "the backtest report")


def read_gate_log(settings: Settings) -> GateLog | None:
    """The last retrain's gate decision per model (``<output>/gate.json``), typed; ``None`` when
    there is none yet, :class:`~aegis.errors.GateLogFormatError` when it is wrongly shaped."""
    from aegis.pipeline.paths import gate_log_path
    from aegis.pipeline.records import read_gate_log as read

    path = gate_log_path(settings)
    return read(path) if path.is_file() else None


def served_file(settings: Settings, name: str) -> tuple[Path, str] | None:
    """Path and media type of ``name`` when it is on the allow-list, a regular file, no symlink.

    Only :data:`SERVED_FILES` are ever served; every component of the path below the output
    folder must be a real directory or file (a symlink anywhere refuses the request).
    """
    media = SERVED_FILES.get(name)
    if media is None:
        return None
    node = regular_file_below(settings.resolved_output_dir, Path(name).parts)
    return None if node is None else (node, media)


def regular_file_below(root: Path, parts: tuple[str, ...]) -> Path | None:
    """``root / parts`` when it is a regular file inside ``root`` reached through no symlink
    (every component checked), else None: the one rule for every file the page serves."""
    node = root
    for part in parts:
        node = node / part
        if node.is_symlink():
            return None
    if not node.is_file() or root.resolve() not in node.resolve().parents:
        return None
    return node


@dataclass(frozen=True)
class Prices:
    """Recent NIFTY closes and, when present, the intraday bars of the snapshot's day."""

    closes: pd.Series  # index: session (tz-naive dates); values: close, index points
    intraday: pd.DataFrame | None  # index: timestamp; columns high, low, close
    note: str = ""


def read_prices(settings: Settings, as_of: pd.Timestamp | None, sessions: int = 40
                ) -> Prices | None:
    """The last ``sessions`` daily closes up to ``as_of`` and that day's intraday bars.

    ``None`` when the market store has no ``nifty_daily`` series (nothing ingested yet).
    """
    from aegis.market.store import MarketStore

    store = MarketStore(settings.resolved_data_dir)
    names = store.names()
    if "nifty_daily" not in names:
        return None
    try:
        return _prices(store, names, as_of, sessions)
    except (OSError, ValueError, KeyError) as exc:  # a damaged partition or a missing column
        raise DashboardInputError(f"the market store's NIFTY series cannot be read: {exc}") from exc


def _prices(store: Any, names: list[str], as_of: pd.Timestamp | None, sessions: int) -> Prices:
    daily = store.read("nifty_daily")
    closes = daily["close"].astype(float)
    day = None
    if as_of is not None:
        day = ist_day(as_of)
        closes = closes[closes.index <= day]
    closes = closes.tail(sessions)
    intraday = None
    note = ""
    if "nifty_intraday" in names and day is not None:
        bars = store.read("nifty_intraday")
        stamps = pd.DatetimeIndex(bars.index)
        local = stamps.tz_convert(MARKET_TZ) if stamps.tz is not None else stamps
        today = bars[local.normalize().tz_localize(None) == day]
        if len(today):
            intraday = today[["high", "low", "close"]].astype(float)
            intraday.index = local[local.normalize().tz_localize(None) == day]
        else:
            note = f"no intraday bars for {day.date().isoformat()}"
    return Prices(closes=closes, intraday=intraday, note=note)


def previous_closes(settings: Settings, as_of: pd.Timestamp) -> dict[str, float | None]:
    """NIFTY's and India VIX's last daily close of a session before ``as_of``'s IST day (the
    reference of "change on the day"); ``None`` for a series the store does not hold."""
    from aegis.market.store import MarketStore

    store = MarketStore(settings.resolved_data_dir)
    names = store.names()
    day = ist_day(as_of)
    out: dict[str, float | None] = {}
    for key, series in (("nifty", "nifty_daily"), ("vix", "vix_daily")):
        out[key] = None
        if series not in names:
            continue
        try:
            closes = store.read(series)["close"].astype(float)
        except (OSError, ValueError, KeyError) as exc:
            raise DashboardInputError(f"the market store's {series} cannot be read: {exc}"
                                      ) from exc
        before = closes[closes.index < day]
        out[key] = float(before.iloc[-1]) if len(before) else None
    return out


def settlement_close(settings: Settings, expiry: pd.Timestamp) -> float | None:
    """NIFTY's daily close of the expiry session (its settlement), once the store has it."""
    from aegis.market.store import MarketStore

    store = MarketStore(settings.resolved_data_dir)
    if "nifty_daily" not in store.names():
        return None
    try:
        closes = store.read("nifty_daily")["close"].astype(float)
    except (OSError, ValueError, KeyError) as exc:
        raise DashboardInputError(f"the market store's nifty_daily cannot be read: {exc}") from exc
    day = pd.Timestamp(expiry).normalize()
    return float(closes.loc[day]) if day in closes.index else None


def read_iv_levels(settings: Settings, as_of: pd.Timestamp) -> dict[str, Any] | None:
    """India VIX's percentile and rank over 252 sessions (the validated feature table's
    ``iv_percentile_252`` and ``iv_rank_252``) of the last session at or before ``as_of``."""
    from aegis.pipeline.paths import features_path

    path = features_path(settings)
    if not path.is_file():
        return None
    try:
        table = pd.read_parquet(path, columns=["iv_percentile_252", "iv_rank_252"])
    except (OSError, ValueError, KeyError) as exc:
        raise DashboardInputError(f"the feature table ({path.name}) cannot be read: {exc}"
                                  ) from exc
    rows = table[pd.DatetimeIndex(table.index) <= ist_day(as_of)].dropna()
    if rows.empty:
        return None
    last = rows.iloc[-1]
    return {"session": pd.Timestamp(rows.index[-1]), "percentile": float(last["iv_percentile_252"]),
            "rank": float(last["iv_rank_252"])}


def read_chain(settings: Settings, expiry: pd.Timestamp, as_of: pd.Timestamp
               ) -> pd.DataFrame | None:
    """The latest option-chain rows of ``expiry`` taken at or before ``as_of`` (every strike,
    calls and puts), or ``None`` when the store has none."""
    from aegis.market.store import MarketStore

    store = MarketStore(settings.resolved_data_dir)
    if "option_chain" not in store.names():
        return None
    try:
        chain = store.read("option_chain")
    except (OSError, ValueError, KeyError) as exc:
        raise DashboardInputError(f"the market store's option_chain cannot be read: {exc}"
                                  ) from exc
    stamps = pd.to_datetime(chain["timestamp"])
    expiries = pd.to_datetime(chain["expiry"]).dt.normalize()
    mine = chain[(expiries == pd.Timestamp(expiry).normalize()) & (stamps <= as_of)]
    if mine.empty:
        return None
    latest = pd.to_datetime(mine["timestamp"]).max()
    return mine[pd.to_datetime(mine["timestamp"]) == latest]


@lru_cache(maxsize=4)
def _verify_cached(models_dir: str, stamp: tuple[tuple[str, int, int], ...]) -> tuple[Any, ...]:
    from aegis.registry.artifacts import verify_all

    return tuple(verify_all(models_dir))


def verify_champions(settings: Settings) -> tuple[list[Any], str | None]:
    """:func:`aegis.registry.artifacts.verify_all` (what ``aegis models verify`` runs).

    Cached per state of the store (names, sizes and modification times of its files), so a
    page load re-verifies only after a promotion or a change. Returns the results and, when the
    verification itself could not run (an unreadable registry), the reason.
    """
    root = settings.resolved_models_dir
    if not (root / "registry.json").is_file():
        return [], "no model registry yet (registry.json is missing): no champion is published"
    files = [p for p in root.rglob("*") if p.is_file() and "versions" not in p.parts]
    stamp = tuple(sorted((str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in files))
    try:
        return list(_verify_cached(str(root), stamp)), None
    except (AegisError, AttributeError, KeyError, TypeError, ValueError) as exc:
        # A registry of the wrong shape (issue #12 hardens the readers); say so, never 500.
        return [], f"the model registry could not be verified: {exc}"


def read_registry_entries(settings: Settings) -> dict[str, dict[str, Any]]:
    """``registry.json``'s champions (name -> entry); empty when missing or malformed."""
    path = settings.resolved_models_dir / "registry.json"
    try:
        data = _read_json(path, "the model registry")
    except DashboardInputError:
        return {}
    champions = (data or {}).get("champions", {})
    if not isinstance(champions, dict):
        return {}
    return {str(k): v for k, v in champions.items() if isinstance(v, dict)}


__all__ = ["BACKTEST_DIAGRAM", "BACKTEST_REPORT", "SERVED_FILES",
           "Prices", "ledger_path", "previous_closes", "read_backtest", "read_chain",
           "read_gate_log", "read_iv_levels", "read_ledger", "read_prices",
           "read_registry_entries", "served_file", "settlement_close", "verify_champions"]

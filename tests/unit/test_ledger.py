"""The forecast ledger: rows per snapshot, idempotent appends, scoring on known outcomes,
the live track record, and both alerts (calibration drift, frozen numbers)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pytest

from aegis.ledger import (
    LEDGER_COLUMNS,
    append_snapshot,
    calibration_drift,
    empty_ledger,
    frozen_fields,
    ledger_path,
    live_track_record,
    read_ledger,
    score_ledger,
    snapshot_rows,
    update_ledger,
    write_ledger,
)
from aegis.snapshot.contract import Snapshot
from tests.e2e.sample_snapshot import SPOT, sample_snapshot


def _snapshot(**changes: object) -> Snapshot:
    data = sample_snapshot()
    data.update(changes)
    return Snapshot.model_validate(data)


def _market() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Mon 2025-01-06 (the sample's as_of) to Fri 01-10; the weekly expiry is Thu 01-09."""
    idx = pd.DatetimeIndex(pd.to_datetime(["2025-01-06", "2025-01-07", "2025-01-08",
                                           "2025-01-09", "2025-01-10"]), name="session")
    close = [SPOT, 23700.0, 23500.0, 23000.0, 23100.0]
    high = [SPOT + 20, 23750.0, 23720.0, 23520.0, 23200.0]
    low = [SPOT - 20, 23400.0, 23450.0, 22950.0, 23000.0]
    nifty = pd.DataFrame({"open": close, "high": high, "low": low, "close": close}, index=idx)
    vix = pd.DataFrame({"close": [14.2] * 5}, index=idx)
    return nifty, vix


def test_ledger_path_and_missing_file(tmp_path: Path) -> None:
    assert ledger_path(tmp_path) == tmp_path / "ledger" / "forecasts.parquet"
    empty = read_ledger(ledger_path(tmp_path))
    assert empty.empty
    assert tuple(empty.columns) == LEDGER_COLUMNS
    assert str(empty["generated_at"].dtype) == "datetime64[ns, UTC]"
    assert str(empty["expiry"].dtype) == "datetime64[ns]"
    assert str(empty["horizon_sessions"].dtype) == "int64"


def test_one_row_per_published_number() -> None:
    rows = snapshot_rows(_snapshot())
    assert tuple(rows.columns) == LEDGER_COLUMNS
    counts = rows["field"].value_counts().to_dict()
    assert counts == {"breach_touch": 6, "breach_close": 6, "direction": 1, "trap": 1,
                      "expiry_stress": 1, "buyer": 1, "safe_range": 1}
    by = rows.set_index(["field", "key"])
    assert by.loc[("direction", ""), "value"] == 0.58
    assert by.loc[("direction", ""), "expiry"] == pd.Timestamp("2025-01-07")  # next session
    assert by.loc[("direction", ""), "horizon_sessions"] == 1
    assert by.loc[("trap", ""), "provenance"] == "baseline"
    assert by.loc[("trap", ""), "model_version"] is None
    assert by.loc[("expiry_stress", ""), "model_version"] == "3"
    assert by.loc[("expiry_stress", ""), "expiry"] == pd.Timestamp("2025-01-09")
    sr = by.loc[("safe_range", "")]
    assert sr["value"] == 0.8
    assert sr["lower"] < SPOT < sr["upper"]
    assert math.isclose((sr["lower"] + sr["upper"]) / 2, SPOT)
    assert by.loc[("breach_touch", "23200"), "value"] == pytest.approx(0.31)
    assert rows["outcome"].isna().all()
    assert rows["settled_on"].isna().all()
    assert (rows["generated_at"] == pd.Timestamp(_snapshot().generated_at)).all()


def test_snapshot_rows_are_built_at_the_contract_dtypes() -> None:
    """The rows are built column by column at their dtypes: exactly what the general typing
    of a ledger frame gives them (it changes nothing), and they write and read back as is."""
    from aegis.ledger.store import LEDGER_DTYPES, _typed

    rows = snapshot_rows(_snapshot())
    assert {c: str(t) for c, t in rows.dtypes.items()} == {
        c: str(pd.Series([], dtype=d).dtype) for c, d in LEDGER_DTYPES.items()}
    pdt.assert_frame_equal(rows, _typed(rows), check_exact=True)
    assert isinstance(rows.index, pd.RangeIndex)
    assert rows["outcome"].isna().all()
    assert rows["settled_on"].isna().all()


def test_append_is_idempotent_per_generated_at(tmp_path: Path) -> None:
    path = ledger_path(tmp_path)
    first = append_snapshot(path, _snapshot())
    again = append_snapshot(path, _snapshot())
    later = append_snapshot(path, _snapshot(generated_at="2025-01-06T10:46:02+00:00"))
    assert (first["appended"], again["appended"], later["appended"]) == (17, 0, 17)
    ledger = read_ledger(path)
    assert len(ledger) == 34
    assert ledger["generated_at"].nunique() == 2
    assert not list(tmp_path.glob("ledger/.*tmp"))
    dtypes = {c: str(t) for c, t in ledger.dtypes.items()}
    assert dtypes["generated_at"] == dtypes["as_of"] == "datetime64[ns, UTC]"
    assert dtypes["expiry"] == dtypes["settled_on"] == "datetime64[ns]"
    assert dtypes["horizon_sessions"] == "int64"
    assert dtypes["value"] == dtypes["outcome"] == dtypes["lower"] == "float64"
    assert set(ledger["key"]) >= {"", "23200"}
    assert ledger.loc[ledger["field"] == "trap", "model_version"].isna().all()
    assert set(ledger.loc[ledger["field"] == "buyer", "model_version"]) == {"1"}


def _at(minutes: int) -> Snapshot:
    return _snapshot(generated_at=(pd.Timestamp("2025-01-06T10:46:02+00:00")
                                   + pd.Timedelta(minutes=minutes)).isoformat())


def test_an_append_writes_only_its_own_file_and_a_settle_folds_them(tmp_path: Path) -> None:
    from aegis.ledger.store import appended_dir

    path = ledger_path(tmp_path)
    for m in (0, 30):
        assert append_snapshot(path, _at(m))["appended"] == 17
    assert not path.exists()  # nothing rewritten: two appended files
    assert len(list(appended_dir(path).glob("*.parquet"))) == 2
    assert len(read_ledger(path)) == 34
    settled = update_ledger(path, lambda ledger: ledger.assign(outcome=1.0))
    assert path.exists()
    assert not list(appended_dir(path).glob("*.parquet"))
    assert len(settled) == 34
    assert (read_ledger(path)["outcome"] == 1.0).all()
    # a snapshot already folded into the compacted file is not appended again
    assert append_snapshot(path, _at(30))["appended"] == 0
    assert append_snapshot(path, _at(60))["appended"] == 17
    ledger = read_ledger(path)
    assert len(ledger) == 51
    assert ledger["outcome"].isna().sum() == 17
    # a fold killed after writing the compacted file, before removing the appended one:
    # its rows are read once, as settled
    write_ledger(ledger.assign(outcome=0.0), path.with_name("whole.parquet"))
    path.with_name("whole.parquet").replace(path)
    assert len(list(appended_dir(path).glob("*.parquet"))) == 1
    again = read_ledger(path)
    assert len(again) == 51
    assert (again["outcome"] == 0.0).all()


def test_appends_fold_themselves_once_enough_gather(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from aegis.ledger.store import appended_dir

    monkeypatch.setattr("aegis.ledger.store.FOLD_AT", 3)
    path = ledger_path(tmp_path)
    results = [append_snapshot(path, _at(30 * i)) for i in range(4)]
    assert [r["folded"] for r in results] == [0, 0, 3, 0]
    assert len(list(appended_dir(path).glob("*.parquet"))) == 1
    assert len(read_ledger(path)) == 4 * 17
    assert read_ledger(path)["generated_at"].is_unique is False  # 17 rows per snapshot
    assert read_ledger(path).groupby("generated_at").size().eq(17).all()


def test_scoring_settles_each_event_on_known_outcomes() -> None:
    nifty, vix = _market()
    scored = score_ledger(snapshot_rows(_snapshot()), nifty, vix).set_index(["field", "key"])
    expected = {
        ("direction", ""): (1.0, "2025-01-07"),      # 23700 > 23431.5
        ("buyer", ""): (1.0, "2025-01-07"),          # |ln| 0.0114 > 0.142*sqrt(1/365)=0.0074
        ("expiry_stress", ""): (1.0, "2025-01-09"),  # |ln(23000/S)| 0.0186 > 0.0129
        ("trap", ""): (1.0, "2025-01-09"),           # sum r^2 6.6e-4 > sigma^2*3/365 1.7e-4
        ("safe_range", ""): (0.0, "2025-01-09"),     # 23000 below the lower bound ~23026
        ("breach_touch", "23200"): (1.0, "2025-01-09"),  # low 22950 <= 23200
        ("breach_close", "23200"): (1.0, "2025-01-09"),  # 23000 <= 23200
        ("breach_touch", "22950"): (1.0, "2025-01-09"),
        ("breach_close", "22950"): (0.0, "2025-01-09"),
        ("breach_touch", "22750"): (0.0, "2025-01-09"),
        ("breach_touch", "23650"): (1.0, "2025-01-09"),  # high 23750 >= 23650
        ("breach_close", "23650"): (0.0, "2025-01-09"),
        ("breach_touch", "23900"): (0.0, "2025-01-09"),
    }
    for key, (y, day) in expected.items():
        assert scored.loc[key, "outcome"] == y, key
        assert scored.loc[key, "settled_on"] == pd.Timestamp(day), key


def test_unsettled_rows_wait_and_settled_rows_are_kept() -> None:
    nifty, vix = _market()
    rows = snapshot_rows(_snapshot())
    early = score_ledger(rows, nifty.iloc[:3], vix.iloc[:3]).set_index(["field", "key"])
    assert early.loc[("direction", ""), "outcome"] == 1.0
    assert np.isnan(early.loc[("trap", ""), "outcome"])
    assert pd.isna(early.loc[("safe_range", ""), "settled_on"])
    # a later history with a different close does not rewrite a settled outcome
    changed = nifty.copy()
    changed.loc["2025-01-07", "close"] = 23000.0
    again = score_ledger(early.reset_index()[list(LEDGER_COLUMNS)], changed, vix)
    assert again.set_index(["field", "key"]).loc[("direction", ""), "outcome"] == 1.0


def _ledger(field: str, values: list[float], outcomes: list[float], *, start: str = "2025-01-01",
            lower: float = np.nan, upper: float = np.nan) -> pd.DataFrame:
    n = len(values)
    stamps = pd.date_range(start, periods=n, freq="D", tz="UTC") + pd.Timedelta(hours=10)
    frame = pd.DataFrame({
        "generated_at": stamps, "as_of": stamps, "field": field, "key": "",
        "value": values, "lower": lower, "upper": upper, "model_version": "1",
        "provenance": "model", "expiry": stamps.tz_localize(None).normalize(),
        "horizon_sessions": 1, "outcome": outcomes,
        "settled_on": stamps.tz_localize(None).normalize(),
        "spot": np.nan, "vix": np.nan, "days_left": np.nan,  # a ledger of closes (no moment)
    })
    return frame[list(LEDGER_COLUMNS)]


def test_live_track_record_against_climatology() -> None:
    ledger = pd.concat([_ledger("direction", [0.9, 0.8, 0.2, 0.1], [1, 1, 0, 0]),
                        _ledger("safe_range", [0.8] * 5, [1, 1, 1, 0, 1], lower=1, upper=2)],
                       ignore_index=True)
    assert live_track_record(ledger)["direction"]["brier_climatology"] is None  # not given
    # the walk-forward climatology of each row's session, not the rows' own frequency
    clim = pd.Series(0.6, index=ledger.index)
    rec = live_track_record(ledger, climatology=clim)
    d = rec["direction"]
    assert d["n"] == 4
    assert d["brier"] == pytest.approx((0.01 + 0.04 + 0.04 + 0.01) / 4)
    assert d["brier_climatology"] == pytest.approx((0.16 + 0.16 + 0.36 + 0.36) / 4)
    assert d["climatology_n"] == 4
    assert d["frequency"] == 0.5
    # published at 10:00 UTC: the 15:30 IST slot
    assert rec["safe_range"] == {"n": 5, "coverage": 0.8, "confidence": 0.8,
                                 "by_slot": {"15:30": {"n": 5, "coverage": 0.8}}}
    assert rec["trap"]["n"] == 0
    assert rec["trap"]["brier"] is None
    assert live_track_record(empty_ledger())["direction"]["n"] == 0


def test_intraday_repeats_count_once_per_session() -> None:
    a = _ledger("trap", [0.3], [1.0])
    b = a.copy()
    b["generated_at"] = b["generated_at"] + pd.Timedelta(minutes=30)
    b["value"] = 0.7
    rec = live_track_record(pd.concat([a, b], ignore_index=True))["trap"]
    assert rec["n"] == 1
    assert rec["mean_forecast"] == 0.7


def test_calibration_drift_alerts_only_with_enough_evidence() -> None:
    rng = np.random.default_rng(3)
    y = (rng.random(200) < 0.3).astype(float)
    good = _ledger("buyer", list(np.full(200, 0.3)), list(y))
    clim = pd.Series(0.3, index=good.index)
    assert calibration_drift(live_track_record(good, climatology=clim)) == []
    bad = _ledger("buyer", list(np.full(200, 0.9)), list(y))
    problems = calibration_drift(live_track_record(bad, climatology=clim))
    assert any("buyer: live Brier" in p for p in problems)
    assert any("buyer: live ECE" in p for p in problems)
    assert calibration_drift(live_track_record(bad.iloc[:10], climatology=clim)) == []  # n < 30
    short = _ledger("safe_range", [0.8] * 100, [1.0] * 50 + [0.0] * 50, lower=1, upper=2)
    assert any("safe_range: live coverage 0.500" in p
               for p in calibration_drift(live_track_record(short)))


def test_walk_forward_climatology_counts_only_what_settled_before() -> None:
    """Known answer: the ledger's climatology is the models' label frequency settled before
    each row's session, not the frequency of the ledger's own rows."""
    from aegis.features.daily import build_daily_features
    from aegis.ledger.scoring import walk_forward_climatology
    from aegis.market.sources.simulator import simulate
    from aegis.models.datasets import build_dataset

    sim = simulate(4, 3, end="2024-06-28", intraday_sessions=0, chain_sessions=0)
    features = build_daily_features(sim.nifty, sim.vix)
    day = pd.Timestamp("2024-03-14")
    at = pd.Timestamp("2024-03-14T10:00:00Z")
    rows = pd.DataFrame({"as_of": [at, at], "field": ["direction", "safe_range"],
                         "key": ["", ""]})
    clim = walk_forward_climatology(rows, sim.nifty, sim.vix, features)
    data = build_dataset("direction", sim.nifty, sim.vix, features)
    before = data.label_end < np.datetime64(day)
    assert clim.iloc[0] == pytest.approx(float(data.y[before].mean()))
    assert np.isnan(clim.iloc[1])


def _runs(n: int, trap: float | None, spot_step: float, *, every: str = "1D") -> pd.DataFrame:
    """``n`` snapshots ``every`` apart from Mon 2025-01-06 09:30 IST; spot moves by
    ``spot_step`` per snapshot; trap fixed at ``trap`` (or moving when None)."""
    frames = []
    start = pd.Timestamp("2025-01-06T04:00:00Z")
    for i in range(n):
        spot = SPOT + i * spot_step
        snap = sample_snapshot()
        snap["generated_at"] = (start + i * pd.Timedelta(every)).isoformat()
        snap["as_of"] = snap["generated_at"]
        del snap["market_context"]  # its bars end at the sample's 15:30 as_of; no ledger row
        snap["expiry"]["date"] = "2025-01-30"  # after every as_of here
        snap["trap"]["score"] = trap if trap is not None else 0.70 + 0.01 * i
        snap["direction"]["probability_up"] = 0.50 + 0.01 * i
        snap["direction"]["confidence"] = 0.50 + 0.01 * i
        rows = snapshot_rows(Snapshot.model_validate(snap))
        ranged = rows["field"] == "safe_range"  # the range's midpoint is spot: move it
        rows.loc[ranged, ["lower", "upper"]] += spot - SPOT
        frames.append(rows)
    return pd.concat(frames, ignore_index=True)


def test_a_frozen_number_is_caught_while_spot_moves() -> None:
    problems = frozen_fields(_runs(5, trap=0.95, spot_step=60.0), runs=5)
    assert len(problems) == 3  # trap frozen at 0.95; stress and buyer also fixed in the sample
    assert any(p.startswith("trap: published 0.9500 as the last number of each of the last 5")
               for p in problems)
    assert not any(p.startswith("direction") for p in problems)
    # the same constant with spot still is no alarm, nor are fewer sessions than asked for
    assert frozen_fields(_runs(5, trap=0.95, spot_step=0.0), runs=5) == []
    assert frozen_fields(_runs(4, trap=0.95, spot_step=60.0), runs=5) == []
    assert frozen_fields(_runs(5, trap=None, spot_step=60.0), runs=5) == [
        p for p in problems if not p.startswith("trap")]


def test_a_published_climatology_is_not_a_frozen_number() -> None:
    ledger = _runs(5, trap=0.95, spot_step=60.0)
    ledger.loc[ledger["field"] == "trap", "provenance"] = "empirical"
    assert not any(p.startswith("trap") for p in frozen_fields(ledger, runs=5))


def test_intraday_repeats_of_a_daily_model_are_not_frozen() -> None:
    # 13 half-hourly snapshots of one session: spot moves, the daily-feature models repeat
    one_day = _runs(13, trap=0.95, spot_step=30.0, every="30min")
    assert frozen_fields(one_day, runs=5) == []


def test_vix_movement_counts_as_moved_inputs() -> None:
    ledger = _runs(5, trap=0.95, spot_step=0.0)
    idx = pd.DatetimeIndex(pd.to_datetime(["2025-01-03", "2025-01-06", "2025-01-08"]))
    assert frozen_fields(ledger, pd.DataFrame({"close": [14.0, 14.1, 14.1]}, index=idx)) == []
    moved = frozen_fields(ledger, pd.DataFrame({"close": [13.0, 13.0, 14.0]}, index=idx))
    assert any("VIX moved 13.00-14.00" in p for p in moved)

"""The AegisMatrix page's reading, words, banners, charts and HTML, from known inputs (no Airflow
server, no browser): the contract-typed reading field by field, staleness against the NSE
calendar, degraded words that match their reasons, the allow-list of served files, health
running the same verification as ``aegis models verify``, and the track record's arithmetic."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
import sys
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import pytest

from aegis.config import Settings
from aegis.errors import DashboardInputError
from tests.e2e.sample_snapshot import (
    LEDGER_COLUMNS,
    SPOT,
    TRAP_PLAIN,
    TRAP_REASON,
    fresh_as_of,
    sample_ledger,
    sample_snapshot,
    write_sample,
    write_world,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "plugins"))

from aegis_dashboard import data
from aegis_dashboard.app import create_app, health, login_redirect_or_none, render_page
from aegis_dashboard.dag_runs import DAG_IDS, latest_runs
from aegis_dashboard.reading import WHOLE, parse_published, read_published
from aegis_dashboard.track import track_record
from aegis_dashboard.view import degraded_banner
from aegis_dashboard.words import count, pct, plain_reason

NOW = pd.Timestamp("2025-01-07T04:00:00Z")  # Tue 09:30 IST: Monday's close is the last one


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path, models_dir=tmp_path / "models")


def _text(html: str) -> str:
    """The visible text of ``html`` (tags, styles and SVG descriptions dropped)."""
    html = re.sub(r"<style.*?</style>|<desc>.*?</desc>|<title>.*?</title>", "", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _banner(html: str, css_id: str) -> str:
    found = re.search(rf'<div class="banner [a-z]+" id="{css_id}">(.*?)</div>\n', html, re.S)
    assert found, css_id
    return _text(found.group(1))


# --- reading through the contract ---
def test_a_valid_snapshot_reads_whole() -> None:
    pub = parse_published(sample_snapshot(), Path("aegismatrix.json"))
    assert pub.complete is not None
    assert pub.problems == []
    assert pub.get("trap").score == 0.71


def test_one_malformed_field_leaves_the_others_readable() -> None:
    raw = sample_snapshot()
    raw["trap"]["score"] = 1.7
    raw["breach_probabilities"][2]["touch"] = "high"
    pub = parse_published(raw, Path("aegismatrix.json"))
    assert pub.complete is None
    assert {p.field for p in pub.problems} == {"trap", "breach_probabilities"}
    assert "trap.score: Input should be less than or equal to 1 (found 1.7)" in \
        pub.malformed("trap").message
    assert pub.get("trap") is None
    assert pub.get("spot") == SPOT
    assert pub.get("direction").probability_up == 0.58
    assert len(pub.get("breach_probabilities")) == 5


def test_a_cross_field_rule_is_reported_for_the_snapshot_as_a_whole() -> None:
    raw = sample_snapshot(degraded=False)
    raw["status"] = "degraded"  # no reason given: the degradation law fails
    pub = parse_published(raw, Path("aegismatrix.json"))
    assert [p.field for p in pub.problems] == [WHOLE]
    assert "expected 'ok'" in pub.problems[0].message


def test_a_file_that_is_not_a_json_object_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "aegismatrix.json"
    assert read_published(path) is None
    path.write_text("{not json", encoding="utf-8")
    assert read_published(path).unreadable.startswith("not valid JSON (line 1, column 2")
    path.write_text("[1, 2]", encoding="utf-8")
    assert read_published(path).unreadable == "expected a JSON object, found a JSON list"


# --- words ---
def test_numbers_in_words() -> None:
    assert pct(0.583) == "58 %"
    assert pct(0.004) == "0.4 %"
    assert pct(0.001) == "0.1 %"  # a strike's small touch chance never reads as 0 %
    assert pct(0.0002) == "<0.1 %"
    assert pct(0.0) == "0 %"
    assert pct(None) == "—"
    assert count(4960) == "4,960"
    assert count(None) == "—"


def test_plain_reasons_drop_exception_names_paths_and_digests() -> None:
    assert plain_reason(TRAP_REASON) == TRAP_PLAIN
    assert plain_reason("") == "No reason given"


# --- freshness against the 30-minute schedule (aegis.market.slots) ---
IST_ = dt.timezone(dt.timedelta(hours=5, minutes=30))


def _ist(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=IST_)


@pytest.mark.parametrize(("as_of", "now", "stale"), [
    ("2025-01-03T15:30", "2025-01-06T09:20", False),  # Monday, before the 09:15 grace
    ("2025-01-03T15:30", "2025-01-06T11:00", True),  # Monday 11:00: the 10:45 slot was due
    ("2025-01-06T10:45", "2025-01-06T11:00", False),  # the 10:45 slot published
    ("2025-01-06T10:14", "2025-01-06T11:00", True),  # only the 10:15 slot's data
    ("2025-01-06T10:14", "2025-01-06T10:55", False),  # the 10:45 slot is still in its grace
    ("2025-01-03T15:30", "2025-01-05T12:00", False),  # Sunday: Friday's close is the last
    ("2025-01-24T15:30", "2025-01-26T11:00", False),  # Republic Day: no session
    ("2025-01-06T15:29", "2025-01-06T15:50", False),  # the 15:30 slot's bars
    ("2025-01-06T14:59", "2025-01-06T15:50", True),  # nothing after the 15:15 slot
])
def test_freshness_follows_the_publishing_slots(as_of: str, now: str, stale: bool) -> None:
    from aegis.market.slots import freshness

    assert freshness(_ist(as_of), _ist(now)).stale is stale


def test_market_state_next_update_and_time_left() -> None:
    from aegis.market.slots import (
        market_state,
        next_slot,
        sessions_left,
        trading_minutes_between,
    )

    assert market_state(_ist("2025-01-06T11:00")).words() == "open, closes 15:30 IST"
    assert market_state(_ist("2025-01-06T08:00")).state == "pre_open"
    assert market_state(_ist("2025-01-04T11:00")).words() == \
        "closed; next session Mon 06 Jan 09:15 IST"
    assert market_state(_ist("2025-02-26T11:00")).state == "holiday"  # Mahashivratri
    assert next_slot(_ist("2025-01-06T11:00")) == _ist("2025-01-06T11:15")
    assert next_slot(_ist("2025-01-06T15:20")) == _ist("2025-01-06T15:30")
    assert next_slot(_ist("2025-01-10T15:31")) == _ist("2025-01-13T09:15")
    expiry_close = _ist("2025-01-09T15:30")
    assert trading_minutes_between(_ist("2025-01-09T14:15"), expiry_close) == 75
    assert trading_minutes_between(_ist("2025-01-08T15:30"), expiry_close) == 375
    assert trading_minutes_between(_ist("2025-01-06T11:00"), expiry_close) == 270 + 3 * 375
    assert sessions_left(_ist("2025-01-06T11:00"), expiry_close.date()) == 4
    assert sessions_left(_ist("2025-01-06T15:30"), expiry_close.date()) == 3


def test_the_moment_and_the_stale_banner_in_words() -> None:
    from aegis_dashboard.moment import freshness_banner, headline

    pub = parse_published(sample_snapshot(degraded=False, as_of=_ist("2025-01-09T14:15")),
                          Path("x"))
    head = headline(pub, _ist("2025-01-09T14:20"), {"nifty": SPOT - 100, "vix": None})
    assert head.moment == "As of 14:15 IST, 75 minutes to the 15:30 expiry close"
    assert head.next_update == "14:45 IST (in 25 minutes)"
    assert head.spot_change["dir"] == "up"
    assert head.vix_change["text"] == ""
    friday = parse_published(sample_snapshot(degraded=False, as_of=_ist("2025-01-03T15:30")),
                             Path("x"))
    assert freshness_banner(friday, _ist("2025-01-06T09:20"), None) is None
    banner = freshness_banner(friday, _ist("2025-01-06T11:00"), None)
    assert banner is not None
    assert banner.headline.startswith("Stale: these numbers are as of Fri 03 Jan 2025 15:30 IST, "
                                      "3 days old. The Mon 06 Jan 10:45 IST update was due")


def test_a_paused_publishing_dag_is_stale_on_the_page_and_in_health(settings: Settings) -> None:
    from aegis_dashboard.dag_pause import PauseStates

    now = pd.Timestamp("2025-01-09T14:20:00+05:30")
    write_world(settings.home, sample_snapshot(degraded=False, as_of=fresh_as_of(now)),
                now=now.to_pydatetime())
    assert health(settings, now=now)["stale"] is False
    paused = PauseStates({d: d == "aegis_inference" for d in DAG_IDS})
    report = health(settings, now=now, pauses=paused)
    assert report["stale"] is True
    assert report["stale_reason"] == "aegis_inference is paused"
    assert report["paused_dags"] == ["aegis_inference"]
    html = render_page(settings, now=now, runs=[], pauses=paused)
    assert "Stale from now on" in _banner(html, "stale-banner")


# --- the degraded banner says what the reasons say ---
def test_degraded_banner_words_match_the_reasons() -> None:
    pub = parse_published(sample_snapshot(), Path("x"))
    banner = degraded_banner(pub)
    assert banner is not None
    assert banner.headline == ("Degraded: 1 number from a fallback instead of the model; "
                               "1 number not published.")
    assert banner.items == [f"Volatility trap: a fallback stands in for the model. {TRAP_PLAIN}.",
                            "Max pain: not published. No option chain in the store."]
    shown = banner.headline + " ".join(banner.items)
    assert "baseline substitute" not in shown
    for developer_text in ("Error", "/srv/", "3f2a9c0d", "sha256"):
        assert developer_text not in shown
    assert f"trap: {TRAP_REASON}" in banner.details  # the full text behind the toggle
    assert degraded_banner(parse_published(sample_snapshot(degraded=False), Path("x"))) is None


# --- the whole page ---
def test_degraded_page_has_every_element(settings: Settings) -> None:
    write_world(settings.home, sample_snapshot(as_of=fresh_as_of(NOW)))
    html = render_page(settings, now=NOW, runs=[])
    for css_id in ("degraded-banner", "price-chart", "intraday-chart", "breach-table",
                   "gauge-history", "history-trap", "history-buyer", "track-table",
                   "horizon-table", "backtest-reliability", "reliability-trap", "dag-runs",
                   "operator-corner"):
        assert f'id="{css_id}"' in html, css_id
    assert 'id="stale-banner"' not in html
    assert 'id="status-banner"' not in html
    assert html.count("data-strike=") == 6
    assert 'id="trap-card" data-state="fallback"' in html.replace('class="card fallback" ', "")
    assert 'id="max_pain-card" data-state="missing"' in html.replace('class="card missing" ', "")
    text = _text(html.split('id="operator-corner"')[0])
    assert "81 % of past ranges held; 3-sessions-to-expiry ranges held 82 % (backtest, 49)" in text
    assert "Out of 510 past ranges; 95 % interval 78 % to 85 %" in text
    assert "4.8 %" in text  # backtest skill of the trap against climatology
    for developer_text in ("None", "/srv/", "3f2a9c0d", "Error:", "aegismatrix.json",
                           str(settings.home), "510.000"):
        assert developer_text not in _banner(html, "degraded-banner"), developer_text
        assert developer_text not in text, developer_text
    assert f"trap: {TRAP_REASON}".replace("'", "&#39;") in html  # behind the technical toggle


def test_ok_and_stale_pages(settings: Settings) -> None:
    write_world(settings.home, sample_snapshot(degraded=False, as_of=fresh_as_of(NOW)))
    html = render_page(settings, now=NOW)
    assert 'id="status-banner"' in html
    assert 'id="stale-banner"' not in html
    html = render_page(settings, now=pd.Timestamp("2026-12-01T06:00:00Z"))
    assert "Stale: these numbers are as of Mon 06 Jan 2025 15:30 IST" in _banner(html,
                                                                                 "stale-banner")
    assert 'id="status-banner"' not in html


def test_a_malformed_field_gives_an_error_panel_not_a_broken_page(settings: Settings) -> None:
    raw = sample_snapshot(degraded=False, as_of=fresh_as_of(NOW))
    raw["trap"] = {"score": "very high"}
    write_world(settings.home, raw)
    html = render_page(settings, now=NOW)
    panel = _banner(html, "snapshot-problems")
    assert "Volatility trap: trap.score: Input should be a valid number" in panel
    assert 'id="trap-card" data-state="malformed"' in html.replace('class="card malformed" ', "")
    assert 'id="spot-value">23,431.50<' in html
    assert 'id="price-chart"' in html


def test_without_ledger_or_backtest_the_page_says_so(settings: Settings) -> None:
    write_world(settings.home, sample_snapshot(as_of=fresh_as_of(NOW)), ledger=False,
                backtest=False)
    text = _text(render_page(settings, now=NOW))
    assert "No live track record yet: no forecast ledger has been written." in text
    assert "no backtest report yet" in text
    assert "No backtest reliability diagram yet." in text


def test_without_a_snapshot_or_registry_the_page_says_so(settings: Settings) -> None:
    text = _text(render_page(settings, now=NOW))
    assert "No snapshot published yet." in text
    assert "no model registry yet (registry.json is missing)" in text.lower()


# --- files, health, API ------------------------------------------------------------
def test_only_the_allow_listed_files_are_served(settings: Settings, tmp_path: Path) -> None:
    write_world(settings.home, sample_snapshot(as_of=fresh_as_of(NOW)))
    out = settings.resolved_output_dir
    (out / "data_docs" / "static").mkdir(parents=True)
    (out / "data_docs" / "static" / "logo.png").write_bytes(b"\x89PNG")
    assert data.served_file(settings, data.BACKTEST_DIAGRAM) == (
        out / data.BACKTEST_DIAGRAM, "image/png")
    for name in ("data_docs/static/logo.png", "../secret.png", "aegismatrix.json"):
        assert data.served_file(settings, name) is None, name
    secret = tmp_path / "secret.txt"
    secret.write_text("password", encoding="utf-8")
    (out / data.BACKTEST_DIAGRAM).unlink()
    (out / data.BACKTEST_DIAGRAM).symlink_to(secret)
    assert data.served_file(settings, data.BACKTEST_DIAGRAM) is None
    (out / data.BACKTEST_DIAGRAM).unlink()
    (out / "backtest" / "report.json").unlink()
    (out / "backtest").rmdir()
    (out / "backtest").symlink_to(tmp_path, target_is_directory=True)
    (tmp_path / "report.reliability.png").write_bytes(b"\x89PNG")
    assert data.served_file(settings, data.BACKTEST_DIAGRAM) is None


def test_health_runs_the_same_verification_as_models_verify(settings: Settings) -> None:
    from aegis.registry.artifacts import verify_all

    write_world(settings.home, sample_snapshot(as_of=fresh_as_of(NOW)))
    models = settings.resolved_models_dir
    (models / "trap").mkdir(parents=True)
    (models / "registry.json").write_text(json.dumps({"champions": {"trap": {"version": "3"}}}))
    (models / "trap" / "manifest.json").write_text(json.dumps({"name": "trap", "version": "3"}))
    (models / "trap" / "model.onnx").write_bytes(b"corrupt")
    report = health(settings, now=NOW)
    expected = verify_all(models)
    assert [r.ok for r in expected] == [False]
    assert report["problems"] == [f"trap: {expected[0].reason}"]
    assert report["champions"]["trap"]["ok"] is False
    assert report["status"] == "degraded"
    assert report["stale"] is False


def test_the_api_names_malformed_fields_and_serves_only_allowed_files(settings: Settings) -> None:
    from fastapi.testclient import TestClient

    raw = sample_snapshot(as_of=fresh_as_of(NOW))
    write_world(settings.home, raw)
    app = create_app(lambda: settings)
    app.dependency_overrides[app.state.authenticated] = lambda: None
    app.dependency_overrides[login_redirect_or_none] = lambda: None
    client = TestClient(app)
    assert client.get("/api/snapshot").json()["spot"] == SPOT
    assert client.get("/files/" + data.BACKTEST_DIAGRAM).status_code == 200
    assert client.get("/files/aegismatrix.json").status_code == 404
    raw["vix"] = -3
    write_world(settings.home, raw)
    response = client.get("/api/snapshot")
    assert response.status_code == 422
    assert response.json()["detail"]["problems"] == ["vix: Input should be greater than 0 "
                                                     "(found -3)"]
    page = client.get("/")
    assert page.status_code == 200
    assert 'id="snapshot-problems"' in page.text


# --- ledger, track record, operator's corner ---
def test_ledger_contract(tmp_path: Path) -> None:
    path = tmp_path / "forecasts.parquet"
    assert data.read_ledger(path) is None
    ledger = sample_ledger(fresh_as_of(NOW))
    assert tuple(ledger.columns) == LEDGER_COLUMNS
    ledger.drop(columns=["outcome"]).to_parquet(path)
    with pytest.raises(DashboardInputError, match=r"missing \[.outcome.\]"):
        data.read_ledger(path)


def test_live_track_record_against_climatology() -> None:
    ledger = sample_ledger(fresh_as_of(NOW)).iloc[:0]
    rows = [{**{c: np.nan for c in LEDGER_COLUMNS}, "field": "trap", "value": 0.5,
             "outcome": y, "generated_at": pd.Timestamp("2025-01-01", tz="UTC"),
             "horizon_sessions": 1} for y in (1.0, 0.0, 1.0, 1.0)]
    ledger = pd.DataFrame(rows, columns=list(LEDGER_COLUMNS))
    trap = next(r for r in track_record(ledger, None).rows if r.field == "trap")
    # Brier 0.25; frequency 0.75 -> climatology 0.1875; skill 1 - 0.25/0.1875 = -33.3 %
    assert trap.live == {"n": "4", "brier": "0.250", "climatology": "0.188", "skill": "-33.3 %",
                         "ece": "0.250"}


def test_operator_corner_reads_the_latest_runs_from_the_airflow_api() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        dag_id = request.url.path.split("/")[4]
        if dag_id == "aegis_model_health":
            return httpx.Response(404, json={"detail": "not found"})
        runs = [] if dag_id == "aegis_nightly_retrain" else [
            {"dag_run_id": "manual__1", "state": "failed" if dag_id == "aegis_inference"
             else "success", "run_after": "2025-01-06T10:00:00Z", "end_date": None}]
        return httpx.Response(200, json={"dag_runs": runs, "total_entries": len(runs)})

    rows = asyncio.run(latest_runs("http://airflow", "tok", httpx.MockTransport(answer)))
    assert [r.dag_id for r in rows] == list(DAG_IDS)
    assert [r.state or r.problem for r in rows] == [
        "success", "failed", "never run", "this DAG is not known to Airflow (not parsed yet?)"]
    assert rows[1].run_href == "/dags/aegis_inference/runs/manual__1"
    assert seen[0].headers["authorization"] == "Bearer tok"
    assert dict(seen[0].url.params) == {"limit": "1", "order_by": "-run_after"}
    offline = asyncio.run(latest_runs("http://airflow", None))
    assert offline[0].problem == "no Airflow login token to ask the API with"


@pytest.mark.parametrize("name", sorted(sample_snapshot()))
def test_any_one_malformed_field_still_renders_the_page(settings: Settings, name: str) -> None:
    raw = sample_snapshot(as_of=fresh_as_of(NOW))
    write_world(settings.home, raw, backtest=False)
    raw[name] = "garbage"
    write_sample(settings.resolved_output_dir, raw)
    html = render_page(settings, now=NOW)
    assert 'id="snapshot-problems"' in html
    assert re.search(rf'<li class="problem" data-field="{name}">', html), name


def test_a_single_published_snapshot_draws_one_point_per_gauge(settings: Settings) -> None:
    write_world(settings.home, sample_snapshot(as_of=fresh_as_of(NOW)))
    path = data.ledger_path(settings)
    ledger = data.read_ledger(path)
    last = ledger[ledger["generated_at"] == ledger["generated_at"].max()]
    last.assign(outcome=np.nan, settled_on=pd.NaT).to_parquet(path)
    html = render_page(settings, now=NOW)
    assert html.count('class="open-point"') == 4
    assert "none settled" in _text(html)


def test_a_damaged_store_partition_or_ledger_is_named_not_a_500(settings: Settings) -> None:
    write_world(settings.home, sample_snapshot(as_of=fresh_as_of(NOW)))
    part = next((settings.home / "data" / "series=nifty_daily").glob("year=*/part.parquet"))
    part.write_bytes(b"not parquet")
    data.ledger_path(settings).write_bytes(b"not parquet either")
    text = _text(render_page(settings, now=NOW))
    assert "The market store cannot be used" in text
    assert "The forecast ledger cannot be used: forecasts.parquet is not a readable Parquet " \
           "file" in text


def test_calibration_words_use_climatology_when_the_snapshot_has_it() -> None:
    from types import SimpleNamespace

    from aegis_dashboard.words import calibration_details, calibration_words

    cal = SimpleNamespace(brier=0.15, brier_baseline=0.2, ece=0.02, n=245,
                          brier_climatology=0.16, bss_climatology=0.063)
    assert calibration_words(cal) == ("6.3 % more accurate than the plain base rate over 245 "
                                      "back-tested days; typical calibration error 2 %.")
    assert ("Brier of climatology (base rate)", "0.160") in calibration_details(cal)
    cal.bss_climatology = -0.01
    assert calibration_words(cal).startswith("No more accurate than the plain base rate")
    old = SimpleNamespace(brier=0.15, brier_baseline=0.2, ece=0.02, n=245)
    assert calibration_words(old).startswith("Brier 0.150 vs 0.200 for the simple rule (better)")


def test_fields_of_the_next_schema_are_used_when_present() -> None:
    """``label_cuts``, the hit rate of today's horizon and climatology provenance (main's
    contract after issues #9 and #10) are read with getattr, so this branch's schema and the
    next both render."""
    import datetime as dt_
    from types import SimpleNamespace

    from aegis_dashboard.view import _horizon_words
    from aegis_dashboard.words import provenance_words

    hit = SimpleNamespace(horizon=SimpleNamespace(sessions_to_expiry=1, value=0.79, n=612))
    assert _horizon_words(hit) == "1-session-to-expiry ranges held 79 % (612)"
    assert _horizon_words(SimpleNamespace()) == ""
    window = SimpleNamespace(from_=dt_.date(2015, 1, 1), to=dt_.date(2024, 12, 31))
    clim = SimpleNamespace(kind="empirical", name="climatology", n=2460, window=window)
    assert provenance_words(clim) == ("Climatology: the event frequency of 2,460 settled cases, "
                                      "2015-01-01 to 2024-12-31.")
    shrunk = SimpleNamespace(kind="model", name="trap", version="7", evidence_weight=0.62)
    assert provenance_words(shrunk) == (
        "Model trap, version 7, weighted 62 % against the base rate (climatology 38 %): it has "
        "not earned more on its record.")
    whole = SimpleNamespace(kind="model", name="trap", version="7", evidence_weight=1.0)
    assert provenance_words(whole) == "Model trap, version 7."


def test_gauges_are_coloured_at_the_label_thresholds(settings: Settings) -> None:
    snap = sample_snapshot(as_of=fresh_as_of(NOW))
    write_world(settings.home, snap)
    html = render_page(settings, now=NOW)
    # label_cuts when the contract publishes them, else schema 1.0.0's fixed thresholds
    for block, fixed in (("trap", (0.33, 0.66)), ("expiry_stress", (0.33, 0.60))):
        lo, hi = snap[block].get("label_cuts") or fixed
        assert f"#d4a72c {100 * lo:.1f}% {100 * hi:.1f}%" in html, block


# --- market context panel ---
def _panel(raw: dict) -> dict:
    from aegis_dashboard.context_panel import market_context_panel

    return {s.key: s for s in market_context_panel(parse_published(raw, Path("x")))}


def test_market_context_panel_shows_values_with_units_and_null_reasons() -> None:
    from tests.e2e.sample_snapshot import ATM_IV_REASON, INTRADAY, MAX_PAIN

    panel = _panel(sample_snapshot(degraded=False))
    chain, intraday = panel["chain"], panel["intraday"]
    assert (chain.state, intraday.state) == ("", "")
    values = {r.key: r.value for r in chain.rows}
    distance = (MAX_PAIN - SPOT) / SPOT
    assert values == {
        "pcr": "0.87", "max_pain_distance": f"{100 * distance:+.2f} % ({MAX_PAIN - SPOT:+,.0f} "
                                            "points)",
        "oi_concentration_call": "34 %", "oi_concentration_put": "29 %", "atm_iv": "—",
        "skew": "—"}
    missing = {r.key: r.missing for r in chain.rows if r.missing}
    assert missing == {"atm_iv": plain_reason(ATM_IV_REASON) + ".",
                       "skew": plain_reason(ATM_IV_REASON) + "."}
    assert chain.of.startswith("Expiry ")
    assert "chain taken Mon 06 Jan 2025 15:30 IST" in chain.of
    meanings = {r.key: r.meaning for r in chain.rows}
    assert "3 largest call strikes" in meanings["oi_concentration_call"]
    assert "about 5 % below spot" in meanings["skew"]
    assert "annualised percent (India VIX 14.20 %)" in meanings["atm_iv"]
    values = {r.key: r.value for r in intraday.rows}
    assert values == {"intraday_rv": f"{100 * INTRADAY['intraday_rv']:.1f} %",
                      "opening_range_position": "0.64",
                      "vwap_distance": f"{100 * INTRADAY['vwap_distance']:+.2f} %"}
    names = {r.key: r.name for r in intraday.rows}
    assert names["vwap_distance"] == "Distance from TWAP"  # the sample's bars carry no volume
    assert "first 15 minutes" in {r.key: r.meaning for r in intraday.rows}[
        "opening_range_position"]
    assert intraday.of == "Session Mon 06 Jan 2025; 75 bars, the last starting 15:25 IST."


def test_market_context_panel_says_why_a_block_is_unavailable() -> None:
    panel = _panel(sample_snapshot())
    assert panel["chain"].state == "missing"
    assert panel["chain"].rows == []
    assert panel["chain"].reason == "Not available: No option chain in the store."
    assert panel["intraday"].state == ""
    old = sample_snapshot()
    del old["market_context"]
    for section in _panel(old).values():
        assert section.state == "missing"
        assert "written before the market context was published" in section.reason
    broken = sample_snapshot()
    broken["market_context"]["intraday"]["bars"] = -4
    for section in _panel(broken).values():
        assert section.state == "malformed"


def test_market_context_on_the_page(settings: Settings) -> None:
    write_world(settings.home, sample_snapshot(degraded=False, as_of=fresh_as_of(NOW)))
    html = render_page(settings, now=NOW)
    assert 'id="market-context"' in html
    assert 'id="chain-context" data-state=""' in html.replace('class="card context " ', "")
    assert 'id="chain-pcr-value">0.87<' in html
    assert 'id="intraday-opening_range_position-value">0.64<' in html
    text = _text(html.split('id="operator-corner"')[0])
    assert "Not computed: No usable IV on the call (CE) and put (PE) side" in text
    write_world(settings.home, sample_snapshot(as_of=fresh_as_of(NOW)))
    html = render_page(settings, now=NOW)
    assert 'id="chain-context" data-state="missing"' in html.replace(
        'class="card context missing" ', "")
    assert "Not available: No option chain in the store." in _text(html)


# --- honest labels, intervals, the track record, chart labels (issue 24) ---
def test_no_forecast_tag_on_climatology_or_a_fallback() -> None:
    from aegis_dashboard.view import probability_cards

    pub = parse_published(sample_snapshot(climatology=True), Path("x"))
    cards = probability_cards(pub)
    assert cards["direction"].label == "base rate"  # not "UP"
    assert cards["trap"].label == "fallback"  # degraded sample: a baseline stands in
    assert cards["stress"].label == "CALM"  # a model's label stays
    ok = probability_cards(parse_published(sample_snapshot(degraded=False), Path("x")))
    assert ok["direction"].label == "UP"
    assert ok["buyer"].label == "WAIT"


def test_the_hit_rate_card_quotes_the_interval_the_snapshot_says_to_read() -> None:
    from aegis_dashboard.view import hit_interval, probability_cards

    raw = sample_snapshot(degraded=False)
    raw["historical_hit_rate"].update(
        ci95_block_bootstrap=[0.74, 0.87], horizon_reason="no horizon in this sample",
        interval_note="510 ranges settle on 102 expiry closes: ... is 1.52x as wide: "
                      "materially wider than Wilson's: read it, not Wilson's.")
    pub = parse_published(raw, Path("x"))
    assert hit_interval(pub.get("historical_hit_rate"))[0] == (0.74, 0.87)
    trust = probability_cards(pub)["hit_rate"].trust
    assert "95 % interval 74 % to 87 % (block bootstrap over expiry weeks)" in trust
    raw["historical_hit_rate"]["interval_note"] = "... not materially wider than Wilson's."
    trust = probability_cards(parse_published(raw, Path("x")))["hit_rate"].trust
    assert "78 % to 85 % (Wilson; the block bootstrap is not materially wider)" in trust


def test_track_record_shows_published_beside_the_model_events_apart_years_side_by_side() -> None:
    from tests.e2e.sample_snapshot import BACKTEST_REPORT

    year = {"n": 120, "brier": 0.2480, "published_brier": 0.2470,
            "brier_climatology": 0.2475, "ece": 0.03}
    report = json.loads(json.dumps(BACKTEST_REPORT))
    report["direction"].update(published_brier=0.2476, brier_climatology=0.2481,
                               by_year={"2023": year, "2024": {**year, "published_brier": 0.25}})
    report["breach"]["by_event"] = {"touch": {"n": 1230, "brier": 0.08, "ece": 0.02},
                                    "close": {"n": 1230, "brier": 0.03, "ece": 0.01}}
    record = track_record(None, report)
    rows = {r.field: r.backtest for r in record.rows}
    assert rows["direction"]["published"] == "0.248"
    assert rows["direction"]["brier"] == "0.249"  # the model's own, beside it
    assert rows["breach_touch"]["brier"] == "0.080"
    assert rows["breach_close"]["brier"] == "0.030"  # apart, not the pooled 0.050
    assert record.years == ["2023", "2024"]
    cells = {r["field"]: r["cells"] for r in record.year_rows}
    assert cells["direction"]["2024"]["published"] == "0.250"
    pooled = track_record(None, BACKTEST_REPORT)
    assert {r.field: r.backtest for r in pooled.rows}["breach_touch"] == {}
    assert "pooled" in pooled.backtest_note


def test_strike_labels_keep_apart_and_axis_ticks_do_not_touch() -> None:
    from aegis_dashboard.svg import spread, thin_ticks

    assert spread([100.0, 101.0, 102.0], 13.0, 0.0, 400.0) == [100.0, 113.0, 126.0]
    assert spread([395.0, 399.0], 13.0, 0.0, 400.0) == [387.0, 400.0]
    ticks = thin_ticks([(0.0, "a"), (10.0, "b"), (11.0, "c")], lambda x: 10 * x, 50.0)
    assert ticks == [(0.0, "a"), (11.0, "c")]


def test_the_price_chart_scales_to_its_width_and_labels_small_chances(settings: Settings) -> None:
    raw = sample_snapshot(degraded=False, as_of=fresh_as_of(NOW))
    raw["breach_probabilities"][0].update(touch=0.001, close_beyond=0.0004)
    write_world(settings.home, raw)
    html = render_page(settings, now=NOW, runs=[])
    svg = re.search(r'<svg id="price-chart"[^>]*>', html)
    assert svg is not None
    assert 'width="100%"' in svg.group(0)
    assert 'viewBox="0 0 720 360"' in svg.group(0)
    assert "touch 0.1 %" in html  # never "touch 0%"
    ys = [float(y) for y in re.findall(r'data-strike="\d+"><line [^>]*/><text x="[\d.]+" '
                                       r'y="([\d.]+)"', html)]
    assert len(ys) == 6
    assert all(b - a >= 13 - 1e-6 for a, b in zip(sorted(ys), sorted(ys)[1:], strict=False))


def test_the_operator_corner_warns_when_the_calendar_runs_out_within_30_days() -> None:
    from aegis_dashboard.dag_pause import PauseStates
    from aegis_dashboard.page import operator_warnings

    paused = PauseStates({d: d == "aegis_model_health" for d in DAG_IDS})
    warnings = operator_warnings(pd.Timestamp("2026-12-07T10:00:00+05:30"), None, paused)
    assert warnings[0].startswith("aegis_model_health is paused in Airflow")
    assert "The NSE calendar knows sessions only up to 2026-12-31 (24 days from today)" in \
        warnings[1]
    assert operator_warnings(pd.Timestamp("2026-06-01T10:00:00+05:30"), None, None) == []


def test_pause_states_from_the_airflow_api() -> None:
    from aegis_dashboard.dag_pause import pause_states

    def answer(request: httpx.Request) -> httpx.Response:
        dag_id = request.url.path.rsplit("/", 1)[-1]
        if dag_id == "aegis_model_health":
            return httpx.Response(404)
        return httpx.Response(200, json={"dag_id": dag_id,
                                         "is_paused": dag_id == "aegis_market_ingest"})

    states = asyncio.run(pause_states("http://airflow", "token", httpx.MockTransport(answer)))
    assert states.paused_dags == ["aegis_market_ingest"]
    assert states.publishing_paused == ["aegis_market_ingest"]
    assert states.problems == {"aegis_model_health": "the Airflow API answered HTTP 404"}
    none = asyncio.run(pause_states("http://airflow", None))
    assert set(none.problems) == set(DAG_IDS)

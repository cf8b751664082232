"""Headless Chromium on the AegisMatrix page: an ok, a degraded, a stale and a malformed
snapshot, each with a market store, a forecast ledger and a backtest report beside it.

The dashboard app is served by uvicorn in this process, mounted at ``/aegismatrix`` as the
Airflow api-server mounts it, next to a stand-in for Airflow's ``/api/v2/dags/{id}/dagRuns``
(the page asks that API with the viewer's ``_token`` cookie). Airflow's login itself is covered by
test_dashboard_browser.py; here the two authentication dependencies are overridden. Screenshots
land in test-results/.
"""

from __future__ import annotations

import datetime as dt
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from tests.e2e.sample_snapshot import (
    IV_PERCENTILE,
    IV_RANK,
    SPOT,
    fresh_as_of,
    sample_snapshot,
    write_world,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

RESULTS = Path(__file__).resolve().parents[2] / "test-results"
CHROMEDRIVER = "/usr/bin/chromedriver"
PLUGINS = Path(__file__).resolve().parents[2] / "plugins"


EXPIRY_DAY_1420 = pd.Timestamp("2025-01-09T14:20:00+05:30")  # Thu: the weekly expiry
AFTER_EXPIRY = pd.Timestamp("2025-01-09T16:00:00+05:30")
MONDAY_1100 = pd.Timestamp("2025-01-06T11:00:00+05:30")
FRIDAY_CLOSE = dt.datetime(2025, 1, 3, 15, 30, tzinfo=dt.timezone(dt.timedelta(hours=5,
                                                                                minutes=30)))
WIDTHS = {"desktop": (1400, 1000), "phone": (420, 860)}


class World:
    """The folder the served app reads and the moment it is read at; tests swap both."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.count = 0
        self.home = root
        self.now: pd.Timestamp | None = None
        self.paused: set[str] = set()
        self.api_port = 0

    def fresh(self, snap: dict[str, Any], *, now: pd.Timestamp | None = None,
              paused: set[str] | None = None, **kw: Any) -> Path:
        self.count += 1
        self.home = self.root / f"world{self.count}"
        self.now = now
        self.paused = paused or set()
        write_world(self.home, snap, now=None if now is None else now.to_pydatetime(), **kw)
        return self.home

    def settings(self) -> Any:
        from aegis.config import Settings

        clock = None if self.now is None else self.now.to_pydatetime()
        return Settings(home=self.home, models_dir=self.home / "models", clock=clock,
                        airflow_api_url=f"http://127.0.0.1:{self.api_port}")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, World]]:
    import sys

    import uvicorn
    from fastapi import FastAPI

    sys.path.insert(0, str(PLUGINS))
    from aegis_dashboard.app import URL_PREFIX, create_app, login_redirect_or_none

    world = World(tmp_path_factory.mktemp("page"))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    world.api_port = port  # the configured Airflow API: the stand-in served below
    dashboard = create_app(world.settings)
    dashboard.dependency_overrides[dashboard.state.authenticated] = lambda: None
    dashboard.dependency_overrides[login_redirect_or_none] = lambda: None
    root = FastAPI()

    @root.get("/api/v2/dags/{dag_id}/dagRuns")
    def runs(dag_id: str) -> dict[str, Any]:  # stands in for Airflow's REST API
        state = "failed" if dag_id == "aegis_model_health" else "success"
        return {"total_entries": 1, "dag_runs": [{
            "dag_run_id": f"scheduled__{dag_id}", "state": state,
            "run_after": "2025-01-06T10:00:00Z", "end_date": "2025-01-06T10:02:00Z"}]}

    @root.get("/api/v2/dags/{dag_id}")
    def dag(dag_id: str) -> dict[str, Any]:
        return {"dag_id": dag_id, "is_paused": dag_id in world.paused}

    root.mount(URL_PREFIX, dashboard)
    server = uvicorn.Server(uvicorn.Config(root, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", world
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser(served: tuple[str, World]) -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    if shutil.which("chromium") is None and not Path("/usr/bin/chromium").exists():
        pytest.fail("chromium is not installed (scripts/ensure-services.sh installs it)")
    options = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu",
                "--disable-background-networking", "--window-size=1400,1000"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    base, _ = served
    driver.get(base + "/aegismatrix/api/health")
    driver.add_cookie({"name": "_token", "value": "viewer-token"})
    yield driver
    driver.quit()


def open_page(driver: Any, base: str, shot: str, width: str = "desktop") -> None:
    """Load the page at ``width``, check it fits, save a full-height screenshot."""
    w, h = WIDTHS[width]
    driver.set_window_size(w, h)
    driver.get(base + "/aegismatrix/")
    assert driver.title == "AegisMatrix"
    check_fits(driver)
    if width == "phone":
        check_headline_in_first_screen(driver)
    height = driver.execute_script("return document.body.scrollHeight")
    driver.set_window_size(w, min(height + 40, 9000))
    RESULTS.mkdir(exist_ok=True)
    driver.save_screenshot(str(RESULTS / shot.replace(".png", f"_{w}.png")))
    driver.set_window_size(w, h)


def check_fits(driver: Any) -> None:
    """No horizontal scrolling of the page; every chart inside the viewport's width."""
    inner = driver.execute_script("return window.innerWidth")
    scroll = driver.execute_script("return document.documentElement.scrollWidth")
    assert scroll <= inner, f"the page is {scroll} px wide in a {inner} px window"
    for chart in css(driver, "svg.chart"):
        left, right = driver.execute_script(
            "const r = arguments[0].getBoundingClientRect(); return [r.left, r.right];", chart)
        if right == left:  # inside a closed <details>
            continue
        assert left >= 0, (chart.get_attribute("id"), left)
        assert right <= inner + 0.5, (chart.get_attribute("id"), right, inner)


def check_headline_in_first_screen(driver: Any) -> None:
    """At phone width the moment, spot, VIX, expiry, range and market state show unscrolled."""
    screen = driver.execute_script("return window.innerHeight")
    for css_id in ("moment", "hl-spot", "hl-vix", "hl-expiry", "time-left", "market-state",
                   "next-update"):
        bottom = driver.execute_script(
            "return document.getElementById(arguments[0]).getBoundingClientRect().bottom",
            css_id)
        assert bottom <= screen, f"#{css_id} ends at {bottom} px, below the first {screen} px"
    banners = css(driver, ".banner")
    if banners:
        top = driver.execute_script("return arguments[0].getBoundingClientRect().top",
                                    banners[0])
        assert top < screen, "the first banner is below the first screen"


def css(driver: Any, selector: str) -> list[Any]:
    from selenium.webdriver.common.by import By

    return driver.find_elements(By.CSS_SELECTOR, selector)


def check_every_element(driver: Any) -> None:
    """The chart, the cards, the history, the track record and the operator's corner."""
    chart = css(driver, "svg#price-chart")[0]
    assert chart.is_displayed()
    assert len(css(driver, "#price-chart .closes")) == 1
    assert len(css(driver, "#price-chart .safe-band")) == 1
    assert len(css(driver, "#price-chart [data-strike]")) == 6
    assert "touch" in css(driver, "#price-chart [data-strike]")[0].text
    assert css(driver, "svg#intraday-chart")[0].is_displayed()
    for key in ("safe_range", "trap", "stress", "direction", "buyer", "spot", "vix"):
        card = css(driver, f"#{key}-card")[0]
        assert card.find_element("css selector", ".meaning").text, key
        assert card.find_element("css selector", ".trust").text, key
    for key in ("chain", "intraday"):  # the market-context panel: values or the reason
        section = css(driver, f"#{key}-context")[0]
        assert section.is_displayed(), key
        assert section.find_elements("css selector", ".context-row, .trust"), key
    toggle = css(driver, "#trap-card details.provenance")[0]
    assert not css(driver, "#trap-card details.provenance td")[0].is_displayed()
    toggle.find_element("css selector", "summary").click()
    assert css(driver, "#trap-card details.provenance td")[0].is_displayed()
    assert len(css(driver, "#gauge-history .history svg")) == 4
    assert len(css(driver, "#gauge-history .event-yes")) > 0
    assert len(css(driver, "tr.track-row")) == 6
    assert len(css(driver, "tr.horizon-row")) >= 2
    image = css(driver, "img#backtest-reliability")[0]
    assert driver.execute_script("return arguments[0].naturalWidth", image) == 8
    assert len(css(driver, ".live-reliability svg")) == 6
    runs = css(driver, "tr.dag-run")
    assert [r.get_attribute("data-dag") for r in runs] == [
        "aegis_market_ingest", "aegis_inference", "aegis_nightly_retrain", "aegis_model_health"]
    assert runs[3].text.endswith("failed 2025-01-06 15:32 IST active")
    link = runs[0].find_element("css selector", "a")
    assert link.get_attribute("href").endswith("/dags/aegis_market_ingest")
    assert link.get_attribute("target") == "_top"
    body = css(driver, "body")[0].text
    for developer_text in ("None", "Error", "sha256", "/srv/", "aegismatrix.json"):
        assert developer_text not in body, developer_text


def headline_text(driver: Any) -> dict[str, str]:
    return {k: css(driver, f"#{k}")[0].text for k in (
        "moment", "hl-spot", "spot-change", "hl-vix", "vix-change", "hl-expiry", "time-left",
        "market-state", "next-update")}


@pytest.mark.parametrize("width", list(WIDTHS))
def test_ok_snapshot(served: tuple[str, World], browser: Any, width: str) -> None:
    base, world = served
    world.fresh(sample_snapshot(degraded=False, as_of=fresh_as_of(EXPIRY_DAY_1420)),
                now=EXPIRY_DAY_1420)
    open_page(browser, base, "aegismatrix_ok.png", width)
    head = headline_text(browser)
    assert head["moment"] == "As of 14:15 IST, 75 minutes to the 15:30 expiry close"
    assert head["hl-spot"] == f"{SPOT:,.2f}"
    assert head["spot-change"] == "+112.40 (+0.48 %)"
    assert head["vix-change"].startswith("-0.35 (")
    assert head["hl-expiry"] == "Thu 09 Jan 2025"
    assert head["time-left"] == "75 minutes left"
    assert head["market-state"] == "open, closes 15:30 IST"
    assert head["next-update"] == "14:45 IST (in 25 minutes)"
    assert css(browser, "#status-banner")[0].text.startswith("Up to date.")
    assert not css(browser, "#stale-banner")
    assert not css(browser, "#degraded-banner")
    assert css(browser, "#direction-label")[0].text == "UP"
    assert css(browser, "#trap-label")[0].text == "HIGH"
    assert css(browser, "#chain-pcr-value")[0].text == "0.87"
    assert css(browser, "#intraday-opening_range_position-value")[0].text == "0.64"
    assert css(browser, "#intraday-chart .intraday-range")  # the band for the time left
    assert css(browser, "#iv_percentile-value")[0].text == \
        f"{IV_PERCENTILE:.0f} (rank {IV_RANK:.0f})"
    assert css(browser, "#straddle-value")[0].text.startswith("3")  # 0.8 x the 39.7-point move
    assert "x the straddle's move" in css(browser, "#vs_safe_range-value")[0].text
    assert css(browser, "svg#oi-chart")
    track = {r.get_attribute("data-field"): r for r in css(browser, "tr.track-row")}
    direction = track["direction"]
    cells = {c.get_attribute("data-col"): c.text
             for c in direction.find_elements("css selector", "td[data-col]")}
    assert cells["published"] == "0.250"  # what was published: the base rate ...
    assert cells["published_skill"] == "0.0 %"
    assert cells["brier"] == "0.249"  # ... beside the model's own record
    assert [r.get_attribute("data-field") for r in css(browser, "tr.year-row")] == [
        "trap", "direction"]
    assert css(browser, "#year-table th")[1].text == "2023"
    hit = css(browser, "#hit_rate-card .trust")[0].text
    assert "(Wilson)" in hit  # the sample gives no block-bootstrap interval
    if width == "desktop":
        check_every_element(browser)


@pytest.mark.parametrize("width", list(WIDTHS))
def test_degraded_snapshot(served: tuple[str, World], browser: Any, width: str) -> None:
    base, world = served
    world.fresh(sample_snapshot(as_of=fresh_as_of(EXPIRY_DAY_1420)), now=EXPIRY_DAY_1420)
    open_page(browser, base, "aegismatrix_degraded.png", width)
    banner = css(browser, "#degraded-banner")[0].text
    assert banner.startswith("Degraded: 1 number from a fallback instead of the model; "
                             "1 number not published.")
    assert "Max pain: not published. No option chain in the store." in banner
    assert "baseline substitute" not in banner
    assert css(browser, "#trap-card")[0].get_attribute("data-state") == "fallback"
    assert css(browser, "#trap-label")[0].text == "fallback"  # never "MEDIUM" on a fallback
    assert css(browser, "#max_pain-card")[0].get_attribute("data-state") == "missing"
    chain = css(browser, "#chain-context")[0]
    assert chain.get_attribute("data-state") == "missing"
    assert "Not available: No option chain in the store." in chain.text
    if width == "desktop":
        check_every_element(browser)


@pytest.mark.parametrize("width", list(WIDTHS))
def test_stale_in_session(served: tuple[str, World], browser: Any, width: str) -> None:
    """Monday 11:00 IST with Friday's 15:30 numbers: stale, although no session closed since."""
    base, world = served
    world.fresh(sample_snapshot(degraded=False, as_of=FRIDAY_CLOSE), now=MONDAY_1100)
    open_page(browser, base, "aegismatrix_stale_in_session.png", width)
    stale = css(browser, "#stale-banner")[0]
    assert stale.is_displayed()
    assert stale.text.startswith("Stale: these numbers are as of Fri 03 Jan 2025 15:30 IST, 3 days "
                                 "old. The Mon 06 Jan 10:45 IST update was due")
    assert not css(browser, "#status-banner")
    assert headline_text(browser)["market-state"] == "open, closes 15:30 IST"
    browser.get(base + "/aegismatrix/api/health")
    assert '"stale":true' in css(browser, "body")[0].text.replace(" ", "")


@pytest.mark.parametrize("width", list(WIDTHS))
def test_paused_publishing_dag(served: tuple[str, World], browser: Any, width: str) -> None:
    """A fresh snapshot, but the ingest DAG is paused: nothing will ever come after it."""
    base, world = served
    world.fresh(sample_snapshot(degraded=False, as_of=fresh_as_of(EXPIRY_DAY_1420)),
                now=EXPIRY_DAY_1420, paused={"aegis_market_ingest", "aegis_nightly_retrain"})
    open_page(browser, base, "aegismatrix_paused.png", width)
    stale = css(browser, "#stale-banner")[0].text
    assert stale.startswith("Stale from now on: these numbers are as of Thu 09 Jan 2025 14:15 IST, "
                            "but aegis_market_ingest is paused, so no update will come.")
    assert not css(browser, "#status-banner")
    warnings = [w.text for w in css(browser, ".operator-warning")]
    assert any(w.startswith("aegis_market_ingest is paused in Airflow") for w in warnings)
    assert any(w.startswith("aegis_nightly_retrain is paused in Airflow") for w in warnings)
    cells = {r.get_attribute("data-dag"): r.find_element("css selector", "[data-paused]").text
             for r in css(browser, "tr.dag-run")}
    assert cells == {"aegis_market_ingest": "paused", "aegis_inference": "active",
                     "aegis_nightly_retrain": "paused", "aegis_model_health": "active"}
    browser.get(base + "/aegismatrix/api/health")
    body = css(browser, "body")[0].text.replace(" ", "")
    assert '"stale":true' in body
    assert "aegis_market_inge" in body


@pytest.mark.parametrize("width", list(WIDTHS))
def test_after_the_expiry_close(served: tuple[str, World], browser: Any, width: str) -> None:
    """16:00 on expiry day, the 14:15 snapshot still published: settled, not pending."""
    base, world = served
    world.fresh(sample_snapshot(degraded=False, as_of=fresh_as_of(EXPIRY_DAY_1420)),
                now=AFTER_EXPIRY)
    open_page(browser, base, "aegismatrix_after_expiry.png", width)
    settled = css(browser, "#settled-banner")[0].text
    assert settled.startswith("Settled: the Thu 09 Jan expiry closed at 15:30 IST.")
    assert f"NIFTY settled at {SPOT:,.2f}." in settled
    assert "held: the close was inside it." in settled
    assert css(browser, "#stale-banner")  # and the 15:30 slot published nothing newer
    head = headline_text(browser)
    assert "has settled since, at its 15:30 IST close" in head["moment"]
    assert head["time-left"] == "settled"
    assert head["market-state"].startswith("closed; next session Fri 10 Jan 09:15 IST")
    expiry = css(browser, "#expiry-card .trust")[0].text
    assert expiry.startswith("Settled at the Thu 09 Jan 15:30 IST close")
    assert css(browser, "#safe_range-label")[0].text == "settled"
    assert "that expiry has settled" in css(browser, "#safe_range-card .meaning")[0].text
    assert "minutes to" not in css(browser, "body")[0].text
    assert not css(browser, "#intraday-chart .intraday-range")  # no time left to draw
    assert css(browser, "#breach-settled")[0].text.startswith("Settled: these were the chances")


@pytest.mark.parametrize("width", list(WIDTHS))
def test_climatology_wears_no_forecast_tag(served: tuple[str, World], browser: Any,
                                          width: str) -> None:
    base, world = served
    world.fresh(sample_snapshot(degraded=False, as_of=fresh_as_of(EXPIRY_DAY_1420),
                                climatology=True), now=EXPIRY_DAY_1420)
    open_page(browser, base, "aegismatrix_climatology.png", width)
    assert css(browser, "#direction-label")[0].text == "base rate"
    assert css(browser, "#trap-label")[0].text == "base rate"
    assert css(browser, "#stress-label")[0].text == "CALM"  # a model's: keeps its label
    trust = css(browser, "#direction-card .trust")[0].text
    assert trust.startswith("No model beat the plain base rate")
    assert css(browser, "#status-banner")[0].text.startswith("Up to date.")


def test_one_malformed_field_leaves_the_page_working(served: tuple[str, World],
                                                     browser: Any) -> None:
    base, world = served
    raw = sample_snapshot(degraded=False, as_of=fresh_as_of(EXPIRY_DAY_1420))
    raw["expiry_stress"]["score"] = "n/a"
    world.fresh(raw, ledger=False, now=EXPIRY_DAY_1420)
    open_page(browser, base, "aegismatrix_malformed_field.png")
    panel = css(browser, "#snapshot-problems")[0].text
    assert "Expiry stress: expiry_stress.score: Input should be a valid number" in panel
    assert css(browser, "#stress-card")[0].get_attribute("data-state") == "malformed"
    assert css(browser, "#trap-value")[0].text == "71 %"
    assert css(browser, "svg#price-chart")[0].is_displayed()
    assert "No live track record yet" in css(browser, "#live-note")[0].text
    browser.get(base + "/aegismatrix/api/snapshot")
    assert "does not meet the contract" in css(browser, "body")[0].text

"""Headless Chromium on the AegisMatrix page: an ok, a degraded, a stale and a malformed
snapshot, each with a market store, a forecast ledger and a backtest report beside it.

The dashboard app is served by uvicorn in this process, mounted at ``/aegismatrix`` as the
Airflow api-server mounts it, next to a stand-in for Airflow's ``/api/v2/dags/{id}/dagRuns``
(the page asks that API with the viewer's ``_token`` cookie). Airflow's login itself is covered by
test_dashboard_browser.py; here the two authentication dependencies are overridden. Screenshots
land in test-results/.
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.sample_snapshot import fresh_as_of, sample_snapshot, write_world

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

RESULTS = Path(__file__).resolve().parents[2] / "test-results"
CHROMEDRIVER = "/usr/bin/chromedriver"
PLUGINS = Path(__file__).resolve().parents[2] / "plugins"


class World:
    """The folder the served app reads; tests swap what is in it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.count = 0
        self.home = root

    def fresh(self, snap: dict[str, Any], **kw: Any) -> Path:
        self.count += 1
        self.home = self.root / f"world{self.count}"
        write_world(self.home, snap, **kw)
        return self.home


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, World]]:
    import sys

    import uvicorn
    from fastapi import FastAPI

    from aegis.config import Settings

    sys.path.insert(0, str(PLUGINS))
    from aegis_dashboard.app import URL_PREFIX, create_app, login_redirect_or_none

    world = World(tmp_path_factory.mktemp("page"))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    dashboard = create_app(lambda: Settings(home=world.home, models_dir=world.home / "models",
                                            airflow_api_url=f"http://127.0.0.1:{port}"))
    dashboard.dependency_overrides[dashboard.state.authenticated] = lambda: None
    dashboard.dependency_overrides[login_redirect_or_none] = lambda: None
    root = FastAPI()

    @root.get("/api/v2/dags/{dag_id}/dagRuns")
    def runs(dag_id: str) -> dict[str, Any]:  # stands in for Airflow's REST API
        state = "failed" if dag_id == "aegis_model_health" else "success"
        return {"total_entries": 1, "dag_runs": [{
            "dag_run_id": f"scheduled__{dag_id}", "state": state,
            "run_after": "2025-01-06T10:00:00Z", "end_date": "2025-01-06T10:02:00Z"}]}

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
                "--disable-background-networking", "--window-size=1300,1000"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    base, _ = served
    driver.get(base + "/aegismatrix/api/health")
    driver.add_cookie({"name": "_token", "value": "viewer-token"})
    yield driver
    driver.quit()


def open_page(driver: Any, base: str, shot: str) -> None:
    """Load the page, check it rendered, save a full-height screenshot."""
    driver.get(base + "/aegismatrix/")
    assert driver.title == "AegisMatrix"
    height = driver.execute_script("return document.body.scrollHeight")
    driver.set_window_size(1300, min(height + 40, 8000))
    RESULTS.mkdir(exist_ok=True)
    driver.save_screenshot(str(RESULTS / shot))
    driver.set_window_size(1300, 1000)


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
    assert runs[3].text.endswith("failed 2025-01-06 10:02")
    link = runs[0].find_element("css selector", "a")
    assert link.get_attribute("href").endswith("/dags/aegis_market_ingest")
    assert link.get_attribute("target") == "_top"
    body = css(driver, "body")[0].text
    for developer_text in ("None", "Error", "sha256", "/srv/", "aegismatrix.json"):
        assert developer_text not in body, developer_text


def test_ok_snapshot(served: tuple[str, World], browser: Any) -> None:
    base, world = served
    world.fresh(sample_snapshot(degraded=False, as_of=fresh_as_of()))
    open_page(browser, base, "aegismatrix_ok.png")
    assert css(browser, "#status-banner")[0].text.startswith("Up to date.")
    assert not css(browser, "#stale-banner")
    assert not css(browser, "#degraded-banner")
    assert css(browser, "#chain-pcr-value")[0].text == "0.87"
    assert css(browser, "#intraday-opening_range_position-value")[0].text == "0.64"
    check_every_element(browser)


def test_degraded_snapshot(served: tuple[str, World], browser: Any) -> None:
    base, world = served
    world.fresh(sample_snapshot(as_of=fresh_as_of()))
    open_page(browser, base, "aegismatrix_degraded.png")
    banner = css(browser, "#degraded-banner")[0].text
    assert banner.startswith("Degraded: 1 number from a fallback instead of the model; "
                             "1 number not published.")
    assert "Max pain: not published. No option chain in the store." in banner
    assert "baseline substitute" not in banner
    assert css(browser, "#trap-card")[0].get_attribute("data-state") == "fallback"
    assert css(browser, "#max_pain-card")[0].get_attribute("data-state") == "missing"
    chain = css(browser, "#chain-context")[0]
    assert chain.get_attribute("data-state") == "missing"
    assert "Not available: No option chain in the store." in chain.text
    check_every_element(browser)


def test_stale_snapshot(served: tuple[str, World], browser: Any) -> None:
    base, world = served
    world.fresh(sample_snapshot(degraded=False))  # as of 2025-01-06
    open_page(browser, base, "aegismatrix_stale.png")
    stale = css(browser, "#stale-banner")[0]
    assert stale.is_displayed()
    assert stale.text.startswith("Stale: these numbers are as of Mon 06 Jan 2025 15:30 IST")
    assert not css(browser, "#status-banner")
    check_every_element(browser)


def test_one_malformed_field_leaves_the_page_working(served: tuple[str, World],
                                                     browser: Any) -> None:
    base, world = served
    raw = sample_snapshot(degraded=False, as_of=fresh_as_of())
    raw["expiry_stress"]["score"] = "n/a"
    world.fresh(raw, ledger=False)
    open_page(browser, base, "aegismatrix_malformed_field.png")
    panel = css(browser, "#snapshot-problems")[0].text
    assert "Expiry stress: expiry_stress.score: Input should be a valid number" in panel
    assert css(browser, "#stress-card")[0].get_attribute("data-state") == "malformed"
    assert css(browser, "#trap-value")[0].text == "71 %"
    assert css(browser, "svg#price-chart")[0].is_displayed()
    assert "No live track record yet" in css(browser, "#live-note")[0].text
    browser.get(base + "/aegismatrix/api/snapshot")
    assert "does not meet the contract" in css(browser, "body")[0].text

"""Headless Chromium against a running Airflow api-server: the AegisMatrix page, logged in
through Airflow's own login form, shows the real snapshot the DAGs produced, degraded state
included; and without a login the JSON API is refused.

Shares the session's Celery stack and its first ingest -> inference chain with
tests/integration/test_celery_e2e.py (started here when that module did not run).
Screenshots land in test-results/.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.integration.airflow_harness import (
    USERS,
    AirflowStack,
    ApiClient,
    ChainResult,
    World,
    session_chain,
    session_stack,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

CHAIN_DAY = "2025-01-06T03:45:00Z"  # Monday 09:15 IST
RESULTS = Path(__file__).resolve().parents[2] / "test-results"
CHROMEDRIVER = "/usr/bin/chromedriver"
API_PATHS = ("/aegismatrix/api/snapshot", "/aegismatrix/api/models", "/aegismatrix/api/health")


@pytest.fixture(scope="session")
def stack(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
          ) -> tuple[World, AirflowStack, ApiClient]:
    return session_stack(request.config, lambda: tmp_path_factory.mktemp("stack"))


@pytest.fixture(scope="session")
def chain(request: pytest.FixtureRequest, stack: tuple[World, AirflowStack, ApiClient]
          ) -> ChainResult:
    _, airflow, client = stack
    result = session_chain(request.config, airflow, client, CHAIN_DAY)
    assert result.inference_state == "success", result.tasks
    return result


@pytest.fixture
def browser() -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    if shutil.which("chromium") is None and not Path("/usr/bin/chromium").exists():
        pytest.fail("chromium is not installed (scripts/ensure-services.sh installs it)")
    options = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu",
                "--disable-background-networking", "--window-size=1400,2200"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def login_through_airflow(driver: Any, base_url: str) -> None:
    """Open the page; Airflow redirects to its login form; sign in as admin."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(f"{base_url}/aegismatrix/")
    wait = WebDriverWait(driver, 60)
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "input[name=username]")))
    assert "/auth/login" in driver.current_url
    driver.find_element(By.CSS_SELECTOR, "input[name=username]").send_keys("admin")
    driver.find_element(By.CSS_SELECTOR, "input[name=password]").send_keys(USERS["admin"])
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait.until(ec.title_is("AegisMatrix"))


def test_without_login_the_api_and_page_are_refused(
    stack: tuple[World, AirflowStack, ApiClient], chain: ChainResult
) -> None:
    _, airflow, _ = stack
    base = airflow.base_url
    for path in API_PATHS:
        assert requests.get(base + path, timeout=30).status_code == 401, path
        forged = requests.get(base + path, headers={"Authorization": "Bearer not-a-jwt"},
                              timeout=30)
        assert forged.status_code == 403, path
    page = requests.get(f"{base}/aegismatrix/", allow_redirects=False, timeout=30)
    assert page.status_code == 303
    assert page.headers["location"].startswith("/auth/login?next=")
    docs = f"{base}/aegismatrix/data-docs/index.html"
    refused = requests.get(docs, allow_redirects=False, timeout=30)
    assert refused.status_code == 303, "Data Docs are served only behind Airflow's login"
    assert refused.headers["location"].startswith("/auth/login?next=")
    viewer = ApiClient(base, "viewer", USERS["viewer"])
    viewer.login()
    site = viewer.session.get(docs, allow_redirects=False, timeout=30)
    assert site.status_code == 200, "the chain's validation built the Data Docs the page links"
    assert site.headers["content-type"].startswith("text/html")
    assert "Great Expectations" in site.text or "Expectation" in site.text
    health = viewer.get("/aegismatrix/api/health")
    assert health["status"] == "degraded"
    snapshot = viewer.get("/aegismatrix/api/snapshot")
    assert snapshot["spot"] > 0


def test_page_shows_the_real_snapshot_and_its_degraded_state(
    stack: tuple[World, AirflowStack, ApiClient], chain: ChainResult, browser: Any
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    world, airflow, _ = stack
    snap = json.loads(world.snapshot.read_text())
    login_through_airflow(browser, airflow.base_url)
    find = browser.find_element
    banner = find(By.ID, "degraded-banner").text
    assert snap["status"] == "degraded"
    assert banner.startswith("Degraded: ")
    names = {"trap": "Volatility trap", "expiry_stress": "Expiry stress", "max_pain": "Max pain",
             "pcr": "Put/call ratio", "direction": "Direction tomorrow",
             "buyer_signal": "Buyer signal", "breach_probabilities": "Breach probabilities",
             "historical_spike_rate": "Historical spike rate", "expiry": "Weekly expiry"}
    for reason in snap["degraded_reasons"]:
        assert f"{names.get(reason['field'], reason['field'])}: " in banner
    assert "Error" not in banner
    assert "sha256" not in banner
    assert find(By.ID, "spot-value").text == f"{snap['spot']:,.2f}"
    assert find(By.ID, "vix-value").text == f"{snap['vix']:.2f}"
    if snap.get("trap"):
        shown = find(By.ID, "trap-value").text
        assert shown.endswith(" %")
        assert abs(float(shown[:-2]) - 100 * snap["trap"]["score"]) <= 0.5
        prov = snap["trap"]["provenance"]
        tag = ("fallback" if prov["kind"] == "baseline" else "base rate"
               if prov.get("name") == "climatology" else snap["trap"]["label"])
        assert find(By.ID, "trap-label").text == tag  # no forecast label on a stand-in
    if snap.get("safe_range"):
        assert find(By.ID, "safe_range-value").text == (
            f"{snap['safe_range']['lower']:,.0f} – {snap['safe_range']['upper']:,.0f}")
    assert find(By.CSS_SELECTOR, "svg#price-chart").is_displayed()
    assert len(browser.find_elements(By.CSS_SELECTOR, "tr.dag-run")) == 4
    baseline_fields = {r["field"] for r in snap["degraded_reasons"]}
    marked = browser.find_elements(By.CSS_SELECTOR, ".card.fallback")
    assert len(marked) >= len(baseline_fields & {"trap", "expiry_stress", "direction"})
    RESULTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(RESULTS / "aegismatrix_page.png"))

    # The same page inside the Airflow UI, from its navigation entry.
    browser.get(f"{airflow.base_url}/plugin/aegismatrix")
    wait = WebDriverWait(browser, 60)
    frame = wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "iframe")))
    src = frame.get_attribute("src")
    assert src is not None
    assert src.endswith("/aegismatrix/")
    browser.switch_to.frame(frame)
    wait.until(ec.presence_of_element_located((By.ID, "degraded-banner")))
    browser.switch_to.default_content()
    browser.save_screenshot(str(RESULTS / "aegismatrix_in_airflow_ui.png"))

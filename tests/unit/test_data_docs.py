"""The GX project a GX user expects: the suites' single home is the top-level ``expectations/``,
each dataset runs through its own Checkpoint, and the Data Docs site is served by the
AegisMatrix app behind the same login as the page."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from fastapi.responses import RedirectResponse

from aegis.config import Settings
from aegis.validation import validate_frames
from aegis.validation.suites import SUITE_NAMES, default_expectations_dir
from tests.unit.test_validation_frames import good_nifty, good_vix

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "plugins"))


def test_the_suites_live_at_the_top_level_only() -> None:
    top = ROOT / "expectations"
    assert sorted(p.stem for p in top.glob("*.json")) == sorted(SUITE_NAMES)
    assert default_expectations_dir().resolve() == top.resolve()
    assert not (ROOT / "aegis" / "validation" / "expectations").exists()


def test_each_dataset_runs_its_checkpoint_and_links_its_data_docs_page(tmp_path: Path) -> None:
    broken = good_nifty()
    broken.iloc[5, broken.columns.get_loc("high")] = broken["low"].iloc[5] - 100.0
    report = validate_frames({"nifty_daily": broken, "vix_daily": good_vix()},
                             docs_dir=tmp_path / "docs")
    nifty, vix = report.suite("nifty_daily"), report.suite("vix_daily")
    assert (nifty.checkpoint, vix.checkpoint) == ("nifty_daily_checkpoint", "vix_daily_checkpoint")
    assert not nifty.success
    assert vix.success
    for suite in (nifty, vix):
        assert suite.data_docs_page is not None
        page = tmp_path / "docs" / suite.data_docs_page
        assert page.is_file()
        assert suite.suite in page.read_text(encoding="utf-8")
    assert f"Data Docs page {nifty.data_docs_page}" in report.describe_failures()
    assert report.data_docs == str((tmp_path / "docs" / "index.html").resolve())


@pytest.fixture
def docs_settings(tmp_path: Path) -> Settings:
    settings = Settings(home=tmp_path)
    site = settings.resolved_output_dir / "data_docs"
    (site / "validations").mkdir(parents=True)
    (site / "index.html").write_text("<html>index</html>")
    (site / "validations" / "run.html").write_text("<html>run</html>")
    (tmp_path / "secret.html").write_text("secret")
    (site / "link.html").symlink_to(tmp_path / "secret.html")
    return settings


def test_the_app_serves_the_site_and_nothing_else(docs_settings: Settings) -> None:
    from aegis_dashboard.app import create_app, login_redirect_or_none
    from fastapi.testclient import TestClient

    app = create_app(lambda: docs_settings)
    app.dependency_overrides[login_redirect_or_none] = lambda: None
    client = TestClient(app)
    index = client.get("/data-docs/index.html")
    assert index.status_code == 200
    assert index.text == "<html>index</html>"
    assert index.headers["content-type"].startswith("text/html")
    assert client.get("/data-docs/validations/run.html").text == "<html>run</html>"
    for refused in ("link.html", "..%2Fsecret.html", "missing.html", "index.exe"):
        assert client.get(f"/data-docs/{refused}").status_code == 404, refused
    page = client.get("/")
    assert 'href="data-docs/index.html"' in page.text


def test_the_site_asks_for_the_same_login_as_the_page(docs_settings: Settings) -> None:
    from aegis_dashboard.app import create_app, login_redirect_or_none
    from fastapi.testclient import TestClient

    app = create_app(lambda: docs_settings)
    app.dependency_overrides[login_redirect_or_none] = lambda: RedirectResponse(
        "/auth/login", status_code=303)
    response = TestClient(app).get("/data-docs/index.html", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/auth/login"

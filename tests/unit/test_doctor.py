"""``aegis doctor`` on a real trained deployment: green when every part is sound, then red on
each broken part in turn, naming that part (and only that part).

The deployment is the session's trained one (tests/unit/pipeline_fixtures.py), copied; Airflow's
``/api/v2/monitor/health`` is a stand-in HTTP server on loopback; the clock is pinned so the
published snapshot (as of Friday 2024-06-14 15:30 IST) is fresh: Tuesday 09:20 IST (Monday was
the Bakri Id holiday), before the 09:15 slot's grace has passed.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import TYPE_CHECKING, Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from aegis.cli import app
from aegis.config import get_settings

if TYPE_CHECKING:
    from tests.unit.pipeline_fixtures import Deployment

pytest_plugins = ["tests.unit.pipeline_fixtures"]
pytestmark = pytest.mark.slow

TUESDAY_0920 = "2024-06-18T09:20:00+05:30"  # Monday 17 June 2024 was an NSE holiday
TUESDAY_1100 = "2024-06-18T11:00:00+05:30"


class _Health(BaseHTTPRequestHandler):
    status = "healthy"

    def do_GET(self) -> None:
        if self.path != "/api/v2/monitor/health":
            self.send_response(404)
            self.end_headers()
            return
        body = json.dumps({"metadatabase": {"status": "healthy"},
                           "scheduler": {"status": self.status}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def airflow() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), _Health)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def healthy(deployment_copy: Deployment, airflow: str, monkeypatch: pytest.MonkeyPatch
            ) -> Deployment:
    monkeypatch.setenv("AEGIS_CLOCK", TUESDAY_0920)
    monkeypatch.setenv("AEGIS_AIRFLOW_API_URL", airflow)
    get_settings.cache_clear()
    return deployment_copy


def doctor() -> tuple[int, dict[str, Any]]:
    get_settings.cache_clear()
    result = CliRunner().invoke(app, ["doctor", "--json"])
    return result.exit_code, json.loads(result.stdout)


def test_a_sound_installation_is_green(healthy: Deployment) -> None:
    code, out = doctor()
    assert out["problems"] == []
    assert code == 0
    names = [c["name"] for c in out["checks"]]
    assert names == ["store", "champions", "calendar", "airflow", "model_remote",
                     "last_publish"]
    assert all(c["ok"] and not c["skipped"] for c in out["checks"])


def _break_store(d: Deployment, mp: pytest.MonkeyPatch) -> None:
    import shutil

    shutil.rmtree(d.home / "data" / "series=vix_daily")


def _break_champion(d: Deployment, mp: pytest.MonkeyPatch) -> None:
    (d.models_dir / "trap" / "model.onnx").write_bytes(b"not an onnx model")


def _break_calendar(d: Deployment, mp: pytest.MonkeyPatch) -> None:
    """The calendar's known span ends in 12 days (as when next year's holidays are missing)."""
    from aegis.market import calendar

    first, _ = calendar.known_span()
    mp.setattr(calendar, "known_span", lambda: (first, pd.Timestamp("2024-06-30")))


def _break_airflow(d: Deployment, mp: pytest.MonkeyPatch) -> None:
    mp.setenv("AEGIS_AIRFLOW_API_URL", f"http://127.0.0.1:{_closed_port()}")


def _break_remote(d: Deployment, mp: pytest.MonkeyPatch) -> None:
    mp.setenv("AEGIS_S3_ENDPOINT_URL", f"http://127.0.0.1:{_closed_port()}")
    mp.setenv("AEGIS_S3_ACCESS_KEY_ID", "testing")
    mp.setenv("AEGIS_S3_SECRET_ACCESS_KEY", "testing")


def _break_publish(d: Deployment, mp: pytest.MonkeyPatch) -> None:
    """Tuesday 11:00 IST: the 10:45 slot was due; Friday's close is stale now."""
    mp.setenv("AEGIS_CLOCK", TUESDAY_1100)


BREAKS: dict[str, tuple[Callable[[Any, pytest.MonkeyPatch], None], str]] = {
    "store": (_break_store, "lacks ['vix_daily']"),
    "champions": (_break_champion, "trap"),
    "calendar": (_break_calendar, "knows sessions only up to 2024-06-30"),
    "airflow": (_break_airflow, "did not answer"),
    "model_remote": (_break_remote, "s3://aegis-models/dvc"),
    "last_publish": (_break_publish, "the Tue 18 Jun 10:45 IST slot was due"),
}


@pytest.mark.parametrize("part", list(BREAKS))
def test_red_on_each_broken_part_naming_it(healthy: Deployment, part: str,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    breaker, words = BREAKS[part]
    breaker(healthy, monkeypatch)
    code, out = doctor()
    assert code == 1, out
    failed = [c["name"] for c in out["checks"] if not c["ok"]]
    assert failed == [part]
    assert words in out["problems"][0]
    assert out["problems"][0].startswith(f"{part}: ")


def test_an_airflow_that_does_not_answer_is_named(
        healthy: Deployment, monkeypatch: pytest.MonkeyPatch) -> None:
    """AEGIS_AIRFLOW_API_URL always has a value (default the local api-server): checked."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens after the close
    monkeypatch.setenv("AEGIS_AIRFLOW_API_URL", f"http://127.0.0.1:{port}")
    code, out = doctor()
    check = next(c for c in out["checks"] if c["name"] == "airflow")
    assert not check["ok"]
    assert f"127.0.0.1:{port}/api/v2/monitor/health did not answer" in check["detail"]
    assert code == 1

"""The model store's S3 credentials come from the Airflow connection ``aegis_s3`` inside the
push task only (dags/aegis_common.py), and are gone from the settings after it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = r"""
import json
from aegis_common import model_store_credentials
from aegis.config import get_settings

def seen():
    s = get_settings()
    key = s.s3_access_key_id.get_secret_value() if s.s3_access_key_id else None
    return [key, s.s3_endpoint_url, s.s3_region]

with model_store_credentials():
    inside = seen()
print("RESULT " + json.dumps({"inside": inside, "after": seen()}))
"""


def _run(conn: dict[str, object] | None) -> dict[str, list[object]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "AEGIS_"))}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO / "dags"), str(REPO)])
    if conn is not None:
        env["AIRFLOW_CONN_AEGIS_S3"] = json.dumps(conn)
    done = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True,
                          text=True, timeout=300, check=False)
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("RESULT ")), None)
    assert line is not None, done.stderr[-3000:]
    return dict(json.loads(line.removeprefix("RESULT ")))


@pytest.mark.slow
def test_credentials_come_from_the_connection_only_inside_the_block() -> None:
    got = _run({"conn_type": "aws", "login": "KEY", "password": "SECRET",
                "extra": {"endpoint_url": "http://127.0.0.1:9", "region_name": "ap-south-1"}})
    assert got["inside"] == ["KEY", "http://127.0.0.1:9", "ap-south-1"]
    assert got["after"] == [None, None, "us-east-1"]


@pytest.mark.slow
def test_without_the_connection_the_settings_stand() -> None:
    got = _run(None)
    assert got["inside"] == got["after"] == [None, None, "us-east-1"]

"""``aegis doctor``: the whole installation checked in one go, each problem named.

Six checks, each independent (one failing never hides another), each a :class:`Check` with what
was looked at and, when it fails, what is wrong and where:

- ``store``: the market store holds readable ``nifty_daily`` and ``vix_daily`` series.
- ``champions``: every champion loads as inference would (checksum, manifest, probe), or the
  gate refused it and climatology is published (:func:`aegis.pipeline.health.model_health`).
- ``calendar``: the NSE calendar knows at least 30 days ahead of today (IST).
- ``airflow``: the api-server at ``AEGIS_AIRFLOW_API_URL`` answers ``/api/v2/monitor/health``
  with a healthy metadata database and scheduler (skipped, and said so, when not configured).
- ``model_remote``: the DVC remote answers: the S3 bucket (``head_bucket``, one try, short
  timeouts) or the local remote folder exists.
- ``last_publish``: a snapshot is published and fresh against the 30-minute schedule
  (:func:`aegis.market.slots.freshness`).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Final

from aegis.config import Settings
from aegis.errors import AegisError

HTTP_TIMEOUT_S: Final = 5.0


@dataclass(frozen=True)
class Check:
    """One check: ``ok`` False names the problem in ``detail``; ``skipped`` checks pass."""

    name: str
    ok: bool
    detail: str
    skipped: bool = False


def check_store(settings: Settings, now: datetime) -> Check:
    from aegis.market.store import MarketStore

    root = settings.resolved_data_dir
    store = MarketStore(root)
    names = store.names()
    missing = [s for s in ("nifty_daily", "vix_daily") if s not in names]
    if missing:
        return Check("store", False, f"the market store at {root} lacks {missing} (present: "
                                     f"{names}): run aegis data ingest or aegis pipeline ingest")
    lasts = []
    for series in ("nifty_daily", "vix_daily"):
        try:
            frame = store.read(series)
        except (AegisError, OSError, ValueError, KeyError) as exc:
            return Check("store", False, f"{series} in {root} cannot be read: {exc}")
        if frame.empty:
            return Check("store", False, f"{series} in {root} has no rows")
        lasts.append(f"{series} to {frame.index.max():%Y-%m-%d} ({len(frame)} sessions)")
    return Check("store", True, f"{root}: " + ", ".join(lasts))


def check_champions(settings: Settings, now: datetime) -> Check:
    from aegis.pipeline.health import model_health

    try:
        health = model_health()
    except AegisError as exc:
        return Check("champions", False, str(exc))
    climatology = sorted(health["climatology"])
    words = ", ".join(f"{n} {v}" for n, v in sorted(health["versions"].items()))
    extra = f"; published as climatology (gate): {climatology}" if climatology else ""
    return Check("champions", True, f"verified {words or 'none'}{extra}")


def check_calendar(settings: Settings, now: datetime) -> Check:
    from aegis.market.hours import ist_today
    from aegis.pipeline.health import calendar_health

    try:
        info = calendar_health(ist_today(now).isoformat())
    except AegisError as exc:
        return Check("calendar", False, str(exc))
    return Check("calendar", True, f"known until {info['known_until']} "
                                   f"({info['days_left']} days ahead)")


def check_airflow(settings: Settings, now: datetime) -> Check:
    base = settings.airflow_api_url
    if not base:
        return Check("airflow", True, "not checked: AEGIS_AIRFLOW_API_URL is not set", True)
    url = base.rstrip("/") + "/api/v2/monitor/health"
    try:
        with urllib.request.urlopen(url, timeout=HTTP_TIMEOUT_S) as response:
            body = json.loads(response.read().decode("utf-8"))
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return Check("airflow", False, f"{url} did not answer: {exc}")
    bad = [f"{part} {body.get(part, {}).get('status', 'missing')}"
           for part in ("metadatabase", "scheduler")
           if not isinstance(body.get(part), dict) or body[part].get("status") != "healthy"]
    if bad:
        return Check("airflow", False, f"{url}: unhealthy: {', '.join(bad)}")
    return Check("airflow", True, f"{url}: metadatabase and scheduler healthy")


def check_model_remote(settings: Settings, now: datetime) -> Check:
    remote = settings.resolved_dvc_remote
    if not remote.startswith("s3://"):
        ok = Path(remote).is_dir()
        return Check("model_remote", ok, f"local DVC remote {remote}" + (
            "" if ok else ": the folder does not exist (nothing pushed yet, or the wrong "
                          "AEGIS_DVC_REMOTE_URL)"))
    import boto3
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError

    bucket = remote[len("s3://"):].split("/", 1)[0]
    secret = settings.s3_secret_access_key
    key = settings.s3_access_key_id
    client = boto3.client(
        "s3", endpoint_url=settings.s3_endpoint_url, region_name=settings.s3_region,
        aws_access_key_id=key.get_secret_value() if key else None,
        aws_secret_access_key=secret.get_secret_value() if secret else None,
        config=Config(connect_timeout=3, read_timeout=5, retries={"max_attempts": 1}))
    where = f"{remote} (endpoint {settings.s3_endpoint_url or 'AWS'})"
    try:
        client.head_bucket(Bucket=bucket)
    except (BotoCoreError, ClientError) as exc:
        return Check("model_remote", False, f"{where}: {exc}")
    return Check("model_remote", True, f"{where}: bucket {bucket} answers")


def check_last_publish(settings: Settings, now: datetime) -> Check:
    from aegis.market.slots import freshness
    from aegis.snapshot import read_snapshot

    path = settings.snapshot_path
    if not path.is_file():
        return Check("last_publish", False, f"no snapshot published yet at {path}")
    try:
        snap = read_snapshot(path)
    except AegisError as exc:
        return Check("last_publish", False, f"{path} cannot be read: {exc}")
    fresh = freshness(snap.as_of, now)
    age = now - snap.generated_at
    words = f"as of {snap.as_of.isoformat()}, published {age.total_seconds() / 3600:.1f} h ago"
    if fresh.stale:
        return Check("last_publish", False, f"{path}: stale: {fresh.reason}")
    return Check("last_publish", True, f"{path}: {words}, status {snap.status}")


CHECKS: Final[tuple[Callable[[Settings, datetime], Check], ...]] = (
    check_store, check_champions, check_calendar, check_airflow, check_model_remote,
    check_last_publish)


def doctor(settings: Settings, now: datetime | None = None) -> list[Check]:
    """Every check of :data:`CHECKS`, in order, at ``now`` (default: ``settings.now()``)."""
    moment = now if now is not None else settings.now()
    return [check(settings, moment) for check in CHECKS]


def report(checks: list[Check]) -> dict[str, Any]:
    """JSON-ready: ``ok`` and each check."""
    return {"ok": all(c.ok for c in checks), "checks": [asdict(c) for c in checks],
            "problems": [f"{c.name}: {c.detail}" for c in checks if not c.ok]}


__all__ = ["CHECKS", "Check", "doctor", "report"]

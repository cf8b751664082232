"""Drills (issue 22): nothing published gets lost.

``aegis infer`` on a trained deployment, killed at each step of its publish (every temporary
file created and every rename, one kill per run), then run again: a snapshot that was ever
published has its forecast-ledger rows, and no temporary file is left. Two ``aegis infer`` whose
ledger writes interleave keep both snapshots' rows. Published files are readable by the group.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from aegis.ledger import appended_dir, ledger_path, read_ledger

if TYPE_CHECKING:
    from tests.unit.pipeline_fixtures import Deployment

pytest_plugins = ["tests.unit.pipeline_fixtures"]

#: The child: ``aegis infer`` with crash and delay hooks (SIGKILL at the N-th temporary file or
#: rename; a pause inside the ledger lock after checking the ledger for the snapshot, before
#: writing its rows, announced through a marker file).
CHILD = """
import os, signal, sys, tempfile, time
kill_at = int(os.environ.get("DRILL_KILL_AT", "0"))
events = []
real_mkstemp, real_replace = tempfile.mkstemp, os.replace
def event():
    events.append(1)
    if len(events) == kill_at:
        os.kill(os.getpid(), signal.SIGKILL)
def mkstemp(*a, **k):
    out = real_mkstemp(*a, **k)
    event()
    return out
def replace(src, dst, *a, **k):
    event()
    return real_replace(src, dst, *a, **k)
tempfile.mkstemp = mkstemp
os.replace = replace
pause = float(os.environ.get("DRILL_PAUSE_AFTER_READ", "0"))
if pause:
    from aegis.ledger import store
    real_holds = store._compacted_holds
    def compacted_holds(path, generated):
        held = real_holds(path, generated)
        open(os.environ["DRILL_MARKER"], "w").close()
        time.sleep(pause)
        return held
    store._compacted_holds = compacted_holds
from aegis.cli import main
sys.argv = ["aegis", "infer", "--no-table"]
main()
"""
CLEARED = ("AEGIS_DATA_DIR", "AEGIS_OUTPUT_DIR", "AEGIS_HISTORY_DIR", "AEGIS_DVC_REMOTE_URL",
           "AEGIS_S3_ENDPOINT_URL", "AEGIS_CLOCK")


def _env(dep: Deployment, clock: str, **extra: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if k not in CLEARED}
    return {**base, **dep.env(), "AEGIS_CLOCK": clock, **extra}


def _infer(dep: Deployment, clock: str, umask: int = 0o022, **extra: str
           ) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", CHILD], env=_env(dep, clock, **extra),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: os.umask(umask))


def _run(dep: Deployment, clock: str, **extra: str) -> subprocess.CompletedProcess[str]:
    proc = _infer(dep, clock, 0o022, **extra)
    out, err = proc.communicate(timeout=600)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def _clock(minute: int) -> str:
    return (pd.Timestamp("2024-06-14T16:00:00+05:30") + pd.Timedelta(minutes=minute)).isoformat()


def _generated(clock: str) -> pd.Timestamp:
    return pd.Timestamp(clock).tz_convert("UTC")


def _published_at(path: Path) -> pd.Timestamp | None:
    if not path.exists():
        return None
    return pd.Timestamp(json.loads(path.read_text())["generated_at"]).tz_convert("UTC")


def _ledger_times(dep: Deployment) -> set[pd.Timestamp]:
    ledger = read_ledger(ledger_path(dep.home / "data"))
    return set(pd.DatetimeIndex(ledger["generated_at"]).unique())


def _temps(dep: Deployment) -> list[Path]:
    ledger = ledger_path(dep.home / "data")
    folders = (dep.snapshot_path.parent, ledger.parent, appended_dir(ledger))
    return [p for folder in folders for p in folder.glob(".*.tmp")]


def test_kill_9_at_every_publish_step_loses_no_ledger_row(deployment_copy: Deployment) -> None:
    dep = deployment_copy
    snapshot = dep.snapshot_path
    kills = 0
    for step in range(1, 40):
        killed_clock, next_clock = _clock(2 * step), _clock(2 * step + 1)
        done = _run(dep, killed_clock, DRILL_KILL_AT=str(step))
        if done.returncode == 0:  # the run has fewer steps: every one was killed once
            break
        assert done.returncode == -signal.SIGKILL, done.stderr
        kills += 1
        published = _published_at(snapshot) == _generated(killed_clock)
        again = _run(dep, next_clock)
        assert again.returncode == 0, again.stderr
        times = _ledger_times(dep)
        assert _generated(next_clock) in times, step
        if published:  # the killed run's snapshot was visible: its forecasts are recorded
            assert _generated(killed_clock) in times, f"step {step}: snapshot without rows"
        assert _published_at(snapshot) == _generated(next_clock)
        assert not _temps(dep), (step, _temps(dep))
        ledger = read_ledger(ledger_path(dep.home / "data"))
        assert not ledger.duplicated(["generated_at", "field", "key"]).any(), step
    assert kills >= 3, "the publish has at least a temporary file and a rename per file"


def test_two_infers_whose_ledger_writes_interleave_keep_both(deployment_copy: Deployment,
                                                             tmp_path: Path) -> None:
    """A pauses 20 s between checking the ledger and writing its rows; B publishes meanwhile."""
    dep = deployment_copy
    marker = tmp_path / "a-has-read"
    first, second = _clock(100), _clock(101)
    slow = _infer(dep, first, 0o022, DRILL_PAUSE_AFTER_READ="20", DRILL_MARKER=str(marker))
    deadline = time.monotonic() + 300
    while not marker.exists():
        assert slow.poll() is None, slow.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.2)
    fast = _run(dep, second)
    out, err = slow.communicate(timeout=600)
    assert slow.returncode == 0, err
    assert fast.returncode == 0, fast.stderr
    times = _ledger_times(dep)
    assert {_generated(first), _generated(second)} <= times


def test_published_snapshot_and_ledger_are_readable_by_the_group(
        deployment_copy: Deployment) -> None:
    dep = deployment_copy
    for minute, umask, mode in ((200, 0o002, 0o664), (201, 0o022, 0o644)):
        proc = _infer(dep, _clock(minute), umask)
        out, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err
        ledger = ledger_path(dep.home / "data")
        appended = sorted(appended_dir(ledger).glob("*.parquet"))[-1:]
        assert appended, "the snapshot's ledger rows were not written"
        for path in (dep.snapshot_path, *appended):
            assert path.stat().st_mode & 0o777 == mode, (path, oct(path.stat().st_mode))

"""``make test``'s work units (``tests/conftest.py``): shared resources stay in one worker."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import HEAVY_FIRST, SHARED_GROUPS, xdist_group_of

REPO = Path(__file__).resolve().parents[2]


def test_modules_sharing_an_airflow_resource_share_a_unit() -> None:
    assert xdist_group_of("tests/integration/test_dags_drills.py", REPO) == xdist_group_of(
        "tests/integration/test_dags_pipeline.py", REPO) == "airflow-dag-test"
    assert xdist_group_of("tests/e2e/test_dashboard_browser.py", REPO) == xdist_group_of(
        "tests/integration/test_celery_e2e.py", REPO) == "airflow-celery-stack"
    assert set(HEAVY_FIRST) >= set(SHARED_GROUPS.values())


def test_trained_deployment_modules_share_one_training_and_others_are_their_own_unit() -> None:
    users = [p for p in sorted((REPO / "tests").rglob("test_*.py"))
             if "trained_deployment" in p.read_text(encoding="utf-8")
             or "deployment_copy" in p.read_text(encoding="utf-8")]
    assert users, "the trained-deployment fixtures are used somewhere"
    for path in users:
        rel = path.relative_to(REPO).as_posix()
        if rel not in SHARED_GROUPS:
            assert xdist_group_of(rel, REPO) == "trained-deployment", rel
    assert xdist_group_of("tests/unit/test_layers.py", REPO) == "tests/unit/test_layers.py"

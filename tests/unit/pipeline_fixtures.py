"""One small trained deployment per test session, built by the real stage functions.

The deployment is what ``make demo --direct`` builds, at a smaller size: ``AEGIS_HOME`` in a
temporary folder, the seeded simulator (8 years ending :data:`LOGICAL_DATE`), the Parquet store,
the GX gate, every model trained and gated, a local-folder DVC remote (``<home>/dvc-remote``)
and a DVC repository ``<home>/deploy`` holding ``models/`` (no git commit). Stages run:
ingest (twice, to record idempotence) -> build_features -> validate -> train ->
promote_and_push(push=True) -> recompute_rates -> infer.

On simulated data the direction GRU cannot beat the up-day frequency (simulated returns have
no serial dependence), so the gate rightly refuses it. To also have a *healthy* deployment
(every number from a model), the fixture then promotes each refused challenger explicitly, as an
operator would, inside the same DVC transaction; :attr:`Deployment.forced` names them and the
gate's own decisions stay in ``stages["promote"]``.

Building takes about a minute on two cores, so it happens once per session. Tests that change
anything work on a copy (:func:`deployment_copy`).

Use in a test module (registers this module as a plugin once, so every module shares the
session fixture; import :class:`Deployment` under ``TYPE_CHECKING`` only, since importing this
module before pytest registers it would bypass its assertion rewriting)::

    pytest_plugins = ["tests.unit.pipeline_fixtures"]
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from aegis.config import get_settings

LOGICAL_DATE = "2024-06-14"
"""The logical date of the fixture's runs (a Friday; the simulator ends there)."""
SEED = 7
RUN_ID = "fixture-run"
"""The run id the fixture stages and validates its feature table under."""
SIM_YEARS = 8
CLEARED_ENV = ("AEGIS_DATA_DIR", "AEGIS_OUTPUT_DIR", "AEGIS_HISTORY_DIR", "AEGIS_DVC_REMOTE_URL",
               "AEGIS_S3_ENDPOINT_URL", "AEGIS_S3_ACCESS_KEY_ID", "AEGIS_S3_SECRET_ACCESS_KEY")
"""Settings that would point a test's stages away from its own home; always unset."""

@dataclass(frozen=True)
class Deployment:
    """An embedded deployment on disk and what its stages returned when it was built.

    Attributes
    ----------
    home : ``AEGIS_HOME``.  seed : simulator seed.
    logical_date : ISO date the stages ran for (the simulator's last session).
    stages : stage name -> the stage's returned dict (``ingest``, ``ingest_again``, ``features``,
        ``validate``, ``train``, ``promote``, ``rates``, ``infer``).
    forced : model -> version promoted by the fixture after the gate refused it.
    """

    home: Path
    seed: int = SEED
    logical_date: str = LOGICAL_DATE
    stages: dict[str, Any] = field(default_factory=dict)
    forced: dict[str, str] = field(default_factory=dict)

    @property
    def models_dir(self) -> Path:
        return self.home / "deploy" / "models"

    @property
    def snapshot_path(self) -> Path:
        return self.home / "output" / "aegismatrix.json"

    @property
    def features_dir(self) -> Path:
        return self.home / "data" / "features"

    def env(self) -> dict[str, str]:
        """The ``AEGIS_*`` environment that points every stage at this deployment."""
        return {
            "AEGIS_HOME": str(self.home),
            "AEGIS_MODELS_DIR": str(self.models_dir),
            "AEGIS_SOURCE": "simulator",
            "AEGIS_SEED": str(self.seed),
            "AEGIS_SIM_YEARS": str(SIM_YEARS),
            "AEGIS_GIT_COMMIT_MODELS": "false",
            # the moment is the logical date's close (it has happened: the daily bar is final),
            # whatever the hour the test runs
            "AEGIS_CLOCK": f"{self.logical_date}T15:30:00+05:30",
        }

    def activate(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Point the settings at this deployment (and clear the settings cache)."""
        for name in CLEARED_ENV:
            monkeypatch.delenv(name, raising=False)
        for name, value in self.env().items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()

    def copy_to(self, home: Path, seed: int | None = None) -> Deployment:
        """A byte copy of this deployment at ``home`` (its own store, models and remote)."""
        shutil.copytree(self.home, home, symlinks=True)
        return Deployment(home=home, seed=self.seed if seed is None else seed,
                          stages=self.stages, forced=self.forced)


def promote_refused(decisions: dict[str, Any]) -> dict[str, str]:
    """Promote every challenger the gate refused (one DVC transaction); model -> version."""
    from aegis.registry.publish import publish_versions
    from aegis.registry.store import StoreConfig

    reason = "test fixture: operator promotion of a gate-refused challenger"
    refused = {name: (Path(d["folder"]), reason) for name, d in decisions.items()
               if not d["promoted"]}
    if not refused:
        return {}
    settings = get_settings()
    result = publish_versions(refused, StoreConfig.from_settings(settings), settings=settings)
    return result.promoted


def build_deployment(home: Path, seed: int = SEED) -> Deployment:
    """Run every stage into ``home`` (see the module docstring); ~1 minute on two cores."""
    from aegis import pipeline

    home.mkdir(parents=True)
    deployment = Deployment(home=home, seed=seed)
    with pytest.MonkeyPatch.context() as mp:
        deployment.activate(mp)
        try:
            stages = deployment.stages
            stages["ingest"] = pipeline.ingest(deployment.logical_date)
            stages["ingest_again"] = pipeline.ingest(deployment.logical_date)
            stages["features"] = pipeline.build_features(RUN_ID)
            stages["validate"] = pipeline.validate(RUN_ID)
            stages["train"] = pipeline.train()
            stages["promote"] = pipeline.promote_and_push(push=True)
            deployment.forced.update(promote_refused(stages["promote"]["models"]))
            stages["rates"] = pipeline.recompute_rates()
            stages["infer"] = pipeline.infer()
        finally:
            get_settings.cache_clear()
    return deployment


@pytest.fixture(scope="session")
def trained_deployment(tmp_path_factory: pytest.TempPathFactory) -> Deployment:
    """The session's trained deployment. Read only: copy it (``deployment_copy``) to change it."""
    return build_deployment(tmp_path_factory.getbasetemp() / "aegis-trained-deployment")


@pytest.fixture
def deployment_copy(
    trained_deployment: Deployment, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Deployment]:
    """A private copy of the trained deployment, with the settings pointing at it."""
    copy = trained_deployment.copy_to(tmp_path / "aegis-home")
    copy.activate(monkeypatch)
    yield copy
    get_settings.cache_clear()

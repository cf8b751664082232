"""Typed settings, the only place that reads the environment.

Every setting has the ``AEGIS_`` prefix (``AEGIS_DATA_DIR``, ``AEGIS_MODELS_DIR`` ...).
Nothing happens on import: call :func:`get_settings` (cached) or build ``Settings(...)``
explicitly in tests.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

if TYPE_CHECKING:
    from aegis.params import Params


class Settings(BaseSettings):
    """Runtime settings of AegisMatrix (environment variables with the ``AEGIS_`` prefix)."""

    model_config = SettingsConfigDict(env_prefix="AEGIS_", extra="ignore")

    # --- where things live -------------------------------------------------------------
    home: Path = Field(default=Path("var"), description="Root of the embedded deployment state.")
    data_dir: Path | None = Field(default=None, description="Market-data store (Parquet).")
    models_dir: Path | None = Field(default=None, description="Model store tracked by DVC.")
    output_dir: Path | None = Field(default=None, description="Published snapshot and reports.")
    history_dir: Path | None = Field(
        default=None,
        description="Folder of daily history CSV/Parquet files; when unset, the simulator is used.",
    )
    real_data_dir: Path | None = Field(
        default=None, description="Real market data for the real-data tests (tests only)."
    )

    # --- the clock --------------------------------------------------------------------
    clock: datetime | None = Field(
        default=None,
        description="Pin the moment every stage treats as now (ISO 8601 with its offset, e.g. "
        "2023-03-29T14:15+05:30), to replay a slot; unset: the system clock.",
    )

    # --- data source ------------------------------------------------------------------
    source: Literal["simulator", "history", "live"] = "simulator"
    seed: int = Field(default=7, ge=0)
    sim_years: float = Field(default=12.0, gt=0, le=40)

    # --- model store (DVC) ------------------------------------------------------------
    dvc_remote_url: str | None = Field(
        default=None,
        description="DVC remote: s3://bucket/prefix or a local folder; default <home>/dvc-remote.",
    )
    s3_endpoint_url: str | None = None
    s3_bucket: str = "aegis-models"
    s3_prefix: str = "dvc"
    s3_access_key_id: SecretStr | None = None
    s3_secret_access_key: SecretStr | None = None
    s3_region: str = "us-east-1"
    git_commit_models: bool = Field(
        default=True, description="Commit models.dvc after a promotion (version history)."
    )

    # --- Airflow (aegis doctor) ----------------------------------------------------------
    airflow_api_url: str | None = Field(
        default=None,
        description="Base URL of the Airflow api-server (e.g. http://localhost:8080), which "
        "`aegis doctor` checks at /api/v2/monitor/health; unset: that check is skipped.",
    )

    # --- models -----------------------------------------------------------------------
    params_file: Path | None = Field(
        default=None,
        description="Hyper-parameters of the models and the gate; default the packaged "
        "aegis/params.yaml.",
    )

    # --- analytics --------------------------------------------------------------------
    safe_range_confidence: float = Field(default=0.80, gt=0.5, lt=0.99)
    live_timeout_s: float = Field(default=10.0, gt=0)

    # ---------------------------------------------------------------------------------
    def now(self) -> datetime:
        """The moment of this run (aware): :attr:`clock` when pinned, else the system clock.

        Read once at the edge and passed down (nothing below the edge asks the clock).
        A naive pinned clock is read as IST, the market's wall clock.
        """
        if self.clock is None:
            return datetime.now(UTC)
        if self.clock.tzinfo is None:
            from zoneinfo import ZoneInfo

            return self.clock.replace(tzinfo=ZoneInfo("Asia/Kolkata"))
        return self.clock

    @property
    def resolved_data_dir(self) -> Path:
        return self.data_dir or self.home / "data"

    @property
    def resolved_models_dir(self) -> Path:
        return self.models_dir or Path("models")

    @property
    def resolved_output_dir(self) -> Path:
        return self.output_dir or self.home / "output"

    @property
    def resolved_dvc_remote(self) -> str:
        if self.dvc_remote_url:
            return self.dvc_remote_url
        if self.s3_endpoint_url:
            return f"s3://{self.s3_bucket}/{self.s3_prefix}"
        return str((self.home / "dvc-remote").resolve())

    @property
    def snapshot_path(self) -> Path:
        return self.resolved_output_dir / "aegismatrix.json"

    def params(self) -> Params:
        """The hyper-parameters of ``params_file`` (or the packaged file), validated."""
        from aegis.params import PARAMS_FILE, load_params

        return load_params(self.params_file or PARAMS_FILE)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read from the environment once."""
    return Settings()

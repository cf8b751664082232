"""Typed settings, the only place that reads the environment.

Every setting has the ``AEGIS_`` prefix (``AEGIS_DATA_DIR``, ``AEGIS_MODELS_DIR`` ...); the
name after it is the field's, in any case. Nothing happens on import: call
:func:`get_settings` (cached) or build ``Settings(...)`` explicitly in tests; keyword arguments
win over the environment, and unknown ``AEGIS_`` variables are ignored.

The settings are a plain pydantic model that reads its own variables (:func:`environment_values`)
rather than a ``pydantic-settings`` one: that library costs 40-60 ms of CPU to import (its
providers pull in asyncio and dotenv), a fifth of what ``aegis infer`` spends above its import
floor, for one prefix lookup. A value that does not parse raises :class:`ConfigurationError`
naming the variable (or the keyword) and what was expected.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from aegis.errors import ConfigurationError

if TYPE_CHECKING:
    from aegis.params import Params

ENV_PREFIX = "AEGIS_"


def environment_values(environ: Mapping[str, str], fields: Mapping[str, Any]) -> dict[str, str]:
    """``{field: raw value}`` of the ``AEGIS_<FIELD>`` variables in ``environ`` (the name after
    the prefix in any case; the all-capitals spelling wins when two spellings are set)."""
    found: dict[str, str] = {}
    for key in sorted(environ, key=lambda k: k != k.upper()):
        if key.upper().startswith(ENV_PREFIX):
            name = key[len(ENV_PREFIX):].lower()
            if name in fields and name not in found:
                found[name] = environ[key]
    return found


class Settings(BaseModel):
    """Runtime settings of AegisMatrix (environment variables with the ``AEGIS_`` prefix)."""

    model_config = ConfigDict(extra="ignore")

    def __init__(self, **values: Any) -> None:
        from_env = environment_values(os.environ, type(self).model_fields)
        try:
            super().__init__(**{**from_env, **values})
        except ValidationError as exc:
            raise ConfigurationError(settings_error_words(exc, from_env, values)) from exc

    # --- where things live -------------------------------------------------------------
    home: Path = Field(default=Path("var"), description="Root of the embedded deployment state.")
    data_dir: Path | None = Field(default=None, description="Market-data store (Parquet).")
    models_dir: Path | None = Field(
        default=None, description="Model store tracked by DVC; default <home>/models (a clone "
        "of the repository pulls into ./models: set AEGIS_MODELS_DIR=models there).")
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

    retention_days: int = Field(
        default=30, ge=1, le=3650,
        description="Days the market store keeps a batch's revision copy (_revisions/) and the "
        "pipeline keeps a staged feature table or a Data Docs page; older ones are pruned "
        "nightly (`aegis data prune`), one audit line each run.",
    )

    # --- models -----------------------------------------------------------------------
    params_file: Path | None = Field(
        default=None,
        description="Hyper-parameters of the models and the gate; default the packaged "
        "aegis/params.yaml.",
    )

    # --- the AegisMatrix page ------------------------------------------------------------
    airflow_api_url: str = Field(
        default="http://127.0.0.1:8080",
        pattern=r"^https?://[^/\s]+(/\S*)?$",
        description="Where the page's operator corner asks Airflow's REST API (with the viewer's "
        "token): the api-server's own address, configured, never the request's Host header.",
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
        return self.models_dir or self.home / "models"

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


def settings_error_words(exc: ValidationError, from_env: Mapping[str, str],
                         values: Mapping[str, Any]) -> str:
    """One clause per bad setting: where it came from (the variable or the keyword), the value
    and what was expected."""
    from typing import get_args

    def shown(name: str, value: Any) -> str:
        field = Settings.model_fields.get(name)
        annotation = None if field is None else field.annotation
        secret = annotation is SecretStr or SecretStr in get_args(annotation)
        return "<hidden>" if secret else repr(value)

    clauses = []
    for error in exc.errors(include_url=False):
        name = str(error["loc"][0]) if error["loc"] else "settings"
        if name in values:
            where = f"the keyword {name}={shown(name, values[name])}"
        elif name in from_env:
            where = f"{ENV_PREFIX}{name.upper()}={shown(name, from_env[name])}"
        else:
            where = name
        clauses.append(f"{where}: {error['msg']}")
    return "bad setting: " + "; ".join(clauses)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read from the environment once."""
    return Settings()

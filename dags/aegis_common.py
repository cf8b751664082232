"""Shared pieces of the AegisMatrix DAGs: assets, market timezone, retries.

Not a DAG file (listed in ``.airflowignore``); the DAG files import it from the DAGs folder,
which Airflow puts on ``sys.path``. Only ``airflow.sdk`` and the standard library are imported
here, so parsing stays fast.

Retries
-------
Every task retries ``RETRIES`` times with exponential backoff (multiplier 2, capped at
``MAX_RETRY_DELAY``); the first delay is Airflow's ``[core] default_task_retry_delay`` (seconds),
so an operator tunes it per deployment without touching code. The retry policy fails at once on
errors that a retry cannot fix (a failed validation, a corrupt or missing model, an unreadable
file) and retries the transient ones (the S3 endpoint or a live source unreachable).
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import Asset, ExceptionRetryPolicy, RetryAction, RetryRule

MARKET_TZ = "Asia/Kolkata"
"""Every schedule is read in the exchange's timezone (IST, no DST)."""

FEATURES_ASSET = Asset(name="aegis_features", uri="x-aegis://market/features", group="aegis")
"""Validated daily features in the market store (updated by ``aegis_market_ingest``)."""

SNAPSHOT_ASSET = Asset(
    name="aegis_snapshot", uri="x-aegis://output/aegismatrix.json", group="aegis"
)
"""The published ``aegismatrix.json`` (updated by ``aegis_inference``)."""

MODELS_ASSET = Asset(name="aegis_models", uri="x-aegis://models/registry", group="aegis")
"""The champions in the DVC-tracked model store (updated by ``aegis_nightly_retrain``)."""

RETRIES = 3
MAX_RETRY_DELAY = timedelta(minutes=30)

RETRY_POLICY = ExceptionRetryPolicy(
    rules=[
        RetryRule(
            exception=["aegis.errors.RemoteUnavailableError", "aegis.errors.LiveSourceError"],
            action=RetryAction.RETRY,
            reason="transient: remote endpoint unreachable, backing off",
        ),
        RetryRule(
            exception=[
                "aegis.errors.ValidationFailedError",
                "aegis.errors.DataFormatError",
                "aegis.errors.ArtifactMissingError",
                "aegis.errors.ChecksumMismatchError",
                "aegis.errors.ManifestMismatchError",
                "aegis.errors.ProbeMismatchError",
            ],
            action=RetryAction.FAIL,
            reason="deterministic failure: retrying cannot fix it",
        ),
    ],
    default=RetryAction.DEFAULT,
)

DEFAULT_ARGS: dict[str, object] = {
    "owner": "aegis",
    "retries": RETRIES,
    "retry_exponential_backoff": 2.0,
    "max_retry_delay": MAX_RETRY_DELAY,
    "retry_policy": RETRY_POLICY,
    "execution_timeout": timedelta(minutes=45),
}
"""``default_args`` of every AegisMatrix DAG."""

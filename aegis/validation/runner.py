"""Run the expectation suites on in-memory frames with an ephemeral Great Expectations context.

One call builds one ephemeral context (in-memory stores, analytics and progress bars off), one
pandas datasource, and per dataset a GX **Checkpoint** (``<suite>_checkpoint``): a dataframe
asset with a whole-dataframe batch definition, the suite's ``ValidationDefinition`` and an
``UpdateDataDocsAction``; each frame is passed at run time as ``batch_parameters={"dataframe":
df}``. The results are stored in the context's in-memory validation-results store, from which
the action renders the Data Docs HTML site into ``docs_dir`` (a filesystem site configured on
the ephemeral context; the AegisMatrix plugin serves it behind the Airflow login).
``import great_expectations`` costs seconds, so it happens in here only.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from aegis.atomic import write_text_atomic
from aegis.errors import ValidationFailedError, ValidationInputError
from aegis.validation.helpers import PREPARERS
from aegis.validation.report import (
    FailedExpectation,
    SuiteResult,
    SuiteStatistics,
    ValidationReport,
    json_safe,
)
from aegis.validation.suites import build_suite

DOCS_SITE = "aegis"
"""Name of the Data Docs site written to ``docs_dir``."""
SAMPLE_SIZE = 5
"""Unexpected values and offending rows kept per failed expectation."""


def validate_frames(
    frames: dict[str, pd.DataFrame],
    *,
    docs_dir: Path | None = None,
    expectations_dir: Path | None = None,
    suites: Mapping[str, str] | None = None,
) -> ValidationReport:
    """Validate each frame against the suite of the same name (or the one ``suites`` names).

    Parameters
    ----------
    frames : dict of str to DataFrame
        Suite name (``nifty_daily``, ``vix_daily``, ``intraday_bars``, ``option_chain``,
        ``features``) -> the canonical frame (see ``aegis/market/frames.py`` and
        ``aegis/features/columns.py``). Helper columns are added to a copy (``helpers.py``).
    suites : mapping of str to str, optional
        Frame name -> suite name, for frames named after their dataset: ``{"nifty_intraday":
        "intraday_bars", "vix_intraday": "intraday_bars"}`` runs one suite on two series, each
        reported under its own name.
    docs_dir : Path, optional
        Where the GX Data Docs site is written (the pipeline passes ``<output dir>/data_docs``);
        None builds no Data Docs (``report.data_docs`` is then None). The caller chooses: this
        module reads no settings.
    expectations_dir : Path, optional
        Folder of the suite JSON files; default the top-level ``expectations/`` (installed as
        the package ``aegis.expectations``).

    Returns
    -------
    ValidationReport
        Per suite: success, statistics, failed expectations with a few offending rows.

    Raises
    ------
    ValidationInputError
        A key names no suite, or a frame lacks the index/columns its helpers need.
    SuiteDefinitionError
        A suite file is missing or holds an expectation GX cannot build.
    """
    suite_of = {name: (suites or {}).get(name, name) for name in frames}
    unknown = sorted(name for name, suite in suite_of.items() if suite not in PREPARERS)
    if unknown:
        raise ValidationInputError(
            f"frames {unknown}: expected suite names among {sorted(PREPARERS)}"
        )
    if not frames:
        raise ValidationInputError("validate_frames: expected at least one frame; got none")
    prepared = {name: PREPARERS[suite_of[name]](frame) for name, frame in frames.items()}

    import great_expectations as gx

    docs = docs_dir.resolve() if docs_dir is not None else None
    context = _ephemeral_context(docs)
    datasource = context.data_sources.add_pandas("aegis_frames")
    results: list[SuiteResult] = []
    built: dict[str, Any] = {}
    for name, frame in prepared.items():
        if suite_of[name] not in built:
            built[suite_of[name]] = context.suites.add(build_suite(suite_of[name],
                                                                   expectations_dir))
        checkpoint = context.checkpoints.add(dataset_checkpoint(
            context, datasource, built[suite_of[name]], docs is not None, dataset=name))
        outcome = checkpoint.run(batch_parameters={"dataframe": frame})
        ((identifier, validation),) = outcome.run_results.items()
        page = _docs_page(context, identifier, docs) if docs is not None else None
        result = _suite_result(name, frame, validation.to_json_dict(), page)
        if suite_of[name] != name:
            result = result.model_copy(update={"expectation_suite": suite_of[name]})
        results.append(result)

    index_html = None
    if docs is not None:
        docs.mkdir(parents=True, exist_ok=True)
        context.build_data_docs(site_names=[DOCS_SITE])
        index_html = str(docs / "index.html")
    return ValidationReport(
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        great_expectations_version=gx.__version__,
        suites=results,
        data_docs=index_html,
    )


def checkpoint_name(suite: str) -> str:
    """The GX Checkpoint of dataset ``suite`` (one per dataset: ``nifty_daily_checkpoint``...)."""
    return f"{suite}_checkpoint"


def dataset_checkpoint(context: Any, datasource: Any, suite: Any, data_docs: bool, *,
                       dataset: str | None = None) -> Any:
    """The Checkpoint of one dataset: its ``ValidationDefinition`` (the suite on a whole-frame
    batch of the dataframe asset of the same name) and, with ``data_docs``, an
    ``UpdateDataDocsAction`` that renders the result into the site.

    The frame is given at run time (``checkpoint.run(batch_parameters={"dataframe": df})``), so
    one Checkpoint per dataset is what a GX user runs from a notebook on the same frames.
    """
    import great_expectations as gx
    from great_expectations.checkpoint import UpdateDataDocsAction

    name = dataset or suite.name  # one suite may check several datasets (intraday bars)
    if name not in {s.name for s in context.suites.all()} and suite.name == name:
        suite = context.suites.add(suite)
    batch = datasource.add_dataframe_asset(name).add_batch_definition_whole_dataframe(name)
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(name=f"{name}_gate", data=batch, suite=suite)
    )
    actions: list[Any] = []
    if data_docs:
        actions.append(UpdateDataDocsAction(name="data_docs", site_names=[DOCS_SITE]))
    return gx.Checkpoint(
        name=checkpoint_name(name),
        validation_definitions=[definition],
        actions=actions,
        result_format={"result_format": "SUMMARY", "partial_unexpected_count": SAMPLE_SIZE},
    )


def _docs_page(context: Any, identifier: Any, docs: Path) -> str | None:
    """The Data Docs page of one validation result, relative to the site root (POSIX)."""
    for site in context.get_docs_sites_urls(resource_identifier=identifier, site_name=DOCS_SITE,
                                            only_if_exists=False):
        url = site.get("site_url") or ""
        if url.startswith("file://"):
            path = Path(url.removeprefix("file://"))
            if path.is_relative_to(docs):
                return path.relative_to(docs).as_posix()
    return None


def require_valid(report: ValidationReport, *, record_to: Path | None = None) -> ValidationReport:
    """Return ``report`` if every suite passed; else record it and raise.

    Parameters
    ----------
    report : ValidationReport
    record_to : Path, optional
        Where the full JSON report is written *before* raising (parents created).

    Raises
    ------
    ValidationFailedError
        Listing each failed suite and expectation; ``.report`` carries the report.
    """
    if report.success:
        return report
    if record_to is not None:
        write_text_atomic(record_to, report.to_json())
    where = f"; full report in {record_to}" if record_to is not None else ""
    if report.data_docs:
        where += f"; Data Docs {report.data_docs}"
    detail = report.describe_failures() or "no suite was run"
    raise ValidationFailedError(f"validation failed{where}:\n{detail}", report=report)


def _ephemeral_context(docs: Path | None) -> Any:
    """An ephemeral GX context; with ``docs``, a filesystem Data Docs site there."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    sites: dict[str, Any] = {}
    if docs is not None:
        sites[DOCS_SITE] = {
            "class_name": "SiteBuilder",
            "show_how_to_buttons": False,
            "store_backend": {
                "class_name": "TupleFilesystemStoreBackend",
                "base_directory": str(docs),
            },
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        }
    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(),
        data_docs_sites=sites,
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False),
    )
    return gx.get_context(project_config=config, mode="ephemeral")


def _suite_result(name: str, frame: pd.DataFrame, raw: dict[str, Any],
                  page: str | None = None) -> SuiteResult:
    """Our typed result from GX's ``ExpectationSuiteValidationResult.to_json_dict()``."""
    stats = raw.get("statistics") or {}
    failed = [
        _failed_expectation(frame, item)
        for item in raw.get("results") or []
        if not item.get("success")
    ]
    return SuiteResult(
        suite=name,
        success=bool(raw.get("success")),
        rows=len(frame),
        statistics=SuiteStatistics(
            evaluated_expectations=int(stats.get("evaluated_expectations") or 0),
            successful_expectations=int(stats.get("successful_expectations") or 0),
            unsuccessful_expectations=int(stats.get("unsuccessful_expectations") or 0),
            success_percent=stats.get("success_percent"),
        ),
        failed=failed,
        checkpoint=checkpoint_name(name),
        data_docs_page=page,
    )


def _failed_expectation(frame: pd.DataFrame, item: dict[str, Any]) -> FailedExpectation:
    """One failed GX expectation result -> :class:`FailedExpectation` with offending rows."""
    config = item.get("expectation_config") or {}
    kwargs = {k: v for k, v in (config.get("kwargs") or {}).items() if k != "batch_id"}
    result = item.get("result") or {}
    if "column" in kwargs:
        column = str(kwargs["column"])
    elif "column_A" in kwargs:
        column = f"{kwargs['column_A']},{kwargs['column_B']}"
    elif "column_list" in kwargs:
        column = ",".join(map(str, kwargs["column_list"]))
    else:
        column = None
    sample = result.get("partial_unexpected_list") or []
    indices = result.get("partial_unexpected_index_list") or []
    rows = [
        json_safe(frame.loc[i].to_dict())
        for i in indices[:SAMPLE_SIZE]
        if isinstance(i, int) and i in frame.index
    ]
    exception = _exception_message(item.get("exception_info") or {})
    return FailedExpectation(
        expectation_type=str(config.get("type")),
        column=column,
        kwargs=json_safe(kwargs),
        notes=config.get("notes"),
        observed_value=json_safe(result.get("observed_value")),
        element_count=result.get("element_count"),
        unexpected_count=result.get("unexpected_count"),
        unexpected_percent=result.get("unexpected_percent"),
        unexpected_values=json_safe(list(sample)[:SAMPLE_SIZE]),
        offending_rows=rows,
        exception=exception,
    )


def _exception_message(info: dict[str, Any]) -> str | None:
    """GX's exception info is either one record or a dict of records keyed by metric id."""
    records = [info] if "raised_exception" in info else list(info.values())
    messages = [
        str(r.get("exception_message"))
        for r in records
        if isinstance(r, dict) and r.get("raised_exception", True) and r.get("exception_message")
    ]
    return "; ".join(dict.fromkeys(messages)) or None

"""The ``weekly-staffing`` flow: ingest -> forecast -> demand -> staffing -> report.

Each task wraps one library function; retries only on the tasks that do I/O.
"""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

from prefect import flow, task
from prefect.task_runners import ThreadPoolTaskRunner

from forecasting import pipeline
from forecasting.config import Config, load_config
from forecasting.errors import LymphcastError
from forecasting.ingest import IngestResult, ingest, load_processed, write_processed
from forecasting.models import SeriesForecast

progress = logging.getLogger("lymphcast.progress")


@task(name="ingest", retries=2, retry_delay_seconds=[1, 5])
def ingest_task(raw: Path, processed: Path, config: Config, today: date) -> IngestResult:
    result = ingest(raw, config.ingest, today)
    if not result.usable:
        first = next((f.error for f in result.files if f.error), "no usable rows")
        raise LymphcastError(f"No export in {raw} could be used ({first}).")
    write_processed(result, processed)
    bad = [f for f in result.files if f.status != "ok" or f.rows_quarantined]
    progress.info(
        "ingested %d files (%d with rejected rows; see %s/quarantine)",
        len(result.files), len(bad), processed,
    )  # fmt: skip
    return result


@task(name="load-inputs", retries=2, retry_delay_seconds=[1, 5])
def load_task(processed: Path, as_of: date) -> pipeline.WeeklyInputs:
    return pipeline.cut_inputs(*load_processed(processed), as_of=as_of)


@task(name="forecast-series", task_run_name="forecast-{key[0]}-{key[1]}")
def forecast_task(key: pipeline.SeriesKey, history, config: Config) -> SeriesForecast:
    return pipeline.forecast_one(key, history, config)


@task(name="demand-and-staffing")
def assemble_task(inputs, histories, forecasts, config: Config) -> pipeline.WeeklyResult:
    return pipeline.assemble(inputs, histories, forecasts, config)


@task(name="publish-report", retries=2, retry_delay_seconds=[1, 5])
def report_task(**kwargs) -> Path:
    return pipeline.write_outputs(**kwargs)


@flow(name="weekly-staffing", task_runner=ThreadPoolTaskRunner(max_workers=4), log_prints=False)
def weekly_staffing(
    as_of: date | None = None,
    config_path: str | None = None,
    raw: str = "data/raw",
    processed: str = "data/processed",
    reports: str = "reports",
) -> str:
    """Weekly MLD session forecast and therapist staffing report; returns the report path."""
    as_of = as_of or date.today()
    config = load_config(Path(config_path) if config_path else None)
    raw_dir, processed_dir = Path(raw), Path(processed)
    ingested = ingest_task(raw_dir, processed_dir, config, date.today())
    inputs = load_task(processed_dir, as_of)
    histories = pipeline.procedure_histories(inputs)
    progress.info(
        "forecasting %d procedure series for %d clinics (%s, %d weeks, %d paths)",
        len(histories), len(inputs.clinics), config.model.name, config.horizon_weeks,
        config.n_paths,
    )  # fmt: skip
    keys = sorted(histories)
    futures = [forecast_task.submit(k, histories[k], config) for k in keys]
    forecasts = {k: f.result() for k, f in zip(keys, futures, strict=True)}
    fallbacks = sum(1 for f in forecasts.values() if f.fallback_reason)
    progress.info("forecasts done (%d used the fallback model)", fallbacks)
    result = assemble_task(inputs, histories, forecasts, config)
    path = report_task(
        reports_dir=Path(reports),
        processed_dir=processed_dir,
        inputs=inputs,
        result=result,
        config=config,
        ingest_manifest=ingested.manifest,
        config_path=Path(config_path) if config_path else None,
    )
    return str(path)
